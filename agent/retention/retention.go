package retention

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/roomgate/roomgate/agent/store"
)

// Store is what a purge needs of the box's store.
type Store interface {
	Purge(ctx context.Context, now time.Time, r store.Retention) (store.Purged, error)
}

// Result is what a purge did.
type Result struct {
	At      time.Time    // when it ran; zero before the first
	Deleted store.Purged // rows removed, by table
	Err     string       // why it stopped, when it did
}

// Purger runs the purge. Now, Every and OnPurged may be set before Run.
type Purger struct {
	st    Store
	rules store.Retention
	log   *slog.Logger

	Now      func() time.Time // the clock; time.Now when nil
	Every    time.Duration    // between purges; a day when zero
	OnPurged func(Result)     // told after each purge that removed something

	mu   sync.Mutex
	last Result
}

// New returns a purger of st's records under rules.
func New(st Store, rules store.Retention, log *slog.Logger) *Purger {
	return &Purger{st: st, rules: rules, log: log}
}

// Run purges at once and then every day until ctx ends.
func (p *Purger) Run(ctx context.Context) {
	every := p.Every
	if every <= 0 {
		every = 24 * time.Hour
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		p.Purge(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Purge runs one purge, logs and keeps what it did.
func (p *Purger) Purge(ctx context.Context) Result {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	at := now()
	deleted, err := p.st.Purge(ctx, at, p.rules)
	r := Result{At: at, Deleted: deleted}
	total := 0
	args := []any{"component", "retention"}
	for _, table := range slices.Sorted(maps.Keys(deleted)) {
		total += deleted[table]
		args = append(args, table, deleted[table])
	}
	if err != nil {
		if ctx.Err() != nil {
			return r // stopping: not a failure worth keeping
		}
		r.Err = err.Error()
		p.log.Error("purge stopped; it runs again tomorrow", append(args, "err", err)...)
	} else {
		p.log.Info("purge done", append(args, "total", total)...)
	}
	p.mu.Lock()
	p.last = r
	p.mu.Unlock()
	if total > 0 && p.OnPurged != nil {
		p.OnPurged(r)
	}
	return r
}

// Last is the last purge's result.
func (p *Purger) Last() Result {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last
}
