package door_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/roomgate/roomgate/devices/door"
	"github.com/roomgate/roomgate/devices/door/doortest"
	config "github.com/roomgate/roomgate/firmware-config"
)

// recorder collects the Controller's events.
type recorder struct {
	mu     sync.Mutex
	events []door.Event
}

func (r *recorder) record(e door.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) kinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var k []string
	for _, e := range r.events {
		k = append(k, e.Kind)
	}
	return k
}

func newDoor(t *testing.T, s door.Settings) (*door.Controller, *doortest.Lines, *recorder) {
	t.Helper()
	l := &doortest.Lines{}
	r := &recorder{}
	c := door.NewController(l, s, r.record)
	l.OnInput = c.Input
	t.Cleanup(func() { c.Halt() })
	return c, l, r
}

// waitFor polls cond; the deadline is generous (the gpio-sim guest is
// emulated and can be slow) because only order and final states are
// asserted, never exact timings.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// relayChanges returns the relay's history.
func relayChanges(l *doortest.Lines) []doortest.Change {
	var out []doortest.Change
	for _, ch := range l.Changes() {
		if ch.Role == config.RoleRelay {
			out = append(out, ch)
		}
	}
	return out
}

func TestGrantPulse(t *testing.T) {
	const pulse = 60 * time.Millisecond
	c, l, _ := newDoor(t, door.Settings{Pulse: pulse, Indicator: 120 * time.Millisecond})
	if err := c.Grant(); err != nil {
		t.Fatalf("Grant() = %v, want nil", err)
	}
	if !l.Value(config.RoleRelay) || !c.Status().Relay {
		t.Fatalf("after Grant() relay = %v (status %v), want on", l.Value(config.RoleRelay), c.Status().Relay)
	}
	if !l.Value(config.RoleGreenLED) {
		t.Errorf("after Grant() green LED off, want on")
	}
	waitFor(t, "relay off", func() bool { return !l.Value(config.RoleRelay) })
	waitFor(t, "green LED off", func() bool { return !l.Value(config.RoleGreenLED) })
	rc := relayChanges(l)
	if len(rc) != 2 || !rc[0].On || rc[1].On {
		t.Fatalf("relay changes = %v, want on then off", rc)
	}
	if got := rc[1].At.Sub(rc[0].At); got < pulse {
		t.Errorf("pulse lasted %v, want at least %v", got, pulse)
	}
	if c.Status().Relay {
		t.Errorf("Status().Relay = true after the pulse, want false")
	}
}

func TestGrantExtendsPulse(t *testing.T) {
	const pulse = 100 * time.Millisecond
	c, l, _ := newDoor(t, door.Settings{Pulse: pulse, Indicator: pulse})
	if err := c.Grant(); err != nil {
		t.Fatalf("Grant() = %v, want nil", err)
	}
	time.Sleep(pulse / 2)
	second := time.Now()
	if err := c.Grant(); err != nil {
		t.Fatalf("second Grant() = %v, want nil", err)
	}
	waitFor(t, "relay off", func() bool { return !l.Value(config.RoleRelay) })
	rc := relayChanges(l)
	if len(rc) != 2 {
		t.Fatalf("relay changes = %v, want one on and one off", rc)
	}
	if got := rc[1].At.Sub(second); got < pulse {
		t.Errorf("relay off %v after the second grant, want at least %v", got, pulse)
	}
}

func TestDeny(t *testing.T) {
	c, l, _ := newDoor(t, door.Settings{Pulse: time.Second, Indicator: 80 * time.Millisecond})
	if err := c.Grant(); err != nil {
		t.Fatalf("Grant() = %v, want nil", err)
	}
	if err := c.Deny(); err != nil {
		t.Fatalf("Deny() = %v, want nil", err)
	}
	if l.Value(config.RoleGreenLED) || !l.Value(config.RoleRedLED) || !l.Value(config.RoleBuzzer) {
		t.Fatalf("after Deny() green, red, buzzer = %v, %v, %v, want off, on, on",
			l.Value(config.RoleGreenLED), l.Value(config.RoleRedLED), l.Value(config.RoleBuzzer))
	}
	waitFor(t, "buzzer off", func() bool { return !l.Value(config.RoleBuzzer) })
	waitFor(t, "red LED off", func() bool { return !l.Value(config.RoleRedLED) })
	if l.Value(config.RoleGreenLED) {
		t.Errorf("green LED came back on after Deny()")
	}
}

