package config

import "time"

// Defaults for the fields a config leaves out (or sets to null). This is the
// one list: Parse applies it and the JSON Schema shows it. Scanner defaults
// apply to each scanner (baud to serial ones only), the debounce to each
// input line.
var defaults = map[string]any{
	"http.listen":            "127.0.0.1:8080",
	"store.path":             "/var/lib/roomgate/roomgate.db",
	"policy.pulse":           Duration(3 * time.Second),
	"policy.safe_state":      "fail-secure",
	"policy.clock_skew":      Duration(60 * time.Second),
	"policy.anti_passback":   Duration(30 * time.Second),
	"policy.held_open_after": Duration(30 * time.Second),
	"policy.unsynced_clock":  "deny",
	"policy.clock_source":    "kernel",
	"policy.indicator":       Duration(2 * time.Second),
	"scanners[].baud":        9600,
	"scanners[].terminator":  "any",
	"scanners[].max_length":  2048,
	"gpio.*.debounce":        Duration(20 * time.Millisecond),
	"sync.ack_mode":          "city",
	"sync.batch_events":      500,
	"sync.batch_bytes":       256 << 10,
	"sync.window":            32,
	"sync.ack_timeout":       Duration(30 * time.Second),
	"sync.retention":         Duration(7 * 24 * time.Hour),
	"sync.outbox_cap":        1_000_000,
	"sync.backoff_min":       Duration(time.Second),
	"sync.backoff_max":       Duration(2 * time.Minute),
	"sync.state_every":       Duration(time.Minute),
}

// applyDefaults fills the fields that set does not name.
func applyDefaults(c *Config, set map[string]bool) {
	str := func(p string, v *string) {
		if !set[p] {
			*v = defaults[rulePath(p)].(string)
		}
	}
	dur := func(p string, v *Duration) {
		if !set[p] {
			*v = defaults[rulePath(p)].(Duration)
		}
	}
	num := func(p string, v *int) {
		if !set[p] {
			*v = defaults[rulePath(p)].(int)
		}
	}
	str("http.listen", &c.HTTP.Listen)
	str("store.path", &c.Store.Path)
	p := &c.Policy
	dur("policy.pulse", &p.Pulse)
	str("policy.safe_state", &p.SafeState)
	dur("policy.clock_skew", &p.ClockSkew)
	dur("policy.anti_passback", &p.AntiPassback)
	dur("policy.held_open_after", &p.HeldOpenAfter)
	str("policy.unsynced_clock", &p.UnsyncedClock)
	str("policy.clock_source", &p.ClockSource)
	dur("policy.indicator", &p.Indicator)
	y := &c.Sync
	str("sync.ack_mode", &y.AckMode)
	num("sync.batch_events", &y.BatchEvents)
	num("sync.batch_bytes", &y.BatchBytes)
	num("sync.window", &y.Window)
	dur("sync.ack_timeout", &y.AckTimeout)
	dur("sync.retention", &y.Retention)
	num("sync.outbox_cap", &y.OutboxCap)
	dur("sync.backoff_min", &y.BackoffMin)
	dur("sync.backoff_max", &y.BackoffMax)
	dur("sync.state_every", &y.StateEvery)
	for i := range c.Scanners {
		s := &c.Scanners[i]
		at := "scanners[" + itoa(i) + "]."
		if s.Type == "serial" {
			num(at+"baud", &s.Baud)
		}
		str(at+"terminator", &s.Terminator)
		num(at+"max_length", &s.MaxLength)
	}
}
