package store

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestQuickCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roomgate.db")
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if got, err := st.QuickCheck(ctx); err != nil || !slices.Equal(got, []string{"ok"}) {
		t.Errorf("QuickCheck = %v, %v; want [ok]", got, err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if got, err := QuickCheckFile(ctx, path); err != nil || !slices.Equal(got, []string{"ok"}) {
		t.Errorf("QuickCheckFile = %v, %v; want [ok]", got, err)
	}
	// A damaged page: the store's file with garbage over its second page.
	data, err := os.ReadFile(path)
	if err != nil || len(data) < 3*4096 {
		t.Fatalf("read store: %d bytes, %v", len(data), err)
	}
	for i := 4096; i < 2*4096; i++ {
		data[i] = 0xA5
	}
	bad := filepath.Join(t.TempDir(), "bad.db")
	if err := os.WriteFile(bad, data, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := QuickCheckFile(ctx, bad)
	if err == nil && slices.Equal(got, []string{"ok"}) {
		t.Errorf("QuickCheckFile(damaged) = %v, want problems or an error", got)
	}
	if _, err := QuickCheckFile(ctx, filepath.Join(t.TempDir(), "absent.db")); err == nil {
		t.Error("QuickCheckFile(absent) = nil error; read-only must not make a store")
	}
}
