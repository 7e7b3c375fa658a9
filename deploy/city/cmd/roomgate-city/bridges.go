package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/deploy/city/ingest"
)

const bridgesHelp = `
Prints one line per room with a conference bridge: its meeting in progress
or next, the meeting's bridge, the room's call as its box last reported it,
since when, and its last failure in the terminal's own words. A room is
listed when a schedule recorded for it has a bridge (publish meetings -db)
or its box has sent a call record (vn.roomgate.call.v1, stored by ingest).

A room counts as connected when its latest call is up on its meeting's
bridge (a call kept from the meeting before, on the same bridge, counts).
-not-connected lists only the rooms with a meeting on a bridge, in
progress or starting within -within, that are not.

-at looks at another moment: calls as they stood then (later records are
left out) against the schedule last recorded. It is RFC 3339, "2006-01-02
15:04" or "15:04" (today), in -tz. -watch redraws every DURATION until
interrupted. -json prints one JSON object per room instead of the table.

-db is the database ingest writes to: postgres://user@host/db or
sqlite:PATH.

Which rooms are not connected a minute before the 14:00 meeting:
  roomgate-city bridges -db postgres://roomgate@db.city/roomgate \
    -at 13:59 -within 1m -not-connected
`

func (a *app) bridges(path string, args []string) error {
	f := newFlags(path, "-db postgres://...|sqlite:PATH [-at TIME] [-within DURATION] [-not-connected] [-json] [-watch DURATION]", bridgesHelp)
	db := f.String("db", "sqlite:city.db", "`DATABASE`: postgres://... or sqlite:PATH")
	atFlag := f.String("at", "", "look at `TIME` instead of now: RFC 3339, 2006-01-02 15:04 or 15:04")
	within := f.Duration("within", 12*time.Hour, "a meeting starting within `DURATION` of -at is the room's next")
	notConnected := f.Bool("not-connected", false, "only rooms not connected to the bridge of their meeting now or next")
	asJSON := f.Bool("json", false, "print JSON lines instead of a table")
	watch := f.Duration("watch", 0, "redraw every `DURATION` until interrupted (0: once)")
	tz := f.String("tz", "Asia/Ho_Chi_Minh", "read and show times in `ZONE`")
	pos, err := a.parse(f, args)
	switch {
	case err != nil:
		return err
	case len(pos) > 0:
		return usageError(f, "unexpected argument %q", pos[0])
	case *within < 0:
		return usageError(f, "-within must not be negative")
	case *watch < 0:
		return usageError(f, "-watch must not be negative")
	case *watch > 0 && *atFlag != "":
		return usageError(f, "-watch shows the present; leave out -at")
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return usageError(f, "-tz %q: %v", *tz, err)
	}
	var at time.Time
	if *atFlag != "" {
		if at, err = parseAt(*atFlag, a.now().In(loc)); err != nil {
			return usageError(f, "-at %q: %v", *atFlag, err)
		}
	}
	if err := checkSQLiteExists(f, *db); err != nil {
		return err
	}
	ctx, stop := signalContext()
	defer stop()
	s, closeStore, err := openStore(ctx, *db)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer closeStore()

	for {
		now := at
		if now.IsZero() {
			now = a.now()
		}
		rooms, err := s.Bridges(ctx, now, *within)
		if ctx.Err() != nil {
			return nil // interrupted while watching
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if *notConnected {
			rooms = notConnectedRooms(rooms)
		}
		if *asJSON {
			err = writeBridgesJSON(a.stdout, rooms, now)
		} else {
			if *watch > 0 && isTerminal(a.stdout) {
				fmt.Fprint(a.stdout, "\x1b[H\x1b[2J")
			}
			err = writeBridges(a.stdout, rooms, now.In(loc))
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if *watch == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(*watch):
		}
	}
}

// parseAt reads -at: RFC 3339, a date and time, or a time of today (now's
// day, in now's zone).
func parseAt(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02 15:04", s, now.Location()); err == nil {
		return t, nil
	}
	t, err := time.ParseInLocation("15:04", s, now.Location())
	if err != nil {
		return time.Time{}, fmt.Errorf("want RFC 3339, 2006-01-02 15:04 or 15:04")
	}
	y, m, d := now.Date()
	return time.Date(y, m, d, t.Hour(), t.Minute(), 0, 0, now.Location()), nil
}

