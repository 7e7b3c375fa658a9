package config

import (
	"regexp"
	"strings"
	"time"

	"github.com/roomgate/roomgate/devices/terminal/generic"
	"github.com/roomgate/roomgate/vision/models"
)

// The limits below are shared by validation and the JSON Schema. They are
// keyed by field path, with list indexes written [] and GPIO roles *.

// namePattern is what identity names and scanner names must match: they end
// up in MQTT topics and a certificate CN.
const namePattern = `^[a-z0-9][a-z0-9-]{0,62}$`

var nameRE = regexp.MustCompile(namePattern)

// roles are the GPIO roles in the order lines are checked and listed.
var roles = []Role{RoleRelay, RoleDoorSensor, RoleExitButton, RoleGreenLED, RoleRedLED, RoleBuzzer}

// Input reports whether the role is a line the agent reads rather than drives.
func (r Role) Input() bool { return r == RoleDoorSensor || r == RoleExitButton }

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	for _, k := range roles {
		if r == k {
			return true
		}
	}
	return false
}

var enums = map[string][]string{
	"board":                 {"rpi4", "rpi5", "generic", "sim"},
	"scanners[].type":       {"serial", "hid"},
	"scanners[].terminator": {"cr", "lf", "crlf", "any"},
	"policy.safe_state":     {"fail-secure", "fail-safe"},
	"policy.unsynced_clock": {"deny", "allow"},
	"policy.clock_source":   {"kernel", "timesyncd", "trusted"},
	"gpio.*.bias":           {"pull-up", "pull-down", "disabled"},
	"sync.ack_mode":         {"city", "puback"},
	"vision.camera.kind":    {"v4l2", "rtsp", "file", "folder"},
	"vision.precision":      {"float32", "int8"},
	"vision.decision":       {"sequential", "vote"},
	"vision.recognizer":     {"dlib_resnet_v1", "mobilefacenet_y1"},
	"meetings.non_invitees": {"notice", "record"},
	"kiosk.language":        {"vi", "en"},
	"terminal.kind":         {"poly", "cisco", "generic"},

	"terminal.generic.calls[].state": generic.States,
}

// nameWant says namePattern in words.
const nameWant = "lowercase letters, digits and '-', starting with a letter or digit, at most 63 characters"

// A PIN is typed on the touch screen's keypad. Six digits at least: with
// the kiosk's escalating lockout a guesser needs years at the screen.
var pinRE = regexp.MustCompile(`^[0-9]{6,12}$`)

const pinWant = "6 to 12 digits"

// secret fields are never echoed in a message: it may end up in a log.
var secret = map[string]bool{"kiosk.secretary_pin": true, "kiosk.technician_pin": true}

var sha256RE = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)

// patterns are regular expressions for strings, with what a match is and
// what it looks like in words.
var patterns = map[string]struct {
	re   *regexp.Regexp
	what string
	want string
}{
	"identity.site":          {nameRE, "a valid name", nameWant},
	"identity.gate":          {nameRE, "a valid name", nameWant},
	"identity.device":        {nameRE, "a valid name", nameWant},
	"scanners[].name":        {nameRE, "a valid name", nameWant},
	"vision.camera.name":     {nameRE, "a valid name", nameWant},
	"terminal.name":          {nameRE, "a valid name", nameWant},
	"vision.recognizer_name": {nameRE, "a valid name", nameWant},
	"vision.sha256":          {sha256RE, "a sha256", "64 hex digits, as sha256sum prints them"},
	"kiosk.secretary_pin":    {pinRE, "a PIN", pinWant},
	"kiosk.technician_pin":   {pinRE, "a PIN", pinWant},
}

// required fields must be present and non-empty (after defaults).
var required = map[string]bool{
	"board":               true,
	"scanners[].name":     true,
	"scanners[].type":     true,
	"store.path":          true,
	"gpio.*.chip":         true,
	"trust.issuers[].kid": true,
}

// bauds are the serial speeds a scanner may use.
var bauds = []int{1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600}

// intLimits are inclusive ranges.
var intLimits = map[string][2]int{
	"scanners[].max_length":   {64, 65536},
	"gpio.*.line":             {0, 65535},
	"sync.batch_events":       {1, 10000},
	"sync.batch_bytes":        {4 << 10, 1 << 20},
	"sync.window":             {1, 1024},
	"sync.outbox_cap":         {1000, 100_000_000},
	"vision.camera.width":     {0, 7680},
	"vision.camera.height":    {0, 4320},
	"vision.recognizer_input": {32, 1024},
	"vision.detect_width":     {models.MinDetectWidth, 7680},
	"vision.evidence.people":  {1, 10_000_000},
	"vision.agreement.agree":  {1, 100},
	"vision.agreement.frames": {1, 100},
}

