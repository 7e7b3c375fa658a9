package door

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/warthog618/go-gpiocdev"
)

// consumer is how the kernel names our lines' owner (gpioinfo shows it).
const consumer = "roomgate"

// roles are the lines the door knows, outputs first, in the order String lists them.
var roles = []config.Role{
	config.RoleRelay, config.RoleGreenLED, config.RoleRedLED, config.RoleBuzzer,
	config.RoleDoorSensor, config.RoleExitButton,
}

// GPIO is the door's lines on Linux GPIO character devices.
type GPIO struct {
	lines map[config.Role]*gpioLine // not changed after OpenGPIO

	mu     sync.Mutex
	closed bool
}

type gpioLine struct {
	l         *gpiocdev.Line
	chip      string // resolved chip name, e.g. gpiochip4
	offset    int
	activeLow bool
	debounce  time.Duration
}

// OpenGPIO requests the configured lines. Outputs start at their initial
// logical value (false when absent) so the relay starts in the state the
// caller chooses. Inputs report every debounced change, as a logical value,
// to onInput (which may be nil) from the driver's goroutine; onInput must
// not call Close. A relay line is required.
func OpenGPIO(lines map[config.Role]config.Line, initial map[config.Role]bool, onInput func(role config.Role, on bool, at time.Time)) (*GPIO, error) {
	if _, ok := lines[config.RoleRelay]; !ok {
		return nil, errors.New("door: no relay line configured")
	}
	for role := range lines {
		if !role.Valid() {
			return nil, fmt.Errorf("door: unknown gpio role %q", role)
		}
	}
	g := &GPIO{lines: make(map[config.Role]*gpioLine, len(lines))}
	chips := map[string]*gpiocdev.Chip{}
	defer func() {
		for _, c := range chips {
			c.Close() // requested lines outlive their chip's handle
		}
	}()
	for _, role := range roles {
		cfg, ok := lines[role]
		if !ok {
			continue
		}
		chip, ok := chips[cfg.Chip]
		if !ok {
			var err error
			if chip, err = openChip(cfg.Chip); err != nil {
				g.Close()
				return nil, fmt.Errorf("door: %s: %w", role, err)
			}
			chips[cfg.Chip] = chip
		}
		opts := []gpiocdev.LineReqOption{gpiocdev.WithConsumer(consumer)}
		if cfg.ActiveLow {
			opts = append(opts, gpiocdev.AsActiveLow)
		}
		if role.Input() {
			opts = append(opts, gpiocdev.AsInput)
			if d := cfg.Debounce.D(); d > 0 {
				opts = append(opts, gpiocdev.WithDebounce(d))
			}
			if bias, ok := biases[cfg.Bias]; ok {
				opts = append(opts, bias)
			}
			if onInput != nil {
				r := role
				opts = append(opts, gpiocdev.WithBothEdges, gpiocdev.WithEventHandler(func(e gpiocdev.LineEvent) {
					onInput(r, e.Type == gpiocdev.LineEventRisingEdge, time.Now())
				}))
			}
		} else {
			v := 0
			if initial[role] {
				v = 1
			}
			opts = append(opts, gpiocdev.AsOutput(v))
		}
		l, err := chip.RequestLine(cfg.Offset, opts...)
		if err != nil {
			g.Close()
			return nil, fmt.Errorf("door: request %s on %s line %d: %w", role, chip.Name, cfg.Offset, err)
		}
		g.lines[role] = &gpioLine{l: l, chip: chip.Name, offset: cfg.Offset, activeLow: cfg.ActiveLow, debounce: cfg.Debounce.D()}
	}
	return g, nil
}

// openChip opens "gpiochip0", "/dev/gpiochip4" or "label:pinctrl-rp1", the
// last being the chip with that label: the Raspberry Pi 5 header's chip
// number changed between kernels, its label did not.
func openChip(name string) (*gpiocdev.Chip, error) {
	label, ok := strings.CutPrefix(name, "label:")
	if !ok {
		c, err := gpiocdev.NewChip(name, gpiocdev.WithConsumer(consumer))
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", name, err)
		}
		return c, nil
	}
	for _, n := range gpiocdev.Chips() {
		c, err := gpiocdev.NewChip(n, gpiocdev.WithConsumer(consumer))
		if err != nil {
			continue
		}
		if c.Label == label {
			return c, nil
		}
		c.Close()
	}
	return nil, fmt.Errorf("no gpio chip labelled %q", label)
}

// isOutput tells the door's outputs from its inputs and unknown roles.
func isOutput(role config.Role) bool { return role.Valid() && !role.Input() }

// biases maps the config's bias names to line options.
var biases = map[string]gpiocdev.LineReqOption{
	"pull-up":   gpiocdev.WithPullUp,
	"pull-down": gpiocdev.WithPullDown,
	"disabled":  gpiocdev.WithBiasDisabled,
}

// Set sets an output's logical value. It returns ErrNoLine for a role that
// has no line.
func (g *GPIO) Set(role config.Role, on bool) error {
	l, ok := g.lines[role]
	if !ok || !isOutput(role) {
		return fmt.Errorf("%w: %s", ErrNoLine, role)
	}
	v := 0
	if on {
		v = 1
	}
	if err := l.l.SetValue(v); err != nil {
		return fmt.Errorf("door: set %s on %s line %d: %w", role, l.chip, l.offset, err)
	}
	return nil
}

// Value reads a line's logical value, e.g. the door contact at start.
func (g *GPIO) Value(role config.Role) (bool, error) {
	l, ok := g.lines[role]
	if !ok {
		return false, fmt.Errorf("%w: %s", ErrNoLine, role)
	}
	v, err := l.l.Value()
	if err != nil {
		return false, fmt.Errorf("door: read %s on %s line %d: %w", role, l.chip, l.offset, err)
	}
	return v == 1, nil
}

// String lists the lines, e.g. "gpio relay=gpiochip0:17 door_sensor=gpiochip0:22(active-low,debounce=20ms)".
func (g *GPIO) String() string {
	parts := []string{"gpio"}
	for _, role := range roles {
		l, ok := g.lines[role]
		if !ok {
			continue
		}
		s := fmt.Sprintf("%s=%s:%d", role, l.chip, l.offset)
		var opts []string
		if l.activeLow {
			opts = append(opts, "active-low")
		}
		if l.debounce > 0 {
			opts = append(opts, "debounce="+l.debounce.String())
		}
		if len(opts) > 0 {
			s += "(" + strings.Join(opts, ",") + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// Close releases the lines. What a released output does is up to the chip's
// driver, so call Controller.Halt first. Close waits for a running onInput to
// return; it may be called more than once.
func (g *GPIO) Close() error {
	g.mu.Lock()
	closed := g.closed
	g.closed = true
	g.mu.Unlock()
	if closed {
		return nil
	}
	var errs []error
	for role, l := range g.lines {
		if err := l.l.Close(); err != nil {
			errs = append(errs, fmt.Errorf("door: release %s: %w", role, err))
		}
	}
	return errors.Join(errs...)
}

var _ Lines = (*GPIO)(nil)
