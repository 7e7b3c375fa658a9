package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/roomgate/roomgate/agent/event"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/deploy/city/ingest"
	"github.com/roomgate/roomgate/internal/migrations"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// timeFormat is how events.time is kept: RFC 3339 in UTC with all nine
// fraction digits, so that text order is time order.
const timeFormat = "2006-01-02T15:04:05.000000000Z07:00"

// ErrNewerSchema means the database was migrated by a newer roomgate-city.
var ErrNewerSchema = migrations.ErrNewer

// Store is the event store in one SQLite file. It is safe for concurrent
// use; writes are serialized by SQLite.
type Store struct {
	db   *sql.DB
	path string
}

var _ ingest.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path and applies the
// embedded migrations.
func Open(ctx context.Context, path string) (*Store, error) {
	q := url.Values{}
	// FULL: an acknowledged event must survive a power cut of the city's
	// machine too.
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: open %q: %w", path, err)
	}
	s := &Store{db: db, path: path}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlitestore: open %q: %w", path, err)
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// String names the database file.
func (s *Store) String() string { return "sqlite:" + s.path }

func (s *Store) migrate(ctx context.Context) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS ingest_migrations (version INTEGER PRIMARY KEY, applied_ns INTEGER NOT NULL)`); err != nil {
			return err
		}
		var current int
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM ingest_migrations`).Scan(&current); err != nil {
			return err
		}
		pending, err := migrations.After(migrationFiles, current)
		if err != nil {
			return fmt.Errorf("sqlitestore: %w", err)
		}
		for _, m := range pending {
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO ingest_migrations(version, applied_ns) VALUES (?, ?)`, m.Version, time.Now().UnixNano()); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) inTx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Save stores b in one transaction.
func (s *Store) Save(ctx context.Context, b ingest.Batch) (ingest.Saved, error) {
	var saved ingest.Saved
	now := time.Now().UnixNano()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		saved = ingest.Saved{}
		if len(b.Events) > 0 {
			stmt, err := tx.PrepareContext(ctx, `INSERT INTO events (source, id, type, time, device, data, received_at)
				VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, id) DO NOTHING`)
			if err != nil {
				return err
			}
			defer stmt.Close()
			for _, e := range b.Events {
				res, err := stmt.ExecContext(ctx, e.Source, e.ID, e.Type, e.Time.UTC().Format(timeFormat), b.Device, string(e.Data), now)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n == 1 {
					saved.AddStored(e.Type)
				} else {
					saved.Duplicates++
				}
			}
		}
		for _, site := range b.Sites() {
			if _, err := tx.ExecContext(ctx, `INSERT INTO site_devices (site, device) VALUES (?, ?) ON CONFLICT DO NOTHING`, site, b.Device); err != nil {
				return err
			}
		}
		for _, r := range b.Rejected {
			raw := r.Raw
			if raw == nil {
				raw = []byte{}
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO rejected_events (device, event_id, reason, raw, received_at) VALUES (?, ?, ?, ?, ?)`,
				b.Device, r.ID, r.Reason, raw, now); err != nil {
				return err
			}
			saved.Rejected++
		}
		return nil
	})
	if err != nil {
		return ingest.Saved{}, fmt.Errorf("sqlitestore: save: %w", err)
	}
	return saved, nil
}

// PassUses counts the granted pass entries for passID from site's boxes
// and names the boxes of site.
func (s *Store) PassUses(ctx context.Context, site, passID string) (int, []string, error) {
	var n int
	// Sources of site sort between "roomgate://site/" and "roomgate://site0" ('0' follows '/').
	prefix := wire.Source(site, "")
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM events
		WHERE type = '`+event.TypeEntry+`' AND json_extract(data, '$.pass_id') = ? AND source >= ? AND source < ?
		AND json_extract(data, '$.method') = 'pass' AND json_extract(data, '$.decision') = 'granted'`,
		passID, prefix, prefix[:len(prefix)-1]+"0").Scan(&n)
	if err != nil {
		return 0, nil, fmt.Errorf("sqlitestore: pass uses: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT device FROM site_devices WHERE site = ? ORDER BY device`, site)
	if err != nil {
		return 0, nil, fmt.Errorf("sqlitestore: pass uses: %w", err)
	}
	defer rows.Close()
	var devices []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return 0, nil, fmt.Errorf("sqlitestore: pass uses: %w", err)
		}
		devices = append(devices, d)
	}
	if err := rows.Err(); err != nil {
		return 0, nil, fmt.Errorf("sqlitestore: pass uses: %w", err)
	}
	return n, devices, nil
}

