package door_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roomgate/roomgate/devices/door"
	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/warthog618/go-gpiocdev"
)

// These tests run on a real kernel with the gpio-sim module, inside the QEMU
// guest that .ci/gpiosim/run.sh boots. It sets:
//
//	ROOMGATE_GPIOSIM_CHIP   the simulated chip's device, e.g. /dev/gpiochip0
//	ROOMGATE_GPIOSIM_SYSFS  the directory holding its sim_gpioN/{value,pull}
//
// The chip has 8 lines; each test uses them as laid out below.
const (
	simRelay  = 0
	simGreen  = 1
	simRed    = 2
	simBuzzer = 3
	simSensor = 4
	simButton = 5
	simSpare  = 6
	simLines  = 8
)

type sim struct {
	t     *testing.T
	chip  string // device path
	sysfs string
}

// newSim skips outside the gpio-sim guest and puts every input line's pull
// down, so each test starts from the same levels.
func newSim(t *testing.T) *sim {
	t.Helper()
	chip := os.Getenv("ROOMGATE_GPIOSIM_CHIP")
	if chip == "" {
		t.Skip("ROOMGATE_GPIOSIM_CHIP not set: run .ci/gpiosim/run.sh to test against the kernel's gpio-sim")
	}
	s := &sim{t: t, chip: chip, sysfs: os.Getenv("ROOMGATE_GPIOSIM_SYSFS")}
	if s.sysfs == "" {
		t.Fatal("ROOMGATE_GPIOSIM_SYSFS not set")
	}
	for i := range simLines {
		s.pull(i, false)
	}
	return s
}

func (s *sim) line(offset int) config.Line {
	return config.Line{Chip: s.chip, Offset: offset}
}

// value reads the level the simulated chip sees on a line.
func (s *sim) value(offset int) int {
	s.t.Helper()
	b, err := os.ReadFile(filepath.Join(s.sysfs, fmt.Sprintf("sim_gpio%d", offset), "value"))
	if err != nil {
		s.t.Fatal(err)
	}
	switch v := strings.TrimSpace(string(b)); v {
	case "0":
		return 0
	case "1":
		return 1
	default:
		s.t.Fatalf("sim_gpio%d/value = %q, want 0 or 1", offset, v)
		return 0
	}
}

// pull drives an input line high or low from the outside.
func (s *sim) pull(offset int, up bool) {
	s.t.Helper()
	p := "pull-down"
	if up {
		p = "pull-up"
	}
	if err := os.WriteFile(filepath.Join(s.sysfs, fmt.Sprintf("sim_gpio%d", offset), "pull"), []byte(p), 0); err != nil {
		s.t.Fatal(err)
	}
}

// waitValue waits for a line's level; the guest is emulated, so slowly.
func (s *sim) waitValue(offset, want int) {
	s.t.Helper()
	waitFor(s.t, fmt.Sprintf("sim_gpio%d = %d", offset, want), func() bool { return s.value(offset) == want })
}

// input is one onInput call.
type input struct {
	role config.Role
	on   bool
}

// inputs collects onInput calls.
type inputs struct {
	mu  sync.Mutex
	got []input
}

func (in *inputs) add(role config.Role, on bool, _ time.Time) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.got = append(in.got, input{role, on})
}

func (in *inputs) list() []input {
	in.mu.Lock()
	defer in.mu.Unlock()
	return slices.Clone(in.got)
}

func (in *inputs) wait(t *testing.T, n int) []input {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d input events", n), func() bool { return len(in.list()) >= n })
	return in.list()
}

