package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the operator's machine may lack the zone -tz names

	"github.com/roomgate/roomgate/agent/wire"
)

const publishMeetingsHelp = `
Publishes a room's meetings and their invitees to each box, retained on
roomgate/v1/dev/D/meetings, so a box gets them whenever it connects. Each
message replaces the box's whole schedule: list every meeting of the
coming days. A box ignores a version older than the one it has; the
version is the current Unix time unless -version says otherwise, so a
later publish always wins.

-file is either JSON, the message itself ({"meetings":[{"id","title",
"room","start","end","checkin_opens","checkin_closes","invitees":[{"person",
"name","unit","role","seat"}],"bridge":{"dial","protocol","speed",
"auto_join"}}]}, times RFC 3339, bridge optional; its version is
replaced), or CSV with a header row and one row per invitee:

  meeting_id,title,room,start,end,checkin_opens,checkin_closes,person,name,unit,role,seat

and, for meetings held on a video bridge, the optional columns

  bridge_dial,bridge_protocol,bridge_speed,bridge_auto_join

A meeting's rows after its first may leave the meeting's columns empty; a
row with an empty person lists a meeting without that invitee. CSV times
are RFC 3339 or "2006-01-02 15:04" in the -tz time zone.

A bridge's dial string is a SIP URI, H.323 alias, E.164 number or address
(printable ASCII without spaces, quotes or backslashes, at most 256
bytes); protocol sip, h323 or auto (empty: auto); speed in kbit/s, 64 to
8192 (empty: the terminal's default); auto_join yes or no (empty: yes, the
box dials by itself before the start; no: only when told to). A box
without a conference terminal ignores the bridge. The schedule is checked
as the boxes check it before anything is sent.

With -db (the database ingest writes to: postgres://user@host/db or
sqlite:PATH) the schedule is also recorded there, for roomgate-city
bridges to know each room's meetings; the city keeps no other copy.

Example:
  roomgate-city publish meetings -cert city-ops.pem -key city-ops.key \
    -device hq-room-1 -file meetings.csv -db postgres://roomgate@db.city/roomgate
`

