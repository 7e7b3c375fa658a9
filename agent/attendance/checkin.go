package attendance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/roomgate/roomgate/agent/event"
	"github.com/roomgate/roomgate/agent/meeting"
	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/agent/wire"
)

// Check-in methods, as attendance records name them.
const (
	MethodFace   = "face"
	MethodQR     = "qr"
	MethodManual = "manual"
)

// Store is what attendance reads and keeps in the box's store.
type Store interface {
	Person(ctx context.Context, id string) (store.Person, error)
	People(ctx context.Context, model string) ([]store.PersonSummary, error)
	Attendance(ctx context.Context, meetingID string) ([]store.Attendance, error)
	AddAttendance(ctx context.Context, a store.Attendance, ev store.Event) (store.Attendance, error)
}

// Schedule is the room's schedule in force (package schedule).
type Schedule interface {
	Current() *meeting.Schedule
}

// Settings are what the register is given besides its store and schedule.
type Settings struct {
	Site, Gate, Device string // the box's identity, for the records' events
	Rules              meeting.Rules
	Location           *time.Location // the room's time zone, whose days the schedule's "today" follows
	Log                *slog.Logger
	// OnKept is called after a record was kept: the link and the kiosk
	// have something new.
	OnKept func()
	// Push tells the kiosk's pages of a greeting or a notice; nil: no kiosk.
	Push func(kind string, v any)
}

// Register is the room's attendance.
type Register struct {
	store Store
	sched Schedule
	set   Settings
}

// New makes the register.
func New(st Store, sched Schedule, set Settings) *Register {
	return &Register{store: st, sched: sched, set: set}
}

// now is the time in the room's time zone.
func (r *Register) now() time.Time { return time.Now().In(r.set.Location) }

// CheckIn is one attempt to check someone in, by any method.
type CheckIn struct {
	Person   string
	Method   string
	At       time.Time
	Score    float32
	Operator string // manual
	Reason   string // manual
	Entry    string // qr
	// MeetingID is the secretary's choice; the rules pick for the others.
	MeetingID string
}

// Result is what became of a check-in: a record, or a notice.
type Result struct {
	Attendance store.Attendance // the record kept, or the first one when Notice is already_checked_in
	Recorded   bool
	Notice     string // meeting.Notice*
	Meeting    *meeting.Meeting
	Ruled      time.Time // when the rules had decided, for the benchmark's split
}

// errNoSchedule is a secretary's check-in when the room has no meetings.
var errNoSchedule = errors.New("this room has no meetings")

// Keep applies the rules and keeps the record with its event in one
// transaction; the first check-in to a meeting wins.
func (r *Register) Keep(ctx context.Context, c CheckIn) (Result, error) {
	sched := r.sched.Current()
	if sched == nil {
		return Result{}, errNoSchedule
	}
	var out meeting.Outcome
	if c.Method == MethodManual {
		out = r.set.Rules.Manual(sched, c.MeetingID, c.Person, c.At)
	} else {
		out = r.set.Rules.Decide(sched, c.Person, c.At)
	}
	res := Result{Notice: out.Notice, Meeting: out.Meeting, Ruled: time.Now()}
	if !out.Record {
		return res, nil
	}
	m := out.Meeting
	name, unit, seat := out.Invitee.Name, out.Invitee.Unit, out.Invitee.Seat
	if !out.Invited {
		p, err := r.store.Person(ctx, c.Person)
		if err != nil {
			return res, fmt.Errorf("check-in of %s, who is not invited: %w", c.Person, err)
		}
		name, unit = p.Name, p.Unit
	}
	a := store.Attendance{Meeting: m.ID, Title: m.Title, Person: c.Person, Name: name, Unit: unit, Seat: seat, Method: c.Method,
		Score: c.Score, Late: out.Late, Invited: out.Invited, At: c.At, Operator: c.Operator, Reason: c.Reason, Entry: c.Entry}
	room := m.Room
	if room == "" {
		room = r.set.Gate
	}
	env, payload, err := event.New(event.Source(r.set.Site, r.set.Device), event.TypeAttendance, c.At, wire.Attendance{
		Site: r.set.Site, Room: room, Device: r.set.Device, Meeting: m.ID, Title: m.Title, Person: c.Person, Name: name,
		Unit: unit, Seat: seat, Method: c.Method, Score: c.Score, Late: out.Late, Invited: out.Invited, At: c.At.UTC(),
		Operator: c.Operator, Reason: c.Reason, Entry: c.Entry,
	})
	if err != nil {
		return res, err
	}
	a.ID = env.ID
	kept, err := r.store.AddAttendance(ctx, a, store.Event{ID: env.ID, Type: env.Type, Time: env.Time, Payload: payload})
	res.Attendance = kept
	switch {
	case errors.Is(err, store.ErrAlreadyCheckedIn):
		res.Notice = meeting.NoticeAlreadyCheckedIn
		return res, nil
	case err != nil:
		return res, err
	}
	res.Recorded = true
	r.set.Log.Info("attendance kept", "component", "meetings", "id", kept.ID, "meeting", m.ID, "person", c.Person, "method", c.Method, "late", kept.Late, "invited", kept.Invited)
	if r.set.OnKept != nil {
		r.set.OnKept()
	}
	return res, nil
}