func openGPIO(t *testing.T, lines map[config.Role]config.Line, initial map[config.Role]bool, onInput func(config.Role, bool, time.Time)) *door.GPIO {
	t.Helper()
	g, err := door.OpenGPIO(lines, initial, onInput)
	if err != nil {
		t.Fatalf("OpenGPIO() = %v", err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

func TestGPIOSimOutputs(t *testing.T) {
	s := newSim(t)
	relay, buzzer := s.line(simRelay), s.line(simBuzzer)
	buzzer.ActiveLow = true
	g := openGPIO(t, map[config.Role]config.Line{
		config.RoleRelay: relay, config.RoleGreenLED: s.line(simGreen), config.RoleBuzzer: buzzer,
	}, map[config.Role]bool{config.RoleRelay: true}, nil)

	// Initial values: relay on as asked, the rest off; active low inverts.
	for _, c := range []struct{ offset, want int }{{simRelay, 1}, {simGreen, 0}, {simBuzzer, 1}} {
		if got := s.value(c.offset); got != c.want {
			t.Errorf("after OpenGPIO sim_gpio%d = %d, want %d", c.offset, got, c.want)
		}
	}
	tests := []struct {
		role   config.Role
		on     bool
		offset int
		want   int
	}{
		{config.RoleRelay, false, simRelay, 0},
		{config.RoleRelay, true, simRelay, 1},
		{config.RoleGreenLED, true, simGreen, 1},
		{config.RoleGreenLED, false, simGreen, 0},
		{config.RoleBuzzer, true, simBuzzer, 0},
		{config.RoleBuzzer, false, simBuzzer, 1},
	}
	for _, tt := range tests {
		if err := g.Set(tt.role, tt.on); err != nil {
			t.Fatalf("Set(%s, %v) = %v", tt.role, tt.on, err)
		}
		if got := s.value(tt.offset); got != tt.want {
			t.Errorf("Set(%s, %v): sim_gpio%d = %d, want %d", tt.role, tt.on, tt.offset, got, tt.want)
		}
		if got, err := g.Value(tt.role); err != nil || got != tt.on {
			t.Errorf("Value(%s) = %v, %v, want %v", tt.role, got, err, tt.on)
		}
	}
	if err := g.Set(config.RoleRedLED, true); !errors.Is(err, door.ErrNoLine) {
		t.Errorf("Set(red_led) without a line = %v, want %v", err, door.ErrNoLine)
	}
	if err := g.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if err := g.Set(config.RoleRelay, true); err == nil {
		t.Errorf("Set(relay) after Close = nil, want an error")
	}
	if err := g.Close(); err != nil {
		t.Errorf("second Close() = %v, want nil", err)
	}
}

func TestGPIOSimChipNames(t *testing.T) {
	s := newSim(t)
	c, err := gpiocdev.NewChip(s.chip)
	if err != nil {
		t.Fatal(err)
	}
	name, label := c.Name, c.Label
	c.Close()
	for _, chip := range []string{name, "/dev/" + name, "label:" + label} {
		g, err := door.OpenGPIO(map[config.Role]config.Line{config.RoleRelay: {Chip: chip, Offset: simSpare}}, nil, nil)
		if err != nil {
			t.Errorf("OpenGPIO(relay on %q) = %v", chip, err)
			continue
		}
		want := fmt.Sprintf("gpio relay=%s:%d", name, simSpare)
		if got := g.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
		g.Close()
	}

	g := openGPIO(t, map[config.Role]config.Line{config.RoleRelay: s.line(simRelay)}, nil, nil)
	_, err = door.OpenGPIO(map[config.Role]config.Line{config.RoleRelay: s.line(simRelay)}, nil, nil)
	want := fmt.Sprintf("door: request relay on %s line %d: device or resource busy", name, simRelay)
	if err == nil || err.Error() != want {
		t.Errorf("OpenGPIO(busy line) = %v, want %q", err, want)
	}
	_, err = door.OpenGPIO(map[config.Role]config.Line{config.RoleRelay: s.line(simLines)}, nil, nil)
	want = fmt.Sprintf("door: request relay on %s line %d: invalid offset", name, simLines)
	if err == nil || err.Error() != want {
		t.Errorf("OpenGPIO(offset %d) = %v, want %q", simLines, err, want)
	}
	g.Close()
}

func TestGPIOSimInputs(t *testing.T) {
	s := newSim(t)
	button := s.line(simButton)
	button.ActiveLow = true
	var in inputs
	g := openGPIO(t, map[config.Role]config.Line{
		config.RoleRelay: s.line(simRelay), config.RoleDoorSensor: s.line(simSensor), config.RoleExitButton: button,
	}, nil, in.add)
	// Both lines are pulled down: the sensor reads closed, the active-low button pressed.
	if got, err := g.Value(config.RoleDoorSensor); err != nil || got {
		t.Errorf("Value(door_sensor) = %v, %v, want false", got, err)
	}
	if got, err := g.Value(config.RoleExitButton); err != nil || !got {
		t.Errorf("Value(exit_button) = %v, %v, want true", got, err)
	}
	if err := g.Set(config.RoleDoorSensor, true); !errors.Is(err, door.ErrNoLine) {
		t.Errorf("Set(door_sensor) = %v, want %v", err, door.ErrNoLine)
	}
	s.pull(simSensor, true)
	in.wait(t, 1)
	s.pull(simButton, true)
	in.wait(t, 2)
	s.pull(simSensor, false)
	got := in.wait(t, 3)
	want := []input{{config.RoleDoorSensor, true}, {config.RoleExitButton, false}, {config.RoleDoorSensor, false}}
	if !slices.Equal(got, want) {
		t.Errorf("onInput calls = %v, want %v", got, want)
	}
}

func TestGPIOSimDebounce(t *testing.T) {
	// Long, because the emulated guest can stall between the glitch's two
	// writes; a stall longer than this would make the glitch a real press.
	const debounce = time.Second
	// Without debounce the same glitch must be seen, or this test proves nothing.
	for _, d := range []time.Duration{0, debounce} {
		t.Run(fmt.Sprintf("debounce=%v", d), func(t *testing.T) {
			s := newSim(t)
			button := s.line(simButton)
			button.Debounce = config.Duration(d)
			var in inputs
			openGPIO(t, map[config.Role]config.Line{config.RoleRelay: s.line(simRelay), config.RoleExitButton: button}, nil, in.add)
			s.pull(simButton, true)
			s.pull(simButton, false)
			if d == 0 {
				in.wait(t, 1)
			}
			time.Sleep(2 * debounce)
			glitch := in.list()
			if reported := len(glitch) > 0; reported != (d == 0) {
				t.Fatalf("glitch (pull-up then pull-down at once) reported %v, want reported = %v", glitch, d == 0)
			}
			s.pull(simButton, true)
			got := in.wait(t, len(glitch)+1)
			if last := got[len(got)-1]; last != (input{config.RoleExitButton, true}) {
				t.Errorf("press reported %v, want %v last", got, input{config.RoleExitButton, true})
			}
		})
	}
}

// simDoor wires a Controller to real lines as the agent does.
func simDoor(t *testing.T, s *sim, set door.Settings) (*door.Controller, *recorder) {
	t.Helper()
	var ctl atomic.Pointer[door.Controller]
	g := openGPIO(t, map[config.Role]config.Line{
		config.RoleRelay: s.line(simRelay), config.RoleGreenLED: s.line(simGreen), config.RoleRedLED: s.line(simRed),
		config.RoleBuzzer: s.line(simBuzzer), config.RoleDoorSensor: s.line(simSensor), config.RoleExitButton: s.line(simButton),
	}, nil, func(role config.Role, on bool, at time.Time) {
		if c := ctl.Load(); c != nil {
			c.Input(role, on, at)
		}
	})
	r := &recorder{}
	c := door.NewController(g, set, r.record)
	ctl.Store(c)
	t.Cleanup(func() { c.Halt() })
	return c, r
}

func TestGPIOSimController(t *testing.T) {
	set := door.Settings{Pulse: 300 * time.Millisecond, HeldOpenAfter: time.Minute, Indicator: 300 * time.Millisecond}

	t.Run("grant pulse", func(t *testing.T) {
		s := newSim(t)
		c, _ := simDoor(t, s, set)
		if err := c.Grant(); err != nil {
			t.Fatalf("Grant() = %v", err)
		}
		if got := s.value(simRelay); got != 1 {
			t.Fatalf("relay after Grant() = %d, want 1", got)
		}
		if got := s.value(simGreen); got != 1 {
			t.Errorf("green LED after Grant() = %d, want 1", got)
		}
		s.waitValue(simRelay, 0)
		s.waitValue(simGreen, 0)
	})

	t.Run("exit button", func(t *testing.T) {
		s := newSim(t)
		// A long pulse: a slow guest could miss a short one in sysfs.
		long := set
		long.Pulse = time.Minute
		c, r := simDoor(t, s, long)
		s.pull(simButton, true)
		s.waitValue(simRelay, 1)
		s.pull(simButton, false)
		s.pull(simSensor, true)
		waitFor(t, "opened", func() bool { return c.Status().Open })
		s.pull(simSensor, false)
		waitFor(t, "closed", func() bool { return !c.Status().Open })
		want := []string{door.EventExitRequest, door.EventOpened, door.EventClosed}
		if got := r.kinds(); !slices.Equal(got, want) {
			t.Errorf("events = %v, want %v", got, want)
		}
	})

	t.Run("forced open", func(t *testing.T) {
		s := newSim(t)
		c, r := simDoor(t, s, set)
		s.pull(simSensor, true)
		waitFor(t, "forced_open", func() bool { return c.Status().Alarm == door.EventForcedOpen })
		if got, want := r.kinds(), []string{door.EventForcedOpen}; !slices.Equal(got, want) {
			t.Errorf("events = %v, want %v", got, want)
		}
		if got := s.value(simRelay); got != 0 {
			t.Errorf("relay after forced open = %d, want 0", got)
		}
	})

	for _, failSafe := range []bool{false, true} {
		t.Run(fmt.Sprintf("halt failsafe=%v", failSafe), func(t *testing.T) {
			s := newSim(t)
			set := set
			set.FailSafe = failSafe
			c, _ := simDoor(t, s, set)
			if err := c.Grant(); err != nil {
				t.Fatalf("Grant() = %v", err)
			}
			if err := c.Halt(); err != nil {
				t.Fatalf("Halt() = %v", err)
			}
			want := 0
			if failSafe {
				want = 1
			}
			if got := s.value(simRelay); got != want {
				t.Fatalf("relay after Halt() = %d, want %d", got, want)
			}
			// Neither the pulse's end nor the exit button may move it now.
			s.pull(simButton, true)
			time.Sleep(2 * set.Pulse)
			if got := s.value(simRelay); got != want {
				t.Errorf("relay %v after Halt() = %d, want %d", 2*set.Pulse, got, want)
			}
			if got := s.value(simGreen); got != 0 {
				t.Errorf("green LED after Halt() = %d, want 0", got)
			}
		})
	}
}
