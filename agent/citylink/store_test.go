package citylink

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/event"
	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/internal/mqtttest"
)

// backlog opens a store in a new directory holding n events of about 500
// bytes, written in one transaction (the gate writes them one by one; a
// backlog is what a box that was offline has to drain).
func backlog(t testing.TB, n int) (*store.Store, map[string]bool) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "roomgate.db")
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	ins, err := tx.Prepare(`INSERT INTO outbox(id, type, created_ns, payload) VALUES (?, ?, ?, ?)`)
	if err != nil {
		t.Fatal(err)
	}
	ids := make(map[string]bool, n)
	data := map[string]any{"gate": "main-entrance", "scanner": "front", "method": "pass", "granted": true,
		"pass_id": "p-0192d1c2", "subject": "visitor-42", "name": strings.Repeat("Nguyễn Văn A ", 4), "host": "Office of the Mayor"}
	for range n {
		env, payload, err := event.New(event.Source(testSite, testDevice), event.TypeEntry, time.Now(), data)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ins.Exec(env.ID, env.Type, env.Time.UnixNano(), payload); err != nil {
			t.Fatal(err)
		}
		ids[env.ID] = true
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return st, ids
}

func TestDrainsTheStore(t *testing.T) {
	b := mqtttest.Start(t)
	city := startCity(t, b, 0)
	st, want := backlog(t, 5000)
	l, _ := runLink(t, b, Settings{BatchEvents: 200, Window: 8}, st, nil)
	eventually(t, 30*time.Second, "every event acked", func() bool { return l.Status().Acked == 5000 })
	city.check(t, want)
	stats, err := st.Outbox(context.Background())
	if err != nil || stats.Pending != 0 {
		t.Errorf("Outbox() = %+v, %v, want nothing pending", stats, err)
	}
}

// BenchmarkDrain measures how fast a backlog reaches a city that acks
// everything, end to end: SQLite, TLS to a local Mosquitto, the city's
// decoding and ack, the store's ack. The city runs in the same process, on
// the same two cores: "strict" decodes and validates every event with
// package wire, "lean" only reads the ids, as a city on its own machine
// would cost the box nothing.
func BenchmarkDrain(b *testing.B) {
	const n = 50_000
	broker := mqtttest.Start(b)
	city := startCity(b, broker, 0)
	for _, strict := range []bool{true, false} {
		for _, c := range []struct{ batch, window int }{{100, 8}, {500, 8}, {500, 32}, {1000, 32}} {
			name := fmt.Sprintf("city=lean/batch=%d/window=%d", c.batch, c.window)
			if strict {
				name = fmt.Sprintf("city=strict/batch=%d/window=%d", c.batch, c.window)
			}
			b.Run(name, func(b *testing.B) {
				city.lean.Store(!strict)
				var total time.Duration
				for range b.N {
					b.StopTimer()
					st, _ := backlog(b, n)
					log, _ := testLog(b)
					b.StartTimer()
					start := time.Now()
					l, stop := runLink(b, broker, Settings{BatchEvents: c.batch, BatchBytes: 1 << 20, Window: c.window, Log: log}, st, nil)
					eventually(b, 2*time.Minute, "backlog drained", func() bool { return l.Status().Acked == n })
					total += time.Since(start)
					b.StopTimer()
					stop()
					b.StartTimer()
				}
				b.ReportMetric(float64(n*b.N)/total.Seconds(), "events/s")
			})
		}
	}
}
