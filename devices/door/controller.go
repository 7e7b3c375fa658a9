package door

import (
	"errors"
	"fmt"
	"sync"
	"time"

	config "github.com/roomgate/roomgate/firmware-config"
)

// Lines sets the door's outputs. "on" is the logical state: relay on releases
// the door; the driver applies the line's polarity.
type Lines interface {
	Set(role config.Role, on bool) error
	Close() error
}

// ErrNoLine is returned by Lines.Set for a role the box has no line for. The
// Controller treats LEDs and the buzzer as optional, the relay is not.
var ErrNoLine = errors.New("door: no such line")

// ErrHalted is returned by Grant and Deny after Halt.
var ErrHalted = errors.New("door: halted")

// Event kinds passed to the record callback.
const (
	EventExitRequest = "exit_request" // exit button pressed, door released
	EventOpened      = "opened"       // door opened during or just after a release
	EventForcedOpen  = "forced_open"  // alarm: door opened without a release
	EventHeldOpen    = "held_open"    // alarm: door left open longer than HeldOpenAfter
	EventClosed      = "closed"
	EventFault       = "fault" // a line could not be set from a timer or an input; Detail says which
)

const (
	// grace is how long after a release the door may still open without
	// raising forced_open: people push the door just as the lock relocks.
	grace = 2 * time.Second
	// beep is the buzzer's length on a denial.
	beep = 150 * time.Millisecond
)

// Settings are the door's timings and its safe state.
type Settings struct {
	Pulse         time.Duration // relay on per grant or exit request
	HeldOpenAfter time.Duration // open longer than this raises held_open; 0 disables
	Indicator     time.Duration // green or red LED on after a decision
	FailSafe      bool          // Halt releases the door (fail-safe) instead of locking it (fail-secure)
}

// Event is something the door did or saw.
type Event struct {
	Kind   string
	At     time.Time
	Detail string
}

// Status is a snapshot of the door.
type Status struct {
	Relay  bool   // relay on: door released
	Open   bool   // door contact open
	Alarm  string // EventForcedOpen or EventHeldOpen while active, else empty
	Halted bool
	Last   Event // last event recorded
}

// Controller runs the door on a set of Lines. Its methods are safe for
// concurrent use; record is called without the Controller's lock held, in
// order, so it may call Status.
type Controller struct {
	lines  Lines
	s      Settings
	record func(Event)

	emitMu sync.Mutex // serialises record calls so events keep their order

	mu         sync.Mutex
	halted     bool
	relay      bool
	green, red indicator
	beeping    bool
	buzzer     bool
	open       bool
	alarm      string
	authorised time.Time // the door may open without alarm until then
	last       Event
	pending    []Event
	pulse      timer
	beepT      timer
	heldT      timer
}

// indicator is an LED lit for a while after a decision.
type indicator struct {
	role config.Role
	on   bool
	t    timer
}

// timer runs a function under the Controller's lock unless it was stopped,
// re-armed or the Controller halted in the meantime.
type timer struct {
	t   *time.Timer
	gen uint64
}

// NewController returns a Controller driving lines. It sets no line: the
// caller opens the lines in the state it wants. record may be nil.
func NewController(lines Lines, s Settings, record func(Event)) *Controller {
	return &Controller{
		lines:  lines,
		s:      s,
		record: record,
		green:  indicator{role: config.RoleGreenLED},
		red:    indicator{role: config.RoleRedLED},
	}
}

// Grant releases the door for Pulse (extending a release in progress) and
// lights the green LED for Indicator. It returns once the relay is set.
func (c *Controller) Grant() error {
	c.mu.Lock()
	if c.halted {
		c.mu.Unlock()
		return ErrHalted
	}
	err := c.release()
	err = errors.Join(err, c.indicate(&c.green, &c.red))
	c.mu.Unlock()
	c.emit()
	return err
}

// Deny lights the red LED for Indicator and beeps the buzzer.
func (c *Controller) Deny() error {
	c.mu.Lock()
	if c.halted {
		c.mu.Unlock()
		return ErrHalted
	}
	err := c.indicate(&c.red, &c.green)
	c.beeping = true
	c.arm(&c.beepT, beep, func() {
		c.beeping = false
		c.fault(c.setBuzzer())
	})
	err = errors.Join(err, c.setBuzzer())
	c.mu.Unlock()
	c.emit()
	return err
}

// Input handles a change of an input line: the exit button releases the door,
// the door contact raises opened, closed and the alarms. Inputs after Halt
// are ignored.
func (c *Controller) Input(role config.Role, on bool, at time.Time) {
	c.mu.Lock()
	if !c.halted {
		switch role {
		case config.RoleExitButton:
			if on {
				c.add(EventExitRequest, at, "")
				c.fault(c.release())
				c.fault(c.indicate(&c.green, &c.red))
			}
		case config.RoleDoorSensor:
			c.door(on, at)
		}
	}
	c.mu.Unlock()
	c.emit()
}

