package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
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

// loadSchedule puts the stored schedule in force; the config's local file
// replaces it until the city has sent one. A missing or broken file is
// reported and leaves the stored schedule: the box still works as a gate.
func (s *System) loadSchedule(ctx context.Context) error {
	sched, source, err := s.store.Schedule(ctx)
	if err != nil {
		return err
	}
	if file := s.cfg.Meetings.File; file != "" && source != "city" {
		if local, err := s.readScheduleFile(file); err != nil {
			s.log.Error("local schedule not loaded; the stored one stays", "component", "meetings", "file", file, "err", err, "stored_version", sched.Version)
		} else if err := s.store.ReplaceSchedule(ctx, local, "file"); err != nil {
			return err
		} else {
			sched = local
			s.log.Info("schedule loaded from file", "component", "meetings", "file", file, "version", sched.Version, "meetings", len(sched.Meetings))
		}
	}
	s.sched.Store(sched)
	return nil
}

func (s *System) readScheduleFile(file string) (*meeting.Schedule, error) {
	data, err := os.ReadFile(s.path(file))
	if err != nil {
		return nil, err
	}
	m, err := wire.DecodeSchedule(data)
	if err != nil {
		return nil, err
	}
	return scheduleOf(m), nil
}

// applySchedule makes the city's schedule the room's, whole; check-ins
// already kept stay, also for meetings the new schedule drops.
func (s *System) applySchedule(ctx context.Context, m wire.Schedule) error {
	if cur := s.sched.Load(); cur != nil && m.Version < cur.Version {
		return fmt.Errorf("schedule v%d is older than v%d in force", m.Version, cur.Version)
	}
	sched := scheduleOf(m)
	if err := s.store.ReplaceSchedule(ctx, sched, "city"); err != nil {
		return err
	}
	s.sched.Store(sched)
	s.log.Info("schedule applied", "component", "meetings", "version", sched.Version, "meetings", len(sched.Meetings))
	s.recordKept()
	return nil
}

func scheduleOf(m wire.Schedule) *meeting.Schedule {
	sched := &meeting.Schedule{Version: m.Version, Meetings: make([]meeting.Meeting, 0, len(m.Meetings))}
	for _, w := range m.Meetings {
		mt := meeting.Meeting{ID: w.ID, Title: w.Title, Room: w.Room, Start: w.Start, End: w.End, CheckInOpens: w.CheckInOpens, CheckInCloses: w.CheckInCloses,
			Invitees: make([]meeting.Invitee, 0, len(w.Invitees))}
		for _, in := range w.Invitees {
			mt.Invitees = append(mt.Invitees, meeting.Invitee{Person: in.Person, Name: in.Name, Unit: in.Unit, Role: in.Role, Seat: in.Seat})
		}
		sched.Meetings = append(sched.Meetings, mt)
	}
	return sched
}

func (s *System) rules() meeting.Rules {
	return meeting.Rules{LateAfter: s.cfg.Meetings.LateAfter.D(), RecordNonInvitees: s.cfg.Meetings.NonInvitees == "record"}
}

// now is the time in the room's time zone, whose days the schedule's
// "today" follows.
func (s *System) now() time.Time { return time.Now().In(s.loc) }

// checkIn is one attempt to check someone in, by any method.
type checkIn struct {
	person   string
	method   string
	at       time.Time
	score    float32
	operator string // manual
	reason   string // manual
	entry    string // qr
	// meetingID is the secretary's choice; the rules pick for the others.
	meetingID string
}

// CheckInResult is what became of a check-in: a record, or a notice.
type CheckInResult struct {
	Attendance store.Attendance // the record kept, or the first one when Notice is already_checked_in
	Recorded   bool
	Notice     string // meeting.Notice*
	Meeting    *meeting.Meeting
	ruled      time.Time // when the rules had decided, for the benchmark's split
}

// errNoSchedule is a secretary's check-in when the room has no meetings.
var errNoSchedule = errors.New("this room has no meetings")