func notConnectedRooms(rooms []ingest.RoomBridge) []ingest.RoomBridge {
	var out []ingest.RoomBridge
	for _, r := range rooms {
		if r.Meeting != nil && r.Meeting.Bridge != nil && !r.Connected() {
			out = append(out, r)
		}
	}
	return out
}

// isTerminal reports whether w is a terminal, which -watch clears between
// tables; a file or pipe gets the tables one after another.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func writeBridges(w io.Writer, rooms []ingest.RoomBridge, at time.Time) error {
	fmt.Fprintf(w, "As of %s\n", at.Format("2006-01-02 15:04:05 MST"))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ROOM\tMEETING\tBRIDGE\tCALL\tSINCE\tLAST FAILURE")
	connected := 0
	for _, r := range rooms {
		room, meeting, bridge := r.Device, "-", "-"
		if r.Meeting != nil {
			m := r.Meeting
			when := "next"
			if !at.Before(m.Start) {
				when = "now"
			}
			meeting = fmt.Sprintf("%s %s–%s %s %s", when, clock(m.Start, at, "15:04"), clock(m.End, at, "15:04"), m.ID, m.Title)
			if m.Bridge != nil {
				bridge = bridgeText(m.Bridge)
			}
			if m.Room != "" {
				room += " (" + m.Room + ")"
			}
		} else if r.Call != nil && r.Call.Room != "" {
			room += " (" + r.Call.Room + ")"
		}
		call, since := "none", "-"
		if r.Call != nil {
			call, since = r.Call.State, clock(r.Call.At, at, time.TimeOnly)
			if r.Connected() {
				connected++
			} else if r.Meeting != nil && r.Meeting.Bridge != nil && r.Call.Bridge != "" && r.Call.Bridge != r.Meeting.Bridge.Dial {
				call += " (" + r.Call.Bridge + ")"
			}
		}
		failure := "-"
		if f := r.Failure; f != nil {
			failure = clock(f.At, at, time.TimeOnly) + " " + f.State
			if f.Reason != "" {
				failure += ": " + f.Reason
			}
		}
		cells := []string{room, meeting, bridge, call, since, failure}
		for i := range cells {
			cells[i] = truncate(printable(cells[i]), maxSummary)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d rooms, %d connected to their meeting's bridge\n", len(rooms), connected)
	return err
}

// clock is t in at's zone as layout gives the time of day, after the date
// when it is not at's day.
func clock(t, at time.Time, layout string) string {
	t = t.In(at.Location())
	if y, m, d := t.Date(); y == at.Year() && m == at.Month() && d == at.Day() {
		return t.Format(layout)
	}
	return t.Format("01-02 " + layout)
}

// bridgeLine is a room as -json prints it.
type bridgeLine struct {
	Device      string       `json:"device"`
	At          time.Time    `json:"at"` // the moment looked at
	Meeting     *meetingLine `json:"meeting,omitempty"`
	Call        *wire.Call   `json:"call,omitempty"`
	Connected   bool         `json:"connected"`
	LastFailure *wire.Call   `json:"last_failure,omitempty"`
}

type meetingLine struct {
	ID     string       `json:"id"`
	Title  string       `json:"title"`
	Room   string       `json:"room,omitempty"`
	Start  time.Time    `json:"start"`
	End    time.Time    `json:"end"`
	Now    bool         `json:"now"` // in progress; else next
	Bridge *wire.Bridge `json:"bridge,omitempty"`
}

func writeBridgesJSON(w io.Writer, rooms []ingest.RoomBridge, at time.Time) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, r := range rooms {
		l := bridgeLine{Device: r.Device, At: at.UTC(), Call: r.Call, Connected: r.Connected(), LastFailure: r.Failure}
		if m := r.Meeting; m != nil {
			l.Meeting = &meetingLine{ID: m.ID, Title: m.Title, Room: m.Room, Start: m.Start, End: m.End, Now: !at.Before(m.Start), Bridge: m.Bridge}
		}
		if err := enc.Encode(l); err != nil {
			return err
		}
	}
	return nil
}
