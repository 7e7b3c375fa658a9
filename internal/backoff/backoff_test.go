package backoff

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	const lo, hi = time.Second, 2 * time.Minute
	for n := range 70 {
		top := Delay(n, lo, hi, func(k int64) int64 { return k - 1 })
		bottom := Delay(n, lo, hi, func(int64) int64 { return 0 })
		ceiling := min(hi, lo<<min(n+1, 20))
		if bottom != lo || top != ceiling-1 {
			t.Errorf("Delay(%d) spans [%v, %v], want [%v, %v)", n, bottom, top, lo, ceiling)
		}
	}
	// Real jitter: a fleet's delays spread over the range.
	seen := map[time.Duration]bool{}
	for range 1000 {
		d := Delay(10, lo, hi, rand.Int64N)
		if d < lo || d >= hi {
			t.Fatalf("Delay(10) = %v, want in [%v, %v)", d, lo, hi)
		}
		seen[d.Truncate(time.Second)] = true
	}
	if len(seen) < 60 {
		t.Errorf("1000 delays fell in only %d distinct seconds of 120", len(seen))
	}
	if d := Delay(3, lo, lo, rand.Int64N); d != lo {
		t.Errorf("backoff with min = max = %v gave %v", lo, d)
	}
}
