package schedule

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/agent/wire"
)

func newRoom(t *testing.T) (*Room, *store.Store) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "roomgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := New(st, slog.New(slog.DiscardHandler), nil)
	if err := r.Load(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	return r, st
}

func oneMeeting(version int64) wire.Schedule {
	now := time.Now()
	return wire.Schedule{Version: version, Meetings: []wire.Meeting{{
		ID: "m-1", Title: "Giao ban", Start: now, End: now.Add(time.Hour), CheckInOpens: now.Add(-30 * time.Minute), CheckInCloses: now.Add(50 * time.Minute),
		Invitees: []wire.Invitee{{Person: "P-an", Name: "Nguyễn Văn An"}},
	}}}
}

func TestApplyRefusesAnOlderSchedule(t *testing.T) {
	r, st := newRoom(t)
	ctx := context.Background()
	changed := 0
	r.onChange = func() { changed++ }
	if err := r.Apply(ctx, oneMeeting(2)); err != nil {
		t.Fatal(err)
	}
	if err := r.Apply(ctx, oneMeeting(1)); err == nil {
		t.Fatal("an older schedule replaced a newer one")
	}
	got, source, _ := st.Schedule(ctx)
	if got.Version != 2 || source != "city" || r.Current().Version != 2 || changed != 1 {
		t.Fatalf("schedule in store v%d from %s, in force v%d, %d changes; want v2 from the city, one change", got.Version, source, r.Current().Version, changed)
	}
}

func TestBrokenScheduleFileKeepsTheStoredOne(t *testing.T) {
	r, st := newRoom(t)
	if err := r.Apply(context.Background(), oneMeeting(1)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, content := range map[string]string{"garbage.json": `{"version": 2, "meetings": [{"id": ""}]}`, "missing.json": ""} {
		if content != "" {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		// The city's schedule is never replaced by a file; a box that only
		// had a file keeps what it stored.
		if err := st.ReplaceSchedule(context.Background(), r.Current(), "file"); err != nil {
			t.Fatal(err)
		}
		if err := r.Load(context.Background(), filepath.Join(dir, name)); err != nil {
			t.Fatalf("%s: %v; want the box to start", name, err)
		}
		if got := r.Current(); got.Version != 1 || got.Find("m-1") == nil {
			t.Fatalf("%s: schedule %+v, want the stored v1", name, got)
		}
	}
}
