package ingestmetrics

import (
	"context"
	"testing"
	"time"

	"github.com/roomgate/roomgate/deploy/city/ingest"
	"github.com/roomgate/roomgate/deploy/city/ingest/pgstore"
	"github.com/roomgate/roomgate/deploy/city/ingest/storetest"
	"github.com/roomgate/roomgate/internal/metricstest"
	"github.com/roomgate/roomgate/internal/pgtest"
)

// Batches stored in a real PostgreSQL are counted by the type of the rows
// it really inserted: a resend that overlaps counts only the new ones.
func TestCountsWhatPostgreSQLStored(t *testing.T) {
	ctx := context.Background()
	db, err := pgstore.Open(ctx, pgtest.Start(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	m := New(nil)
	save := func(b ingest.Batch) {
		start := time.Now()
		s, err := db.Save(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		m.Committed(b, s, time.Since(start))
	}
	first := storetest.Batch("dev-a", 0, 3)
	first.Events[2].Type = "vn.roomgate.door.v1"
	save(first)
	overlap := storetest.Batch("dev-a", 1, 5) // events 1 and 2 again, 3 and 4 new
	overlap.Events[1].Type = "vn.roomgate.door.v1"
	save(overlap)
	save(ingest.Batch{Device: "dev-b", Events: []ingest.Event{storetest.Event("dev-b", 0)}})
	bad := storetest.Batch("dev-b", 1, 2)
	bad.Events[0].Type = "vn.city.made-up.v9"
	save(bad)

	f := metricstest.Gather(t, m.Gatherer())
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"roomgate_city_events_stored_total", []string{"type=vn.roomgate.entry.v1"}, 5},
		{"roomgate_city_events_stored_total", []string{"type=vn.roomgate.door.v1"}, 1},
		{"roomgate_city_events_stored_total", []string{"type=other"}, 1},
		{"roomgate_city_events_duplicate_total", nil, 2},
		{"roomgate_city_batch_commit_seconds", nil, 4},
	} {
		if got, ok := f.Value(c.name, c.labels...); !ok || got != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	for _, dev := range []string{"dev-a", "dev-b"} {
		if lag, ok := f.Value("roomgate_city_device_lag_seconds", "device="+dev); !ok || lag <= 0 {
			t.Errorf("lag of %s = %v (present %v), want the age of its newest event", dev, lag, ok)
		}
	}
}
