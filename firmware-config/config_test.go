package config

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/roomgate/roomgate/vision/models"
	"github.com/roomgate/roomgate/vision/quality"
	"github.com/roomgate/roomgate/vision/track"
)

func yamlUnmarshal(data []byte, v any) error { return yaml.Unmarshal(data, v) }

func examples(t *testing.T) []string {
	t.Helper()
	names, err := filepath.Glob("examples/*.yaml")
	if err != nil || len(names) < 4 {
		t.Fatalf("examples/*.yaml = %v, %v; want the 4 example configs", names, err)
	}
	return names
}

func TestExamplesLoad(t *testing.T) {
	for _, name := range examples(t) {
		t.Run(filepath.Base(name), func(t *testing.T) {
			c, err := Load(name)
			if err != nil {
				t.Fatalf("Load(%q) = %v", name, err)
			}
			lines, err := c.Lines()
			if err != nil || lines[RoleRelay].Chip == "" {
				t.Errorf("Lines() = %v, %v; want a relay line", lines, err)
			}
			keys, err := c.PublicKeys(filepath.Dir(name))
			if err != nil || len(keys) != len(c.Trust.Issuers) {
				t.Errorf("PublicKeys() = %v, %v; want %d keys", keys, err, len(c.Trust.Issuers))
			}
		})
	}
}

const minimal = `
identity: {site: hq, gate: east, device: box-1}
board: rpi4
`