func (a *app) publishMeetings(path string, args []string) error {
	f := newFlags(path, "-device D[,D] -file meetings.json|meetings.csv [-version N] [-db DATABASE] [flags]", publishMeetingsHelp)
	broker := addBrokerFlags(f, "city-ops")
	var devices deviceList
	f.Var(&devices, "device", "`D[,D...]`: device ids to publish to, required; may be repeated")
	file := f.String("file", "", "`FILE`: the meetings, .json or .csv, required")
	version := f.Int64("version", 0, "schedule `N`, at least 1; default the current Unix time")
	tz := f.String("tz", "Asia/Ho_Chi_Minh", "`ZONE` of CSV times without an offset")
	timeout := f.Duration("timeout", 10*time.Second, "give up after `DURATION`")
	db := f.String("db", "", "also record the schedule in `DATABASE` (postgres://... or sqlite:PATH), for bridges")
	pos, err := a.parse(f, args)
	switch {
	case err != nil:
		return err
	case len(pos) > 0:
		return usageError(f, "unexpected argument %q", pos[0])
	case len(devices) == 0:
		return usageError(f, "-device is required")
	case *file == "":
		return usageError(f, "-file is required")
	case *version < 0:
		return usageError(f, "-version must be at least 1")
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return usageError(f, "-tz %q: %v", *tz, err)
	}
	if *version == 0 {
		*version = a.now().Unix()
	}
	sched, err := readSchedule(*file, loc, *version)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	payload, err := json.Marshal(sched)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	// What the boxes will refuse is refused here, before anything is sent.
	if _, err := wire.DecodeSchedule(payload); err != nil {
		return fmt.Errorf("%s: %s: %w", path, *file, err)
	}

	if *db != "" {
		if err := checkSQLiteExists(f, *db); err != nil {
			return err
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	// The database is opened first: one that cannot be opened stops the
	// publish before any box has the schedule the city would not know of.
	var s store
	if *db != "" {
		var closeStore func()
		if s, closeStore, err = openStore(ctx, *db); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		defer closeStore()
	}
	c, err := broker.connect(ctx, nil, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer c.Close()
	invitees := 0
	for _, m := range sched.Meetings {
		invitees += len(m.Invitees)
	}
	for _, d := range devices {
		if err := c.Publish(ctx, wire.Topic(d, wire.LeafMeetings), payload, true); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		fmt.Fprintf(a.stdout, "%s: meetings version %d, %d meetings, %d invitees\n", d, sched.Version, len(sched.Meetings), invitees)
		if s == nil {
			continue
		}
		recorded, err := s.RecordSchedule(ctx, d, sched, a.now())
		switch {
		case err != nil:
			return fmt.Errorf("%s: %s has the schedule, but the city database does not: %w", path, d, err)
		case !recorded:
			fmt.Fprintf(a.stderr, "warning: %s: %s records a newer schedule for %s; the box, too, keeps the newer one\n", path, s, d)
		}
	}
	return nil
}

// maxScheduleFile bounds what is read of -file; the boxes' own limit on
// the message is checked afterwards.
const maxScheduleFile = 16 << 20

// readSchedule reads a JSON or CSV schedule file and gives it version.
// Each meeting is checked on its own first, so a problem is reported with
// the line it starts on.
func readSchedule(file string, loc *time.Location, version int64) (wire.Schedule, error) {
	fh, err := os.Open(file)
	if err != nil {
		return wire.Schedule{}, err
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxScheduleFile+1))
	if err != nil {
		return wire.Schedule{}, err
	}
	if len(data) > maxScheduleFile {
		return wire.Schedule{}, fmt.Errorf("%s: more than %d bytes", file, maxScheduleFile)
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff")) // as spreadsheets save UTF-8
	var sched wire.Schedule
	var lines []int // where each meeting starts
	switch ext := strings.ToLower(filepath.Ext(file)); {
	case ext == ".json" || ext != ".csv" && firstByte(data) == '{':
		sched, lines, err = scheduleJSON(file, data)
	default:
		sched, lines, err = scheduleCSV(file, data, loc)
	}
	if err != nil {
		return wire.Schedule{}, err
	}
	sched.Version = version
	if sched.Meetings == nil {
		sched.Meetings = []wire.Meeting{}
	}
	for i, m := range sched.Meetings {
		one, err := json.Marshal(wire.Schedule{Version: version, Meetings: []wire.Meeting{m}})
		if err == nil {
			_, err = wire.DecodeSchedule(one)
		}
		if err != nil {
			return wire.Schedule{}, fmt.Errorf("%s:%d: meeting %q: %w", file, lines[i], m.ID, err)
		}
	}
	return sched, nil
}

func firstByte(p []byte) byte {
	if p = bytes.TrimLeft(p, " \t\r\n"); len(p) > 0 {
		return p[0]
	}
	return 0
}

// scheduleJSON decodes a schedule file in the wire's shape, with the line
// of each meeting.
func scheduleJSON(file string, data []byte) (wire.Schedule, []int, error) {
	var s wire.Schedule
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return s, nil, fmt.Errorf("%s:%d: %w", file, lineAt(data, syn.Offset), err)
		case errors.As(err, &typ):
			return s, nil, fmt.Errorf("%s:%d: %w", file, lineAt(data, typ.Offset), err)
		}
		return s, nil, fmt.Errorf("%s: %w", file, err)
	}
	if dec.More() {
		return s, nil, fmt.Errorf("%s: more than one JSON value", file)
	}
	return s, meetingLines(data, len(s.Meetings)), nil
}

// meetingLines finds the line each element of the "meetings" array starts
// on, for n meetings; data has decoded already.
func meetingLines(data []byte, n int) []int {
	lines := make([]int, n)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.Token() // {
	for dec.More() {
		key, _ := dec.Token()
		if key != "meetings" {
			var skip json.RawMessage
			dec.Decode(&skip)
			continue
		}
		if t, _ := dec.Token(); t != json.Delim('[') {
			break
		}
		for i := 0; i < n && dec.More(); i++ {
			// The offset is just past the previous token: skip the comma
			// and white space to where the meeting opens.
			off := dec.InputOffset()
			for off < int64(len(data)) && strings.IndexByte(", \t\r\n", data[off]) >= 0 {
				off++
			}
			lines[i] = lineAt(data, off)
			var skip json.RawMessage
			dec.Decode(&skip)
		}
		break
	}
	return lines
}

// lineAt is the 1-based line of byte offset off.
func lineAt(data []byte, off int64) int {
	return 1 + bytes.Count(data[:min(off, int64(len(data)))], []byte("\n"))
}

// meetingColumns are the CSV columns a meeting's first row fills.
var meetingColumns = []string{"meeting_id", "title", "room", "start", "end", "checkin_opens", "checkin_closes"}

// scheduleCSV reads one row per invitee, grouping rows by meeting_id.
func scheduleCSV(file string, data []byte, loc *time.Location) (wire.Schedule, []int, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.TrimLeadingSpace = true
	r.FieldsPerRecord = -1 // a row may leave out its empty last columns
	header, err := r.Read()
	if err != nil {
		return wire.Schedule{}, nil, fmt.Errorf("%s: header: %w", file, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, c := range append(meetingColumns, "person", "name") {
		if _, ok := col[c]; !ok {
			return wire.Schedule{}, nil, fmt.Errorf("%s:1: no %q column (the header names %s,person,name,unit,role,seat)", file, c, strings.Join(meetingColumns, ","))
		}
	}
	var s wire.Schedule
	var lines []int
	index := map[string]int{} // meeting id → index in s.Meetings
	invited := map[[2]string]int{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return wire.Schedule{}, nil, fmt.Errorf("%s: %w", file, err) // csv's errors give the line
		}
		line, _ := r.FieldPos(0)
		field := func(c string) string {
			if i, ok := col[c]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		m, err := csvMeeting(field, loc)
		if err != nil {
			return wire.Schedule{}, nil, fmt.Errorf("%s:%d: %w", file, line, err)
		}
		i, ok := index[m.ID]
		if !ok {
			i, index[m.ID] = len(s.Meetings), len(s.Meetings)
			m.Invitees = []wire.Invitee{}
			s.Meetings, lines = append(s.Meetings, m), append(lines, line)
		} else if err := sameMeeting(s.Meetings[i], m, lines[i]); err != nil {
			return wire.Schedule{}, nil, fmt.Errorf("%s:%d: meeting %q: %w", file, line, m.ID, err)
		}
		inv := wire.Invitee{Person: field("person"), Name: field("name"), Unit: field("unit"), Role: field("role"), Seat: field("seat")}
		if inv == (wire.Invitee{}) {
			continue
		}
		if inv.Person == "" {
			return wire.Schedule{}, nil, fmt.Errorf("%s:%d: an invitee without a person id", file, line)
		}
		key := [2]string{m.ID, inv.Person}
		if first, ok := invited[key]; ok {
			return wire.Schedule{}, nil, fmt.Errorf("%s:%d: %s is invited to meeting %q on line %d already", file, line, inv.Person, m.ID, first)
		}
		invited[key] = line
		s.Meetings[i].Invitees = append(s.Meetings[i].Invitees, inv)
	}
	return s, lines, nil
}

// csvMeeting reads a row's meeting columns; the times left empty are zero,
// the bridge nil when bridge_dial is empty.
func csvMeeting(field func(string) string, loc *time.Location) (wire.Meeting, error) {
	m := wire.Meeting{ID: field("meeting_id"), Title: field("title"), Room: field("room")}
	if m.ID == "" {
		return m, errors.New("empty meeting_id")
	}
	b, err := csvBridge(field)
	if err != nil {
		return m, err
	}
	m.Bridge = b
	for _, t := range []struct {
		col string
		v   *time.Time
	}{{"start", &m.Start}, {"end", &m.End}, {"checkin_opens", &m.CheckInOpens}, {"checkin_closes", &m.CheckInCloses}} {
		s := field(t.col)
		if s == "" {
			continue
		}
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			if v, err = time.ParseInLocation("2006-01-02 15:04", s, loc); err != nil {
				return m, fmt.Errorf("%s %q: want RFC 3339 (2026-03-02T08:00:00+07:00) or 2026-03-02 08:00", t.col, s)
			}
		}
		*t.v = v
	}
	return m, nil
}

// csvBridge reads a row's bridge columns.
func csvBridge(field func(string) string) (*wire.Bridge, error) {
	b := wire.Bridge{Dial: field("bridge_dial"), Protocol: strings.ToLower(field("bridge_protocol"))}
	speed, autoJoin := field("bridge_speed"), field("bridge_auto_join")
	if b.Dial == "" {
		if b.Protocol != "" || speed != "" || autoJoin != "" {
			return nil, errors.New("bridge_protocol, bridge_speed or bridge_auto_join without bridge_dial")
		}
		return nil, nil
	}
	if speed != "" {
		n, err := strconv.Atoi(speed)
		if err != nil {
			return nil, fmt.Errorf("bridge_speed %q: want kbit/s, a whole number", speed)
		}
		b.Speed = n
	}
	switch strings.ToLower(autoJoin) {
	case "":
	case "yes", "true", "1":
		b.AutoJoin = ptr(true)
	case "no", "false", "0":
		b.AutoJoin = ptr(false)
	default:
		return nil, fmt.Errorf("bridge_auto_join %q: want yes or no", autoJoin)
	}
	return &b, nil
}

func ptr[T any](v T) *T { return &v }

// sameBridge reports whether two bridges say the same; nil auto_join is yes.
func sameBridge(a, b wire.Bridge) bool {
	join := func(p *bool) bool { return p == nil || *p }
	return a.Dial == b.Dial && a.Protocol == b.Protocol && a.Speed == b.Speed && join(a.AutoJoin) == join(b.AutoJoin)
}

// sameMeeting checks that a later row of a meeting, where it fills the
// meeting's columns, says what its first row, on line firstLine, said.
func sameMeeting(first, m wire.Meeting, firstLine int) error {
	for _, c := range []struct {
		col       string
		was, this string
	}{{"title", first.Title, m.Title}, {"room", first.Room, m.Room}} {
		if c.this != "" && c.this != c.was {
			return fmt.Errorf("%s %q here, %q on line %d", c.col, c.this, c.was, firstLine)
		}
	}
	for _, c := range []struct {
		col       string
		was, this time.Time
	}{{"start", first.Start, m.Start}, {"end", first.End, m.End}, {"checkin_opens", first.CheckInOpens, m.CheckInOpens}, {"checkin_closes", first.CheckInCloses, m.CheckInCloses}} {
		if !c.this.IsZero() && !c.this.Equal(c.was) {
			return fmt.Errorf("%s %s here, %s on line %d", c.col, c.this.Format(time.RFC3339), c.was.Format(time.RFC3339), firstLine)
		}
	}
	if m.Bridge != nil && (first.Bridge == nil || !sameBridge(*first.Bridge, *m.Bridge)) {
		return fmt.Errorf("bridge %s here, %s on line %d", bridgeText(m.Bridge), bridgeText(first.Bridge), firstLine)
	}
	return nil
}

// bridgeText is a bridge as messages name it.
func bridgeText(b *wire.Bridge) string {
	if b == nil {
		return "none"
	}
	s := strconv.Quote(b.Dial)
	if b.Protocol != "" {
		s += " " + b.Protocol
	}
	if b.Speed != 0 {
		s += fmt.Sprintf(" %d kbit/s", b.Speed)
	}
	if b.AutoJoin != nil && !*b.AutoJoin {
		s += " (not joined by itself)"
	}
	return s
}
