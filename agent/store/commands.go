package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Command is a city command the box took.
type Command struct {
	ID       string
	Name     string
	Received time.Time
	Result   []byte // the result answered, as JSON; nil while it runs, or if the box stopped before it was answered
}

// StartCommand records that command id is about to run and returns nil, or
// returns the record of the same id taken before, which must not run again.
func (s *Store) StartCommand(ctx context.Context, id, name string, at time.Time) (*Command, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: start command %s: %w", id, err)
	}
	defer tx.Rollback()
	c := Command{ID: id}
	var ns int64
	err = tx.QueryRowContext(ctx, `SELECT name, received_ns, result FROM commands WHERE id = ?`, id).Scan(&c.Name, &ns, &c.Result)
	switch {
	case err == nil:
		c.Received = time.Unix(0, ns)
		return &c, nil
	case !errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("store: start command %s: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO commands(id, name, received_ns) VALUES (?, ?, ?)`, id, name, at.UnixNano()); err != nil {
		return nil, fmt.Errorf("store: start command %s: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: start command %s: %w", id, err)
	}
	return nil, nil
}

// FinishCommand keeps the result answered to command id.
func (s *Store) FinishCommand(ctx context.Context, id string, result []byte) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE commands SET result = ? WHERE id = ?`, result, id); err != nil {
		return fmt.Errorf("store: finish command %s: %w", id, err)
	}
	return nil
}

// PurgeCommands forgets commands received before the given time.
func (s *Store) PurgeCommands(ctx context.Context, before time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM commands WHERE received_ns < ?`, before.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("store: purge commands: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
