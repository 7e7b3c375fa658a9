// Package door drives the gate's door: the lock relay, the green and red
// LEDs and the buzzer, and watches the door contact and the exit button.
//
// Controller holds the door logic (release pulses, alarms, the safe state on
// halt) over the small Lines interface. GPIO implements Lines on Linux GPIO
// character devices; doortest.Lines is a fake for tests and the sim board.
//
// The driver reports inputs through a callback given to OpenGPIO, before any
// Controller exists. Wiring code forwards them once the Controller is built
// and seeds it with the inputs' current values:
//
//	var ctl atomic.Pointer[door.Controller]
//	g, err := door.OpenGPIO(lines, initial, func(r config.Role, on bool, at time.Time) {
//		if c := ctl.Load(); c != nil {
//			c.Input(r, on, at)
//		}
//	})
//	...
//	c := door.NewController(g, settings, record)
//	ctl.Store(c)
//	if open, err := g.Value(config.RoleDoorSensor); err == nil {
//		c.Input(config.RoleDoorSensor, open, time.Now())
//	}
package door