// Halt puts the door in its safe state: relay off when fail-secure, on when
// fail-safe, LEDs and buzzer off, timers cancelled so nothing re-energises
// the relay. It may be called more than once; each call sets the lines again.
func (c *Controller) Halt() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.halted = true
	for _, t := range []*timer{&c.pulse, &c.green.t, &c.red.t, &c.beepT, &c.heldT} {
		t.stop()
	}
	// The relay goes first: it is what makes the door safe.
	err := c.lines.Set(config.RoleRelay, c.s.FailSafe)
	if err == nil {
		c.relay = c.s.FailSafe
	}
	c.green.on, c.red.on, c.beeping, c.buzzer = false, false, false, false
	for _, role := range []config.Role{config.RoleGreenLED, config.RoleRedLED, config.RoleBuzzer} {
		err = errors.Join(err, c.setOptional(role, false))
	}
	return err
}

// Status returns the door's current state.
func (c *Controller) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Status{Relay: c.relay, Open: c.open, Alarm: c.alarm, Halted: c.halted, Last: c.last}
}

// release sets the relay on and (re)arms its pulse. Called with c.mu held.
func (c *Controller) release() error {
	if err := c.lines.Set(config.RoleRelay, true); err != nil {
		return err
	}
	c.relay = true
	c.authorised = time.Now().Add(c.s.Pulse + grace)
	c.arm(&c.pulse, c.s.Pulse, func() {
		if err := c.lines.Set(config.RoleRelay, false); err != nil {
			c.fault(err)
			return
		}
		c.relay = false
	})
	return nil
}

// indicate lights on for Indicator and puts off out. Called with c.mu held.
func (c *Controller) indicate(on, off *indicator) error {
	var err error
	off.t.stop()
	if off.on {
		err = c.setOptional(off.role, false)
		off.on = err != nil
	}
	if err2 := c.setOptional(on.role, true); err2 != nil {
		return errors.Join(err, err2)
	}
	on.on = true
	c.arm(&on.t, c.s.Indicator, func() {
		on.on = false
		c.fault(c.setOptional(on.role, false))
	})
	return err
}

// door handles the door contact. Called with c.mu held.
func (c *Controller) door(open bool, at time.Time) {
	if open == c.open {
		return
	}
	c.open = open
	if !open {
		c.heldT.stop()
		c.alarm = ""
		c.add(EventClosed, at, "")
		c.fault(c.setBuzzer())
		return
	}
	if at.Before(c.authorised) {
		c.add(EventOpened, at, "")
	} else {
		c.alarm = EventForcedOpen
		c.add(EventForcedOpen, at, "")
	}
	if c.s.HeldOpenAfter > 0 {
		c.arm(&c.heldT, c.s.HeldOpenAfter, func() {
			c.alarm = EventHeldOpen
			c.add(EventHeldOpen, time.Now(), fmt.Sprintf("open longer than %v", c.s.HeldOpenAfter))
			c.fault(c.setBuzzer())
		})
	}
}

// setBuzzer sets the buzzer on while a denial beeps or the door is held
// open. Called with c.mu held.
func (c *Controller) setBuzzer() error {
	want := c.beeping || c.alarm == EventHeldOpen
	if want == c.buzzer {
		return nil
	}
	if err := c.setOptional(config.RoleBuzzer, want); err != nil {
		return err
	}
	c.buzzer = want
	return nil
}

// setOptional sets an indicator line; a box without one is fine.
func (c *Controller) setOptional(role config.Role, on bool) error {
	if err := c.lines.Set(role, on); err != nil && !errors.Is(err, ErrNoLine) {
		return err
	}
	return nil
}

// fault records err, if any, for lines set where no caller can see an error.
func (c *Controller) fault(err error) {
	if err != nil {
		c.add(EventFault, time.Now(), err.Error())
	}
}

// add queues an event for emit. Called with c.mu held.
func (c *Controller) add(kind string, at time.Time, detail string) {
	e := Event{Kind: kind, At: at, Detail: detail}
	c.last = e
	if c.record != nil {
		c.pending = append(c.pending, e)
	}
}

// emit passes queued events to record, outside c.mu.
func (c *Controller) emit() {
	c.emitMu.Lock()
	defer c.emitMu.Unlock()
	c.mu.Lock()
	events := c.pending
	c.pending = nil
	c.mu.Unlock()
	for _, e := range events {
		c.record(e)
	}
}

// arm (re)starts t to run f after d under c.mu, then emits what f recorded.
// Called with c.mu held.
func (c *Controller) arm(t *timer, d time.Duration, f func()) {
	t.stop()
	gen := t.gen
	t.t = time.AfterFunc(d, func() {
		c.mu.Lock()
		if !c.halted && t.gen == gen {
			t.t = nil
			f()
		}
		c.mu.Unlock()
		c.emit()
	})
}

func (t *timer) stop() {
	if t.t != nil {
		t.t.Stop()
		t.t = nil
	}
	t.gen++
}
