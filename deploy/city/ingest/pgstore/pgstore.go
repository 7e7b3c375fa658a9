package pgstore

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/roomgate/roomgate/agent/event"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/deploy/city/ingest"
	"github.com/roomgate/roomgate/internal/migrations"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrNewerSchema means the database was migrated by a newer roomgate-city.
var ErrNewerSchema = migrations.ErrNewer

// maxConns bounds the connections one process holds. The broker hands an
// ingest client a few messages at a time; more connections than that only
// wait on each other's locks.
const maxConns = 8

// Store is the event store in one PostgreSQL database. It is safe for
// concurrent use; several processes may share the database.
type Store struct {
	cfg   *pgx.ConnConfig
	slots chan struct{}  // one per connection that may exist
	idle  chan *pgx.Conn // connections not in use
}

var _ ingest.Store = (*Store)(nil)

// Open connects to the database named by dsn (a postgres:// URL or
// key=value string) and applies the embedded migrations.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	s := &Store{cfg: cfg, slots: make(chan struct{}, maxConns), idle: make(chan *pgx.Conn, maxConns)}
	if err := s.with(ctx, migrate); err != nil {
		s.Close()
		return nil, fmt.Errorf("pgstore: open %s: %w", s, err)
	}
	return s, nil
}

// String names the database without credentials.
func (s *Store) String() string {
	return fmt.Sprintf("postgres://%s:%d/%s", s.cfg.Host, s.cfg.Port, s.cfg.Database)
}

// Close closes the idle connections; call it when no Save is running.
func (s *Store) Close() {
	for {
		select {
		case c := <-s.idle:
			c.Close(context.Background())
		default:
			return
		}
	}
}

// with runs f on a connection of the pool. pgx's own pool (pgxpool) needs a
// module this repository does not carry; this much is all ingest needs.
func (s *Store) with(ctx context.Context, f func(context.Context, *pgx.Conn) error) error {
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.slots }()
	var c *pgx.Conn
	select {
	case c = <-s.idle:
	default:
		var err error
		if c, err = pgx.ConnectConfig(ctx, s.cfg); err != nil {
			return err
		}
	}
	err := f(ctx, c)
	// A connection that broke, or was left mid-transaction by a cancelled
	// context, is not put back.
	if c.IsClosed() || c.PgConn().TxStatus() != 'I' {
		c.Close(context.Background())
	} else {
		s.idle <- c
	}
	return err
}

