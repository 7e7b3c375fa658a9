package sqlitestore_test

import (
	"context"
	"path/filepath"
	"testing"

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
