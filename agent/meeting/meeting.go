// Package meeting holds the attendance rules: who may check in to which of
// the room's meetings, when, and whether they are late. It is pure: the
// agent gives it the schedule and the time and keeps what it decides.
package meeting

import (
	"slices"
	"time"
)

// Meeting is one meeting in the room and who is invited.
type Meeting struct {
	ID, Title, Room string
	Start, End      time.Time
	// Check-in is open in [CheckInOpens, CheckInCloses).
	CheckInOpens, CheckInCloses time.Time
	Invitees                    []Invitee
	Bridge                      *Bridge // nil: the meeting has no video bridge
}

// Bridge is the video-conference bridge a meeting is held on.
type Bridge struct {
	Dial     string
	Protocol string // sip, h323 or auto
	Speed    int    // kbit/s; 0: the terminal's default
	AutoJoin bool   // the box dials by itself
}

// Invitee is a person invited to a meeting.
type Invitee struct {
	Person, Name, Unit, Role, Seat string
}

// Invitee returns the meeting's invitee with that person id.
func (m *Meeting) Invitee(person string) (Invitee, bool) {
	i := slices.IndexFunc(m.Invitees, func(in Invitee) bool { return in.Person == person })
	if i < 0 {
		return Invitee{}, false
	}
	return m.Invitees[i], true
}

// Open reports whether check-in is open at t.
func (m *Meeting) Open(t time.Time) bool {
	return !t.Before(m.CheckInOpens) && t.Before(m.CheckInCloses)
}

// Schedule is the room's meetings, as the city (or the demo's file) gave them.
type Schedule struct {
	Version  int64
	Meetings []Meeting
}

// Notices: why a check-in made no record.
const (
	NoticeNotInvited       = "not_invited"        // a meeting is open, but not for them
	NoticeNotOpenYet       = "not_open_yet"       // their meeting's check-in has not opened
	NoticeClosed           = "closed"             // their meeting's check-in has closed
	NoticeNoMeeting        = "no_meeting"         // nothing open and nothing for them today
	NoticeAlreadyCheckedIn = "already_checked_in" // the first check-in counts; the store says so
	NoticeUnknownFace      = "unknown_face"       // the camera could not name them
)

// Rules are the room's attendance policy.
type Rules struct {
	// LateAfter is the grace after a meeting's start; a check-in after
	// Start+LateAfter is marked late.
	LateAfter time.Duration
	// RecordNonInvitees keeps a record for a known person who is not
	// invited to the open meeting, instead of only telling them.
	RecordNonInvitees bool
}

// Outcome is what a check-in comes to. With Record set, Meeting is the
// meeting to record against; otherwise Notice says why not, and Meeting,
// when set, is the meeting the notice is about.
type Outcome struct {
	Record  bool
	Meeting *Meeting
	Invitee Invitee // zero for a recorded non-invitee
	Invited bool
	Late    bool
	Notice  string
}

// Decide applies the rules to a known person at t. Among several meetings
// open for them, the one that starts first wins: back-to-back meetings
// overlap only at their edges, and the earlier one is the one running.
func (r Rules) Decide(s *Schedule, person string, t time.Time) Outcome {
	var open, openForAnyone, upcoming, past *Meeting
	for i := range s.Meetings {
		m := &s.Meetings[i]
		_, invited := m.Invitee(person)
		switch {
		case m.Open(t) && invited:
			if open == nil || m.Start.Before(open.Start) {
				open = m
			}
		case m.Open(t):
			if openForAnyone == nil || m.Start.Before(openForAnyone.Start) {
				openForAnyone = m
			}
		case invited && t.Before(m.CheckInOpens) && sameDay(m.CheckInOpens, t):
			if upcoming == nil || m.CheckInOpens.Before(upcoming.CheckInOpens) {
				upcoming = m
			}
		case invited && !t.Before(m.CheckInCloses) && sameDay(m.CheckInCloses, t):
			if past == nil || m.CheckInCloses.After(past.CheckInCloses) {
				past = m
			}
		}
	}
	switch {
	case open != nil:
		in, _ := open.Invitee(person)
		return Outcome{Record: true, Meeting: open, Invitee: in, Invited: true, Late: r.late(open, t)}
	case openForAnyone != nil && r.RecordNonInvitees:
		return Outcome{Record: true, Meeting: openForAnyone, Late: r.late(openForAnyone, t)}
	case openForAnyone != nil:
		return Outcome{Meeting: openForAnyone, Notice: NoticeNotInvited}
	case upcoming != nil:
		return Outcome{Meeting: upcoming, Notice: NoticeNotOpenYet}
	case past != nil:
		return Outcome{Meeting: past, Notice: NoticeClosed}
	}
	return Outcome{Notice: NoticeNoMeeting}
}

// Manual is the secretary's check-in: the window still applies (a record
// says the person was there during it), but the secretary may add someone
// who is not on the list.
func (r Rules) Manual(s *Schedule, meetingID, person string, t time.Time) Outcome {
	m := s.Find(meetingID)
	if m == nil {
		return Outcome{Notice: NoticeNoMeeting}
	}
	switch {
	case t.Before(m.CheckInOpens):
		return Outcome{Meeting: m, Notice: NoticeNotOpenYet}
	case !t.Before(m.CheckInCloses):
		return Outcome{Meeting: m, Notice: NoticeClosed}
	}
	in, invited := m.Invitee(person)
	return Outcome{Record: true, Meeting: m, Invitee: in, Invited: invited, Late: r.late(m, t)}
}

func (r Rules) late(m *Meeting, t time.Time) bool { return t.After(m.Start.Add(r.LateAfter)) }

// Find returns the meeting with that id, or nil.
func (s *Schedule) Find(id string) *Meeting {
	for i := range s.Meetings {
		if s.Meetings[i].ID == id {
			return &s.Meetings[i]
		}
	}
	return nil
}

// Current is the meeting the board shows at t: the one whose check-in is
// open (the earliest), else the next one today, else the last one today.
func (s *Schedule) Current(t time.Time) *Meeting {
	var open, next, last *Meeting
	for i := range s.Meetings {
		m := &s.Meetings[i]
		switch {
		case m.Open(t):
			if open == nil || m.Start.Before(open.Start) {
				open = m
			}
		case t.Before(m.CheckInOpens) && sameDay(m.Start, t):
			if next == nil || m.Start.Before(next.Start) {
				next = m
			}
		case sameDay(m.Start, t):
			if last == nil || m.Start.After(last.Start) {
				last = m
			}
		}
	}
	switch {
	case open != nil:
		return open
	case next != nil:
		return next
	}
	return last
}

// Today is the meetings starting on t's day (in t's location), by start.
func (s *Schedule) Today(t time.Time) []*Meeting {
	var out []*Meeting
	for i := range s.Meetings {
		if sameDay(s.Meetings[i].Start, t) {
			out = append(out, &s.Meetings[i])
		}
	}
	slices.SortFunc(out, func(a, b *Meeting) int { return a.Start.Compare(b.Start) })
	return out
}

func sameDay(a, b time.Time) bool {
	a = a.In(b.Location())
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}
