package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/roomgate/roomgate/agent/meeting"
)

const (
	settingScheduleVersion = "schedule.version"
	settingScheduleSource  = "schedule.source"
)

// ReplaceSchedule makes s the room's schedule, whole, in one transaction:
// a power cut leaves the old schedule or the new one. source says where it
// came from (city, file).
func (s *Store) ReplaceSchedule(ctx context.Context, sched *meeting.Schedule, source string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM meetings`); err != nil {
			return err
		}
		for _, m := range sched.Meetings {
			var b meeting.Bridge
			if m.Bridge != nil {
				b = *m.Bridge
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO meetings(id, title, room, start_ns, end_ns, opens_ns, closes_ns, bridge_dial, bridge_protocol, bridge_speed, bridge_auto_join) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				m.ID, m.Title, m.Room, m.Start.UnixNano(), m.End.UnixNano(), m.CheckInOpens.UnixNano(), m.CheckInCloses.UnixNano(), b.Dial, b.Protocol, b.Speed, b.AutoJoin); err != nil {
				return fmt.Errorf("meeting %s: %w", m.ID, err)
			}
			for i, in := range m.Invitees {
				if _, err := tx.ExecContext(ctx, `INSERT INTO invitees(meeting_id, person_id, name, unit, role, seat, ord) VALUES (?, ?, ?, ?, ?, ?, ?)`,
					m.ID, in.Person, in.Name, in.Unit, in.Role, in.Seat, i); err != nil {
					return fmt.Errorf("meeting %s: invitee %s: %w", m.ID, in.Person, err)
				}
			}
		}
		for k, v := range map[string]string{settingScheduleVersion: strconv.FormatInt(sched.Version, 10), settingScheduleSource: source} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, k, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: replace schedule v%d: %w", sched.Version, err)
	}
	return nil
}

// Schedule returns the schedule in force and where it came from; an empty
// schedule of version 0 when none was ever given.
func (s *Store) Schedule(ctx context.Context) (*meeting.Schedule, string, error) {
	sched := &meeting.Schedule{}
	var source string
	err := func() error {
		v, err := s.Setting(ctx, settingScheduleVersion)
		if err != nil || v == "" {
			return err
		}
		if sched.Version, err = strconv.ParseInt(v, 10, 64); err != nil {
			return err
		}
		if source, err = s.Setting(ctx, settingScheduleSource); err != nil {
			return err
		}
		rows, err := s.db.QueryContext(ctx, `SELECT id, title, room, start_ns, end_ns, opens_ns, closes_ns, bridge_dial, bridge_protocol, bridge_speed, bridge_auto_join FROM meetings ORDER BY start_ns, id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		index := map[string]int{}
		for rows.Next() {
			var m meeting.Meeting
			var start, end, opens, closes int64
			var b meeting.Bridge
			if err := rows.Scan(&m.ID, &m.Title, &m.Room, &start, &end, &opens, &closes, &b.Dial, &b.Protocol, &b.Speed, &b.AutoJoin); err != nil {
				return err
			}
			if b.Dial != "" {
				m.Bridge = &b
			}
			m.Start, m.End, m.CheckInOpens, m.CheckInCloses = time.Unix(0, start), time.Unix(0, end), time.Unix(0, opens), time.Unix(0, closes)
			index[m.ID] = len(sched.Meetings)
			sched.Meetings = append(sched.Meetings, m)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = s.db.QueryContext(ctx, `SELECT meeting_id, person_id, name, unit, role, seat FROM invitees ORDER BY meeting_id, ord`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var in meeting.Invitee
			if err := rows.Scan(&id, &in.Person, &in.Name, &in.Unit, &in.Role, &in.Seat); err != nil {
				return err
			}
			m := &sched.Meetings[index[id]]
			m.Invitees = append(m.Invitees, in)
		}
		return rows.Err()
	}()
	if err != nil {
		return nil, "", fmt.Errorf("store: schedule: %w", err)
	}
	return sched, source, nil
}