// step is one action in a door scenario.
type step func(t *testing.T, c *door.Controller, l *doortest.Lines, r *recorder)

func grant(t *testing.T, c *door.Controller, _ *doortest.Lines, _ *recorder) {
	t.Helper()
	if err := c.Grant(); err != nil {
		t.Fatalf("Grant() = %v, want nil", err)
	}
}

func drive(role config.Role, on bool) step {
	return func(_ *testing.T, _ *door.Controller, l *doortest.Lines, _ *recorder) { l.Drive(role, on) }
}

func relayOff(t *testing.T, _ *door.Controller, l *doortest.Lines, _ *recorder) {
	t.Helper()
	waitFor(t, "relay off", func() bool { return !l.Value(config.RoleRelay) })
}

func event(kind string) step {
	return func(t *testing.T, _ *door.Controller, _ *doortest.Lines, r *recorder) {
		t.Helper()
		waitFor(t, kind+" event", func() bool { return slices.Contains(r.kinds(), kind) })
	}
}

func sleep(d time.Duration) step {
	return func(*testing.T, *door.Controller, *doortest.Lines, *recorder) { time.Sleep(d) }
}

func TestDoorEvents(t *testing.T) {
	const (
		button = config.RoleExitButton
		sensor = config.RoleDoorSensor
	)
	s := door.Settings{Pulse: 40 * time.Millisecond, HeldOpenAfter: 80 * time.Millisecond, Indicator: 40 * time.Millisecond}
	tests := []struct {
		name   string
		steps  []step
		events []string
		want   door.Status // Last.At is not compared
		buzzer bool
	}{
		{
			name:   "granted entry",
			steps:  []step{grant, drive(sensor, true), drive(sensor, false), relayOff},
			events: []string{door.EventOpened, door.EventClosed},
			want:   door.Status{Last: door.Event{Kind: door.EventClosed}},
		},
		{
			name:   "opened in the grace after the pulse",
			steps:  []step{grant, relayOff, drive(sensor, true), drive(sensor, false)},
			events: []string{door.EventOpened, door.EventClosed},
			want:   door.Status{Last: door.Event{Kind: door.EventClosed}},
		},
		{
			name:   "exit button",
			steps:  []step{drive(button, true), drive(button, false), drive(sensor, true), drive(sensor, false), relayOff},
			events: []string{door.EventExitRequest, door.EventOpened, door.EventClosed},
			want:   door.Status{Last: door.Event{Kind: door.EventClosed}},
		},
		{
			name:   "forced open",
			steps:  []step{drive(sensor, true)},
			events: []string{door.EventForcedOpen},
			want:   door.Status{Open: true, Alarm: door.EventForcedOpen, Last: door.Event{Kind: door.EventForcedOpen}},
		},
		{
			name:   "forced open then closed",
			steps:  []step{drive(sensor, true), drive(sensor, false)},
			events: []string{door.EventForcedOpen, door.EventClosed},
			want:   door.Status{Last: door.Event{Kind: door.EventClosed}},
		},
		{
			name:   "held open sounds the buzzer once",
			steps:  []step{grant, drive(sensor, true), event(door.EventHeldOpen), sleep(3 * s.HeldOpenAfter), relayOff},
			events: []string{door.EventOpened, door.EventHeldOpen},
			want:   door.Status{Open: true, Alarm: door.EventHeldOpen, Last: door.Event{Kind: door.EventHeldOpen, Detail: "open longer than 80ms"}},
			buzzer: true,
		},
		{
			name:   "held open then closed",
			steps:  []step{grant, drive(sensor, true), event(door.EventHeldOpen), drive(sensor, false), relayOff},
			events: []string{door.EventOpened, door.EventHeldOpen, door.EventClosed},
			want:   door.Status{Last: door.Event{Kind: door.EventClosed}},
		},
		{
			name:   "closed before held open",
			steps:  []step{grant, drive(sensor, true), drive(sensor, false), sleep(3 * s.HeldOpenAfter), relayOff},
			events: []string{door.EventOpened, door.EventClosed},
			want:   door.Status{Last: door.Event{Kind: door.EventClosed}},
		},
		{
			name:   "repeated sensor values are not new events",
			steps:  []step{drive(sensor, false), grant, drive(sensor, true), drive(sensor, true), drive(sensor, false), drive(sensor, false), relayOff},
			events: []string{door.EventOpened, door.EventClosed},
			want:   door.Status{Last: door.Event{Kind: door.EventClosed}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, l, r := newDoor(t, s)
			for _, st := range tt.steps {
				st(t, c, l, r)
			}
			if got := r.kinds(); !slices.Equal(got, tt.events) {
				t.Errorf("events = %v, want %v", got, tt.events)
			}
			got := c.Status()
			got.Last.At = time.Time{}
			if got != tt.want {
				t.Errorf("Status() = %+v, want %+v", got, tt.want)
			}
			if b := l.Value(config.RoleBuzzer); b != tt.buzzer {
				t.Errorf("buzzer = %v, want %v", b, tt.buzzer)
			}
		})
	}
}

