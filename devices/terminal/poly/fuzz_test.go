package poly

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/roomgate/roomgate/devices/terminal"
)

func addManualLines(f *testing.F) {
	f.Helper()
	in, err := os.ReadFile(filepath.Join("testdata", "manual.txt"))
	if err != nil {
		f.Fatal(err)
	}
	for _, l := range strings.Split(string(in), "\n") {
		f.Add(l)
	}
}

// safe reports whether a value taken from the terminal may be kept and
// shown: valid UTF-8, printable, bounded.
func safe(s string) bool {
	return utf8.ValidString(s) && len(s) <= maxFieldLen &&
		strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || !unicode.IsPrint(r) && r != ' ' }) < 0
}

// FuzzParseLine: no line panics the parser, and what it takes from a line
// is safe: a call id is digits, words and numbers have no control
// characters.
func FuzzParseLine(f *testing.F) {
	addManualLines(f)
	f.Fuzz(func(t *testing.T, s string) {
		l := parseLine(s)
		if l.kind == callLine {
			if !isID(l.report.id) {
				t.Errorf("parseLine(%q): call id %q is not a number", s, l.report.id)
			}
			if l.report.phase < dialling || l.report.phase > over {
				t.Errorf("parseLine(%q): phase %d", s, l.report.phase)
			}
		}
		for _, v := range []string{l.report.remote, l.report.cause, l.words} {
			if !safe(v) {
				t.Errorf("parseLine(%q): unsafe value %q", s, v)
			}
		}
	})
}

// FuzzParseSession feeds a stream of lines to a Protocol, as the driver
// does: whatever the order, every call it reports has a numeric id, a
// known state, safe words, and a reason only once it is over.
func FuzzParseSession(f *testing.F) {
	in, err := os.ReadFile(filepath.Join("testdata", "manual.txt"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(in)
	f.Add([]byte("cs: call[5] chan[0] dialstr[x] state[RINGING]\nnotification:callstatus:outgoing:5:a:x:disconnected:1:17:videocall\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := &Protocol{}
		live := map[string]bool{}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, terminal.MaxLineSize)
		for sc.Scan() {
			parsed, _ := p.Parse(sc.Text())
			for _, c := range parsed.Calls {
				if !isID(c.ID) || !safe(c.Remote) || !safe(c.Reason) {
					t.Fatalf("Parse(%q) = %+v: bad id or unsafe words", sc.Text(), c)
				}
				switch c.State {
				case terminal.Dialling, terminal.Connected:
					if c.Reason != "" {
						t.Fatalf("Parse(%q) = %+v: a reason before the end", sc.Text(), c)
					}
					live[c.ID] = true
				case terminal.Failed, terminal.Ended:
					if !live[c.ID] {
						t.Fatalf("Parse(%q) = %+v: the end of a call never reported", sc.Text(), c)
					}
					delete(live, c.ID)
				default:
					t.Fatalf("Parse(%q) = %+v: state %q", sc.Text(), c, c.State)
				}
			}
		}
	})
}

// FuzzDialCommand: an accepted target makes one command line whose only
// quotes are the two around the dial string, which is there unchanged.
func FuzzDialCommand(f *testing.F) {
	f.Add("r7@bridge.city.vn", "sip", 768)
	f.Add(`r7" h323`, "auto", 0)
	f.Add("r7\r\nhangup all", "h323", 384)
	f.Fuzz(func(t *testing.T, number, protocol string, speed int) {
		cmd, err := DialCommand(terminal.Target{Number: number, Protocol: protocol, Speed: speed}, DefaultSpeed)
		if err != nil {
			return
		}
		if !utf8.ValidString(cmd) || strings.IndexFunc(cmd, unicode.IsControl) >= 0 {
			t.Fatalf("DialCommand(%q) = %q: control characters", number, cmd)
		}
		if strings.Count(cmd, `"`) != 2 || !strings.Contains(cmd, ` "`+number+`"`) {
			t.Fatalf("DialCommand(%q) = %q: the dial string is not quoted whole", number, cmd)
		}
		if !strings.HasPrefix(cmd, "dial manual ") {
			t.Fatalf("DialCommand(%q) = %q", number, cmd)
		}
	})
}