func migrate(ctx context.Context, c *pgx.Conn) error {
	return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
		// Several ingest processes may start at once against a new database.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('roomgate-city ingest migrations'))`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS ingest_migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		var current int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM ingest_migrations`).Scan(&current); err != nil {
			return err
		}
		pending, err := migrations.After(migrationFiles, current)
		if err != nil {
			return fmt.Errorf("pgstore: %w", err)
		}
		for _, m := range pending {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO ingest_migrations(version) VALUES ($1)`, m.Version); err != nil {
				return err
			}
		}
		return nil
	})
}

// One statement stores the whole batch: arrays travel as parameters, so a
// message of 500 events costs one round trip, not 500.
const insertEvents = `INSERT INTO events (source, id, type, time, device, data)
	SELECT s, i, t, tm, $5, d::jsonb FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $6::text[]) AS u(s, i, t, tm, d)
	ON CONFLICT (source, id) DO NOTHING
	RETURNING type`

const insertEvent = `INSERT INTO events (source, id, type, time, device, data) VALUES ($1, $2, $3, $4, $5, $6::text::jsonb)
	ON CONFLICT (source, id) DO NOTHING`

const insertRejected = `INSERT INTO rejected_events (device, event_id, reason, raw)
	SELECT $1, i, r, w FROM unnest($2::text[], $3::text[], $4::bytea[]) AS u(i, r, w)`

// Save stores b in one transaction.
func (s *Store) Save(ctx context.Context, b ingest.Batch) (ingest.Saved, error) {
	var saved ingest.Saved
	err := s.with(ctx, func(ctx context.Context, c *pgx.Conn) error {
		saved = ingest.Saved{}
		err := pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error { return saveBatch(ctx, tx, b, &saved) })
		if !isDataError(err) {
			return err
		}
		// The database refused some event that passed validation (jsonb
		// takes no \u0000, numbers have limits). Find which, one by one,
		// and keep those as rejections rather than refusing the message
		// forever.
		saved = ingest.Saved{}
		return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error { return saveEach(ctx, tx, b, &saved) })
	})
	if err != nil {
		return ingest.Saved{}, fmt.Errorf("pgstore: save: %w", err)
	}
	return saved, nil
}

func saveBatch(ctx context.Context, tx pgx.Tx, b ingest.Batch, saved *ingest.Saved) error {
	if len(b.Events) > 0 {
		n := len(b.Events)
		sources, ids, types, data := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		times := make([]time.Time, n)
		for i, e := range b.Events {
			sources[i], ids[i], types[i], times[i], data[i] = e.Source, e.ID, e.Type, e.Time, string(e.Data)
		}
		rows, err := tx.Query(ctx, insertEvents, sources, ids, types, times, b.Device, data)
		if err != nil {
			return err
		}
		var typ string
		if _, err := pgx.ForEachRow(rows, []any{&typ}, func() error { saved.AddStored(typ); return nil }); err != nil {
			return err
		}
		saved.Duplicates = n - saved.Stored
	}
	if err := saveSites(ctx, tx, b); err != nil {
		return err
	}
	return saveRejected(ctx, tx, b.Device, b.Rejected, saved)
}

// saveSites records the sites the batch's device belongs to.
func saveSites(ctx context.Context, tx pgx.Tx, b ingest.Batch) error {
	for _, site := range b.Sites() {
		if _, err := tx.Exec(ctx, `INSERT INTO site_devices (site, device) VALUES ($1, $2) ON CONFLICT DO NOTHING`, site, b.Device); err != nil {
			return err
		}
	}
	return nil
}

func saveEach(ctx context.Context, tx pgx.Tx, b ingest.Batch, saved *ingest.Saved) error {
	rejected := b.Rejected
	for _, e := range b.Events {
		if _, err := tx.Exec(ctx, `SAVEPOINT event`); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, insertEvent, e.Source, e.ID, e.Type, e.Time, b.Device, string(e.Data))
		switch {
		case isDataError(err):
			if _, err := tx.Exec(ctx, `ROLLBACK TO SAVEPOINT event`); err != nil {
				return err
			}
			rejected = append(rejected, ingest.Rejection{ID: e.ID, Reason: "database refused the event: " + err.Error(), Raw: e.Data})
		case err != nil:
			return err
		case tag.RowsAffected() == 1:
			saved.AddStored(e.Type)
		default:
			saved.Duplicates++
		}
	}
	if err := saveSites(ctx, tx, b); err != nil {
		return err
	}
	return saveRejected(ctx, tx, b.Device, rejected, saved)
}

func saveRejected(ctx context.Context, tx pgx.Tx, device string, rs []ingest.Rejection, saved *ingest.Saved) error {
	if len(rs) == 0 {
		return nil
	}
	ids, reasons, raws := make([]string, len(rs)), make([]string, len(rs)), make([][]byte, len(rs))
	for i, r := range rs {
		ids[i], reasons[i], raws[i] = text(r.ID), text(r.Reason), r.Raw
		if raws[i] == nil {
			raws[i] = []byte{}
		}
	}
	if _, err := tx.Exec(ctx, insertRejected, text(device), ids, reasons, raws); err != nil {
		return err
	}
	saved.Rejected = len(rs)
	return nil
}

// text makes s storable as PostgreSQL text, which takes neither NUL nor
// invalid UTF-8; a rejection must never fail to be recorded.
func text(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// isDataError reports errors of SQLSTATE class 22, data exceptions: the
// database refuses a value, and will refuse it again.
func isDataError(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && strings.HasPrefix(pe.Code, "22")
}

// PassUses counts the granted pass entries for passID from site's boxes
// and names the boxes of site.
func (s *Store) PassUses(ctx context.Context, site, passID string) (int, []string, error) {
	var n int
	var devices []string
	err := s.with(ctx, func(ctx context.Context, c *pgx.Conn) error {
		// starts_with, not a range: text comparison follows the collation.
		err := c.QueryRow(ctx, `SELECT count(*) FROM events
			WHERE type = '`+event.TypeEntry+`' AND data->>'pass_id' = $1 AND starts_with(source, $2)
			AND data->>'method' = 'pass' AND data->>'decision' = 'granted'`, passID, wire.Source(site, "")).Scan(&n)
		if err != nil {
			return err
		}
		rows, err := c.Query(ctx, `SELECT device FROM site_devices WHERE site = $1 ORDER BY device`, site)
		if err != nil {
			return err
		}
		devices, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		return 0, nil, fmt.Errorf("pgstore: pass uses: %w", err)
	}
	return n, devices, nil
}

// Count returns how many events are stored.
func (s *Store) Count(ctx context.Context) (int64, error) {
	var n int64
	err := s.with(ctx, func(ctx context.Context, c *pgx.Conn) error {
		return c.QueryRow(ctx, `SELECT count(*) FROM events`).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("pgstore: count: %w", err)
	}
	return n, nil
}

// IDs returns the ids of the events stored from source, sorted.
func (s *Store) IDs(ctx context.Context, source string) ([]string, error) {
	var ids []string
	err := s.with(ctx, func(ctx context.Context, c *pgx.Conn) error {
		rows, err := c.Query(ctx, `SELECT id FROM events WHERE source = $1 ORDER BY id`, source)
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: ids: %w", err)
	}
	return ids, nil
}

// Rejections returns what was rejected from device, oldest first.
func (s *Store) Rejections(ctx context.Context, device string) ([]ingest.Rejection, error) {
	var rs []ingest.Rejection
	err := s.with(ctx, func(ctx context.Context, c *pgx.Conn) error {
		rows, err := c.Query(ctx, `SELECT event_id, reason, raw FROM rejected_events WHERE device = $1 ORDER BY seq`, device)
		if err != nil {
			return err
		}
		rs, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (ingest.Rejection, error) {
			var r ingest.Rejection
			err := row.Scan(&r.ID, &r.Reason, &r.Raw)
			return r, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: rejections: %w", err)
	}
	return rs, nil
}

// Latest returns the newest events matching f, newest first by event time.
func (s *Store) Latest(ctx context.Context, f ingest.Filter) ([]ingest.StoredEvent, error) {
	if f.Limit < 1 {
		return nil, fmt.Errorf("pgstore: latest: limit %d, want at least 1", f.Limit)
	}
	// Only the conditions asked for, so that even a generic plan can use
	// events_device_time or events_time.
	q, args := `SELECT source, id, type, time, device, data::text, received_at FROM events WHERE true`, []any{}
	if f.Device != "" {
		args = append(args, f.Device)
		q += fmt.Sprintf(` AND device = $%d`, len(args))
	}
	if f.Type != "" {
		args = append(args, f.Type)
		q += fmt.Sprintf(` AND type = $%d`, len(args))
	}
	args = append(args, f.Limit)
	q += fmt.Sprintf(` ORDER BY time DESC LIMIT $%d`, len(args))
	return s.listEvents(ctx, "latest", q, args...)
}

// Attendance returns the attendance events of meeting, or of every
// meeting when meeting is "", oldest first by event time.
func (s *Store) Attendance(ctx context.Context, meeting string) ([]ingest.StoredEvent, error) {
	// The type is in the text, not a parameter, so that even a generic
	// plan can use the partial index events_attendance.
	q, args := `SELECT source, id, type, time, device, data::text, received_at FROM events WHERE type = '`+event.TypeAttendance+`'`, []any{}
	if meeting != "" {
		q, args = q+` AND data->>'meeting' = $1`, append(args, meeting)
	}
	return s.listEvents(ctx, "attendance", q+` ORDER BY time`, args...)
}

// listEvents runs a query of events' columns; what names it in errors.
func (s *Store) listEvents(ctx context.Context, what, q string, args ...any) ([]ingest.StoredEvent, error) {
	var es []ingest.StoredEvent
	err := s.with(ctx, func(ctx context.Context, c *pgx.Conn) error {
		rows, err := c.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		es, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (ingest.StoredEvent, error) {
			var e ingest.StoredEvent
			var data string
			err := row.Scan(&e.Source, &e.ID, &e.Type, &e.Time, &e.Device, &data, &e.ReceivedAt)
			e.Data = json.RawMessage(data)
			return e, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: %s: %w", what, err)
	}
	return es, nil
}

// CountRejected returns how many elements were rejected, by device: of
// device alone, or of every device when device is "".
func (s *Store) CountRejected(ctx context.Context, device string) (map[string]int64, error) {
	q, args := `SELECT device, count(*) FROM rejected_events GROUP BY device`, []any{}
	if device != "" {
		q, args = `SELECT device, count(*) FROM rejected_events WHERE device = $1 GROUP BY device`, []any{device}
	}
	counts := map[string]int64{}
	err := s.with(ctx, func(ctx context.Context, c *pgx.Conn) error {
		rows, err := c.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		var d string
		var n int64
		_, err = pgx.ForEachRow(rows, []any{&d, &n}, func() error {
			counts[d] = n
			return nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: count rejected: %w", err)
	}
	return counts, nil
}
