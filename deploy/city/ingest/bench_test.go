package ingest_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/roomgate/roomgate/deploy/city/ingest/pgstore/pgstoretest"
	"github.com/roomgate/roomgate/deploy/city/ingest/sqlitestore"
	"github.com/roomgate/roomgate/deploy/city/ingest/storetest"
	"github.com/roomgate/roomgate/internal/mqtttest"
)

// BenchmarkDrain measures draining a backlog end to end: b.N batches of
// 500 events wait in ingest's session at the broker; ingest starts, and the
// clock stops when the device has every ack. Run it with a fixed count, as
// each run sets up a broker:
//
//	go test -run '^$' -bench Drain -benchtime 200x ./deploy/city/ingest/
func BenchmarkDrain(b *testing.B) {
	const perBatch = 500
	pg := pgstoretest.Start(b)
	for _, st := range []struct {
		name string
		open func(b *testing.B) storetest.Store
	}{
		{"postgres", func(b *testing.B) storetest.Store { return pg.Open(b) }},
		{"sqlite", func(b *testing.B) storetest.Store {
			s, err := sqlitestore.Open(context.Background(), filepath.Join(b.TempDir(), "city.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			return s
		}},
	} {
		b.Run(st.name, func(b *testing.B) {
			br := mqtttest.Start(b)
			s := st.open(b)
			devName, id := names()
			startIngest(b, br, s, id).stop()
			dev := newDevice(b, br, devName)
			for range b.N {
				p, _ := dev.batch(b, perBatch)
				dev.publish(b, p)
			}
			b.ResetTimer()
			in := startIngest(b, br, s, id)
			dev.acked(b, b.N*perBatch)
			b.StopTimer()
			b.ReportMetric(float64(b.N*perBatch)/b.Elapsed().Seconds(), "events/s")
			if n, err := s.Count(context.Background()); err != nil || n != int64(b.N*perBatch) {
				b.Errorf("Count() = %d, %v, want %d", n, err, b.N*perBatch)
			}
			if st := in.Stats(); st.Duplicates != 0 || st.StoreErrors != 0 {
				b.Errorf("Stats() = %+v, want no duplicates or errors", st)
			}
		})
	}
}
