package poly

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/devices/terminal"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

var kindNames = map[kind]string{
	unknown: "unknown", callLine: "call", callInfoBegin: "callinfo-begin", callInfoEnd: "callinfo-end",
	notInCall: "not-in-call", infoLine: "info", errorLine: "error", ackLine: "ack", registered: "registered",
	unregistered: "unregistered", banner: "banner", passwordPrompt: "password-prompt", loginRefused: "login-refused",
	shellPrompt: "prompt", otherLine: "other",
}

var phaseNames = map[phase]string{dialling: "dialling", connected: "connected", ending: "ending", over: "over"}

func (l line) String() string {
	s := kindNames[l.kind]
	if l.kind == callLine {
		r := l.report
		s += fmt.Sprintf(" id=%s phase=%s remote=%q direction=%q cause=%q", r.id, phaseNames[r.phase], r.remote, r.direction, r.cause)
	}
	if l.words != "" {
		s += fmt.Sprintf(" words=%q", l.words)
	}
	return s
}

// TestParseManualExamples parses the manuals' examples and lines around
// them; the golden file says what each is.
func TestParseManualExamples(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("testdata", "manual.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(in))
	for sc.Scan() {
		fmt.Fprintf(&out, "%q\n\t%s\n", sc.Text(), parseLine(sc.Text()))
	}
	golden := filepath.Join("testdata", "manual.golden")
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got := out.String(); got != string(want) {
		t.Errorf("parseLine over testdata/manual.txt differs from manual.golden:\n%s", diff(string(want), got))
	}
}

func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  want %s\n  got  %s\n", i+1, wl, gl)
		}
	}
	return b.String()
}

