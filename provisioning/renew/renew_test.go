package renew

import (
	"context"
	"crypto/x509"
	"errors"
	"log/slog"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)

func certFor(from time.Time, life time.Duration) *x509.Certificate {
	return &x509.Certificate{NotBefore: from, NotAfter: from.Add(life)}
}

func TestDue(t *testing.T) {
	c := certFor(t0, 300*24*time.Hour)
	if got, want := Due(c), t0.Add(200*24*time.Hour); !got.Equal(want) {
		t.Errorf("Due = %v, want %v (two thirds of the life)", got, want)
	}
}

// fakeTime runs the loop on a clock that jumps by each wait it is asked for.
type fakeTime struct {
	now   time.Time
	waits []time.Duration
}

func (f *fakeTime) Now() time.Time { return f.now }

func (f *fakeTime) After(d time.Duration) <-chan time.Time {
	f.waits = append(f.waits, d)
	f.now = f.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- f.now
	return ch
}

// The certificate is renewed once two thirds of its life have passed, not
// before; a failed renewal is retried with growing jittered waits, and the
// renewed certificate is renewed in its turn when it falls due.
func TestLoopRenewsWhenDueAndRetries(t *testing.T) {
	const life = 90 * 24 * time.Hour
	clk := &fakeTime{now: t0.Add(24 * time.Hour)}
	current := certFor(t0, life)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var renewedAt []time.Time
	failuresLeft := 3
	var failedWaits int
	l := &Loop{
		Current: func() (*x509.Certificate, error) { return current, nil },
		Renew: func(context.Context) error {
			if clk.now.Before(Due(current)) {
				t.Fatalf("renewed at %v, before the due time %v", clk.now, Due(current))
			}
			if failuresLeft > 0 {
				failuresLeft--
				failedWaits = len(clk.waits)
				return errors.New("the city is unreachable")
			}
			renewedAt = append(renewedAt, clk.now)
			current = certFor(clk.now, life)
			if len(renewedAt) == 2 {
				cancel()
			}
			return nil
		},
		Log: slog.New(slog.DiscardHandler), Now: clk.Now, After: clk.After,
		Rand: func(n int64) int64 { return n - 1 },
	}
	l.Run(ctx)
	if len(renewedAt) != 2 {
		t.Fatalf("renewed %d times, want 2", len(renewedAt))
	}
	first := renewedAt[0].Sub(Due(certFor(t0, life)))
	// Three failures wait at most 2, 4 and 8 minutes (the top of each range here).
	if first < 0 || first > 15*time.Minute {
		t.Errorf("first renewal %v after it fell due, want within the three retries' waits", first)
	}
	retries := clk.waits[failedWaits-2 : failedWaits+1]
	for i, w := range retries {
		if w < RetryMin || w > RetryMax {
			t.Errorf("retry wait %d = %v, want within [%v, %v]", i, w, RetryMin, RetryMax)
		}
	}
	if gap := renewedAt[1].Sub(renewedAt[0]); gap < life/3*2 || gap > life/3*2+RetryMax {
		t.Errorf("second renewal %v after the first, want two thirds of the new life (%v)", gap, life/3*2)
	}
	for _, w := range clk.waits {
		if w > RetryMax {
			t.Fatalf("a wait of %v: waits are cut at %v so a clock set meanwhile is noticed", w, RetryMax)
		}
	}
}

// An unreadable certificate is logged and read again later, never renewed
// blindly.
func TestLoopUnreadableCertificate(t *testing.T) {
	clk := &fakeTime{now: t0}
	reads := 0
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l := &Loop{
		Current: func() (*x509.Certificate, error) {
			reads++
			if reads >= 3 {
				cancel()
			}
			return nil, errors.New("device.pem: no such file")
		},
		Renew: func(context.Context) error { t.Fatal("renewed a certificate it could not read"); return nil },
		Log:   slog.New(slog.DiscardHandler), Now: clk.Now, After: clk.After,
		Rand: func(int64) int64 { return 0 },
	}
	l.Run(ctx)
	if reads < 3 || len(clk.waits) < 2 || clk.waits[0] != RetryMin {
		t.Errorf("reads %d, waits %v; want retries from %v", reads, clk.waits, RetryMin)
	}
}
