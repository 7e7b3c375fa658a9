package attendance

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/roomgate/roomgate/agent/meeting"
	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/kiosk"
)

// maxCandidates bounds a name search: the secretary narrows it by typing.
const maxCandidates = 20

// Candidates lists the meeting's invitees whose name matches the query,
// then the other people the box knows, who may be added to the meeting by
// hand. An empty query lists the invitees not yet present.
func (r *Register) Candidates(ctx context.Context, meetingID, query string) ([]kiosk.Candidate, error) {
	sched := r.sched.Current()
	m := sched.Find(meetingID)
	if m == nil {
		return nil, fmt.Errorf("no meeting %q in the schedule", meetingID)
	}
	present, err := r.presentAt(ctx, meetingID)
	if err != nil {
		return nil, err
	}
	var out []kiosk.Candidate
	for _, in := range m.Invitees {
		_, here := present[in.Person]
		if (query == "" && !here) || (query != "" && matchesName(in.Name, query)) {
			out = append(out, kiosk.Candidate{Person: in.Person, Name: in.Name, Unit: in.Unit, Seat: in.Seat, Invited: true, CheckedIn: here})
		}
	}
	if strings.TrimSpace(query) != "" {
		people, err := r.store.People(ctx, "")
		if err != nil {
			return nil, err
		}
		for _, p := range people {
			if _, invited := m.Invitee(p.ID); !invited && matchesName(p.Name, query) {
				_, here := present[p.ID]
				out = append(out, kiosk.Candidate{Person: p.ID, Name: p.Name, Unit: p.Unit, CheckedIn: here})
			}
		}
	}
	return out[:min(len(out), maxCandidates)], nil
}

func (r *Register) presentAt(ctx context.Context, meetingID string) (map[string]store.Attendance, error) {
	list, err := r.store.Attendance(ctx, meetingID)
	if err != nil {
		return nil, err
	}
	return byPerson(list), nil
}

// byPerson indexes a meeting's attendance by person.
func byPerson(list []store.Attendance) map[string]store.Attendance {
	present := make(map[string]store.Attendance, len(list))
	for _, a := range list {
		present[a.Person] = a
	}
	return present
}

// errReasonRequired refuses a manual check-in without a reason: the
// record must say why a person was added by hand.
var errReasonRequired = errors.New("a manual check-in needs a reason")

// Manual is the secretary's check-in of a person by hand.
func (r *Register) Manual(ctx context.Context, meetingID, person, reason, operator string) (Result, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Result{}, errReasonRequired
	}
	m := r.sched.Current().Find(meetingID)
	if m == nil {
		return Result{}, fmt.Errorf("no meeting %q in the schedule", meetingID)
	}
	if _, invited := m.Invitee(person); !invited {
		if _, err := r.store.Person(ctx, person); errors.Is(err, sql.ErrNoRows) {
			return Result{}, fmt.Errorf("%q is neither invited to %s nor known to this box", person, m.Title)
		} else if err != nil {
			return Result{}, err
		}
	}
	res, err := r.Keep(ctx, CheckIn{Person: person, Method: MethodManual, At: r.now(), Operator: operator, Reason: reason, MeetingID: meetingID})
	if err != nil {
		return res, err
	}
	r.Announce(res, res.Attendance.Name, Times{})
	return res, nil
}

// WriteCSV writes a meeting's attendance list: every invitee, present or
// not, then the people added who were not invited. Excel opens UTF-8 with
// a byte order mark as such, which Vietnamese names need.
func (r *Register) WriteCSV(ctx context.Context, meetingID string, w io.Writer) error {
	m := r.sched.Current().Find(meetingID)
	if m == nil {
		return fmt.Errorf("no meeting %q in the schedule", meetingID)
	}
	present, err := r.presentAt(ctx, meetingID)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Write([]string{"meeting", "title", "person", "name", "unit", "role", "seat", "status", "method", "time", "late", "operator", "reason"})
	row := func(person, name, unit, role, seat string, a store.Attendance, here bool) {
		status, at, late := "absent", "", ""
		if here {
			status, at, late = "present", a.At.In(r.set.Location).Format(time.DateTime), strconv.FormatBool(a.Late)
			if !a.Invited {
				status = "present (not invited)"
			}
		}
		cw.Write([]string{m.ID, m.Title, person, name, unit, role, seat, status, a.Method, at, late, a.Operator, a.Reason})
	}
	for _, in := range m.Invitees {
		a, here := present[in.Person]
		row(in.Person, in.Name, in.Unit, in.Role, in.Seat, a, here)
	}
	var extra []store.Attendance
	for _, a := range present {
		if !a.Invited {
			extra = append(extra, a)
		}
	}
	slices.SortFunc(extra, func(a, b store.Attendance) int { return a.At.Compare(b.At) })
	for _, a := range extra {
		row(a.Person, a.Name, a.Unit, "", a.Seat, a, true)
	}
	cw.Flush()
	return cw.Error()
}

// Today is what the kiosk shows of the day's meetings at now: each with
// its present and expected counts, and the board of the current one (nil
// when none is on).
func (r *Register) Today(ctx context.Context, now time.Time) ([]kiosk.MeetingSummary, *kiosk.Board, error) {
	sched := r.sched.Current()
	var summaries []kiosk.MeetingSummary
	for _, m := range sched.Today(now) {
		present, err := r.presentAt(ctx, m.ID)
		if err != nil {
			return nil, nil, err
		}
		summaries = append(summaries, kiosk.MeetingSummary{ID: m.ID, Title: m.Title, Start: m.Start, End: m.End, Expected: len(m.Invitees), Present: invitedPresent(m, present)})
	}
	m := sched.Current(now)
	if m == nil {
		return summaries, nil, nil
	}
	list, err := r.store.Attendance(ctx, m.ID)
	if err != nil {
		return nil, nil, err
	}
	present := byPerson(list)
	b := &kiosk.Board{BoardMeeting: kiosk.BoardMeeting{ID: m.ID, Title: m.Title, Room: m.Room, Start: m.Start, End: m.End,
		CheckInOpens: m.CheckInOpens, CheckInCloses: m.CheckInCloses, Expected: len(m.Invitees), Present: invitedPresent(m, present)}}
	for _, in := range m.Invitees {
		bi := kiosk.BoardInvitee{Person: in.Person, Name: in.Name, Unit: in.Unit, Role: in.Role, Seat: in.Seat}
		if a, ok := present[in.Person]; ok {
			bi.Present, bi.At, bi.Method, bi.Late = true, a.At, a.Method, a.Late
		}
		b.Invitees = append(b.Invitees, bi)
	}
	for _, a := range list {
		if !a.Invited {
			b.Invitees = append(b.Invitees, kiosk.BoardInvitee{Person: a.Person, Name: a.Name, Unit: a.Unit, Seat: a.Seat, Present: true, At: a.At, Method: a.Method, Late: a.Late, Guest: true})
		}
	}
	return summaries, b, nil
}

// invitedPresent counts the invitees who are here: the board's
// "present of expected".
func invitedPresent(m *meeting.Meeting, present map[string]store.Attendance) int {
	n := 0
	for _, in := range m.Invitees {
		if _, ok := present[in.Person]; ok {
			n++
		}
	}
	return n
}