// floatLimits are inclusive ranges. A bound the vision packages require to
// be exceeded (more than 0) is checked by their Validate.
var floatLimits = map[string][2]float64{
	"vision.camera.max_fps":           {0, 120},
	"vision.threshold":                {0, 1},
	"vision.match_threshold":          {0, 1},
	"policy.cccd_face.threshold":      {0.2, 1}, // below 0.2 nearly anyone matches
	"vision.quality.min_score":        {0, 1},
	"vision.quality.edge_margin":      {0, 100},
	"vision.quality.min_face_size":    {0, 4096},
	"vision.quality.min_eye_distance": {0, 4096},
	"vision.quality.max_yaw":          {0, 2},
	"vision.quality.min_pitch":        {0, 1},
	"vision.quality.max_pitch":        {0, 1},
	"vision.quality.max_roll":         {0, 90},
	"vision.quality.min_sharpness":    {0, 10000},
	"vision.quality.min_brightness":   {0, 255},
	"vision.quality.max_brightness":   {0, 255},
	"vision.agreement.min_margin":     {0, 1},
	"vision.agreement.min_iou":        {0, 1},
	"vision.evidence.intercept":       {-100, 100},
	"vision.evidence.score":           {0, 1000},
	"vision.evidence.margin":          {0, 1000},
	"vision.evidence.cap":             {0, 100},
	"vision.evidence.accept":          {0, 1000},
	"vision.evidence.reject":          {0, 1000},
	"vision.evidence.people_slope":    {-5, 5},
}

// durationLimits are inclusive ranges.
var durationLimits = map[string][2]Duration{
	"policy.pulse":             {Duration(100 * time.Millisecond), Duration(time.Minute)},
	"policy.clock_skew":        {0, Duration(10 * time.Minute)},
	"policy.anti_passback":     {0, Duration(24 * time.Hour)},
	"policy.held_open_after":   {Duration(time.Second), Duration(time.Hour)},
	"policy.indicator":         {Duration(100 * time.Millisecond), Duration(time.Minute)},
	"policy.max_pass_lifetime": {Duration(time.Hour), Duration(5 * 365 * 24 * time.Hour)},
	"policy.cccd_face.within":  {Duration(time.Second), Duration(time.Minute)},
	"gpio.*.debounce":          {0, Duration(time.Second)},
	"sync.ack_timeout":         {Duration(time.Second), Duration(time.Hour)},
	"sync.ack_timeout_min":     {Duration(time.Second), Duration(time.Hour)},
	"sync.ack_timeout_max":     {Duration(time.Second), Duration(time.Hour)},
	"sync.retention":           {0, Duration(365 * 24 * time.Hour)},
	"sync.backoff_min":         {Duration(100 * time.Millisecond), Duration(time.Minute)},
	"sync.backoff_max":         {Duration(time.Second), Duration(time.Hour)},
	"sync.state_every":         {Duration(time.Second), Duration(time.Hour)},
	"vision.camera.retry":      {Duration(100 * time.Millisecond), Duration(5 * time.Minute)},
	"vision.agreement.window":  {Duration(100 * time.Millisecond), Duration(time.Minute)},
	"vision.agreement.lost":    {Duration(100 * time.Millisecond), Duration(time.Minute)},
	"vision.agreement.spacing": {0, Duration(10 * time.Second)},
	"vision.evidence.spacing":  {Duration(time.Millisecond), Duration(10 * time.Second)},
	"vision.evidence.patience": {Duration(100 * time.Millisecond), Duration(time.Minute)},
	"meetings.late_after":      {0, Duration(24 * time.Hour)},
	"meetings.greeting_hold":   {Duration(time.Second), Duration(time.Minute)},
	"terminal.timeout":         {Duration(100 * time.Millisecond), Duration(time.Minute)},
	"terminal.poll":            {Duration(500 * time.Millisecond), Duration(10 * time.Minute)},

	"terminal.calls.join_before":   {0, Duration(time.Hour)},
	"terminal.calls.hang_up_after": {0, Duration(24 * time.Hour)},
	"terminal.calls.retry_min":     {Duration(time.Second), Duration(10 * time.Minute)},
	"terminal.calls.retry_max":     {Duration(time.Second), Duration(time.Hour)},

	"store.retention.entries":     {Duration(24 * time.Hour), Duration(10 * 365 * 24 * time.Hour)},
	"store.retention.attendance":  {Duration(24 * time.Hour), Duration(10 * 365 * 24 * time.Hour)},
	"store.retention.door_events": {Duration(24 * time.Hour), Duration(10 * 365 * 24 * time.Hour)},
	"store.retention.actions":     {Duration(24 * time.Hour), Duration(10 * 365 * 24 * time.Hour)},
	"store.retention.uses":        {Duration(30 * 24 * time.Hour), Duration(10 * 365 * 24 * time.Hour)},
	"store.retention.staging":     {Duration(time.Hour), Duration(30 * 24 * time.Hour)},
}

// rulePath turns a field path into the key of the tables above.
func rulePath(path string) string {
	var b strings.Builder
	for i := 0; i < len(path); i++ {
		b.WriteByte(path[i])
		if path[i] == '[' {
			for i+1 < len(path) && path[i+1] != ']' {
				i++
			}
		}
	}
	p := b.String()
	if rest, ok := strings.CutPrefix(p, "gpio."); ok {
		if _, field, ok := strings.Cut(rest, "."); ok {
			return "gpio.*." + field
		}
		return "gpio.*"
	}
	return p
}
