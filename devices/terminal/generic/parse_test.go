package generic_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/roomgate/roomgate/devices/terminal"
	"github.com/roomgate/roomgate/devices/terminal/generic"
	"github.com/roomgate/roomgate/devices/terminal/generic/genericsim"
)

func example(t testing.TB) *generic.Protocol {
	t.Helper()
	p, err := generic.New(genericsim.Definition(), "")
	if err != nil {
		t.Fatalf("New(the worked example) = %v", err)
	}
	return p
}

func TestParse(t *testing.T) {
	p := example(t)
	call := func(c terminal.Call) terminal.Parsed { return terminal.Parsed{Calls: []terminal.Call{c}} }
	tests := []struct {
		line  string
		want  terminal.Parsed
		known bool
	}{
		{"EVT CALL 3 RINGING sip:1001@bridge.hcm.gov.vn", call(terminal.Call{ID: "3", Remote: "sip:1001@bridge.hcm.gov.vn", State: terminal.Dialling}), true},
		{"CALL 3 UP sip:1001@bridge", call(terminal.Call{ID: "3", Remote: "sip:1001@bridge", State: terminal.Connected}), true},
		{"EVT CALL 4 INCOMING 1002", call(terminal.Call{ID: "4", Remote: "1002", State: terminal.Dialling, Incoming: true}), true},
		{"EVT CALL 3 FAIL rejected by far end", call(terminal.Call{ID: "3", State: terminal.Failed, Reason: "rejected by far end"}), true},
		{"EVT CALL 3 DOWN remote hang-up  ", call(terminal.Call{ID: "3", State: terminal.Ended, Reason: "remote hang-up"}), true},
		// The terminal's words are kept printable.
		{"EVT CALL 3 DOWN bad\x1b[2Jthing\u202e", call(terminal.Call{ID: "3", State: terminal.Ended, Reason: "bad\uFFFD[2Jthing\uFFFD"}), true},
		{"EVT CALL 3 DOWN \xff\xfe", call(terminal.Call{ID: "3", State: terminal.Ended, Reason: "\uFFFD"}), true},
		{"EVT CALL 3 DOWN " + strings.Repeat("x", 500), call(terminal.Call{ID: "3", State: terminal.Ended, Reason: strings.Repeat("x", 200)}), true},
		{"VCT-100 READY v2.1", terminal.Parsed{Restarted: true}, true},
		{"OK", terminal.Parsed{}, true},
		{"ERR line busy", terminal.Parsed{}, true},
		{"END", terminal.Parsed{}, true},
		{"Password: ", terminal.Parsed{}, true},
		{"(c) VCT 2019", terminal.Parsed{}, true},
		{"CALL 3 SIDEWAYS x", terminal.Parsed{}, false},
		{"CALL 1234567 UP x", terminal.Parsed{}, false},
		{"OKAY", terminal.Parsed{}, false},
		{"\x00\x01", terminal.Parsed{}, false},
	}
	for _, tt := range tests {
		got, known := p.Parse(tt.line)
		if !reflect.DeepEqual(got, tt.want) || known != tt.known {
			t.Errorf("Parse(%q) = %+v, %v; want %+v, %v", tt.line, got, known, tt.want, tt.known)
		}
	}
}

// FuzzParse: nothing a terminal sends panics the parser, and what it makes
// of a line is a known state with printable, bounded fields.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"EVT CALL 3 RINGING sip:1001@bridge", "CALL 12 UP x", "EVT CALL 1 FAIL busy here",
		"EVT CALL 1 DOWN \xff", "VCT-100 READY", "ERR bad", "OK", "END", "Password:", "EVT CALL 9 INCOMING 1\u202e"} {
		f.Add(s)
	}
	p := example(f)
	f.Fuzz(func(t *testing.T, line string) {
		got, known := p.Parse(line)
		again, knownAgain := p.Parse(line)
		if !reflect.DeepEqual(got, again) || known != knownAgain {
			t.Fatalf("Parse(%q) differs between two calls", line)
		}
		if !known && (len(got.Calls) > 0 || got.Restarted) {
			t.Fatalf("Parse(%q) = %+v for an unknown line", line, got)
		}
		for _, c := range got.Calls {
			if !slices.Contains(generic.States, string(c.State)) {
				t.Fatalf("Parse(%q): state %q", line, c.State)
			}
			for _, s := range []string{c.ID, c.Remote, c.Reason} {
				if !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 || utf8.RuneCountInString(s) > 256 || s != strings.TrimSpace(s) {
					t.Fatalf("Parse(%q): field %q is not clean", line, s)
				}
			}
		}
	})
}