func TestDefaults(t *testing.T) {
	c, err := Parse("minimal.yaml", []byte(minimal+`
scanners:
  - {name: s1, type: serial, path: /dev/ttyUSB0}
  - {name: s2, type: hid, path: /dev/input/event0}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Identity: Identity{Site: "hq", Gate: "east", Device: "box-1"},
		Board:    "rpi4",
		Scanners: []Scanner{
			{Name: "s1", Type: "serial", Path: "/dev/ttyUSB0", Baud: 9600, Terminator: "any", MaxLength: 2048},
			{Name: "s2", Type: "hid", Path: "/dev/input/event0", Terminator: "any", MaxLength: 2048},
		},
		Policy: Policy{
			Pulse: Duration(3 * time.Second), SafeState: "fail-secure", ClockSkew: Duration(time.Minute),
			AntiPassback: Duration(30 * time.Second), HeldOpenAfter: Duration(30 * time.Second),
			UnsyncedClock: "deny", ClockSource: "kernel", Indicator: Duration(2 * time.Second),
			MaxPassLifetime: Duration(365 * 24 * time.Hour),
			CCCDFace:        CCCDFace{Threshold: models.DlibResNetV1.Threshold, Within: Duration(10 * time.Second)},
		},
		Store: Store{Path: "/var/lib/roomgate/roomgate.db", Retention: Retention{
			Entries: Duration(90 * 24 * time.Hour), Attendance: Duration(90 * 24 * time.Hour), DoorEvents: Duration(90 * 24 * time.Hour),
			Actions: Duration(90 * 24 * time.Hour), Uses: Duration(400 * 24 * time.Hour), Staging: Duration(7 * 24 * time.Hour),
		}},
		HTTP: HTTP{Listen: "127.0.0.1:8080"},
		Sync: Sync{AckMode: "city", BatchEvents: 500, BatchBytes: 256 << 10, Window: 32, AckTimeout: Duration(30 * time.Second), AckTimeoutMin: Duration(5 * time.Second), AckTimeoutMax: Duration(5 * time.Minute),
			Retention: Duration(7 * 24 * time.Hour), OutboxCap: 1_000_000, BackoffMin: Duration(time.Second),
			BackoffMax: Duration(2 * time.Minute), StateEvery: Duration(time.Minute)},
		Vision: Vision{
			Camera:      Camera{Name: "camera", Width: 640, Height: 480, MaxFPS: 30, Retry: Duration(2 * time.Second)},
			DetectWidth: 320,
			Recognizer:  "dlib_resnet_v1", RecognizerName: "dlib-resnet-v1", RecognizerInput: 150, Threshold: dlibThreshold, MatchThreshold: models.DlibResNetV1.Threshold, Precision: "float32",
			Quality:  quality.Defaults(),
			Decision: "sequential",
			Agreement: func() Agreement {
				a := agreementOf(track.Defaults(dlibThreshold))
				a.MinMargin = 0.01
				return a
			}(),
			Evidence: evidenceOf(track.EvidenceDlibResNetV1()),
			QR:       true,
		},
		Meetings: Meetings{TimeZone: "Asia/Ho_Chi_Minh", LateAfter: Duration(10 * time.Minute), NonInvitees: "notice", GreetingHold: Duration(6 * time.Second)},
		Kiosk:    Kiosk{Language: "vi"},
		Terminal: Terminal{Name: "terminal", Baud: 9600, Timeout: Duration(2 * time.Second), Poll: Duration(2 * time.Second),
			Calls: CallRules{JoinBefore: Duration(2 * time.Minute), HangUpAfter: Duration(5 * time.Minute), RedialOnDrop: true,
				RetryMin: Duration(10 * time.Second), RetryMax: Duration(2 * time.Minute)}},
		Provisioning: Provisioning{Dir: "/var/lib/roomgate/provisioning"},
	}
	if !reflect.DeepEqual(*c, want) {
		t.Errorf("Parse(minimal) = %+v, want %+v", *c, want)
	}
}

// The package's config names no box: it validates only when it says where
// provisioning writes the box's own config, and only with no identity at all.
func TestUnprovisioned(t *testing.T) {
	c, err := Parse("roomgate.yaml", []byte("board: generic\nprovisioning:\n  dir: /var/lib/roomgate/provisioning\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Unprovisioned() || c.Provisioning.Dir != "/var/lib/roomgate/provisioning" {
		t.Errorf("Unprovisioned() = %v, dir %q", c.Unprovisioned(), c.Provisioning.Dir)
	}
	for name, text := range map[string]string{
		"no provisioning section": "board: generic\n",
		"half an identity":        "identity: {site: hq}\nboard: generic\nprovisioning: {dir: /tmp/p}\n",
	} {
		if _, err := Parse("roomgate.yaml", []byte(text)); err == nil || !strings.Contains(err.Error(), "identity.device: required") {
			t.Errorf("%s: Parse = %v, want identity.device required", name, err)
		}
	}
}

func TestExplicitValuesKept(t *testing.T) {
	c, err := Parse("x.yaml", []byte(minimal+`
http: {listen: ""}
policy: {clock_skew: 0s, anti_passback: 0s, pulse: 100ms}
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTP.Listen != "" || c.Policy.ClockSkew != 0 || c.Policy.AntiPassback != 0 || c.Policy.Pulse.D() != 100*time.Millisecond {
		t.Errorf("Parse() = http %q, policy %+v; want the explicit values, not defaults", c.HTTP.Listen, c.Policy)
	}
}

// TestInvalidGolden loads each broken config in testdata/invalid and
// compares the whole report with its .golden file.
func TestInvalidGolden(t *testing.T) {
	names, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil || len(names) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, name := range names {
		t.Run(filepath.Base(name), func(t *testing.T) {
			_, err := Load(name)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Load(%q) = %v, want a *ValidationError", name, err)
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(name, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("Load(%q) =\n%s\nwant\n%s", name, got, want)
			}
			for _, line := range strings.Split(strings.TrimSpace(got), "\n") {
				if !strings.HasPrefix(line, name+":") {
					t.Errorf("report line %q does not start with %q", line, name+":")
				}
			}
		})
	}
}

// TestErrors checks single problems, their field and their line, written out
// here rather than in golden files so that a wrong update cannot hide them.
func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // full report lines
	}{
		{"unknown root key", "identity: {site: hq, gate: east, device: box-1}\nboard: rpi4\nboard_type: rpi4\n",
			[]string{"t.yaml:3: board_type: unknown key (did you mean board?)"}},
		{"unknown nested key", minimal + "policy:\n  pulse: 1s\n  pules: 2s\n",
			[]string{"t.yaml:6: policy.pules: unknown key (did you mean pulse?)"}},
		{"unknown key, no suggestion", minimal + "policy:\n  colour: red\n",
			[]string{"t.yaml:5: policy.colour: unknown key; want one of pulse, safe_state, clock_skew, anti_passback, held_open_after, unsynced_clock, clock_source, allow_cccd, indicator, max_pass_lifetime, cccd_face"}},
		{"unknown key in list item", minimal + "scanners:\n  - name: a\n    type: serial\n    path: /dev/x\n    speed: 9600\n",
			[]string{"t.yaml:8: scanners[0].speed: unknown key; want one of name, type, path, baud, terminator, max_length"}},
		{"unknown key in gpio line", minimal + "gpio:\n  relay:\n    pin: 4\n",
			[]string{"t.yaml:6: gpio.relay.pin: unknown key; want one of chip, line, active_low, debounce, bias"}},
		{"number without unit", minimal + "policy:\n  pulse: 300\n",
			[]string{"t.yaml:5: policy.pulse: want a duration like 300ms, got the number 300 without a unit (ms, s, m or h)"}},
		{"pulse out of range", minimal + "policy:\n  pulse: 61s\n",
			[]string{"t.yaml:5: policy.pulse: 1m1s is out of range: want 100ms to 1m"}},
		{"missing identity uses document line", "\n\nboard: rpi4\n",
			[]string{"t.yaml:3: identity.site: required: want lowercase letters, digits and '-', starting with a letter or digit, at most 63 characters",
				"t.yaml:3: identity.gate: required: want lowercase letters, digits and '-', starting with a letter or digit, at most 63 characters",
				"t.yaml:3: identity.device: required: want lowercase letters, digits and '-', starting with a letter or digit, at most 63 characters"}},
		{"missing field uses parent line", "board: rpi4\nidentity:\n  site: hq\n  gate: east\n",
			[]string{"t.yaml:2: identity.device: required: want lowercase letters, digits and '-', starting with a letter or digit, at most 63 characters"}},
		{"defaulted gpio line uses parent line", "identity: {site: hq, gate: east, device: box-1}\nboard: rpi4\ngpio:\n  buzzer:\n    line: 17\n",
			[]string{"t.yaml:5: gpio.buzzer.line: line 17 on gpiochip0 is already used by relay"}},
		{"bad enum", minimal + "policy: {safe_state: failsafe}\n",
			[]string{`t.yaml:4: policy.safe_state: "failsafe" is not allowed (did you mean fail-safe?)`}},
		{"wrong type", minimal + "scanners: front\n",
			[]string{`t.yaml:4: scanners: want a list (lines starting with '- '), got the text "front"`}},
		{"syntax error", "identity:\n  site: hq\n\tgate: east\n",
			[]string{"t.yaml:3: YAML syntax error: found a tab character that violates indentation"}},
		{"top level not a mapping", "- a\n- b\n",
			[]string{"t.yaml:1: want a mapping (key: value lines), got a list"}},
		{"generic without relay", "identity: {site: hq, gate: east, device: box-1}\nboard: generic\n",
			[]string{"t.yaml:1: gpio.relay: required on board generic (it has no default GPIO map)"}},
		{"null is left out", minimal + "policy:\n  pulse:\n",
			nil},
		{"short PIN", minimal + "kiosk:\n  secretary_pin: \"2468\"\n  technician_pin: \"13579\"\n",
			[]string{"t.yaml:5: kiosk.secretary_pin: not a PIN: want 6 to 12 digits (the value is not shown)",
				"t.yaml:6: kiosk.technician_pin: not a PIN: want 6 to 12 digits (the value is not shown)"}},
		{"use counts purged before their passes expire", minimal + "policy:\n  max_pass_lifetime: 8760h\nstore:\n  retention:\n    uses: 720h\n",
			[]string{"t.yaml:8: store.retention.uses: 720h must be longer than policy.max_pass_lifetime (8760h) and clock_skew"}},
		{"pass lifetime out of range", minimal + "policy:\n  max_pass_lifetime: 43801h\n",
			[]string{"t.yaml:5: policy.max_pass_lifetime: 43801h is out of range: want 1h to 43800h"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tt.yaml))
			var got []string
			if err != nil {
				got = strings.Split(err.Error(), "\n")
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q) =\n%s\nwant\n%s", tt.yaml, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	model := filepath.Join(t.TempDir(), "sface.onnx")
	if err := os.WriteFile(model, []byte("onnx"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, yaml string
		remote     bool
		want       []string
	}{
		{"default", minimal, false, nil},
		{"remote allowed", minimal + "http: {listen: \"0.0.0.0:8080\"}\nkiosk: {allow_remote: true}\n", true,
			[]string{"kiosk.allow_remote: the kiosk on 0.0.0.0:8080 answers other machines: anyone on the network can read the board and try the PINs"}},
		{"remote allowed on loopback", minimal + "kiosk: {allow_remote: true}\n", false,
			[]string{`kiosk.allow_remote: has no effect: http.listen "127.0.0.1:8080" is loopback only`}},
		{"listen everywhere, remote not allowed", minimal + "http: {listen: \":8080\"}\n", false,
			[]string{"http.listen: :8080 is not loopback, but requests from other machines are refused without kiosk.allow_remote: true"}},
		{"localhost", minimal + "http: {listen: \"localhost:8080\"}\n", false, nil},
		{"metrics on loopback", minimal + "metrics: {listen: \"127.0.0.1:9110\"}\n", false, nil},
		{"metrics to the network", minimal + "metrics: {listen: \"10.8.0.5:9110\"}\n", false,
			[]string{"metrics.listen: 10.8.0.5:9110 answers other machines without a login: open it to the city's Prometheus only (firewall, management network)"}},
		{"dlib named", minimal + "vision: {recognizer: dlib_resnet_v1}\n", false, nil},
		{"research model", minimal + "vision: {recognizer: mobilefacenet_y1}\n", false,
			[]string{"vision.recognizer: mobilefacenet_y1 is licensed for non-commercial research only, for comparison on a developer's machine: it must not be deployed at a city site; remove vision.recognizer to run dlib_resnet_v1 (public domain) and re-enrol from the city's photos"}},
		{"research alignment, another file, no fit", minimal + "vision: {recognizer: mobilefacenet_y1, recognizer_model: " + model + ", recognizer_name: sface}\n", false,
			[]string{"vision.decision: vote, because recognizer_model " + model + " has no fitted vision.evidence: a face is named when 3 of 5 frames agree instead of as soon as the evidence suffices; fit intercept, score and margin with visionbench -sections fit and set them in vision.evidence"}},
		{"another file, fitted", minimal + "vision: {recognizer_model: " + model + ", recognizer_name: sface, evidence: {intercept: -9, score: 20, margin: 5}}\n", false, nil},
		{"another file, the vote chosen", minimal + "vision: {recognizer_model: " + model + ", recognizer_name: sface, decision: vote}\n", false, nil},
	} {
		c, err := Parse("t.yaml", []byte(tt.yaml))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := c.Warnings(); !reflect.DeepEqual(got, tt.want) || c.RemoteKiosk() != tt.remote {
			t.Errorf("%s: Warnings() = %q, RemoteKiosk() = %v, want %q, %v", tt.name, got, c.RemoteKiosk(), tt.want, tt.remote)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want fs.ErrNotExist", err)
	}
}

// TestGarbage loads what a wrong file could hold: no panic, a short clear report.
func TestGarbage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 1_000_000)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	printable := make([]byte, 1_000_000)
	const chars = "abc xyz:-{}[]&*!|>'\"%@`#,?\n  "
	for i := range printable {
		printable[i] = chars[rng.IntN(len(chars))]
	}
	tests := []struct {
		name string
		data []byte
		want string // in the report
	}{
		{"1 MB of random bytes", random, "invalid UTF-8"},
		{"1 MB of YAML punctuation", printable, "t.yaml:"},
		{"ELF binary", []byte("\x7fELF\x02\x01\x01\x00\x00\x00"), "t.yaml:1: control character U+007F: a config is YAML text"},
		{"NUL on line 3", []byte("a: 1\nb: 2\nc: \x00\n"), "t.yaml:3: control character U+0000"},
		{"too large", make([]byte, MaxSize+1), "file is larger than 1048576 bytes"},
		{"empty", nil, "t.yaml: config is empty"},
		{"only a comment", []byte("# nothing\n"), "t.yaml: config is empty"},
		{"deep nesting", []byte(strings.Repeat("[", 5000)), "t.yaml:"},
		{"alias bomb", []byte("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nrevoked: *e\ntrust: {revoked: *e}\n"), "trust.revoked[0]: want text, got a list"},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "t.yaml")
			if err := os.WriteFile(path, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Errors) == 0 || len(ve.Errors) > maxErrors+1 {
				t.Fatalf("Load() = %.300v, want a *ValidationError with 1 to %d problems", err, maxErrors+1)
			}
			if want := strings.ReplaceAll(tt.want, "t.yaml", path); !strings.Contains(err.Error(), want) {
				t.Errorf("Load() = %.300s, want it to contain %q", err, want)
			}
		})
	}
}

func TestManyErrorsCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString(minimal)
	for i := range 300 {
		b.WriteString("junk" + itoa(i) + ": 1\n")
	}
	_, err := Parse("t.yaml", []byte(b.String()))
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Errors) != maxErrors+1 {
		t.Fatalf("Parse(300 unknown keys) = %d problems, want %d", len(ve.Errors), maxErrors+1)
	}
	if last := ve.Errors[maxErrors].Error(); last != "t.yaml: 200 more problems not shown" {
		t.Errorf("last problem = %q, want the count of the rest", last)
	}
}

func TestLines(t *testing.T) {
	pi := map[Role]int{RoleRelay: 17, RoleDoorSensor: 27, RoleExitButton: 22, RoleGreenLED: 23, RoleRedLED: 24, RoleBuzzer: 25}
	for board, chip := range map[string]string{"rpi4": "gpiochip0", "rpi5": "label:pinctrl-rp1", "sim": "sim"} {
		lines, err := (&Config{Board: board}).Lines()
		if err != nil {
			t.Fatalf("Lines(%s) = %v", board, err)
		}
		if len(lines) != len(pi) {
			t.Errorf("Lines(%s) has %d roles, want %d", board, len(lines), len(pi))
		}
		for role, offset := range pi {
			l := lines[role]
			want := Line{Chip: chip, Offset: offset}
			if role.Input() {
				want.ActiveLow, want.Debounce, want.Bias = true, Duration(20*time.Millisecond), "pull-up"
			}
			if l != want {
				t.Errorf("Lines(%s)[%s] = %+v, want %+v", board, role, l, want)
			}
		}
	}

	// A partial override keeps the profile's other fields.
	c, err := Parse("t.yaml", []byte(minimal+"gpio:\n  relay: {line: 5, active_low: true}\n  exit_button: {active_low: false}\n"))
	if err != nil {
		t.Fatal(err)
	}
	lines, err := c.Lines()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := lines[RoleRelay], (Line{Chip: "gpiochip0", Offset: 5, ActiveLow: true}); got != want {
		t.Errorf("Lines()[relay] = %+v, want %+v", got, want)
	}
	if got, want := lines[RoleExitButton], (Line{Chip: "gpiochip0", Offset: 22, Debounce: Duration(20 * time.Millisecond), Bias: "pull-up"}); got != want {
		t.Errorf("Lines()[exit_button] = %+v, want %+v", got, want)
	}

	// Generic: only what is configured, inputs debounced by default.
	c, err = Parse("t.yaml", []byte("identity: {site: hq, gate: east, device: box-1}\nboard: generic\ngpio:\n  relay: {chip: gpiochip1, line: 0}\n  door_sensor: {chip: gpiochip1, line: 1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	lines, err = c.Lines()
	if want := map[Role]Line{RoleRelay: {Chip: "gpiochip1"}, RoleDoorSensor: {Chip: "gpiochip1", Offset: 1, Debounce: Duration(20 * time.Millisecond)}}; err != nil || !reflect.DeepEqual(lines, want) {
		t.Errorf("Lines(generic) = %v, %v; want %v", lines, err, want)
	}

	bad := []struct {
		c    Config
		want string
	}{
		{Config{Board: "generic"}, "gpio.relay: required on board generic (it has no default GPIO map)"},
		{Config{Board: "rpi9"}, `board: "rpi9" has no GPIO profile (did you mean rpi4?)`},
		{Config{Board: "rpi4", GPIO: map[Role]Line{RoleBuzzer: {Chip: "/dev/gpiochip0", Offset: 17}}}, "gpio.buzzer.line: line 17 on /dev/gpiochip0 is already used by relay"},
		{Config{Board: "rpi4", GPIO: map[Role]Line{"horn": {Chip: "x"}}}, "gpio.horn: unknown role; want one of relay, door_sensor, exit_button, green_led, red_led, buzzer"},
		{Config{Board: "rpi4", GPIO: map[Role]Line{RoleRelay: {Offset: 1}}}, "gpio.relay.chip: required"},
	}
	for _, tt := range bad {
		_, err := tt.c.Lines()
		if err == nil || err.Error() != tt.want {
			t.Errorf("Lines(%+v) = %v, want %s", tt.c, err, tt.want)
		}
	}
}

func TestPublicKeys(t *testing.T) {
	dir := t.TempDir()
	pemKey := "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA9w5+yIO+lF2uyYk5Vfmm+nzhfrqvCmnzZsJ3ly6m+OA=\n-----END PUBLIC KEY-----\n"
	if err := os.WriteFile(filepath.Join(dir, "k.pem"), []byte(pemKey), 0o644); err != nil {
		t.Fatal(err)
	}
	c := &Config{Trust: Trust{Issuers: []Issuer{
		{Kid: "raw", Iss: "city", PublicKey: "9w5-yIO-lF2uyYk5Vfmm-nzhfrqvCmnzZsJ3ly6m-OA"},
		{Kid: "pem", PublicKey: pemKey},
		{Kid: "file", KeyFile: "k.pem"},
	}}}
	keys, err := c.PublicKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := base64.RawURLEncoding.DecodeString("9w5-yIO-lF2uyYk5Vfmm-nzhfrqvCmnzZsJ3ly6m-OA")
	for kid, k := range keys {
		if !k.Key.Equal(ed25519.PublicKey(want)) {
			t.Errorf("PublicKeys()[%s] = %x, want %x", kid, k.Key, want)
		}
	}
	if len(keys) != 3 || keys["raw"].Iss != "city" || keys["pem"].Iss != "" {
		t.Errorf("PublicKeys() = %v, want 3 keys with raw's iss city", keys)
	}
	c.Trust.Issuers = append(c.Trust.Issuers, Issuer{Kid: "gone", KeyFile: "gone.pem"})
	if _, err := c.PublicKeys(dir); err == nil || !strings.Contains(err.Error(), "gone.pem") {
		t.Errorf("PublicKeys(missing file) = %v, want an error naming gone.pem", err)
	}
}

func TestDuration(t *testing.T) {
	var v struct {
		D Duration `yaml:"d"`
	}
	for in, want := range map[string]time.Duration{"300ms": 300 * time.Millisecond, "5s": 5 * time.Second, "2m": 2 * time.Minute, "1h30m": 90 * time.Minute} {
		if err := yaml.Unmarshal([]byte("d: "+in), &v); err != nil || v.D.D() != want {
			t.Errorf("yaml.Unmarshal(d: %s) = %v, %v; want %v", in, v.D.D(), err, want)
		}
		if got := v.D.String(); got != in {
			t.Errorf("Duration(%v).String() = %q, want %q", want, got, in)
		}
		if out, err := yaml.Marshal(v); err != nil || string(out) != "d: "+in+"\n" {
			t.Errorf("yaml.Marshal(%v) = %q, %v; want %q", want, out, err, "d: "+in+"\n")
		}
	}
	for _, in := range []string{"300", "1.5", "soon", "[1s]"} {
		if err := yaml.Unmarshal([]byte("d: "+in), &v); err == nil || !strings.Contains(err.Error(), "want a duration like 300ms") {
			t.Errorf("yaml.Unmarshal(d: %s) = %v, want a duration error", in, err)
		}
	}
}

func TestCityKey(t *testing.T) {
	dir := t.TempDir()
	pemKey := "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA9w5+yIO+lF2uyYk5Vfmm+nzhfrqvCmnzZsJ3ly6m+OA=\n-----END PUBLIC KEY-----\n"
	for name, data := range map[string]string{"city-ops.pub": pemKey, "raw.pub": "9w5-yIO-lF2uyYk5Vfmm-nzhfrqvCmnzZsJ3ly6m-OA", "ca.pem": "x", "cert.pem": "x", "key.pem": "x"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sync := "sync:\n  broker: ssl://127.0.0.1:8883\n  ca_file: ca.pem\n  cert_file: cert.pem\n  key_file: key.pem\n"
	path := filepath.Join(dir, "t.yaml")
	c, err := Parse(path, []byte(minimal+sync+"  city_key: city-ops.pub\n"))
	if err != nil {
		t.Fatal(err)
	}
	k, err := c.CityKey(dir)
	want, _ := base64.RawURLEncoding.DecodeString("9w5-yIO-lF2uyYk5Vfmm-nzhfrqvCmnzZsJ3ly6m-OA")
	if err != nil || !k.Equal(ed25519.PublicKey(want)) {
		t.Errorf("CityKey() = %x, %v, want %x", k, err, want)
	}
	for _, bad := range []struct{ file, reason string }{{"raw.pub", "want a PEM PUBLIC KEY block"}, {"gone.pub", "no such file"}} {
		_, err := Parse(path, []byte(minimal+sync+"  city_key: "+bad.file+"\n"))
		if err == nil || !strings.Contains(err.Error(), "sync.city_key: ") || !strings.Contains(err.Error(), bad.reason) {
			t.Errorf("Parse(city_key: %s) = %v, want a sync.city_key error naming %q", bad.file, err, bad.reason)
		}
	}
	if k, err := (&Config{}).CityKey(dir); k != nil || err != nil {
		t.Errorf("CityKey() without sync.city_key = %x, %v, want nil, nil", k, err)
	}
}
