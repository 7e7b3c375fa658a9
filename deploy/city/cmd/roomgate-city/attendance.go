package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/deploy/city/ingest"
)

const attendanceHelp = `
Lists who checked in to each meeting, from the attendance events
(vn.roomgate.attendance.v1) that ingest stored: per meeting its title and
counts, then each check-in with its time, method (face, qr or manual),
whether it was late and the box it came from. Meetings are in the order of
their first check-in. With -csv it prints one CSV row per check-in instead.

-db is the database ingest writes to: postgres://user@host/db or
sqlite:PATH.

Example:
  roomgate-city attendance -db sqlite:city.db -meeting M-2026-03-02-giao-ban
`

// meetingAttendance is one meeting's check-ins, oldest first.
type meetingAttendance struct {
	id, title, room string
	checkIns        []wire.Attendance
}

func (a *app) attendance(path string, args []string) error {
	f := newFlags(path, "-db postgres://...|sqlite:PATH [-meeting ID] [-csv]", attendanceHelp)
	db := f.String("db", "sqlite:city.db", "`DATABASE`: postgres://... or sqlite:PATH")
	meeting := f.String("meeting", "", "only the meeting with this `ID`")
	asCSV := f.Bool("csv", false, "print CSV, one row per check-in")
	tz := f.String("tz", "Asia/Ho_Chi_Minh", "show times in `ZONE`")
	pos, err := a.parse(f, args)
	switch {
	case err != nil:
		return err
	case len(pos) > 0:
		return usageError(f, "unexpected argument %q", pos[0])
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return usageError(f, "-tz %q: %v", *tz, err)
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
	es, err := s.Attendance(ctx, *meeting)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	meetings, bad := groupAttendance(es)
	if *asCSV {
		err = writeAttendanceCSV(a.stdout, meetings, loc)
	} else {
		err = writeAttendance(a.stdout, meetings, loc)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if len(es) == 0 {
		fmt.Fprintf(a.stderr, "no attendance in %s\n", s)
	}
	if bad > 0 {
		fmt.Fprintf(a.stderr, "warning: %d attendance events without a meeting or not in the attendance shape were left out\n", bad)
	}
	return nil
}

// groupAttendance groups events, oldest first, by meeting; bad counts the
// events left out because their data does not read as attendance.
func groupAttendance(es []ingest.StoredEvent) (meetings []*meetingAttendance, bad int) {
	byID := map[string]*meetingAttendance{}
	for _, e := range es {
		var d wire.Attendance
		if err := json.Unmarshal(e.Data, &d); err != nil || d.Meeting == "" {
			bad++
			continue
		}
		// The device is the one whose topic the event came on, not what
		// its data claims.
		d.Device = e.Device
		if d.At.IsZero() {
			d.At = e.Time
		}
		m := byID[d.Meeting]
		if m == nil {
			m = &meetingAttendance{id: d.Meeting}
			byID[d.Meeting] = m
			meetings = append(meetings, m)
		}
		if m.title == "" {
			m.title = d.Title
		}
		if m.room == "" {
			m.room = d.Room
		}
		m.checkIns = append(m.checkIns, d)
	}
	return meetings, bad
}

// counts says how many attended, by method, and how many were late.
func (m *meetingAttendance) counts() string {
	people := map[string]bool{}
	methods := map[string]int{}
	late := 0
	for _, c := range m.checkIns {
		people[c.Person] = true
		methods[c.Method]++
		if c.Late {
			late++
		}
	}
	s := fmt.Sprintf("%d attended", len(people))
	if len(people) != len(m.checkIns) {
		s += fmt.Sprintf(" (%d check-ins)", len(m.checkIns))
	}
	var by []string
	for _, k := range slices.Sorted(maps.Keys(methods)) {
		by = append(by, fmt.Sprintf("%d %s", methods[k], k))
	}
	return s + ": " + strings.Join(by, ", ") + fmt.Sprintf("; %d late", late)
}

func writeAttendance(w io.Writer, meetings []*meetingAttendance, loc *time.Location) error {
	total := 0
	for i, m := range meetings {
		if i > 0 {
			fmt.Fprintln(w)
		}
		head := m.id
		if m.title != "" {
			head += "  " + m.title
		}
		if m.room != "" {
			head += " (" + m.room + ")"
		}
		fmt.Fprintf(w, "%s\n%s\n", printable(head), m.counts())
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  TIME\tNAME\tPERSON\tUNIT\tSEAT\tMETHOD\tLATE\tDEVICE")
		for _, c := range m.checkIns {
			method := c.Method
			if c.Score != 0 {
				method += fmt.Sprintf(" %.2f", c.Score)
			}
			if c.Reason != "" {
				method += " (" + c.Reason + ")"
			}
			late := ""
			if c.Late {
				late = "late"
			}
			cells := []string{c.At.In(loc).Format(time.DateTime), c.Name, c.Person, c.Unit, c.Seat, method, late, c.Device}
			for i := range cells {
				cells[i] = truncate(printable(cells[i]), maxSummary)
			}
			fmt.Fprintf(tw, "  %s\n", strings.Join(cells, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		total += len(m.checkIns)
	}
	if len(meetings) > 0 {
		_, err := fmt.Fprintf(w, "\n%d meetings, %d check-ins\n", len(meetings), total)
		return err
	}
	return nil
}

func writeAttendanceCSV(w io.Writer, meetings []*meetingAttendance, loc *time.Location) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"meeting", "title", "room", "person", "name", "unit", "seat", "method", "score", "late", "at", "device", "operator", "reason"})
	for _, m := range meetings {
		for _, c := range m.checkIns {
			score := ""
			if c.Score != 0 {
				score = strconv.FormatFloat(float64(c.Score), 'f', -1, 32)
			}
			cw.Write([]string{cell(m.id), cell(m.title), cell(m.room), cell(c.Person), cell(c.Name), cell(c.Unit), cell(c.Seat),
				cell(c.Method), score, strconv.FormatBool(c.Late), c.At.In(loc).Format(time.RFC3339), c.Device, cell(c.Operator), cell(c.Reason)})
		}
	}
	cw.Flush()
	return cw.Error()
}

// cell keeps a spreadsheet from running text the boxes sent as a formula.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
