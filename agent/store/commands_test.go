package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// A command taken before a restart is found again, with its result, and is
// forgotten only by the purge.
func TestCommandsSurviveRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "test.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1_800_000_000, 0)
	if prev, err := s.StartCommand(ctx, "c1", "open_door", t0); prev != nil || err != nil {
		t.Fatalf("StartCommand(c1) = %+v, %v, want nil, nil", prev, err)
	}
	if err := s.FinishCommand(ctx, "c1", []byte(`{"id":"c1","ok":true}`)); err != nil {
		t.Fatal(err)
	}
	if prev, err := s.StartCommand(ctx, "c2", "open_door", t0.Add(time.Hour)); prev != nil || err != nil {
		t.Fatalf("StartCommand(c2) = %+v, %v, want nil, nil", prev, err)
	}
	s.Close()

	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	prev, err := s.StartCommand(ctx, "c1", "open_door", t0.Add(time.Minute))
	if err != nil || prev == nil || string(prev.Result) != `{"id":"c1","ok":true}` || !prev.Received.Equal(t0) {
		t.Fatalf("StartCommand(c1) after a restart = %+v, %v, want its first record", prev, err)
	}
	// c2 never finished (the box stopped): still there, without a result.
	if prev, err := s.StartCommand(ctx, "c2", "open_door", t0.Add(2*time.Hour)); err != nil || prev == nil || prev.Result != nil {
		t.Fatalf("StartCommand(c2) again = %+v, %v, want its record without a result", prev, err)
	}
	if n, err := s.PurgeCommands(ctx, t0.Add(time.Minute)); n != 1 || err != nil {
		t.Fatalf("PurgeCommands() = %d, %v, want 1, nil", n, err)
	}
	if prev, err := s.StartCommand(ctx, "c1", "open_door", t0.Add(3*time.Hour)); prev != nil || err != nil {
		t.Fatalf("StartCommand(c1) after the purge = %+v, %v, want nil, nil (new)", prev, err)
	}
}