func TestHalt(t *testing.T) {
	const pulse = 50 * time.Millisecond
	for _, failSafe := range []bool{false, true} {
		t.Run(fmt.Sprintf("failsafe=%v", failSafe), func(t *testing.T) {
			c, l, r := newDoor(t, door.Settings{Pulse: pulse, HeldOpenAfter: pulse, Indicator: pulse, FailSafe: failSafe})
			if err := c.Grant(); err != nil {
				t.Fatalf("Grant() = %v, want nil", err)
			}
			if err := c.Deny(); err != nil {
				t.Fatalf("Deny() = %v, want nil", err)
			}
			l.Drive(config.RoleDoorSensor, true)
			if err := c.Halt(); err != nil {
				t.Fatalf("Halt() = %v, want nil", err)
			}
			n := len(l.Changes())
			// Let every timer that was running expire: none may touch a line.
			time.Sleep(4 * pulse)
			l.Drive(config.RoleExitButton, true)
			if err := c.Grant(); !errors.Is(err, door.ErrHalted) {
				t.Errorf("Grant() after Halt = %v, want %v", err, door.ErrHalted)
			}
			if err := c.Deny(); !errors.Is(err, door.ErrHalted) {
				t.Errorf("Deny() after Halt = %v, want %v", err, door.ErrHalted)
			}
			if ch := l.Changes()[n:]; len(ch) != 0 {
				t.Errorf("changes after Halt = %v, want none", ch)
			}
			for role, want := range map[config.Role]bool{
				config.RoleRelay: failSafe, config.RoleGreenLED: false, config.RoleRedLED: false, config.RoleBuzzer: false,
			} {
				if got := l.Value(role); got != want {
					t.Errorf("%s after Halt = %v, want %v", role, got, want)
				}
			}
			if st := c.Status(); st.Relay != failSafe || !st.Halted {
				t.Errorf("Status() after Halt = %+v, want Relay %v, Halted", st, failSafe)
			}
			if slices.Contains(r.kinds(), door.EventHeldOpen) || slices.Contains(r.kinds(), door.EventExitRequest) {
				t.Errorf("events after Halt: %v", r.kinds())
			}
			if err := c.Halt(); err != nil {
				t.Errorf("second Halt() = %v, want nil", err)
			}
			if got := l.Value(config.RoleRelay); got != failSafe {
				t.Errorf("relay after second Halt = %v, want %v", got, failSafe)
			}
		})
	}
}

