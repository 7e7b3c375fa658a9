package agent

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

	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/kiosk"
)

// maxCandidates bounds a name search: the secretary narrows it by typing.
const maxCandidates = 20

// candidates lists the meeting's invitees whose name matches the query,
// then the other people the box knows, who may be added to the meeting by
// hand. An empty query lists the invitees not yet present.
func (s *System) candidates(ctx context.Context, meetingID, query string) ([]kiosk.Candidate, error) {
	sched := s.sched.Load()
	m := sched.Find(meetingID)
	if m == nil {
		return nil, fmt.Errorf("no meeting %q in the schedule", meetingID)
	}
	present, err := s.presentAt(ctx, meetingID)
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
		people, err := s.store.People(ctx, "")
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

func (s *System) presentAt(ctx context.Context, meetingID string) (map[string]store.Attendance, error) {
	list, err := s.store.Attendance(ctx, meetingID)
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

// manualCheckIn is the secretary's check-in of a person by hand.
func (s *System) manualCheckIn(ctx context.Context, meetingID, person, reason, operator string) (CheckInResult, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return CheckInResult{}, errReasonRequired
	}
	m := s.sched.Load().Find(meetingID)
	if m == nil {
		return CheckInResult{}, fmt.Errorf("no meeting %q in the schedule", meetingID)
	}
	if _, invited := m.Invitee(person); !invited {
		if _, err := s.store.Person(ctx, person); errors.Is(err, sql.ErrNoRows) {
			return CheckInResult{}, fmt.Errorf("%q is neither invited to %s nor known to this box", person, m.Title)
		} else if err != nil {
			return CheckInResult{}, err
		}
	}
	res, err := s.keepCheckIn(ctx, checkIn{person: person, method: MethodManual, at: s.now(), operator: operator, reason: reason, meetingID: meetingID})
	if err != nil {
		return res, err
	}
	s.announce(res, res.Attendance.Name, checkInTimes{})
	return res, nil
}

// writeAttendanceCSV writes a meeting's attendance list: every invitee,
// present or not, then the people added who were not invited. Excel opens
// UTF-8 with a byte order mark as such, which Vietnamese names need.
func (s *System) writeAttendanceCSV(ctx context.Context, meetingID string, w io.Writer) error {
	m := s.sched.Load().Find(meetingID)
	if m == nil {
		return fmt.Errorf("no meeting %q in the schedule", meetingID)
	}
	present, err := s.presentAt(ctx, meetingID)
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
			status, at, late = "present", a.At.In(s.loc).Format(time.DateTime), strconv.FormatBool(a.Late)
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

// recordAction keeps what a secretary or technician did, and logs it without
// its detail, which may name a person (it stays in the store).
func (s *System) recordAction(ctx context.Context, role, action, detail string) error {
	s.log.Info("kiosk action", "component", "kiosk", "role", role, "action", action)
	return s.store.AddAction(ctx, store.Action{At: time.Now(), Role: role, Action: action, Detail: detail})
}
