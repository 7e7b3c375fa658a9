// Package renew keeps a provisioned box's certificate alive: it renews it
// (simplereenroll) two thirds into its life, and retries with jittered
// backoff while the city cannot be reached, so the box is never left with
// an expired certificate while the city is there to renew it.
package renew

import (
	"context"
	"crypto/x509"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/roomgate/roomgate/internal/backoff"
)

// Due is when cert is renewed: two thirds into its life, which leaves a
// third (four months of a year's certificate) for a box that is offline.
func Due(cert *x509.Certificate) time.Time {
	life := cert.NotAfter.Sub(cert.NotBefore)
	return cert.NotBefore.Add(life / 3 * 2)
}

// Retry bounds of a failed renewal: a box keeps trying, spread out so a
// fleet provisioned on one morning does not come back in one second.
const (
	RetryMin = time.Minute
	RetryMax = time.Hour
)

// Loop renews one box's certificate whenever it falls due.
type Loop struct {
	// Current reads the certificate the box presents now.
	Current func() (*x509.Certificate, error)
	// Renew renews it once (a new key, simplereenroll, checks, an atomic
	// swap of the files) and logs the new certificate.
	Renew func(ctx context.Context) error
	Log   *slog.Logger
	// For tests; time.Now, time.After and rand.Int64N when nil.
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
	Rand  func(int64) int64
}

// Run renews until ctx ends.
func (l *Loop) Run(ctx context.Context) {
	now, after, rnd := l.Now, l.After, l.Rand
	if now == nil {
		now = time.Now
	}
	if after == nil {
		after = time.After
	}
	if rnd == nil {
		rnd = rand.Int64N
	}
	failures, scheduled, renewed := 0, time.Time{}, false
	for {
		var wait time.Duration
		cert, err := l.Current()
		switch {
		case err != nil:
			l.Log.Error("the box's certificate cannot be read; it is not renewed", "component", "renew", "err", err)
			wait = backoff.Delay(failures, RetryMin, RetryMax, rnd)
			failures++
		case now().Before(Due(cert)) || renewed:
			// Waits are cut at RetryMax: the wall clock may be set (NTP at
			// boot) while a months-long timer runs on the monotonic one.
			wait = min(max(Due(cert).Sub(now()), time.Second), RetryMax)
			if renewed {
				wait = max(wait, RetryMin)
			}
			if due := Due(cert); !due.Equal(scheduled) {
				scheduled = due
				l.Log.Info("certificate renewal scheduled", "component", "renew", "at", due.UTC().Format(time.RFC3339), "expires", cert.NotAfter.UTC().Format(time.RFC3339))
			}
			renewed = false
		default:
			if err := l.Renew(ctx); err != nil {
				if ctx.Err() != nil {
					return
				}
				wait = backoff.Delay(failures, RetryMin, RetryMax, rnd)
				failures++
				l.Log.Warn("certificate renewal failed; trying again", "component", "renew", "in", wait.Round(time.Second), "expires", cert.NotAfter.UTC().Format(time.RFC3339), "err", err)
				break
			}
			// A new certificate that is itself due (a city issuing short
			// ones, a clock far ahead) waits RetryMin rather than spinning.
			failures, renewed = 0, true
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-after(wait):
		}
	}
}
