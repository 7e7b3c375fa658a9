package store

import (
	"context"
	"fmt"
	"time"
)

// MeasureBareInsert times n single-row transactions on a scratch table of the
// store, with the same durability as records: the baseline that the gate
// benchmark puts beside scan-to-relay.
func (s *Store) MeasureBareInsert(ctx context.Context, n int, rowBytes int) ([]time.Duration, error) {
	// A TEMP table would skip the WAL fsync; measure on a real one and drop it after.
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS bench_bare_insert (id INTEGER PRIMARY KEY, payload BLOB)`); err != nil {
		return nil, fmt.Errorf("store: bare insert: %w", err)
	}
	defer s.db.ExecContext(ctx, `DROP TABLE IF EXISTS bench_bare_insert`)
	payload := make([]byte, rowBytes)
	out := make([]time.Duration, n)
	for i := range out {
		start := time.Now()
		if _, err := s.db.ExecContext(ctx, `INSERT INTO bench_bare_insert(payload) VALUES (?)`, payload); err != nil {
			return nil, fmt.Errorf("store: bare insert: %w", err)
		}
		out[i] = time.Since(start)
	}
	return out, nil
}
