package terminaltest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/roomgate/roomgate/devices/terminal"
)

// waitTimeout bounds every wait: a terminal that never does what the test
// waits for fails it rather than hanging it.
const waitTimeout = 10 * time.Second

// Recorder keeps what a terminal reports: pass Emit to Run, OnHealth and
// OnUnknown to the Driver's fields of those names.
type Recorder struct {
	mu      sync.Mutex
	events  []terminal.Event
	health  []terminal.Health
	unknown []string
	changed chan struct{} // has a value after any change a waiter has not seen
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder { return &Recorder{changed: make(chan struct{}, 1)} }

// Emit records a call change.
func (r *Recorder) Emit(e terminal.Event) { r.record(func() { r.events = append(r.events, e) }) }

// OnHealth records a change of the link.
func (r *Recorder) OnHealth(h terminal.Health) { r.record(func() { r.health = append(r.health, h) }) }

// OnUnknown records the kind of an unknown line.
func (r *Recorder) OnUnknown(kind, _ string) {
	r.record(func() { r.unknown = append(r.unknown, kind) })
}

func (r *Recorder) record(f func()) {
	r.mu.Lock()
	f()
	r.mu.Unlock()
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// Events returns the call changes so far.
func (r *Recorder) Events() []terminal.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// Unknown returns the kinds of unknown line so far.
func (r *Recorder) Unknown() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.unknown)
}

// WaitEvent waits for an event that match accepts and returns it; the
// test fails if none comes.
func (r *Recorder) WaitEvent(t testing.TB, what string, match func(terminal.Event) bool) terminal.Event {
	t.Helper()
	var found terminal.Event
	r.wait(t, what, func() bool {
		i := slices.IndexFunc(r.events, match)
		if i >= 0 {
			found = r.events[i]
		}
		return i >= 0
	})
	return found
}

// WaitHealth waits until the last health report satisfies ok.
func (r *Recorder) WaitHealth(t testing.TB, what string, ok func(terminal.Health) bool) terminal.Health {
	t.Helper()
	var last terminal.Health
	r.wait(t, what, func() bool {
		if len(r.health) == 0 {
			return false
		}
		last = r.health[len(r.health)-1]
		return ok(last)
	})
	return last
}

// WaitUnknown waits until n kinds of unknown line were reported.
func (r *Recorder) WaitUnknown(t testing.TB, n int) {
	t.Helper()
	r.wait(t, "unknown lines", func() bool { return len(r.unknown) >= n })
}

// wait checks cond, with r.mu held, after every change until it holds.
func (r *Recorder) wait(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		r.mu.Lock()
		ok := cond()
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.changed:
		case <-deadline:
			r.mu.Lock()
			defer r.mu.Unlock()
			t.Fatalf("waited %v for %s; events %+v, health %+v, unknown %v", waitTimeout, what, r.events, r.health, r.unknown)
		}
	}
}

// Call matches an event of call id (any id if "") in state st.
func Call(id string, st terminal.State) func(terminal.Event) bool {
	return func(e terminal.Event) bool { return (id == "" || e.Call.ID == id) && e.Call.State == st }
}

// Connected matches a health report whose link is up (or down).
func Connected(up bool) func(terminal.Health) bool {
	return func(h terminal.Health) bool { return h.Connected == up }
}
