package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/roomgate/roomgate/agent/event"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/deploy/city/ingest"
)

const eventsHelp = `
Prints the newest events ingest stored, newest first by the time the box
recorded them: a table in local time with a short summary of each event's
data, or with -json one JSON object per line. A warning on standard error
counts the elements the device (or every device) sent that did not
validate; ingest keeps them, with the reason, in the table rejected_events.

-db is the database ingest writes to: postgres://user@host/db or
sqlite:PATH.

Example:
  roomgate-city events -db sqlite:city.db -device hq-gate-1 \
    -type vn.roomgate.entry.v1 -n 50
`

// maxEvents bounds -n: the listing is for reading, not for exporting.
const maxEvents = 10_000

func (a *app) events(path string, args []string) error {
	f := newFlags(path, "-db postgres://...|sqlite:PATH [-device D] [-type TYPE] [-n N] [-json]", eventsHelp)
	db := f.String("db", "sqlite:city.db", "`DATABASE`: postgres://... or sqlite:PATH")
	device := f.String("device", "", "only events of device `D`")
	typ := f.String("type", "", "only events of `TYPE`, e.g. "+event.TypeEntry)
	n := f.Int("n", 20, fmt.Sprintf("print the newest `N` events, 1..%d", maxEvents))
	asJSON := f.Bool("json", false, "print JSON lines instead of a table")
	pos, err := a.parse(f, args)
	switch {
	case err != nil:
		return err
	case len(pos) > 0:
		return usageError(f, "unexpected argument %q", pos[0])
	case *n < 1 || *n > maxEvents:
		return usageError(f, "-n %d: want 1..%d", *n, maxEvents)
	case *device != "" && !wire.ValidName(*device):
		return usageError(f, "-device %q: want a device id", *device)
	}
	if err := checkSQLiteExists(f, *db); err != nil {
		return err
	}
	ctx := context.Background()
	s, closeStore, err := openStore(ctx, *db)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer closeStore()
	es, err := s.Latest(ctx, ingest.Filter{Device: *device, Type: *typ, Limit: *n})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	rejected, err := s.CountRejected(ctx, *device)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}

	if *asJSON {
		err = writeEventsJSON(a.stdout, es)
	} else {
		err = writeEventsTable(a.stdout, es)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if len(es) == 0 {
		fmt.Fprintf(a.stderr, "no matching events in %s\n", s)
	}
	if len(rejected) > 0 {
		var counts []string
		for _, d := range slices.Sorted(maps.Keys(rejected)) {
			counts = append(counts, fmt.Sprintf("%s %d", d, rejected[d]))
		}
		fmt.Fprintf(a.stderr, "warning: rejected elements, which did not validate (see rejected_events): %s\n", strings.Join(counts, ", "))
	}
	return nil
}

// checkSQLiteExists refuses a SQLite -db that is not there: opening a path
// creates the file, so a mistyped path would list nothing and leave an
// empty database behind.
func checkSQLiteExists(f *flags, db string) error {
	if file, ok := strings.CutPrefix(db, "sqlite:"); ok {
		if _, err := os.Stat(file); err != nil {
			return usageError(f, "-db %q: %v", db, err)
		}
	}
	return nil
}

// eventLine is an event as -json prints it.
type eventLine struct {
	Device     string          `json:"device"`
	Source     string          `json:"source"`
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Time       time.Time       `json:"time"`
	ReceivedAt time.Time       `json:"received_at"`
	Data       json.RawMessage `json:"data"`
}

func writeEventsJSON(w io.Writer, es []ingest.StoredEvent) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, e := range es {
		l := eventLine{Device: e.Device, Source: e.Source, ID: e.ID, Type: e.Type, Time: e.Time.UTC(), ReceivedAt: e.ReceivedAt.UTC(), Data: e.Data}
		if err := enc.Encode(l); err != nil {
			return err
		}
	}
	return nil
}

func writeEventsTable(w io.Writer, es []ingest.StoredEvent) error {
	if len(es) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tDEVICE\tTYPE\tSUMMARY")
	for _, e := range es {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Time.Local().Format(time.DateTime), e.Device, e.Type, summary(e.Type, e.Data))
	}
	return tw.Flush()
}

// maxSummary is the width of the summary column, in runes.
const maxSummary = 72

// summary is one line saying what an event's data says.
func summary(typ string, data json.RawMessage) string {
	s := ""
	switch typ {
	case event.TypeEntry:
		var d struct {
			Decision string `json:"decision"`
			Granted  *bool  `json:"granted"`
			Reason   string `json:"reason"`
			Name     string `json:"name"`
		}
		if json.Unmarshal(data, &d) != nil {
			break
		}
		// Boxes send decision; some producers (tests, tools) say granted.
		if d.Decision == "" && d.Granted != nil {
			d.Decision = map[bool]string{true: "granted", false: "denied"}[*d.Granted]
		}
		if d.Decision != "" {
			s = d.Decision
			if d.Reason != "" {
				s += " (" + d.Reason + ")"
			}
			if d.Name != "" {
				s += " " + d.Name
			}
		}
	case event.TypeDoor:
		var d struct {
			Kind  string `json:"kind"`
			Alarm bool   `json:"alarm"`
		}
		if json.Unmarshal(data, &d) == nil && d.Kind != "" {
			s = d.Kind
			if d.Alarm {
				s += " (alarm)"
			}
		}
	}
	if s == "" {
		var b bytes.Buffer
		if json.Compact(&b, data) == nil {
			s = b.String()
		} else {
			s = string(data)
		}
	}
	return truncate(printable(s), maxSummary)
}

// printable replaces control and bidi characters: the data comes from the
// boxes, and must not move the cursor or reorder the operator's terminal.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return unicode.ReplacementChar
		}
		return r
	}, s)
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
