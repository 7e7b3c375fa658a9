package config

import (
	"reflect"
	"time"

	"github.com/roomgate/roomgate/agent/pass"
	"github.com/roomgate/roomgate/devices/terminal"
	"github.com/roomgate/roomgate/vision/quality"
	"github.com/roomgate/roomgate/vision/track"
)

// mobileFaceNetThreshold is MobileFaceNet's default of vision.threshold, which the
// agreement rule uses as well. It is higher than its 1:1 threshold (0.30,
// vision/models): a check-in searches the whole gallery, and visionbench's
// open-set table shows a stranger's frame accepted as somebody 17 % of the
// time at 0.30 with 100 people enrolled, under 1 % at 0.42, where 97 % of
// enrolled people are still named in one frame. A gallery of several
// hundred people wants 0.45 to 0.48 (vision/README.md).
const mobileFaceNetThreshold float32 = 0.42

// Defaults for the fields a config leaves out (or sets to null). This is the
// one list: Parse applies it and the JSON Schema shows it. Scanner defaults
// apply to each scanner (baud to serial ones only), the debounce to each
// input line. The face engine's quality gate and agreement rule take the
// defaults of their own packages, vision/quality and vision/track.
var defaults = withSections(map[string]any{
	"http.listen":              "127.0.0.1:8080",
	"metrics.listen":           "", // off: only the city knows where its Prometheus reaches the box, and a box opens no port nobody asked for
	"store.path":               "/var/lib/roomgate/roomgate.db",
	"provisioning.dir":         "/var/lib/roomgate/provisioning",
	"policy.pulse":             Duration(3 * time.Second),
	"policy.safe_state":        "fail-secure",
	"policy.clock_skew":        Duration(60 * time.Second),
	"policy.anti_passback":     Duration(30 * time.Second),
	"policy.held_open_after":   Duration(30 * time.Second),
	"policy.unsynced_clock":    "deny",
	"policy.clock_source":      "kernel",
	"policy.indicator":         Duration(2 * time.Second),
	"policy.max_pass_lifetime": Duration(pass.DefaultMaxLifetime),
	"scanners[].baud":          9600,
	"scanners[].terminator":    "any",
	"scanners[].max_length":    2048,
	"gpio.*.debounce":          Duration(20 * time.Millisecond),
	"sync.ack_mode":            "city",
	"sync.batch_events":        500,
	"sync.batch_bytes":         256 << 10,
	"sync.window":              32,
	"sync.ack_timeout":         Duration(30 * time.Second),
	"sync.ack_timeout_min":     Duration(5 * time.Second),
	"sync.ack_timeout_max":     Duration(5 * time.Minute),
	"sync.retention":           Duration(7 * 24 * time.Hour),
	"sync.outbox_cap":          1_000_000,
	"sync.backoff_min":         Duration(time.Second),
	"sync.backoff_max":         Duration(2 * time.Minute),
	"sync.state_every":         Duration(time.Minute),
	"vision.camera.name":       "camera",
	"vision.camera.width":      640, // the size quality.Defaults is meant for
	"vision.camera.height":     480,
	"vision.camera.max_fps":    30.0, // the camera's own rate up to 30: both rules space their frames in time, and faster only adds frames of the same instant
	"vision.camera.retry":      Duration(2 * time.Second),
	"vision.detect_width":      320, // half a VGA frame: a third of the CPU at 30 fps, and a 60-px face is still 30 px to YuNet (vision/README.md)
	"vision.recognizer":        defaultRecognizer,
	"vision.recognizer_name":   recognizers[defaultRecognizer].name,
	"vision.recognizer_input":  recognizers[defaultRecognizer].input,
	"vision.threshold":         recognizers[defaultRecognizer].threshold,
	"vision.match_threshold":   recognizers[defaultRecognizer].match,
	"vision.precision":         "float32",
	"vision.decision":          "sequential", // names a clear face in two frames 100 ms apart; a recognizer without a fit falls back to the vote (applyRecognizer)
	"vision.qr":                true,
	"meetings.time_zone":       "Asia/Ho_Chi_Minh",
	"meetings.late_after":      Duration(10 * time.Minute),
	"meetings.non_invitees":    "notice",
	"meetings.greeting_hold":   Duration(6 * time.Second),
	"kiosk.language":           "vi",
	"terminal.name":            "terminal",
	"terminal.baud":            9600,
	"terminal.timeout":         Duration(terminal.DefaultTimeout),
	"terminal.poll":            Duration(terminal.DefaultPollInterval),

	// A bridge takes a few tens of seconds to admit a room; two minutes
	// leave time for one failed dial and its retry before the start.
	"terminal.calls.join_before":    Duration(2 * time.Minute),
	"terminal.calls.hang_up_after":  Duration(5 * time.Minute),
	"terminal.calls.redial_on_drop": true,
	"terminal.calls.retry_min":      Duration(10 * time.Second),
	"terminal.calls.retry_max":      Duration(2 * time.Minute),

	// Records the city acknowledged are kept three months, enough for an
	// audit on the box; a use count outlives a pass of a year and its skew.
	"store.retention.entries":     Duration(90 * 24 * time.Hour),
	"store.retention.attendance":  Duration(90 * 24 * time.Hour),
	"store.retention.door_events": Duration(90 * 24 * time.Hour),
	"store.retention.actions":     Duration(90 * 24 * time.Hour),
	"store.retention.uses":        Duration(400 * 24 * time.Hour),
	"store.retention.staging":     Duration(7 * 24 * time.Hour),

	// A chip ID card's face check compares one face with one template: the
	// recogniser's 1:1 figure, as enrolment's; ten seconds to step up.
	"policy.cccd_face.threshold": recognizers[defaultRecognizer].match,
	"policy.cccd_face.within":    Duration(10 * time.Second),
}, map[string]any{
	"vision.quality":   quality.Defaults(),
	"vision.agreement": agreementOf(track.Defaults(recognizers[defaultRecognizer].threshold)),
	"vision.evidence":  evidenceOf(track.EvidenceDefaults()),
})

