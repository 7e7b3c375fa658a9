package generic

import (
	"reflect"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/devices/terminal"
)

// valid is a small definition every case below changes one thing of.
func valid() Definition {
	return Definition{
		Dial:         "CALL {{protocol}} {{speed}} {{number}}",
		HangUp:       "BYE",
		Status:       "LIST",
		DefaultSpeed: 768,
		Replies:      Replies{OK: `^OK$`, Error: `^NO (.*)$`, StatusEnd: `^DONE$`},
		Calls:        []Rule{{Match: `^C (?P<id>\d+) (?P<remote>\S+) UP$`, State: "connected"}},
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Definition)
		want   []string
	}{
		{"valid", func(*Definition) {}, nil},
		{"nothing", func(d *Definition) { *d = Definition{} }, []string{
			"dial: required", "hang_up: required", "status: required", "replies.ok: required", "replies.error: required",
			"replies.status_end: required", "calls: required: at least one rule mapping the terminal's call lines to a state"}},
		{"dial without number", func(d *Definition) { d.Dial = "CALL {{speed}}" }, []string{
			"dial: has no {{number}}: the bridge's dial string must go in it"}},
		{"unknown placeholder", func(d *Definition) { d.Dial = "CALL {{number}} {{pin}}" }, []string{
			"dial: unknown placeholder {{pin}}: want {{number}}, {{protocol}}, {{speed}}"}},
		{"unclosed placeholder", func(d *Definition) { d.Dial = "CALL {{number" }, []string{
			`dial: "{{number" is not closed with }}`}},
		{"speed without default", func(d *Definition) { d.DefaultSpeed = 0 }, []string{
			"default_speed: required when dial has {{speed}}: a bridge may give no speed"}},
		{"speed too high", func(d *Definition) { d.DefaultSpeed = 20000 }, []string{
			"default_speed: 20000 is out of range: want 0 to 16384 kbit/s"}},
		{"command spans lines", func(d *Definition) { d.HangUp = "BYE\r\nREBOOT" }, []string{
			"hang_up: has a control character (a command is one line)"}},
		{"start command empty", func(d *Definition) { d.Start = []string{""} }, []string{"start[0]: required"}},
		{"long command", func(d *Definition) { d.Wake = strings.Repeat("W", 300) }, []string{"wake: 300 bytes: at most 256"}},
		{"bad protocol word", func(d *Definition) { d.Protocols.SIP = "S\x00P" }, []string{
			"protocols.sip: has a control character (a command is one line)"}},
		{"bad regexp", func(d *Definition) { d.Replies.OK = `^OK(` }, []string{
			"replies.ok: not a regular expression: missing closing ): `^OK(`"}},
		{"regexp matching everything", func(d *Definition) { d.Replies.StatusEnd = `.*` }, []string{
			`replies.status_end: ".*" matches an empty line, so it would match any line: anchor it, as ^OK$`}},
		{"unknown group", func(d *Definition) { d.Calls[0].Match = `^C (?P<call>\d+)$` }, []string{
			"calls[0].match: unknown group (?P<call>): want id, remote, reason"}},
		{"unknown state", func(d *Definition) { d.Calls[0].State = "up" }, []string{
			`calls[0].state: "up" is not a call state: want one of dialling, connected, failed, ended`}},
		{"rule without pattern", func(d *Definition) { d.Calls = append(d.Calls, Rule{State: "ended"}) }, []string{
			"calls[1].match: required"}},
		{"empty ignore", func(d *Definition) { d.Ignore = []string{""} }, []string{"ignore[0]: required"}},
		{"long pattern", func(d *Definition) { d.Login.Prompt = "^" + strings.Repeat("a", 1100) }, []string{
			"login.prompt: pattern of 1101 bytes: at most 1024"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := valid()
			tt.change(&d)
			var got []string
			for _, p := range d.Check() {
				got = append(got, p.String())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Check() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if _, err := New(d, ""); (err == nil) != (tt.want == nil) {
				t.Errorf("New() = %v, want an error exactly when Check finds problems", err)
			}
		})
	}
}

func TestNewRefusesABadPasswordWithoutShowingIt(t *testing.T) {
	_, err := New(valid(), "secret\r\nREBOOT")
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("New(password with CR LF) = %v, want an error that does not show the password", err)
	}
}

func TestDialCommand(t *testing.T) {
	p, err := New(valid(), "")
	if err != nil {
		t.Fatal(err)
	}
	words := valid()
	words.Protocols = Protocols{SIP: "S", H323: "H", Auto: "A"}
	pw, err := New(words, "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		p       *Protocol
		target  terminal.Target
		want    string
		wantErr string
	}{
		{p, terminal.Target{Number: "sip:1001@bridge.hcm.gov.vn", Protocol: "sip", Speed: 2048}, "CALL sip 2048 sip:1001@bridge.hcm.gov.vn", ""},
		{p, terminal.Target{Number: "10.1.2.3##4455", Protocol: "h323"}, "CALL h323 768 10.1.2.3##4455", ""},
		{p, terminal.Target{Number: "+842838291234"}, "CALL auto 768 +842838291234", ""},
		{pw, terminal.Target{Number: "1001", Protocol: "auto"}, "CALL A 768 1001", ""},
		{pw, terminal.Target{Number: "1001", Protocol: "sip"}, "CALL S 768 1001", ""},
		// The template is filled once: a number cannot bring a placeholder.
		{p, terminal.Target{Number: "{{speed}}"}, "", `dial string "{{speed}}": '{' is not allowed`},
		{p, terminal.Target{Number: "1001\r\nREBOOT"}, "", `'\r' is not allowed`},
		{p, terminal.Target{Number: "1001 REBOOT"}, "", `' ' is not allowed`},
		{p, terminal.Target{Number: `1001"`}, "", `'"' is not allowed`},
		{p, terminal.Target{Number: "10;01"}, "", `';' is not allowed`},
		{p, terminal.Target{Number: "1001\u202e"}, "", `'\u202e' is not allowed`},
		{p, terminal.Target{Number: ""}, "", "empty dial string"},
		{p, terminal.Target{Number: strings.Repeat("1", 257)}, "", "dial string of 257 bytes: at most 256"},
		{p, terminal.Target{Number: "1001", Protocol: "skype"}, "", `protocol "skype": want sip, h323 or auto`},
		{p, terminal.Target{Number: "1001", Speed: -1}, "", "speed -1"},
		{p, terminal.Target{Number: "1001", Speed: 100000}, "", "speed 100000"},
	}
	for _, tt := range tests {
		got, err := tt.p.dialCommand(tt.target)
		switch {
		case tt.wantErr == "" && (err != nil || got != tt.want):
			t.Errorf("dialCommand(%+v) = %q, %v; want %q", tt.target, got, err, tt.want)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("dialCommand(%+v) = %q, %v; want an error with %q", tt.target, got, err, tt.wantErr)
		}
	}
}
