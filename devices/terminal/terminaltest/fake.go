package terminaltest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/roomgate/roomgate/devices/terminal"
)

// ErrUnplugged is the LastError a fake reports after SetConnected(false).
var ErrUnplugged = errors.New("terminaltest: unplugged")

// Command is what the fake was asked to do: Op is wake, dial or hang up;
// Target is set for dial.
type Command struct {
	Op     string
	Target terminal.Target
}

// Fake is a terminal driven by the test. Its state is plain fields behind a
// mutex; the zero value is ready, and connected while Run runs.
//
// A dial makes a call in state dialling that stays so until Answer, Fail
// or HangUp. Events are passed to Run's emit func in the goroutine that
// caused them, before the call returns, so a test can check their effect
// right after.
type Fake struct {
	// Name and OnHealth are set before Run. OnHealth, if set, is called
	// after every change of the link, as the Driver does.
	Name     string
	OnHealth func(terminal.Health)

	reportMu  sync.Mutex // keeps health reports in the order of the changes
	mu        sync.Mutex
	running   bool
	unplugged bool
	since     time.Time
	emit      func(terminal.Event)
	calls     []terminal.Call // live, in the order they began
	nextID    int
	refuse    map[string]string // dial string ("" any) → the terminal's words
	commands  []Command
}

var _ terminal.Terminal = (*Fake)(nil)

// Run keeps the fake connected and passes call changes to emit until ctx
// is done, then returns nil.
func (f *Fake) Run(ctx context.Context, emit func(terminal.Event)) error {
	f.setHealth(func() { f.running, f.emit = true, emit })
	<-ctx.Done()
	f.setHealth(func() { f.running, f.emit = false, nil })
	return nil
}

// SetConnected plays an unplug (false) or a replug (true). Calls are kept:
// the terminal's calls do not end when its control port goes.
func (f *Fake) SetConnected(connected bool) {
	f.setHealth(func() { f.unplugged = !connected })
}

// RefuseDial makes every dial of number ("" for any) fail with the
// terminal's words, until RefuseDial(number, "").
func (f *Fake) RefuseDial(number, words string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refuse == nil {
		f.refuse = map[string]string{}
	}
	if words == "" {
		delete(f.refuse, number)
	} else {
		f.refuse[number] = words
	}
}

// Answer connects every call that is dialling.
func (f *Fake) Answer() {
	f.change(func(c *terminal.Call) bool {
		if c.State != terminal.Dialling {
			return false
		}
		c.State = terminal.Connected
		return true
	})
}

// Fail ends every call that is dialling as failed, with the terminal's
// reason.
func (f *Fake) Fail(reason string) {
	f.change(func(c *terminal.Call) bool {
		if c.State != terminal.Dialling {
			return false
		}
		c.State, c.Reason = terminal.Failed, reason
		return true
	})
}

// Drop ends every connected call from the far end, with reason.
func (f *Fake) Drop(reason string) {
	f.change(func(c *terminal.Call) bool {
		if c.State != terminal.Connected {
			return false
		}
		c.State, c.Reason = terminal.Ended, reason
		return true
	})
}

// HandDial plays someone dialling remote on the terminal itself: a call
// the box did not place. It returns the call's id.
func (f *Fake) HandDial(remote string) string {
	return f.add(remote)
}

// Commands lists what the fake was asked to do, in order.
func (f *Fake) Commands() []Command {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.commands)
}

// Wake records the command.
func (f *Fake) Wake(context.Context) error {
	return f.command(Command{Op: "wake"})
}

// Dial records the command and makes a dialling call, or refuses as
// RefuseDial said.
func (f *Fake) Dial(_ context.Context, t terminal.Target) error {
	if err := f.command(Command{Op: "dial", Target: t}); err != nil {
		return err
	}
	f.mu.Lock()
	words, refused := f.refuse[t.Number]
	if !refused {
		words, refused = f.refuse[""]
	}
	f.mu.Unlock()
	if refused {
		return &terminal.RefusedError{Command: "dial", Reply: words}
	}
	f.add(t.Number)
	return nil
}

// HangUp records the command and ends every call.
func (f *Fake) HangUp(context.Context) error {
	if err := f.command(Command{Op: "hang up"}); err != nil {
		return err
	}
	f.change(func(c *terminal.Call) bool {
		c.State, c.Reason = terminal.Ended, "local hang-up"
		return true
	})
	return nil
}

// Calls lists the live calls.
func (f *Fake) Calls(context.Context) ([]terminal.Call, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.connectedLocked() {
		return nil, terminal.ErrNotConnected
	}
	return slices.Clone(f.calls), nil
}

// Health reports the link as the test set it.
func (f *Fake) Health() terminal.Health {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.healthLocked()
}

func (f *Fake) String() string { return fmt.Sprintf("fake terminal %q", f.Name) }

func (f *Fake) healthLocked() terminal.Health {
	h := terminal.Health{Name: f.Name, Kind: "fake", Addr: "fake", Connected: f.connectedLocked(), Since: f.since}
	switch {
	case f.unplugged:
		h.LastError = ErrUnplugged.Error()
	case !f.running:
		h.LastError = "terminaltest: not running"
	}
	return h
}

func (f *Fake) connectedLocked() bool { return f.running && !f.unplugged }

// setHealth applies change to the link and reports the result.
func (f *Fake) setHealth(change func()) {
	f.reportMu.Lock()
	defer f.reportMu.Unlock()
	f.mu.Lock()
	change()
	f.since = time.Now()
	h, onHealth := f.healthLocked(), f.OnHealth
	f.mu.Unlock()
	if onHealth != nil {
		onHealth(h)
	}
}

// command records c, or refuses it while the fake is not connected.
func (f *Fake) command(c Command) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.connectedLocked() {
		return terminal.ErrNotConnected
	}
	f.commands = append(f.commands, c)
	return nil
}

// add makes a dialling call to remote and emits it.
func (f *Fake) add(remote string) string {
	f.mu.Lock()
	f.nextID++
	c := terminal.Call{ID: strconv.Itoa(f.nextID), Remote: remote, State: terminal.Dialling}
	f.calls = append(f.calls, c)
	emit := f.emit
	f.mu.Unlock()
	if emit != nil {
		emit(terminal.Event{Call: c, At: time.Now()})
	}
	return c.ID
}

// change applies edit to every live call, drops those that are over and
// emits those it changed.
func (f *Fake) change(edit func(*terminal.Call) bool) {
	f.mu.Lock()
	var changed []terminal.Call
	live := f.calls[:0]
	for _, c := range f.calls {
		if edit(&c) {
			changed = append(changed, c)
		}
		if !c.State.Final() {
			live = append(live, c)
		}
	}
	f.calls = live
	emit := f.emit
	f.mu.Unlock()
	if emit == nil {
		return
	}
	for _, c := range changed {
		emit(terminal.Event{Call: c, At: time.Now()})
	}
}
