package ingest_test

import (
	"testing"

	"github.com/roomgate/roomgate/deploy/city/ingest"
)

// BenchmarkDecode measures decoding and validating a batch of 500 events,
// the CPU ingest spends per message before the database.
func BenchmarkDecode(b *testing.B) {
	d := &device{name: "dev-a"}
	p, _ := d.batch(b, 500)
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		if _, _, err := ingest.Decode("dev-a", p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*500)/b.Elapsed().Seconds(), "events/s")
}
