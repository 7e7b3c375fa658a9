package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"net/url"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/roomgate/roomgate/internal/migrations"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrNewerSchema means the database was written by a newer roomgate.
var ErrNewerSchema = migrations.ErrNewer

// Store is the box's SQLite database.
type Store struct {
	db    *sql.DB
	path  string
	stmts statements
}

// statements are the gate's hot path, prepared once: parsing SQL on every
// scan costs as much as the rest of the transaction's CPU work.
type statements struct {
	readUse, countUse, insertEntry, insertOutbox *sql.Stmt
}

func (s *Store) prepare(ctx context.Context) error {
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		// One row always: the use (zeros when none) and whether the pass is revoked.
		{&s.stmts.readUse, `SELECT coalesce(u.count, 0), coalesce(u.last_ns, 0), coalesce(u.last_gate, ''),
			EXISTS (SELECT 1 FROM revocations WHERE pass_id = ?2)
			FROM (SELECT 1) LEFT JOIN uses u ON u.key = ?1`},
		{&s.stmts.countUse, `INSERT INTO uses(key, count, last_ns, last_gate) VALUES (?, 1, ?, ?)
			ON CONFLICT(key) DO UPDATE SET count = count + 1, last_ns = excluded.last_ns, last_gate = excluded.last_gate`},
		{&s.stmts.insertEntry, `INSERT INTO entries(id, at_ns, gate, scanner, method, granted, reason, detail, pass_id, kid, subject, name, host, clock_trusted, scan_sha256)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&s.stmts.insertOutbox, `INSERT INTO outbox(id, type, created_ns, payload) VALUES (?, ?, ?, ?)`},
	} {
		stmt, err := s.db.PrepareContext(ctx, p.sql)
		if err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		*p.stmt = stmt
	}
	return nil
}

// Open opens (creating if needed) the database at path and applies migrations.
func Open(path string) (*Store, error) {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(5000)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	// Writers take the lock at BEGIN, so a read-then-write never fails halfway with SQLITE_BUSY.
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open store %q: %w", path, err)
	}
	s := &Store{db: db, path: path}
	ctx := context.Background()
	err = s.migrate(ctx)
	if err == nil {
		err = s.prepare(ctx)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %q: %w", path, err)
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// String names the database file.
func (s *Store) String() string { return "sqlite:" + s.path }

// SchemaVersion is the number of the last migration applied.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v)
	return int(v.Int64), err
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_ns INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrations table: %w", err)
	}
	current, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	pending, err := migrations.After(migrationFiles, current)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	for _, m := range pending {
		if err := s.inTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version, applied_ns) VALUES (?, ?)`, m.Version, time.Now().UnixNano())
			return err
		}); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
	}
	return nil
}

func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// IntegrityCheck runs SQLite's integrity_check and returns its complaint, if any.
func (s *Store) IntegrityCheck(ctx context.Context) error {
	var res string
	if err := s.db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
		return err
	}
	if res != "ok" {
		return fmt.Errorf("store: integrity check: %s", res)
	}
	return nil
}
