package gallery

import (
	"errors"
	"runtime"
	"testing"
	"time"
)

// settledMapping collects galleries no longer reachable and waits for their
// matrices to be unmapped; it returns what is still mapped.
func settledMapping(t *testing.T) int64 {
	t.Helper()
	last := int64(-1)
	for range 200 {
		runtime.GC()
		time.Sleep(5 * time.Millisecond) // cleanups run in a goroutine of their own
		if n := mappedBytes.Load(); n == last {
			return n
		}
		last = mappedBytes.Load()
	}
	t.Fatalf("the mapping did not settle: %d bytes", last)
	return 0
}

// A gallery's matrix stays mapped while the gallery is in use, is unmapped
// once it is not, and a build that fails leaves nothing mapped.
func TestMatrixUnmapped(t *testing.T) {
	base := settledMapping(t)
	w := newWorld(5, 128, 600)
	ts := w.templates(2)
	var s Set
	for i := range 10 {
		// No row count: the matrix grows as the rows come, then fits them.
		g, err := Build(Config{Model: testModel, Dim: 128, Precision: Precision(i % 2)}, slice(ts))
		if err != nil {
			t.Fatal(err)
		}
		s.Store(g)
		runtime.GC() // the galleries swapped out may be unmapped meanwhile
		if m, err := s.Load().Top(testModel, w.sample(17), 1); err != nil || m[0].Person != personID(17) {
			t.Fatalf("Top = %v, %v, want %s", m, err, personID(17))
		}
	}
	rows := (len(ts) + tileRows - 1) / tileRows * tileRows
	if got, want := settledMapping(t)-base, int64(rows*128); got != want { // the last is int8
		t.Errorf("one int8 gallery of %d rows in use: %d bytes mapped, want %d", len(ts), got, want)
	}
	s.Store(nil)
	if got := settledMapping(t); got != base {
		t.Errorf("no gallery in use: %d bytes mapped, want %d", got, base)
	}

	broken := errors.New("the store went away")
	for _, prec := range []Precision{Float32, Int8} {
		failing := func(yield func(Template, error) bool) {
			for i, tpl := range ts {
				if i == 700 {
					yield(Template{}, broken)
					return
				}
				if !yield(tpl, nil) {
					return
				}
			}
		}
		if _, err := Build(Config{Model: testModel, Dim: 128, Precision: prec, Rows: len(ts)}, failing); !errors.Is(err, broken) {
			t.Fatalf("%v: Build = %v, want %v", prec, err, broken)
		}
		if got := mappedBytes.Load(); got != base {
			t.Errorf("%v: after a failed build %d bytes mapped, want %d", prec, got, base)
		}
	}
}
