package retention

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/store"
)

const day = 24 * time.Hour

var rules = store.Retention{Entries: 90 * day, Attendance: 90 * day, DoorEvents: 90 * day, Actions: 90 * day, Uses: 400 * day, Staging: 7 * day}

// oldEntries keeps two entries of 100 days ago, one acknowledged by the city.
func oldEntries(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "roomgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	at := time.Now().Add(-100 * day)
	for _, id := range []string{"acked", "waiting"} {
		if err := st.AddEntry(ctx, store.Entry{ID: id, At: at, Method: "pass"}, store.Event{ID: id, Type: "t", Time: at, Payload: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Ack(ctx, []string{"acked"}); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestPurgeOnAFakeClock(t *testing.T) {
	st := oldEntries(t)
	var logs bytes.Buffer
	p := New(st, rules, slog.New(slog.NewTextHandler(&logs, nil)))
	// The city acknowledged "acked" just now: 91 days on it may go.
	now := time.Now().Add(91 * day)
	p.Now = func() time.Time { return now }
	r := p.Purge(context.Background())
	if r.Err != "" || r.Deleted["entries"] != 1 || !r.At.Equal(now) {
		t.Errorf("Purge() = %+v, want 1 entry deleted at the fake clock's time", r)
	}
	if got := p.Last(); !got.At.Equal(now) || got.Deleted["entries"] != 1 {
		t.Errorf("Last() = %+v, want the purge just run", got)
	}
	ids, err := st.EntryIDs(context.Background())
	if err != nil || len(ids) != 1 || !ids["waiting"] {
		t.Errorf("entries left = %v, %v, want the unacknowledged one", ids, err)
	}
	if !strings.Contains(logs.String(), `msg="purge done" component=retention actions=0`) || !strings.Contains(logs.String(), "entries=1") {
		t.Errorf("log = %q, want the counts per table", logs.String())
	}
}

func TestRunPurgesAtStartAndThenAgain(t *testing.T) {
	st := oldEntries(t)
	p := New(st, rules, slog.New(slog.DiscardHandler))
	var calls atomic.Int32
	p.Now = func() time.Time { return time.Now().Add(time.Duration(calls.Add(1)) * 91 * day) }
	p.Every = 20 * time.Millisecond
	purged := make(chan Result, 1)
	p.OnPurged = func(r Result) { purged <- r }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	select {
	case r := <-purged:
		if r.Deleted["entries"] != 1 {
			t.Errorf("first purge = %+v, want the acknowledged entry", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not purge at start")
	}
	deadline := time.Now().Add(10 * time.Second)
	for calls.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if n := calls.Load(); n < 3 {
		t.Errorf("Run purged %d times in 10 s every 20 ms, want it to go on", n)
	}
}