// withSections adds to m every field of each section's default struct, by
// its YAML name, so that defaults kept by another package are listed here
// without being copied.
func withSections(m map[string]any, sections map[string]any) map[string]any {
	for path, s := range sections {
		v := reflect.ValueOf(s)
		for i := range v.NumField() {
			m[join(path, yamlName(v.Type().Field(i)))] = v.Field(i).Interface()
		}
	}
	return m
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
	str("metrics.listen", &c.Metrics.Listen)
	str("store.path", &c.Store.Path)
	str("provisioning.dir", &c.Provisioning.Dir)
	fill(reflect.ValueOf(&c.Store.Retention).Elem(), "store.retention", set)
	p := &c.Policy
	dur("policy.pulse", &p.Pulse)
	str("policy.safe_state", &p.SafeState)
	dur("policy.clock_skew", &p.ClockSkew)
	dur("policy.anti_passback", &p.AntiPassback)
	dur("policy.held_open_after", &p.HeldOpenAfter)
	str("policy.unsynced_clock", &p.UnsyncedClock)
	str("policy.clock_source", &p.ClockSource)
	dur("policy.indicator", &p.Indicator)
	dur("policy.max_pass_lifetime", &p.MaxPassLifetime)
	fill(reflect.ValueOf(&p.CCCDFace).Elem(), "policy.cccd_face", set)
	y := &c.Sync
	str("sync.ack_mode", &y.AckMode)
	num("sync.batch_events", &y.BatchEvents)
	num("sync.batch_bytes", &y.BatchBytes)
	num("sync.window", &y.Window)
	dur("sync.ack_timeout", &y.AckTimeout)
	dur("sync.ack_timeout_min", &y.AckTimeoutMin)
	dur("sync.ack_timeout_max", &y.AckTimeoutMax)
	dur("sync.retention", &y.Retention)
	num("sync.outbox_cap", &y.OutboxCap)
	dur("sync.backoff_min", &y.BackoffMin)
	dur("sync.backoff_max", &y.BackoffMax)
	dur("sync.state_every", &y.StateEvery)
	fill(reflect.ValueOf(&c.Vision).Elem(), "vision", set)
	applyRecognizer(&c.Vision, &c.Policy.CCCDFace, set)
	fill(reflect.ValueOf(&c.Meetings).Elem(), "meetings", set)
	fill(reflect.ValueOf(&c.Kiosk).Elem(), "kiosk", set)
	fill(reflect.ValueOf(&c.Terminal).Elem(), "terminal", set)
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

// fill sets each field of the struct v that set does not name and that has
// a default, section by section.
func fill(v reflect.Value, path string, set map[string]bool) {
	for i := range v.NumField() {
		f, p := v.Field(i), join(path, yamlName(v.Type().Field(i)))
		if f.Kind() == reflect.Struct && f.Type() != durationType {
			fill(f, p, set)
			continue
		}
		if d, ok := defaults[rulePath(p)]; ok && !set[p] {
			f.Set(reflect.ValueOf(d)) // a default of the wrong type panics in every test
		}
	}
}