// keepCheckIn applies the rules and keeps the record with its event in one
// transaction; the first check-in to a meeting wins.
func (s *System) keepCheckIn(ctx context.Context, c checkIn) (CheckInResult, error) {
	sched := s.sched.Load()
	if sched == nil {
		return CheckInResult{}, errNoSchedule
	}
	var out meeting.Outcome
	if c.method == MethodManual {
		out = s.rules().Manual(sched, c.meetingID, c.person, c.at)
	} else {
		out = s.rules().Decide(sched, c.person, c.at)
	}
	res := CheckInResult{Notice: out.Notice, Meeting: out.Meeting, ruled: time.Now()}
	if !out.Record {
		return res, nil
	}
	m := out.Meeting
	name, unit, seat := out.Invitee.Name, out.Invitee.Unit, out.Invitee.Seat
	if !out.Invited {
		p, err := s.store.Person(ctx, c.person)
		if err != nil {
			return res, fmt.Errorf("check-in of %s, who is not invited: %w", c.person, err)
		}
		name, unit = p.Name, p.Unit
	}
	a := store.Attendance{Meeting: m.ID, Title: m.Title, Person: c.person, Name: name, Unit: unit, Seat: seat, Method: c.method,
		Score: c.score, Late: out.Late, Invited: out.Invited, At: c.at, Operator: c.operator, Reason: c.reason, Entry: c.entry}
	room := m.Room
	if room == "" {
		room = s.cfg.Identity.Gate
	}
	env, payload, err := event.New(event.Source(s.cfg.Identity.Site, s.cfg.Identity.Device), event.TypeAttendance, c.at, wire.Attendance{
		Site: s.cfg.Identity.Site, Room: room, Device: s.cfg.Identity.Device, Meeting: m.ID, Title: m.Title, Person: c.person, Name: name,
		Unit: unit, Seat: seat, Method: c.method, Score: c.score, Late: out.Late, Invited: out.Invited, At: c.at.UTC(),
		Operator: c.operator, Reason: c.reason, Entry: c.entry,
	})
	if err != nil {
		return res, err
	}
	a.ID = env.ID
	kept, err := s.store.AddAttendance(ctx, a, store.Event{ID: env.ID, Type: env.Type, Time: env.Time, Payload: payload})
	res.Attendance = kept
	switch {
	case errors.Is(err, store.ErrAlreadyCheckedIn):
		res.Notice = meeting.NoticeAlreadyCheckedIn
		return res, nil
	case err != nil:
		return res, err
	}
	res.Recorded = true
	s.log.Info("attendance kept", "component", "meetings", "id", kept.ID, "meeting", m.ID, "person", c.person, "method", c.method, "late", kept.Late, "invited", kept.Invited)
	s.recordKept()
	return res, nil
}

// checkInByPass checks in the holder of a personal pass that the gate let
// through, when they are invited to a meeting that is open: a delegate
// whose face the camera does not know shows their QR instead.
func (s *System) checkInByPass(ctx context.Context, e store.Entry) {
	if !e.Granted || e.Subject == "" {
		return
	}
	sched := s.sched.Load()
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
	res, err := s.keepCheckIn(ctx, checkIn{person: e.Subject, method: MethodQR, at: e.At.In(s.loc), score: 1, entry: e.ID})
	if err != nil {
		s.log.Error("QR check-in not kept", "component", "meetings", "person", e.Subject, "entry", e.ID, "err", err)
		return
	}
	s.announce(res, e.Name, checkInTimes{})
}

// checkInTimes are the moments of a face check-in the benchmark splits
// its latency by.
type checkInTimes struct {
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
	checkInTimes
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

// announce tells the kiosk what a check-in came to.
func (s *System) announce(res CheckInResult, name string, times checkInTimes) {
	if s.kiosk == nil {
		return
	}
	if res.Recorded {
		a := res.Attendance
		times.Stored = time.Now()
		s.kiosk.Push("greeting", greeting{ID: a.ID, Name: a.Name, Unit: a.Unit, Seat: a.Seat, Title: a.Title, At: a.At, Method: a.Method, checkInTimes: times})
		return
	}
	n := notice{Kind: res.Notice, Name: name, At: s.now()}
	if m := res.Meeting; m != nil {
		n.Title = m.Title
		if res.Notice == meeting.NoticeNotOpenYet {
			n.Opens = m.CheckInOpens
		}
	}
	if res.Notice == meeting.NoticeAlreadyCheckedIn {
		n.Name, n.First = res.Attendance.Name, res.Attendance.At
	}
	s.kiosk.Push("notice", n)
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
