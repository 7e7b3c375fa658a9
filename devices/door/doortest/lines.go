package doortest

import (
	"errors"
	"sync"
	"time"

	"github.com/roomgate/roomgate/devices/door"
	config "github.com/roomgate/roomgate/firmware-config"
)

// ErrClosed is returned by Set after Close.
var ErrClosed = errors.New("doortest: lines closed")

// Change is one change of an output's logical value.
type Change struct {
	Role config.Role
	On   bool
	At   time.Time
}

// Lines is a fake door.Lines. The zero value is ready: every line starts off.
// Set OnSet and OnInput before the Lines are in use.
type Lines struct {
	// OnSet, if set, is called after every successful Set, outside the lock
	// (a benchmark uses it to timestamp the relay).
	OnSet func(role config.Role, on bool)
	// OnInput receives what Drive simulates, e.g. door.Controller.Input.
	OnInput func(role config.Role, on bool, at time.Time)

	mu      sync.Mutex
	values  map[config.Role]bool
	changes []Change
	fail    map[config.Role]error
	closed  bool
}

// Set sets a line's logical value and records the change, if it is one.
func (l *Lines) Set(role config.Role, on bool) error {
	l.mu.Lock()
	if err := l.fail[role]; err != nil {
		l.mu.Unlock()
		return err
	}
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	if l.values == nil {
		l.values = map[config.Role]bool{}
	}
	if l.values[role] != on {
		l.values[role] = on
		l.changes = append(l.changes, Change{Role: role, On: on, At: time.Now()})
	}
	hook := l.OnSet
	l.mu.Unlock()
	if hook != nil {
		hook(role, on)
	}
	return nil
}

// Close marks the lines closed; later Sets fail.
func (l *Lines) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	return nil
}

// Closed reports whether Close was called.
func (l *Lines) Closed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// Value returns a line's logical value.
func (l *Lines) Value(role config.Role) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.values[role]
}

// Changes returns the outputs' changes so far, oldest first.
func (l *Lines) Changes() []Change {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Change(nil), l.changes...)
}

// Fail makes every later Set of role return err; a nil err heals the line.
func (l *Lines) Fail(role config.Role, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail == nil {
		l.fail = map[config.Role]error{}
	}
	l.fail[role] = err
}

// Drive simulates an input changing to on: it sets the value and calls
// OnInput, as the GPIO driver does on an edge.
func (l *Lines) Drive(role config.Role, on bool) {
	l.mu.Lock()
	if l.values == nil {
		l.values = map[config.Role]bool{}
	}
	l.values[role] = on
	f := l.OnInput
	l.mu.Unlock()
	if f != nil {
		f(role, on, time.Now())
	}
}

var _ door.Lines = (*Lines)(nil)

// String names the fake, for logs and the status page.
func (l *Lines) String() string { return "sim door lines" }
