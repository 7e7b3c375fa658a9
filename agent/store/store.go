package store

import (
	"context"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
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
	seal  sealer
	stmts statements
	notes []string
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

// Options are how a store is opened besides its path.
type Options struct {
	KeyFile string // the key that seals face templates; empty: DefaultKeyFile
}

// Open opens (creating if needed) the database at path, with the template
// key beside it, and applies migrations.
func Open(path string) (*Store, error) { return OpenWith(path, Options{}) }

// OpenWith opens (creating if needed) the database at path and applies
// migrations. The database and its -wal and -shm files are readable by
// their owner only; the key file is made when missing and refused when it
// is not this store's. A store written before templates were sealed has
// them sealed in place. Notes says what was changed on disk.
func OpenWith(path string, o Options) (*Store, error) {
	if o.KeyFile == "" {
		o.KeyFile = DefaultKeyFile(path)
	}
	notes, err := restrictFiles(path)
	if err != nil {
		return nil, fmt.Errorf("open store %q: %w", path, err)
	}
	key, made, err := loadKey(o.KeyFile)
	if err != nil {
		return nil, err
	}
	if made {
		notes = append(notes, fmt.Sprintf("made the template key file %s", o.KeyFile))
	}
	seal, err := newSealer(key)
	if err != nil {
		return nil, fmt.Errorf("open store %q: %w", path, err)
	}
	q := url.Values{}
	// secure_delete overwrites what is deleted, so a purged record or a
	// forgotten person's template does not linger in free pages.
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(5000)", "foreign_keys(1)", "secure_delete(1)"} {
		q.Add("_pragma", p)
	}
	// Writers take the lock at BEGIN, so a read-then-write never fails halfway with SQLITE_BUSY.
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open store %q: %w", path, err)
	}
	s := &Store{db: db, path: path, seal: seal, notes: notes}
	ctx := context.Background()
	err = s.migrate(ctx)
	if err == nil {
		err = s.sealTemplates(ctx, o.KeyFile)
	}
	if err == nil {
		err = s.prepare(ctx)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %q: %w", path, err)
	}
	return s, nil
}

// Notes says what opening the store changed on disk (modes tightened, a
// key made, templates sealed), for the caller to log.
func (s *Store) Notes() []string { return s.notes }

// restrictFiles creates the database file 0600 before SQLite does, since
// SQLite gives the -wal and -shm files the database's mode, and takes group
// and other access from the files of a store made before.
func restrictFiles(path string) ([]string, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	f.Close()
	var notes []string
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return notes, err
		}
		if m := fi.Mode().Perm(); m&0o077 != 0 {
			if err := os.Chmod(p, m&^0o077); err != nil {
				return notes, err
			}
			notes = append(notes, fmt.Sprintf("%s was mode %v, now %v", p, m, m&^0o077))
		}
	}
	return notes, nil
}

// settingKeyCheck holds a value sealed with the store's key: a wrong key
// file is refused at open instead of at the first template.
const (
	settingKeyCheck = "store.key_check"
	keyCheckPlain   = "roomgate template key"
)

// sealTemplates checks the key against the store's or, in a store written
// before templates were sealed (it has no key check), seals every template
// and staged gallery chunk in place, in one transaction.
func (s *Store) sealTemplates(ctx context.Context, keyFile string) error {
	sealed := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var check string
		err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, settingKeyCheck).Scan(&check)
		if err == nil {
			b, _ := hex.DecodeString(check)
			if plain, err := s.seal.open(nil, b, settingKeyCheck); err != nil || string(plain) != keyCheckPlain {
				return fmt.Errorf("%w: %s is not the key this store's templates were sealed with", ErrKey, keyFile)
			}
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if sealed, err = s.sealPlainRows(ctx, tx); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO settings(key, value) VALUES (?, ?)`, settingKeyCheck, hex.EncodeToString(s.seal.seal([]byte(keyCheckPlain), settingKeyCheck)))
		return err
	})
	if err != nil {
		return err
	}
	if sealed > 0 {
		// secure_delete does not clear what a b-tree rebalance leaves in
		// pages still in use: the file is rebuilt once, and the WAL that
		// carried it emptied.
		for _, q := range []string{`VACUUM`, `PRAGMA wal_checkpoint(TRUNCATE)`} {
			if _, err := s.db.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("after sealing: %s: %w", q, err)
			}
		}
		s.notes = append(s.notes, fmt.Sprintf("sealed %d plaintext templates and staged gallery chunks with %s", sealed, keyFile))
	}
	return nil
}

// sealPlainRows seals the rows of a store written before sealing, a page
// of templates at a time so that a large gallery is not held in memory.
func (s *Store) sealPlainRows(ctx context.Context, tx *sql.Tx) (int, error) {
	type row struct {
		seq         int64
		person, mdl string
		vec         []byte
	}
	n := 0
	for after := int64(-1); ; {
		rows, err := tx.QueryContext(ctx, `SELECT seq, person_id, model, vec FROM templates WHERE seq > ? ORDER BY seq LIMIT 1000`, after)
		if err != nil {
			return n, err
		}
		var page []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.seq, &r.person, &r.mdl, &r.vec); err != nil {
				rows.Close()
				return n, err
			}
			page = append(page, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return n, err
		}
		if len(page) == 0 {
			break
		}
		for _, r := range page {
			if _, err := tx.ExecContext(ctx, `UPDATE templates SET vec = ? WHERE seq = ?`, s.seal.seal(r.vec, templateAD(r.person, r.mdl)...), r.seq); err != nil {
				return n, err
			}
			n++
		}
		after = page[len(page)-1].seq
	}
	type chunk struct {
		version int64
		idx     int
		payload []byte
	}
	var chunks []chunk
	rows, err := tx.QueryContext(ctx, `SELECT version, idx, payload FROM city_gallery_chunks`)
	if err != nil {
		return n, err
	}
	for rows.Next() {
		var c chunk
		if err := rows.Scan(&c.version, &c.idx, &c.payload); err != nil {
			rows.Close()
			return n, err
		}
		chunks = append(chunks, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return n, err
	}
	for _, c := range chunks {
		if _, err := tx.ExecContext(ctx, `UPDATE city_gallery_chunks SET payload = ? WHERE version = ? AND idx = ?`,
			s.seal.seal(c.payload, chunkAD(c.version, c.idx)...), c.version, c.idx); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// templateAD and chunkAD bind a sealed value to its row.
func templateAD(person, model string) []string { return []string{"templates", person, model} }

func chunkAD(version int64, idx int) []string {
	return []string{"city_gallery_chunks", fmt.Sprint(version), fmt.Sprint(idx)}
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