// Count returns how many events are stored.
func (s *Store) Count(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM events`).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlitestore: count: %w", err)
	}
	return n, nil
}

// IDs returns the ids of the events stored from source, sorted.
func (s *Store) IDs(ctx context.Context, source string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM events WHERE source = ? ORDER BY id`, source)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: ids: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqlitestore: ids: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlitestore: ids: %w", err)
	}
	return ids, nil
}

// Rejections returns what was rejected from device, oldest first.
func (s *Store) Rejections(ctx context.Context, device string) ([]ingest.Rejection, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT event_id, reason, raw FROM rejected_events WHERE device = ? ORDER BY seq`, device)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: rejections: %w", err)
	}
	defer rows.Close()
	var rs []ingest.Rejection
	for rows.Next() {
		var r ingest.Rejection
		if err := rows.Scan(&r.ID, &r.Reason, &r.Raw); err != nil {
			return nil, fmt.Errorf("sqlitestore: rejections: %w", err)
		}
		rs = append(rs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlitestore: rejections: %w", err)
	}
	return rs, nil
}

// Latest returns the newest events matching f, newest first by event time.
func (s *Store) Latest(ctx context.Context, f ingest.Filter) ([]ingest.StoredEvent, error) {
	if f.Limit < 1 {
		return nil, fmt.Errorf("sqlitestore: latest: limit %d, want at least 1", f.Limit)
	}
	// Only the conditions asked for, so the planner can use
	// events_device_time or events_time.
	q, args := `SELECT source, id, type, time, device, data, received_at FROM events WHERE 1`, []any{}
	if f.Device != "" {
		q, args = q+` AND device = ?`, append(args, f.Device)
	}
	if f.Type != "" {
		q, args = q+` AND type = ?`, append(args, f.Type)
	}
	return s.listEvents(ctx, "latest", q+` ORDER BY time DESC LIMIT ?`, append(args, f.Limit)...)
}

// Attendance returns the attendance events of meeting, or of every
// meeting when meeting is "", oldest first by event time.
func (s *Store) Attendance(ctx context.Context, meeting string) ([]ingest.StoredEvent, error) {
	// The type is in the text, not a parameter, so that the partial index
	// events_attendance applies.
	q, args := `SELECT source, id, type, time, device, data, received_at FROM events WHERE type = '`+event.TypeAttendance+`'`, []any{}
	if meeting != "" {
		q, args = q+` AND json_extract(data, '$.meeting') = ?`, append(args, meeting)
	}
	return s.listEvents(ctx, "attendance", q+` ORDER BY time`, args...)
}

// listEvents runs a query of events' columns; what names it in errors.
func (s *Store) listEvents(ctx context.Context, what, q string, args ...any) ([]ingest.StoredEvent, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: %s: %w", what, err)
	}
	defer rows.Close()
	var es []ingest.StoredEvent
	for rows.Next() {
		var e ingest.StoredEvent
		var at, data string
		var received int64
		if err := rows.Scan(&e.Source, &e.ID, &e.Type, &at, &e.Device, &data, &received); err != nil {
			return nil, fmt.Errorf("sqlitestore: %s: %w", what, err)
		}
		if e.Time, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return nil, fmt.Errorf("sqlitestore: %s: event %s: %w", what, e.ID, err)
		}
		e.Data, e.ReceivedAt = json.RawMessage(data), time.Unix(0, received)
		es = append(es, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlitestore: %s: %w", what, err)
	}
	return es, nil
}

// CountRejected returns how many elements were rejected, by device: of
// device alone, or of every device when device is "".
func (s *Store) CountRejected(ctx context.Context, device string) (map[string]int64, error) {
	q, args := `SELECT device, count(*) FROM rejected_events GROUP BY device`, []any{}
	if device != "" {
		q, args = `SELECT device, count(*) FROM rejected_events WHERE device = ? GROUP BY device`, []any{device}
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: count rejected: %w", err)
	}
	defer rows.Close()
	counts := map[string]int64{}
	for rows.Next() {
		var d string
		var n int64
		if err := rows.Scan(&d, &n); err != nil {
			return nil, fmt.Errorf("sqlitestore: count rejected: %w", err)
		}
		counts[d] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlitestore: count rejected: %w", err)
	}
	return counts, nil
}