// Attendance is one person's presence at a meeting.
type Attendance struct {
	ID       string // the event's id
	Meeting  string
	Title    string
	Person   string
	Name     string
	Unit     string
	Seat     string
	Method   string // face, qr, manual
	Score    float32
	Late     bool
	Invited  bool
	At       time.Time
	Operator string // manual: who checked them in
	Reason   string // manual: why
	Entry    string // qr: the gate entry of the scan
}

// ErrAlreadyCheckedIn wraps the first check-in when a later one is refused.
var ErrAlreadyCheckedIn = errors.New("store: already checked in")

// AddAttendance keeps a check-in and its event in one transaction, unless
// the person is checked in to that meeting already: then it returns the
// first check-in and ErrAlreadyCheckedIn, and keeps nothing.
func (s *Store) AddAttendance(ctx context.Context, a Attendance, ev Event) (Attendance, error) {
	var first Attendance
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO attendance(id, meeting_id, title, person_id, name, unit, seat, method, score, late, invited, at_ns, operator, reason, entry_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(meeting_id, person_id) DO NOTHING`,
			a.ID, a.Meeting, a.Title, a.Person, a.Name, a.Unit, a.Seat, a.Method, a.Score, a.Late, a.Invited, a.At.UnixNano(), a.Operator, a.Reason, a.Entry)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				err = ErrAlreadyCheckedIn
			}
			return err
		}
		return s.insertOutbox(ctx, tx, ev)
	})
	switch {
	case errors.Is(err, ErrAlreadyCheckedIn):
		list, lerr := s.attendance(ctx, `WHERE meeting_id = ? AND person_id = ?`, a.Meeting, a.Person)
		if lerr != nil || len(list) == 0 {
			return first, errors.Join(err, lerr)
		}
		return list[0], err
	case err != nil:
		return first, fmt.Errorf("store: add attendance: %w", err)
	}
	return a, nil
}

// Attendance lists a meeting's check-ins, first first.
func (s *Store) Attendance(ctx context.Context, meetingID string) ([]Attendance, error) {
	return s.attendance(ctx, `WHERE meeting_id = ?`, meetingID)
}

func (s *Store) attendance(ctx context.Context, where string, args ...any) ([]Attendance, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, meeting_id, title, person_id, name, unit, seat, method, score, late, invited, at_ns, operator, reason, entry_id
		FROM attendance `+where+` ORDER BY seq`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: attendance: %w", err)
	}
	defer rows.Close()
	var out []Attendance
	for rows.Next() {
		var a Attendance
		var at int64
		if err := rows.Scan(&a.ID, &a.Meeting, &a.Title, &a.Person, &a.Name, &a.Unit, &a.Seat, &a.Method, &a.Score, &a.Late, &a.Invited, &at, &a.Operator, &a.Reason, &a.Entry); err != nil {
			return nil, fmt.Errorf("store: attendance: %w", err)
		}
		a.At = time.Unix(0, at)
		out = append(out, a)
	}
	return out, rows.Err()
}

// Action is something a secretary or technician did at the kiosk.
type Action struct {
	At     time.Time
	Role   string
	Action string
	Detail string
}

// AddAction keeps an action for the record.
func (s *Store) AddAction(ctx context.Context, a Action) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO actions(at_ns, role, action, detail) VALUES (?, ?, ?, ?)`, a.At.UnixNano(), a.Role, a.Action, a.Detail); err != nil {
		return fmt.Errorf("store: add action: %w", err)
	}
	return nil
}

// Actions returns up to n actions, newest first.
func (s *Store) Actions(ctx context.Context, n int) ([]Action, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT at_ns, role, action, detail FROM actions ORDER BY seq DESC LIMIT ?`, n)
	if err != nil {
		return nil, fmt.Errorf("store: actions: %w", err)
	}
	defer rows.Close()
	var out []Action
	for rows.Next() {
		var a Action
		var at int64
		if err := rows.Scan(&at, &a.Role, &a.Action, &a.Detail); err != nil {
			return nil, fmt.Errorf("store: actions: %w", err)
		}
		a.At = time.Unix(0, at)
		out = append(out, a)
	}
	return out, rows.Err()
}
