package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Event is the outbox form of a record: its CloudEvent id, type and JSON.
type Event struct {
	ID      string
	Type    string
	Time    time.Time
	Payload []byte
}

// Entry is one scan at the gate and the decision taken.
type Entry struct {
	ID           string
	At           time.Time
	Gate         string
	Scanner      string
	Method       string
	Granted      bool
	Reason       string
	Detail       string
	PassID       string
	Kid          string
	Subject      string
	Name         string
	Host         string
	ClockTrusted bool
	ScanSHA256   string
}

// DoorEvent is something the door did: opened, closed, exit request, alarms.
type DoorEvent struct {
	ID     string
	At     time.Time
	Kind   string
	Alarm  bool
	Detail string
}

// Use is how often a pass or visit has let someone in.
type Use struct {
	Count    int
	Last     time.Time
	LastGate string
}

// PassUseKey is the key of a pass's use count; a registered visit's is
// "visit:" and its id.
func PassUseKey(passID string) string { return "pass:" + passID }

// MergePassUses raises the use counts of passes (by pass id) to what the
// city counted at all the boxes of the site. A count is never lowered, so a
// late, repeated or reordered message does no harm. It returns how many
// counts rose.
func (s *Store) MergePassUses(ctx context.Context, counts map[string]int) (int, error) {
	raised := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		raised = 0
		for id, n := range counts {
			res, err := tx.ExecContext(ctx, `INSERT INTO uses(key, count, last_ns, last_gate) VALUES (?, ?, 0, '')
				ON CONFLICT(key) DO UPDATE SET count = excluded.count WHERE excluded.count > uses.count`, PassUseKey(id), n)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k > 0 {
				raised++
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: merge pass uses: %w", err)
	}
	return raised, nil
}

// Decision is what a policy decides inside the entry transaction.
type Decision struct {
	Granted bool
	Reason  string
	Detail  string
}

// Decide runs decide on the use count and revocation of useKey inside one
// transaction, then writes the entry (with decide's outcome), its outbox event
// and, on a grant, the incremented use count, and commits durably. Nothing is
// written when build fails.
func (s *Store) Decide(ctx context.Context, useKey, passID string, decide func(Use, bool) Decision, build func(Decision) (Entry, Event, error)) (Entry, error) {
	var entry Entry
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var u Use
		var lastNS int64
		var revoked bool
		err := tx.StmtContext(ctx, s.stmts.readUse).QueryRowContext(ctx, useKey, passID).Scan(&u.Count, &lastNS, &u.LastGate, &revoked)
		if err != nil {
			return fmt.Errorf("read use count: %w", err)
		}
		if u.Count > 0 {
			u.Last = time.Unix(0, lastNS)
		}
		d := decide(u, revoked)
		e, ev, err := build(d)
		if err != nil {
			return err
		}
		if err := s.insertEntry(ctx, tx, e, ev); err != nil {
			return err
		}
		if d.Granted {
			if _, err := tx.StmtContext(ctx, s.stmts.countUse).ExecContext(ctx, useKey, e.At.UnixNano(), e.Gate); err != nil {
				return fmt.Errorf("count use: %w", err)
			}
		}
		entry = e
		return nil
	})
	if err != nil {
		return Entry{}, fmt.Errorf("store: decide entry: %w", err)
	}
	return entry, nil
}

// AddEntry keeps an entry that needs no use count (garbage, bad signatures).
func (s *Store) AddEntry(ctx context.Context, e Entry, ev Event) error {
	if err := s.inTx(ctx, func(tx *sql.Tx) error { return s.insertEntry(ctx, tx, e, ev) }); err != nil {
		return fmt.Errorf("store: add entry: %w", err)
	}
	return nil
}

