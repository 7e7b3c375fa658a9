package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/devices/terminal/generic/genericsim"
)

// A real ed25519 host key line, as ssh-keyscan prints it without the host.
const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"

// terminalDir holds the files the terminal cases name: a password file
// readable by its owner only, one readable by all, and definition files.
func terminalDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, f := range map[string]struct {
		data string
		mode os.FileMode
	}{
		"pw":        {"s3cret\n", 0o600},
		"pw-open":   {"s3cret\n", 0o644},
		"vct.yaml":  {mustRead(t, "examples/terminals/vct-100.yaml"), 0o644},
		"bad.yaml":  {"dial: CALL {{pin}}\nhang_up: BYE\nstatus: LIST\nreplies:\n  ok: '.*'\n  error: '^NO$'\n  status_end: '^END$'\ncalls:\n  - match: '^UP$'\n    state: up\nbogus: 1\n", 0o644},
		"notyaml.y": {"\x00", 0o644},
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(f.data), f.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(dir, name), f.mode); err != nil { // umask aside
			t.Fatal(err)
		}
	}
	return dir
}

func mustRead(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestTerminalErrors(t *testing.T) {
	dir := terminalDir(t)
	inline := "    dial: CALL {{number}}\n    hang_up: BYE\n    status: LIST\n    replies: {ok: '^OK$', error: '^NO (.*)$', status_end: '^END$'}\n"
	tests := []struct {
		name string
		yaml string
		want []string // report lines, the temporary directory written D
	}{
		{"no terminal", minimal, nil},
		{"poly on serial", minimal + "terminal:\n  kind: poly\n  port: /dev/serial/by-id/usb-FTDI*\n  baud: 115200\n", nil},
		{"poly on the network with its password", minimal + "terminal:\n  kind: poly\n  address: 10.20.0.31:24\n  password_file: pw\n", nil},
		{"cisco over ssh, key pinned", minimal + "terminal:\n  kind: cisco\n  address: codec.room2:22\n  user: roomgate\n  password_file: pw\n  host_key: " + hostKey + "\n", nil},
		{"cisco over ssh, fingerprint pinned", minimal + "terminal:\n  kind: cisco\n  address: codec.room2:22\n  user: roomgate\n  key_file: pw\n  host_key: SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s\n", nil},
		{"simulated", minimal + "terminal: {kind: poly, sim: true}\n", nil},
		{"generic from a file", minimal + "terminal:\n  kind: generic\n  address: 10.20.0.31:5000\n  password_file: pw\n  definition_file: vct.yaml\n", nil},
		{"generic inline", minimal + "terminal:\n  kind: generic\n  port: /dev/ttyS0\n  generic:\n" + inline + "    calls:\n      - {match: '^C (?P<id>\\d+) UP$', state: connected}\n", nil},

		{"section without kind", minimal + "terminal:\n  port: /dev/ttyS0\n",
			[]string{"t.yaml:4: terminal.kind: required: want one of poly, cisco, generic; or leave the terminal section out"}},
		{"unknown kind", minimal + "terminal:\n  kind: polycom\n  port: /dev/ttyS0\n",
			[]string{`t.yaml:5: terminal.kind: "polycom" is not allowed (did you mean poly?)`}},
		{"nowhere", minimal + "terminal:\n  kind: poly\n",
			[]string{"t.yaml:4: terminal.port: required: give port (RS-232), address (network) or sim: true"}},
		{"two ways", minimal + "terminal:\n  kind: poly\n  port: /dev/ttyS0\n  address: 10.0.0.1:24\n",
			[]string{"t.yaml:7: terminal.address: give one of port, address and sim: true, not port and address"}},
		{"bad serial", minimal + "terminal:\n  kind: poly\n  port: /dev/tty[\n  baud: 9601\n",
			[]string{`t.yaml:6: terminal.port: "/dev/tty[" is not a valid path or glob: syntax error in pattern`,
				"t.yaml:7: terminal.baud: 9601 is not a serial speed: want one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600"}},
		{"baud on the network", minimal + "terminal:\n  kind: poly\n  address: 10.0.0.1:24\n  baud: 9600\n  password_file: pw\n",
			[]string{"t.yaml:7: terminal.baud: applies to a serial port only"}},
		{"bad address", minimal + "terminal:\n  kind: generic\n  address: 10.0.0.1\n  definition_file: vct.yaml\n",
			[]string{`t.yaml:6: terminal.address: want host:port like 10.20.0.31:24, got "10.0.0.1"`}},
		{"bad name", minimal + "terminal:\n  name: Room 2\n  kind: poly\n  sim: true\n",
			[]string{`t.yaml:5: terminal.name: "Room 2" is not a valid name: want lowercase letters, digits and '-', starting with a letter or digit, at most 63 characters`}},
		{"cisco over ssh without a pinned host key", minimal + "terminal:\n  kind: cisco\n  address: codec:22\n",
			[]string{"t.yaml:4: terminal.user: required for a cisco terminal over SSH",
				"t.yaml:4: terminal.password_file: required for a cisco terminal over SSH: give password_file or key_file",
				"t.yaml:4: terminal.host_key: required for a cisco terminal over SSH, so that a machine posing as the terminal is refused: give its public key line (ssh-keyscan -t ed25519 HOST) or its SHA256: fingerprint (ssh-keygen -lf)"}},
		{"host key with the host name", minimal + "terminal:\n  kind: cisco\n  address: codec:22\n  user: u\n  key_file: pw\n  host_key: codec " + hostKey + "\n",
			[]string{"t.yaml:9: terminal.host_key: starts with a host name: leave out the first word that ssh-keyscan prints"}},
		{"host key of another type", minimal + "terminal:\n  kind: cisco\n  address: codec:22\n  user: u\n  key_file: pw\n  host_key: ssh-rsa " + strings.Fields(hostKey)[1] + "\n",
			[]string{"t.yaml:9: terminal.host_key: the key's data is not a ssh-rsa key"}},
		{"host key garbage", minimal + "terminal:\n  kind: cisco\n  address: codec:22\n  user: u\n  key_file: pw\n  host_key: SHA256:abc\n",
			[]string{"t.yaml:9: terminal.host_key: not a SHA256 fingerprint: want SHA256: and 43 base64 characters, as ssh-keygen -l prints"}},
		{"both ssh secrets", minimal + "terminal:\n  kind: cisco\n  address: codec:22\n  user: u\n  key_file: pw\n  password_file: pw\n  host_key: " + hostKey + "\n",
			[]string{"t.yaml:8: terminal.key_file: give password_file or key_file, not both"}},
		{"ssh fields on serial", minimal + "terminal:\n  kind: cisco\n  port: /dev/ttyS0\n  user: admin\n  host_key: " + hostKey + "\n",
			[]string{"t.yaml:7: terminal.user: applies to a cisco terminal over SSH (address) only",
				"t.yaml:8: terminal.host_key: applies to a cisco terminal over SSH (address) only"}},
		{"password readable by all", minimal + "terminal:\n  kind: poly\n  address: 10.0.0.1:24\n  password_file: pw-open\n",
			[]string{`t.yaml:7: terminal.password_file: "D/pw-open" holds a secret but is mode -rw-r--r--: make it readable by the agent's user only (chmod 600)`}},
		{"password missing", minimal + "terminal:\n  kind: poly\n  address: 10.0.0.1:24\n  password_file: nope\n",
			[]string{`t.yaml:7: terminal.password_file: cannot read "D/nope": no such file or directory`}},
		{"generic without definition", minimal + "terminal:\n  kind: generic\n  port: /dev/ttyS0\n",
			[]string{"t.yaml:4: terminal.generic: required for kind generic: the terminal's line protocol, here or in definition_file (see examples/terminals/vct-100.yaml)"}},
		{"generic twice", minimal + "terminal:\n  kind: generic\n  port: /dev/ttyS0\n  definition_file: vct.yaml\n  generic:\n    dial: x\n",
			[]string{"t.yaml:7: terminal.definition_file: give generic or definition_file, not both"}},
		{"definition for poly", minimal + "terminal:\n  kind: poly\n  port: /dev/ttyS0\n  generic:\n    dial: x\n",
			[]string{"t.yaml:7: terminal.generic: applies to kind generic only"}},
		{"inline definition problems at their lines", minimal + "terminal:\n  kind: generic\n  port: /dev/ttyS0\n  generic:\n" + inline +
			"    calls:\n      - {match: '^C (?P<call>\\d+)$', state: up}\n      - {match: '(', state: ended}\n",
			[]string{`t.yaml:13: terminal.generic.calls[0].state: "up" is not allowed; want one of dialling, connected, failed, ended`,
				"t.yaml:13: terminal.generic.calls[0].match: unknown group (?P<call>): want id, remote, reason",
				"t.yaml:14: terminal.generic.calls[1].match: not a regular expression: missing closing ): `(`"}},
		{"definition file problems in its own name", minimal + "terminal:\n  kind: generic\n  port: /dev/ttyS0\n  definition_file: bad.yaml\n",
			[]string{"D/bad.yaml:1: dial: unknown placeholder {{pin}}: want {{number}}, {{protocol}}, {{speed}}",
				`D/bad.yaml:5: replies.ok: ".*" matches an empty line, so it would match any line: anchor it, as ^OK$`,
				`D/bad.yaml:10: calls[0].state: "up" is not a call state: want one of dialling, connected, failed, ended`,
				"D/bad.yaml:11: bogus: unknown key; want one of wake, dial, hang_up, status, start, default_speed, protocols, login, replies, calls, ignore"}},
		{"definition file not YAML", minimal + "terminal:\n  kind: generic\n  port: /dev/ttyS0\n  definition_file: notyaml.y\n",
			[]string{"D/notyaml.y:1: control character U+0000: a config is YAML text"}},
		{"definition file missing", minimal + "terminal:\n  kind: generic\n  port: /dev/ttyS0\n  definition_file: none.yaml\n",
			[]string{`t.yaml:7: terminal.definition_file: cannot read "D/none.yaml": no such file or directory`}},
		{"call rules", minimal + "terminal:\n  kind: poly\n  sim: true\n  timeout: 2m\n  calls:\n    join_before: 2h\n    retry_min: 1m\n    retry_max: 30s\n",
			[]string{"t.yaml:7: terminal.timeout: 2m is out of range: want 100ms to 1m",
				"t.yaml:9: terminal.calls.join_before: 2h is out of range: want 0s to 1h",
				"t.yaml:11: terminal.calls.retry_max: 30s is shorter than retry_min 1m"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(filepath.Join(dir, "t.yaml"), []byte(tt.yaml))
			var got []string
			if err != nil {
				got = strings.Split(strings.ReplaceAll(err.Error(), dir, "D"), "\n")
			}
			for i := range got {
				got[i] = strings.TrimPrefix(got[i], "D/t.yaml")
				if strings.HasPrefix(got[i], ":") {
					got[i] = "t.yaml" + got[i]
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q) =\n%s\nwant\n%s", tt.yaml, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestWorkedExample: the example definition file is the protocol the
// simulator speaks, and a config naming it carries it decoded.
func TestWorkedExample(t *testing.T) {
	c, err := Load("examples/generic-room.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !c.HasTerminal() || c.Terminal.Kind != "generic" {
		t.Fatalf("Load(generic-room) terminal = %+v, want a generic one", c.Terminal)
	}
	if want := genericsim.Definition(); !reflect.DeepEqual(c.Terminal.Generic, want) {
		t.Errorf("examples/terminals/vct-100.yaml decodes to\n%+v\nwant genericsim.Definition()\n%+v", c.Terminal.Generic, want)
	}
	if w := c.Warnings(); len(w) != 0 {
		t.Errorf("Warnings() = %q, want none for the example", w)
	}
}

func TestTerminalWarnings(t *testing.T) {
	dir := terminalDir(t)
	for _, tt := range []struct {
		name, yaml string
		want       []string
	}{
		{"simulated on a real board", minimal + "terminal: {kind: poly, sim: true}\n",
			[]string{"terminal.sim: the terminal is simulated on board rpi4: the room's real terminal is not driven"}},
		{"simulated in the demo", strings.Replace(minimal, "rpi4", "sim", 1) + "terminal: {kind: poly, sim: true}\n", nil},
		{"poly on the network without a password", minimal + "terminal: {kind: poly, address: \"10.0.0.1:24\"}\n",
			[]string{"terminal.password_file: none for a Poly on the network: its API port takes commands from anyone who reaches it unless the terminal has an API password; set one and give it here"}},
		{"generic login without a password", minimal + "terminal: {kind: generic, address: \"10.0.0.1:5000\", definition_file: vct.yaml}\n",
			[]string{"terminal.password_file: none, but the definition has a login prompt: a terminal that asks for a password is not answered"}},
		{"generic password without a login", minimal + "terminal:\n  kind: generic\n  address: 10.0.0.1:5000\n  password_file: pw\n  generic: {dial: 'D {{number}}', hang_up: H, status: S, replies: {ok: '^OK$', error: '^E$', status_end: '^END$'}, calls: [{match: '^UP$', state: connected}]}\n",
			[]string{"terminal.password_file: the definition has no login prompt, so the password is never sent"}},
		{"slow to notice an unplug", minimal + "terminal: {kind: poly, port: /dev/ttyS0, poll: 10s}\n",
			[]string{"terminal.poll: an unplugged terminal shows only after up to 12s (poll 10s and timeout 2s), later than the 5 s the status page promises"}},
	} {
		c, err := Parse(filepath.Join(dir, "t.yaml"), []byte(tt.yaml))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := c.Warnings(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Warnings() = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestTerminalPassword(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("crlf", "s3cret\r\nignored\n")
	write("bare", "s3cret")
	write("empty", "\n")
	write("ctl", "s3\x1bcret\n")
	for _, tt := range []struct {
		file, want string
		ok         bool
	}{
		{"", "", true}, {"crlf", "s3cret", true}, {"bare", "s3cret", true},
		{"empty", "", false}, {"ctl", "", false}, {"missing", "", false},
	} {
		got, err := Terminal{PasswordFile: tt.file}.Password(dir)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("Password(%q) = %q, %v; want %q, ok %v", tt.file, got, err, tt.want, tt.ok)
		}
		if err != nil && strings.Contains(err.Error(), "cret") {
			t.Errorf("Password(%q) error %v shows the password", tt.file, err)
		}
	}
}