func TestParseLine(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want line
	}{
		{"cs: call[34] chan[0] dialstr[192.168.1.103] state[RINGING]",
			line{kind: callLine, report: report{id: "34", remote: "192.168.1.103", phase: dialling}}},
		{"cs: call[34] chan[0] dialstr[192.168.1.103] state[COMPLETE]",
			line{kind: callLine, report: report{id: "34", remote: "192.168.1.103", phase: connected}}},
		{"-> active: call[34] speed [384]", line{kind: callLine, report: report{id: "34", phase: connected}}},
		{"cleared: call[0] line[0] bchan[0] cause[17] dialstr[IP:10.0.0.1 NAME:Room]",
			line{kind: callLine, report: report{id: "0", remote: "10.0.0.1", phase: ending, cause: "busy (cause 17)"}}},
		{"ended: call[34]", line{kind: callLine, report: report{id: "34", phase: over}}},
		{"notification:callstatus:outgoing:46:Bridge:sip:r7@city.vn:disconnected:1024:21:videocall",
			line{kind: callLine, report: report{id: "46", remote: "sip:r7@city.vn", direction: "outgoing", phase: over, cause: "rejected (cause 21)"}}},
		{"notification:callstatus:outgoing:46:Bridge:r7@city.vn:connected:1024:0:videocall",
			line{kind: callLine, report: report{id: "46", remote: "r7@city.vn", direction: "outgoing", phase: connected}}},
		{"callinfo:36:192.168.1.102:256:connected:muted:outgoing:videocall",
			line{kind: callLine, report: report{id: "36", remote: "192.168.1.102", direction: "outgoing", phase: connected}}},
		{"error: command has illegal parameters", line{kind: errorLine, words: "command has illegal parameters"}},
		{"Password: ", line{kind: passwordPrompt}},
		{"callstate unregistered", line{kind: unregistered}},
		{"cs: call[1] chan[0] dialstr[x] state[NEW]", line{kind: unknown}},
		{"cs: call[-1] chan[0] dialstr[x] state[RINGING]", line{kind: unknown}},
	} {
		if got := parseLine(tc.in); got != tc.want {
			t.Errorf("parseLine(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestCauseWords(t *testing.T) {
	for in, want := range map[string]string{"17": "busy (cause 17)", "21": "rejected (cause 21)", "99": "cause 99", "0": "", "": "", "x": "", "500": ""} {
		if got := causeWords(in); got != want {
			t.Errorf("causeWords(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestTrackerMergesAndDecides follows calls through both notification
// streams, as a system sends them.
func TestTrackerMergesAndDecides(t *testing.T) {
	type step struct {
		line string
		want []terminal.Call // the changes reported
	}
	dialling := terminal.Call{ID: "5", Remote: "r7@city.vn", State: terminal.Dialling}
	connected := dialling
	connected.State = terminal.Connected
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"answered, then hung up", []step{
			{"cs: call[5] chan[0] dialstr[r7@city.vn] state[ALLOCATED]", []terminal.Call{dialling}},
			{"notification:callstatus:outgoing:5:Bridge:r7@city.vn:opened:1024:0:videocall", nil},
			{"cs: call[5] chan[0] dialstr[r7@city.vn] state[RINGING]", nil},
			{"cs: call[5] chan[0] dialstr[r7@city.vn] state[COMPLETE]", []terminal.Call{connected}},
			{"cs: call[5] chan[0] dialstr[r7@city.vn] state[CONNECTED]", nil}, // a channel's, late: no step back
			{"active: call[5] speed[1024]", nil},
			{"notification:callstatus:outgoing:5:Bridge:r7@city.vn:connected:1024:0:videocall", nil},
			{"cleared: call[5] line[0] bchan[0] cause[16] dialstr[r7@city.vn]", nil},
			{"ended: call[5]", []terminal.Call{{ID: "5", Remote: "r7@city.vn", State: terminal.Ended, Reason: "normal clearing (cause 16)"}}},
			{"notification:callstatus:outgoing:5:Bridge:r7@city.vn:disconnected:1024:16:videocall", nil},
			{"cs: call[5] chan[0] dialstr[r7@city.vn] state[COMPLETE]", nil}, // late: the call is over
		}},
		{"busy", []step{
			{"notification:callstatus:outgoing:5:Bridge:r7@city.vn:opened:1024:0:videocall", []terminal.Call{dialling}},
			{"cs: call[5] chan[0] dialstr[r7@city.vn] state[RINGING]", nil},
			{"notification:callstatus:outgoing:5:Bridge:r7@city.vn:disconnected:1024:17:videocall",
				[]terminal.Call{{ID: "5", Remote: "r7@city.vn", State: terminal.Failed, Reason: "busy (cause 17)"}}},
			{"ended: call[5]", nil},
		}},
		{"the end of a call never seen", []step{
			{"ended: call[9]", nil},
			{"cleared: call[9] cause[16]", nil},
		}},
		{"incoming", []step{
			{"notification:callstatus:incoming:7:Ha Noi:10.0.0.9:ringing:768:0:videocall",
				[]terminal.Call{{ID: "7", Remote: "10.0.0.9", State: terminal.Dialling, Incoming: true}}},
			{"cs: call[7] chan[0] dialstr[10.0.0.9] state[RINGING]", nil},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &Protocol{}
			for _, s := range tc.steps {
				got, ok := p.Parse(s.line)
				if !ok {
					t.Fatalf("Parse(%q): unknown", s.line)
				}
				if fmt.Sprint(got.Calls) != fmt.Sprint(s.want) {
					t.Errorf("Parse(%q) = %+v, want %+v", s.line, got.Calls, s.want)
				}
			}
		})
	}
}

func TestTrackerSyncForgetsWhatThePollMisses(t *testing.T) {
	var tr tracker
	tr.apply(report{id: "1", phase: connected, remote: "a"})
	tr.apply(report{id: "2", phase: dialling, remote: "b"})
	since := tr.mark()
	// Dialled while the poll waited: newer than its answer.
	tr.apply(report{id: "3", phase: dialling, remote: "d"})
	calls := tr.sync([]report{{id: "2", phase: connected, direction: "outgoing"}}, since)
	want := []terminal.Call{{ID: "2", Remote: "b", State: terminal.Connected}, {ID: "3", Remote: "d", State: terminal.Dialling}}
	if fmt.Sprint(calls) != fmt.Sprint(want) {
		t.Errorf("sync = %+v, want %+v", calls, want)
	}
	// Call 1 is over: its late lines are ignored.
	if c, changed := tr.apply(report{id: "1", phase: connected}); changed {
		t.Errorf("apply(late line of call 1) = %+v, want nothing", c)
	}
	// A call the box restarted into is learnt from the poll, and a
	// connected one that clears has ended, not failed.
	var fresh tracker
	fresh.sync([]report{{id: "3", phase: connected, remote: "c"}}, fresh.mark())
	if c, _ := fresh.apply(report{id: "3", phase: over}); c.State != terminal.Ended {
		t.Errorf("a polled connected call that clears: %+v, want ended", c)
	}
}

func TestDialCommand(t *testing.T) {
	for _, tc := range []struct {
		t       terminal.Target
		want    string
		wantErr bool
	}{
		{terminal.Target{Number: "r7@bridge.city.vn", Protocol: "sip", Speed: 768}, `dial manual 768 "r7@bridge.city.vn" sip`, false},
		{terminal.Target{Number: "10.0.0.9##1234", Protocol: "h323"}, `dial manual 1024 "10.0.0.9##1234" h323`, false},
		{terminal.Target{Number: "512 555 1212", Protocol: "auto"}, `dial manual 1024 "512 555 1212"`, false},
		{terminal.Target{Number: "r7@city"}, `dial manual 1024 "r7@city"`, false},
		{terminal.Target{Number: `r7" h323`}, "", true},
		{terminal.Target{Number: `r7\`}, "", true},
		{terminal.Target{Number: "r7\r\nhangup all"}, "", true},
		{terminal.Target{Number: "r7\x00"}, "", true},
		{terminal.Target{Number: "r7\u2028"}, "", true},
		{terminal.Target{Number: "\xff"}, "", true},
		{terminal.Target{Number: ""}, "", true},
		{terminal.Target{Number: "  "}, "", true},
		{terminal.Target{Number: strings.Repeat("1", 256)}, "", true},
		{terminal.Target{Number: "r7", Protocol: "h320"}, "", true},
		{terminal.Target{Number: "r7", Speed: -1}, "", true},
		{terminal.Target{Number: "r7", Speed: 1 << 20}, "", true},
	} {
		got, err := DialCommand(tc.t, DefaultSpeed)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("DialCommand(%+v) = %q, %v; want %q, error %v", tc.t, got, err, tc.want, tc.wantErr)
		}
	}
}
