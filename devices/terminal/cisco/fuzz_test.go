package cisco

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/roomgate/roomgate/devices/terminal"
)

func addTestdata(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.txt")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
}

// kept reports whether s is fit to keep as the terminal's words.
func kept(s string, limit int) bool {
	return len(s) <= limit && utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) })
}

func FuzzParseLine(f *testing.F) {
	addTestdata(f)
	f.Fuzz(func(t *testing.T, line string) {
		l := ParseLine(line)
		if l.Kind < Unknown || l.Kind > Message {
			t.Fatalf("ParseLine(%q).Kind = %d, out of range", line, l.Kind)
		}
		if (l.Kind == CallStatus || l.Kind == Ghost) != (l.Call != "") {
			t.Fatalf("ParseLine(%q) = %+v: a call id with a line of another kind", line, l)
		}
		if l.Call != "" && !isCallID(l.Call) {
			t.Fatalf("ParseLine(%q).Call = %q, not a call id", line, l.Call)
		}
		if l.Kind == CallStatus && l.Key == "" {
			t.Fatalf("ParseLine(%q) = %+v: a call status with no key", line, l)
		}
		if ParseLine(line) != l {
			t.Fatalf("ParseLine(%q) is not deterministic", line)
		}
	})
}

func FuzzReadCalls(f *testing.F) {
	addTestdata(f)
	f.Fuzz(func(t *testing.T, text string) {
		calls, _ := ReadCalls(strings.NewReader(text))
		if len(calls) > maxCalls {
			t.Fatalf("ReadCalls gave %d calls, over %d", len(calls), maxCalls)
		}
		ids := map[string]bool{}
		for _, c := range calls {
			if !isCallID(c.ID) || ids[c.ID] {
				t.Fatalf("ReadCalls: bad or repeated id %q", c.ID)
			}
			ids[c.ID] = true
			if !kept(c.Remote, maxWords) || !kept(c.Status, maxWords) || !kept(c.Direction, maxWords) {
				t.Fatalf("ReadCalls: %+v keeps unprintable or oversize words", c)
			}
		}
	})
}

func FuzzReadReply(f *testing.F) {
	addTestdata(f)
	f.Fuzz(func(t *testing.T, text string) {
		rep, _ := ReadReply(strings.NewReader(text))
		if rep.Failed() != (rep.Status != "OK") {
			t.Fatalf("ReadReply: status %q but Failed() = %v", rep.Status, rep.Failed())
		}
		if len(rep.Fields) > maxFields {
			t.Fatalf("ReadReply kept %d fields, over %d", len(rep.Fields), maxFields)
		}
		if w := rep.Words(); !kept(w, maxWords+len("status=")) {
			t.Fatalf("ReadReply: Words() = %q, unprintable or oversize", w)
		}
	})
}

// FuzzFeedback feeds lines to the protocol as the driver does: whatever they
// say, every change is a known state of a real call id, a call ends Ended
// only if it was seen connected and Failed only if it was not, and the
// memory stays bounded.
func FuzzFeedback(f *testing.F) {
	addTestdata(f)
	f.Fuzz(func(t *testing.T, text string) {
		p := &Protocol{}
		connected := map[string]bool{}
		for _, line := range strings.FieldsFunc(text, func(r rune) bool { return r == '\r' || r == '\n' }) {
			parsed, _ := p.Parse(line)
			for _, c := range parsed.Calls {
				if !isCallID(c.ID) || !kept(c.Remote, maxWords) || !kept(c.Reason, maxWords) {
					t.Fatalf("Parse(%q) gave %+v", line, c)
				}
				switch c.State {
				case terminal.Dialling:
				case terminal.Connected:
					connected[c.ID] = true
				case terminal.Ended, terminal.Failed:
					if (c.State == terminal.Ended) != connected[c.ID] {
						t.Fatalf("Parse(%q) gave %+v, connected before: %v", line, c, connected[c.ID])
					}
					delete(connected, c.ID)
				default:
					t.Fatalf("Parse(%q) gave state %q", line, c.State)
				}
			}
		}
		if len(p.fb.calls) > maxTracked || len(p.fb.causes) > maxTracked || len(p.fb.gone) > maxTracked || len(p.fb.event) > maxEventFields {
			t.Fatalf("Parse remembers too much: %d calls, %d causes, %d gone, %d event fields",
				len(p.fb.calls), len(p.fb.causes), len(p.fb.gone), len(p.fb.event))
		}
	})
}
