package store

import (
	"context"
	"fmt"
)

// BareInsert prepares the baseline that the gate benchmark puts beside
// scan-to-relay: one row of rowBytes per transaction, with the same
// durability as records, into a scratch table that cleanup drops.
func (s *Store) BareInsert(ctx context.Context, rowBytes int) (insert func() error, cleanup func(), err error) {
	// A TEMP table would skip the WAL fsync; measure on a real one.
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS bench_bare_insert (id INTEGER PRIMARY KEY, payload BLOB)`); err != nil {
		return nil, nil, fmt.Errorf("store: bare insert: %w", err)
	}
	stmt, err := s.db.PrepareContext(ctx, `INSERT INTO bench_bare_insert(payload) VALUES (?)`)
	if err != nil {
		return nil, nil, fmt.Errorf("store: bare insert: %w", err)
	}
	payload := make([]byte, rowBytes)
	insert = func() error {
		_, err := stmt.ExecContext(ctx, payload)
		return err
	}
	cleanup = func() {
		stmt.Close()
		s.db.ExecContext(ctx, `DROP TABLE IF EXISTS bench_bare_insert`)
	}
	return insert, cleanup, nil
}