func (s *Store) insertEntry(ctx context.Context, tx *sql.Tx, e Entry, ev Event) error {
	if _, err := tx.StmtContext(ctx, s.stmts.insertEntry).ExecContext(ctx,
		e.ID, e.At.UnixNano(), e.Gate, e.Scanner, e.Method, e.Granted, e.Reason, e.Detail, e.PassID, e.Kid, e.Subject, e.Name, e.Host, e.ClockTrusted, e.ScanSHA256); err != nil {
		return fmt.Errorf("insert entry: %w", err)
	}
	return s.insertOutbox(ctx, tx, ev)
}

// AddDoorEvent keeps a door event with its outbox row.
func (s *Store) AddDoorEvent(ctx context.Context, d DoorEvent, ev Event) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO door_events(id, at_ns, kind, alarm, detail) VALUES (?, ?, ?, ?, ?)`,
			d.ID, d.At.UnixNano(), d.Kind, d.Alarm, d.Detail); err != nil {
			return fmt.Errorf("insert door event: %w", err)
		}
		return s.insertOutbox(ctx, tx, ev)
	})
	if err != nil {
		return fmt.Errorf("store: add door event: %w", err)
	}
	return nil
}

func (s *Store) insertOutbox(ctx context.Context, tx *sql.Tx, ev Event) error {
	if _, err := tx.StmtContext(ctx, s.stmts.insertOutbox).ExecContext(ctx,
		ev.ID, ev.Type, ev.Time.UnixNano(), ev.Payload); err != nil {
		return fmt.Errorf("insert outbox: %w", err)
	}
	return nil
}

// LatestEntries returns up to n entries, newest first.
func (s *Store) LatestEntries(ctx context.Context, n int) ([]Entry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, at_ns, gate, scanner, method, granted, reason, detail, pass_id, kid, subject, name, host, clock_trusted, scan_sha256
		FROM entries ORDER BY seq DESC LIMIT ?`, n)
	if err != nil {
		return nil, fmt.Errorf("store: latest entries: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Gate, &e.Scanner, &e.Method, &e.Granted, &e.Reason, &e.Detail, &e.PassID, &e.Kid, &e.Subject, &e.Name, &e.Host, &e.ClockTrusted, &e.ScanSHA256); err != nil {
			return nil, fmt.Errorf("store: latest entries: %w", err)
		}
		e.At = time.Unix(0, at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// EntryIDs returns the ids of every entry kept (for recovery tests and audits).
func (s *Store) EntryIDs(ctx context.Context) (map[string]bool, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT e.id, o.id IS NOT NULL FROM entries e LEFT JOIN outbox o ON o.id = e.id`)
	if err != nil {
		return nil, fmt.Errorf("store: entry ids: %w", err)
	}
	defer rows.Close()
	ids := map[string]bool{}
	for rows.Next() {
		var id string
		var inOutbox bool
		if err := rows.Scan(&id, &inOutbox); err != nil {
			return nil, err
		}
		ids[id] = inOutbox
	}
	return ids, rows.Err()
}

// OutboxStats is the sync backlog: events not yet acknowledged by the city.
type OutboxStats struct {
	Pending int
	Oldest  time.Time // zero when nothing is pending
}

// Outbox reports the backlog.
func (s *Store) Outbox(ctx context.Context) (OutboxStats, error) {
	var st OutboxStats
	var oldest sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT count(*), min(created_ns) FROM outbox WHERE acked_ns IS NULL`).Scan(&st.Pending, &oldest); err != nil {
		return st, fmt.Errorf("store: outbox stats: %w", err)
	}
	if oldest.Valid {
		st.Oldest = time.Unix(0, oldest.Int64)
	}
	return st, nil
}

// AddCallEvent keeps a change of the room's bridge call. Its outbox row is
// the record: the box shows only the call now, which the calls feature
// holds, and the city keeps the history.
func (s *Store) AddCallEvent(ctx context.Context, ev Event) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error { return s.insertOutbox(ctx, tx, ev) })
	if err != nil {
		return fmt.Errorf("store: add call event: %w", err)
	}
	return nil
}
