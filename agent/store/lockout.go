package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Lockout is a kiosk role's wrong PINs since its last login, and until
// when it is locked out (zero: not locked).
type Lockout struct {
	Role     string
	Failures int
	Until    time.Time
}

// Lockout returns the role's state; a role with none has a zero one.
func (s *Store) Lockout(ctx context.Context, role string) (Lockout, error) {
	l := Lockout{Role: role}
	var until int64
	err := s.db.QueryRowContext(ctx, `SELECT failures, until_ns FROM kiosk_lockouts WHERE role = ?`, role).Scan(&l.Failures, &until)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return l, nil
	case err != nil:
		return l, fmt.Errorf("store: lockout of %s: %w", role, err)
	}
	if until != 0 {
		l.Until = time.Unix(0, until)
	}
	return l, nil
}

// AddLoginFailure keeps a wrong PIN: the role's new state, the action and
// its event for the city, in one transaction.
func (s *Store) AddLoginFailure(ctx context.Context, l Lockout, a Action, ev Event) error {
	var until int64
	if !l.Until.IsZero() {
		until = l.Until.UnixNano()
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO kiosk_lockouts(role, failures, until_ns) VALUES (?, ?, ?)
			ON CONFLICT(role) DO UPDATE SET failures = excluded.failures, until_ns = excluded.until_ns`, l.Role, l.Failures, until); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO actions(at_ns, role, action, detail) VALUES (?, ?, ?, ?)`, a.At.UnixNano(), a.Role, a.Action, a.Detail); err != nil {
			return err
		}
		return s.insertOutbox(ctx, tx, ev)
	})
	if err != nil {
		return fmt.Errorf("store: add login failure: %w", err)
	}
	return nil
}

// AddLogin keeps a login and clears the role's wrong PINs, together.
func (s *Store) AddLogin(ctx context.Context, a Action) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM kiosk_lockouts WHERE role = ?`, a.Role); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO actions(at_ns, role, action, detail) VALUES (?, ?, ?, ?)`, a.At.UnixNano(), a.Role, a.Action, a.Detail)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: add login: %w", err)
	}
	return nil
}
