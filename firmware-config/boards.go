package config

import (
	"reflect"
	"strings"
)

// piHeader is the door wiring on a Raspberry Pi header, by BCM number. Inputs
// are switches to ground with the SoC's pull-up, hence active low.
func piHeader(chip string) map[Role]Line {
	debounce := defaults["gpio.*.debounce"].(Duration)
	in := func(offset int) Line {
		return Line{Chip: chip, Offset: offset, ActiveLow: true, Debounce: debounce, Bias: "pull-up"}
	}
	out := func(offset int) Line { return Line{Chip: chip, Offset: offset} }
	return map[Role]Line{
		RoleRelay:      out(17),
		RoleDoorSensor: in(27),
		RoleExitButton: in(22),
		RoleGreenLED:   out(23),
		RoleRedLED:     out(24),
		RoleBuzzer:     out(25),
	}
}

// profile is a board's default GPIO map. Generic boards have none: their
// relay must be configured. The sim board's lines are served by in-memory
// fakes; they exist so that the demo config looks like a real one.
func profile(board string) (map[Role]Line, bool) {
	switch board {
	case "rpi4":
		return piHeader("gpiochip0"), true
	case "rpi5":
		// The RP1 chip was gpiochip4 on older kernels and gpiochip0 on newer ones; its label is stable.
		return piHeader("label:pinctrl-rp1"), true
	case "sim":
		return piHeader("sim"), true
	case "generic":
		return map[Role]Line{}, true
	}
	return nil, false
}

// Lines returns the effective GPIO map: the board profile with the gpio
// section's entries replacing whole roles. (Load has already filled the
// fields an entry leaves out from the profile.) The error is a
// *ValidationError.
func (c *Config) Lines() (map[Role]Line, error) {
	r := newReport("")
	lines := c.lines(r)
	if err := r.err(); err != nil {
		return nil, err
	}
	return lines, nil
}

// lines merges and checks the GPIO map.
func (c *Config) lines(r *report) map[Role]Line {
	prof, ok := profile(c.Board)
	if !ok {
		r.add("board", "%s has no GPIO profile%s", quote(c.Board), oneOf(c.Board, enums["board"]))
		return nil
	}
	for role, l := range c.GPIO {
		prof[role] = l
	}
	if _, ok := prof[RoleRelay]; !ok {
		r.add("gpio.relay", "required on board %s (it has no default GPIO map)", c.Board)
	}
	used := map[string]Role{}
	for _, role := range sortedRoles(prof) {
		l := prof[role]
		p := "gpio." + keyName(string(role))
		if !role.Valid() {
			r.add(p, "unknown role%s", oneOf(string(role), roleNames()))
			continue
		}
		checkFields(r, p, reflect.ValueOf(l))
		if !role.Input() {
			if l.Debounce != 0 {
				r.add(p+".debounce", "applies to inputs only (door_sensor, exit_button)")
			}
			if l.Bias != "" {
				r.add(p+".bias", "applies to inputs only (door_sensor, exit_button)")
			}
		}
		if l.Chip == "" || l.Offset < 0 {
			continue
		}
		key := strings.TrimPrefix(l.Chip, "/dev/") + "\x00" + itoa(l.Offset)
		if other, dup := used[key]; dup {
			r.add(p+".line", "line %d on %s is already used by %s", l.Offset, l.Chip, other)
			continue
		}
		used[key] = role
	}
	return prof
}

// fillGPIO completes the gpio section's entries: what an entry leaves out
// comes from the board profile's line for that role, and inputs get the
// default debounce. set names the fields the config gave. A line offset
// that neither the entry nor the profile gives is reported.
func fillGPIO(c *Config, set map[string]bool, r *report) {
	prof, ok := profile(c.Board)
	if !ok {
		return // the board is reported; guessing the lines would only add noise
	}
	for role, l := range c.GPIO {
		base, inProfile := prof[role]
		p := "gpio." + string(role) + "."
		if !inProfile && role.Input() {
			base.Debounce = defaults["gpio.*.debounce"].(Duration)
		}
		if !set[p+"chip"] {
			l.Chip = base.Chip
		}
		if !set[p+"line"] {
			if inProfile {
				l.Offset = base.Offset
			} else {
				r.add(p+"line", "required (board %s has no default for %s)", quote(c.Board), role)
			}
		}
		if !set[p+"active_low"] {
			l.ActiveLow = base.ActiveLow
		}
		if !set[p+"debounce"] {
			l.Debounce = base.Debounce
		}
		if !set[p+"bias"] {
			l.Bias = base.Bias
		}
		c.GPIO[role] = l
	}
}

func roleNames() []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = string(r)
	}
	return out
}