// ByPass checks in the holder of a personal pass that the gate let
// through, when they are invited to a meeting that is open: a delegate
// whose face the camera does not know shows their QR instead.
func (r *Register) ByPass(ctx context.Context, e store.Entry) {
	if !e.Granted || e.Subject == "" {
		return
	}
	sched := r.sched.Current()
	if sched == nil {
		return
	}
	invited := false
	for i := range sched.Meetings {
		if _, ok := sched.Meetings[i].Invitee(e.Subject); ok {
			invited = true
			break
		}
	}
	if !invited {
		return // a visitor's pass: the gate's business only
	}
	res, err := r.Keep(ctx, CheckIn{Person: e.Subject, Method: MethodQR, At: e.At.In(r.set.Location), Score: 1, Entry: e.ID})
	if err != nil {
		r.set.Log.Error("QR check-in not kept", "component", "meetings", "person", e.Subject, "entry", e.ID, "err", err)
		return
	}
	r.Announce(res, e.Name, Times{})
}

// Times are the moments of a face check-in the benchmark splits its
// latency by.
type Times struct {
	FirstFrame time.Time `json:"first_frame_at,omitzero"`
	Decided    time.Time `json:"decided_at,omitzero"`
	Ruled      time.Time `json:"ruled_at,omitzero"`
	Stored     time.Time `json:"stored_at,omitzero"`
}

// greeting is what the kiosk shows when someone is checked in: the card
// as the room sees it. The event stream needs no session, so no person
// id, score or invitation details go in it.
type greeting struct {
	ID     string    `json:"id"` // the attendance record's: a page shows each card once
	Name   string    `json:"name"`
	Unit   string    `json:"unit,omitempty"`
	Seat   string    `json:"seat,omitempty"`
	Title  string    `json:"title"`
	At     time.Time `json:"at"`
	Method string    `json:"method"`
	Times
}

// notice is what the kiosk tells someone who got no record.
type notice struct {
	Kind  string    `json:"kind"`
	Name  string    `json:"name,omitempty"`
	At    time.Time `json:"at"`
	Title string    `json:"title,omitempty"`
	// Opens is when their meeting's check-in opens (not_open_yet); First is
	// when they checked in (already_checked_in).
	Opens time.Time `json:"opens,omitzero"`
	First time.Time `json:"first,omitzero"`
}

// Announce tells the kiosk what a check-in came to.
func (r *Register) Announce(res Result, name string, times Times) {
	if r.set.Push == nil {
		return
	}
	if res.Recorded {
		a := res.Attendance
		times.Stored = time.Now()
		r.set.Push("greeting", greeting{ID: a.ID, Name: a.Name, Unit: a.Unit, Seat: a.Seat, Title: a.Title, At: a.At, Method: a.Method, Times: times})
		return
	}
	n := notice{Kind: res.Notice, Name: name, At: r.now()}
	if m := res.Meeting; m != nil {
		n.Title = m.Title
		if res.Notice == meeting.NoticeNotOpenYet {
			n.Opens = m.CheckInOpens
		}
	}
	if res.Notice == meeting.NoticeAlreadyCheckedIn {
		n.Name, n.First = res.Attendance.Name, res.Attendance.At
	}
	r.set.Push("notice", n)
}

// matchesName reports whether a person's name contains every word of the
// query, ignoring case and Vietnamese diacritics.
func matchesName(name, query string) bool {
	n := foldVietnamese(name)
	for _, w := range strings.Fields(foldVietnamese(query)) {
		if !strings.Contains(n, w) {
			return false
		}
	}
	return true
}

// foldVietnamese lowercases s and strips its diacritics: a secretary types
// "nguyen" for Nguyễn.
func foldVietnamese(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if base, ok := vietnameseBase[r]; ok {
			r = base
		}
		b.WriteRune(r)
	}
	return b.String()
}

var vietnameseBase = func() map[rune]rune {
	m := map[rune]rune{'đ': 'd'}
	for base, forms := range map[rune]string{
		'a': "àáảãạăằắẳẵặâầấẩẫậ", 'e': "èéẻẽẹêềếểễệ", 'i': "ìíỉĩị",
		'o': "òóỏõọôồốổỗộơờớởỡợ", 'u': "ùúủũụưừứửữự", 'y': "ỳýỷỹỵ",
	} {
		for _, r := range forms {
			m[r] = base
		}
	}
	return m
}()
