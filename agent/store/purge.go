package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Retention is how long each kind of record is kept, from when it happened.
type Retention struct {
	Entries, Attendance, DoorEvents, Actions time.Duration
	Uses                                     time.Duration // from a pass's last use
	Staging                                  time.Duration // a gallery left half received
	Visits                                   time.Duration // after a visit's window ended
}

// Purged counts the rows a purge removed, by table.
type Purged map[string]int

// purgeBatch bounds each delete transaction, so that the first purge of an
// old store does not hold the write lock the gate needs for seconds.
const purgeBatch = 2000

// Purge deletes what is older than its retention at now. A record whose
// outbox row the city has not acknowledged, or acknowledged after the
// cutoff, is kept however old: nothing leaves the box before the city has
// it. Counts are returned for each table, also on an error (what was
// deleted until then).
func (s *Store) Purge(ctx context.Context, now time.Time, r Retention) (Purged, error) {
	cut := func(d time.Duration) int64 { return now.Add(-d).UnixNano() }
	// A record may go once its event is acknowledged before the cutoff, or
	// no longer in the outbox, which forgets only what was acknowledged.
	const synced = ` AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.id = t.id AND (o.acked_ns IS NULL OR o.acked_ns >= ?1))`
	steps := []struct {
		table, query string
		cutoff       int64
	}{
		{"entries", `DELETE FROM entries WHERE seq IN (SELECT seq FROM entries t WHERE t.at_ns < ?1` + synced + ` LIMIT ?2)`, cut(r.Entries)},
		{"attendance", `DELETE FROM attendance WHERE seq IN (SELECT seq FROM attendance t WHERE t.at_ns < ?1` + synced + ` LIMIT ?2)`, cut(r.Attendance)},
		{"door_events", `DELETE FROM door_events WHERE rowid IN (SELECT rowid FROM door_events t WHERE t.at_ns < ?1` + synced + ` LIMIT ?2)`, cut(r.DoorEvents)},
		{"actions", `DELETE FROM actions WHERE seq IN (SELECT seq FROM actions WHERE at_ns < ?1 LIMIT ?2)`, cut(r.Actions)},
		{"uses", `DELETE FROM uses WHERE key IN (SELECT key FROM uses WHERE last_ns < ?1 LIMIT ?2)`, cut(r.Uses)},
		{"city_gallery_chunks", `DELETE FROM city_gallery_chunks WHERE rowid IN (SELECT rowid FROM city_gallery_chunks WHERE staged_ns < ?1 LIMIT ?2)`, cut(r.Staging)},
		{"visits", `DELETE FROM visits WHERE id IN (SELECT id FROM visits WHERE not_after_ns < ?1 LIMIT ?2)`, cut(r.Visits)},
		{"city_gallery_manifest", `DELETE FROM city_gallery_manifest WHERE version IN (SELECT version FROM city_gallery_manifest WHERE staged_ns < ?1 LIMIT ?2)`, cut(r.Staging)},
	}
	out := Purged{}
	for _, st := range steps {
		for {
			var n int64
			err := s.inTx(ctx, func(tx *sql.Tx) error {
				res, err := tx.ExecContext(ctx, st.query, st.cutoff, purgeBatch)
				if err == nil {
					n, err = res.RowsAffected()
				}
				return err
			})
			if err != nil {
				return out, fmt.Errorf("store: purge %s: %w", st.table, err)
			}
			out[st.table] += int(n)
			if n < purgeBatch {
				break
			}
		}
	}
	return out, nil
}