func TestHaltBeforeStart(t *testing.T) {
	for _, failSafe := range []bool{false, true} {
		l := &doortest.Lines{}
		c := door.NewController(l, door.Settings{FailSafe: failSafe}, nil)
		if err := c.Halt(); err != nil {
			t.Fatalf("Halt() = %v, want nil", err)
		}
		if got := l.Value(config.RoleRelay); got != failSafe {
			t.Errorf("relay after Halt (failsafe %v) = %v, want %v", failSafe, got, failSafe)
		}
	}
}

func TestRelayFailure(t *testing.T) {
	broken := errors.New("door: set relay on gpiochip0 line 17: input/output error")
	c, l, r := newDoor(t, door.Settings{Pulse: 20 * time.Millisecond, Indicator: 20 * time.Millisecond})
	l.Fail(config.RoleRelay, broken)
	if err := c.Grant(); !errors.Is(err, broken) {
		t.Errorf("Grant() with a broken relay = %v, want %v", err, broken)
	}
	if c.Status().Relay {
		t.Errorf("Status().Relay = true after a failed grant")
	}
	l.Fail(config.RoleRelay, nil)
	if err := c.Grant(); err != nil {
		t.Fatalf("Grant() = %v, want nil", err)
	}
	// The relay fails again as the pulse ends: nobody is there to be
	// returned an error, so it becomes a fault event.
	l.Fail(config.RoleRelay, broken)
	waitFor(t, "fault event", func() bool { return slices.Contains(r.kinds(), door.EventFault) })
	if got := c.Status().Last; got.Kind != door.EventFault || got.Detail != broken.Error() {
		t.Errorf("Status().Last = %+v, want fault %q", got, broken)
	}
	if err := c.Halt(); !errors.Is(err, broken) {
		t.Errorf("Halt() with a broken relay = %v, want %v", err, broken)
	}
}

func TestMissingIndicators(t *testing.T) {
	c, l, r := newDoor(t, door.Settings{Pulse: 20 * time.Millisecond, Indicator: 20 * time.Millisecond})
	for _, role := range []config.Role{config.RoleGreenLED, config.RoleRedLED, config.RoleBuzzer} {
		l.Fail(role, fmt.Errorf("%w: %s", door.ErrNoLine, role))
	}
	if err := c.Grant(); err != nil {
		t.Errorf("Grant() without LEDs = %v, want nil", err)
	}
	if err := c.Deny(); err != nil {
		t.Errorf("Deny() without LEDs = %v, want nil", err)
	}
	relayOff(t, c, l, r)
	time.Sleep(50 * time.Millisecond)
	if got := r.kinds(); len(got) != 0 {
		t.Errorf("events = %v, want none", got)
	}
	if err := c.Halt(); err != nil {
		t.Errorf("Halt() without LEDs = %v, want nil", err)
	}
}

// TestRecordMayCallStatus guards against record being called under the lock.
func TestRecordMayCallStatus(t *testing.T) {
	l := &doortest.Lines{}
	var c *door.Controller
	got := make(chan door.Status, 4)
	c = door.NewController(l, door.Settings{Pulse: time.Second}, func(door.Event) { got <- c.Status() })
	l.OnInput = c.Input
	defer c.Halt()
	l.Drive(config.RoleDoorSensor, true)
	select {
	case st := <-got:
		if st.Alarm != door.EventForcedOpen {
			t.Errorf("Status().Alarm from record = %q, want %q", st.Alarm, door.EventForcedOpen)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("record did not return: deadlock")
	}
}

func BenchmarkGrant(b *testing.B) {
	l := &doortest.Lines{}
	c := door.NewController(l, door.Settings{Pulse: time.Hour, Indicator: time.Hour}, nil)
	defer c.Halt()
	var set time.Time
	l.OnSet = func(role config.Role, on bool) {
		if role == config.RoleRelay {
			set = time.Now()
		}
	}
	var total time.Duration
	for b.Loop() {
		start := time.Now()
		if err := c.Grant(); err != nil {
			b.Fatal(err)
		}
		total += set.Sub(start)
	}
	b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "ns-to-relay/op")
}
