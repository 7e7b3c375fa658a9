// Package backoff spreads retries: exponential delays with full jitter.
package backoff

import "time"

// Delay returns the delay before retry n (0 for the first
// retry): uniform in [min, min(max, min·2^(n+1))). The spread is what keeps
// a fleet that lost its broker at the same moment from coming back in the
// same second; the floor keeps a box from hammering a server that refuses it.
// rnd returns a uniform value in [0, n).
func Delay(n int, lo, hi time.Duration, rnd func(n int64) int64) time.Duration {
	if hi <= lo {
		return lo
	}
	ceiling := hi
	if n < 62 {
		if c := lo << (n + 1); c > 0 && c < hi && c>>(n+1) == lo {
			ceiling = c
		}
	}
	return lo + time.Duration(rnd(int64(ceiling-lo)))
}
