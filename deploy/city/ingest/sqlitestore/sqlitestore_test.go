package sqlitestore_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/deploy/city/ingest"
	"github.com/roomgate/roomgate/deploy/city/ingest/sqlitestore"
	"github.com/roomgate/roomgate/deploy/city/ingest/storetest"
)

func open(t *testing.T, path string) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open(%s) = %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSuite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		return open(t, filepath.Join(t.TempDir(), "city.db"))
	})
}

// TestReopen checks that events survive closing the file and that opening
// again does not re-run migrations.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "city.db")
	s, err := sqlitestore.Open(ctx, path)
	if err != nil {
		t.Fatalf("Open(%s) = %v", path, err)
	}
	if _, err := s.Save(ctx, storetest.Batch("dev-a", 0, 3)); err != nil {
		t.Fatalf("Save = %v", err)
	}
	s.Close()
	s = open(t, path)
	if n, err := s.Count(ctx); err != nil || n != 3 {
		t.Errorf("Count() after reopening = %d, %v, want 3", n, err)
	}
}

// TestMigrateTimes opens a database written before migration 2, whose
// times have trailing zeros trimmed, and checks they come back padded so
// that listings sort by time.
func TestMigrateTimes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "city.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	schema, err := os.ReadFile("migrations/0001_events.sql")
	if err != nil {
		t.Fatal(err)
	}
	old := []string{"2026-03-02T08:00:00Z", "2026-03-02T08:00:00.5Z", "2026-03-02T08:00:00.50001Z", "2026-03-02T08:00:00.123456789Z"}
	stmts := []string{string(schema),
		`CREATE TABLE ingest_migrations (version INTEGER PRIMARY KEY, applied_ns INTEGER NOT NULL)`,
		`INSERT INTO ingest_migrations VALUES (1, 0)`}
	for i, at := range old {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO events VALUES ('roomgate://hq/dev-a', 'e%d', 'vn.roomgate.entry.v1', '%s', 'dev-a', '{}', 0)`, i, at))
	}
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	es, err := open(t, path).Latest(ctx, ingest.Filter{Limit: 10})
	if err != nil {
		t.Fatalf("Latest = %v", err)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.ID+" "+e.Time.UTC().Format(time.RFC3339Nano))
	}
	want := []string{"e2 " + old[2], "e1 " + old[1], "e3 " + old[3], "e0 " + old[0]}
	if !slices.Equal(got, want) {
		t.Errorf("Latest after migrating = %v, want %v", got, want)
	}
}

// A database from before use counts were shared learns its sites' boxes
// from the events it holds.
func TestMigrateSiteDevices(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "city.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	schema, err := os.ReadFile("migrations/0001_events.sql")
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{string(schema),
		`CREATE TABLE ingest_migrations (version INTEGER PRIMARY KEY, applied_ns INTEGER NOT NULL)`,
		`INSERT INTO ingest_migrations VALUES (1, 0)`}
	for i, src := range []string{"roomgate://hq/dev-a", "roomgate://hq/dev-b", "roomgate://hq/dev-a", "roomgate://annex/dev-x"} {
		_, dev, _ := strings.Cut(strings.TrimPrefix(src, "roomgate://"), "/")
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO events VALUES ('%s', 'e%d', 'vn.roomgate.entry.v1', '2026-03-02T08:00:00.000000000Z', '%s',
			'{"method":"pass","decision":"granted","pass_id":"P-1"}', 0)`, src, i, dev))
	}
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s := open(t, path)
	for _, c := range []struct {
		site    string
		uses    int
		devices []string
	}{{"hq", 3, []string{"dev-a", "dev-b"}}, {"annex", 1, []string{"dev-x"}}} {
		n, devices, err := s.PassUses(ctx, c.site, "P-1")
		if err != nil || n != c.uses || !slices.Equal(devices, c.devices) {
			t.Errorf("PassUses(%s, P-1) after migrating = %d, %q, %v, want %d, %q", c.site, n, devices, err, c.uses, c.devices)
		}
	}
}
