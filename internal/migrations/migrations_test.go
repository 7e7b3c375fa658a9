package migrations

import (
	"errors"
	"testing"
	"testing/fstest"
)

func TestAfter(t *testing.T) {
	fsys := fstest.MapFS{
		"migrations/0002_b.sql": {Data: []byte("B")},
		"migrations/0001_a.sql": {Data: []byte("A")},
		"migrations/0010_c.sql": {Data: []byte("C")},
		"migrations/README":     {Data: []byte("not a migration")},
	}
	got, err := After(fsys, 1)
	if err != nil || len(got) != 2 || got[0].Version != 2 || got[0].SQL != "B" || got[1].Version != 10 || got[1].Name != "migrations/0010_c.sql" {
		t.Errorf("After(1) = %+v, %v, want 2 then 10", got, err)
	}
	if got, err := After(fsys, 10); err != nil || len(got) != 0 {
		t.Errorf("After(10) = %+v, %v, want none", got, err)
	}
	if _, err := After(fsys, 11); !errors.Is(err, ErrNewer) {
		t.Errorf("After(11) = %v, want ErrNewer", err)
	}
	fsys["migrations/x_bad.sql"] = &fstest.MapFile{Data: []byte("X")}
	if _, err := After(fsys, 0); err == nil {
		t.Error("After accepted a migration without a number")
	}
}
