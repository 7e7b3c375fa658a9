package cisco

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/devices/terminal"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		line string
		want Line
	}{
		{"*s Call 3 Status: Connected", Line{Kind: CallStatus, Call: "3", Key: "Status", Value: "Connected"}},
		{`*s Call 3 RemoteNumber: "hop@cau.vn"`, Line{Kind: CallStatus, Call: "3", Key: "RemoteNumber", Value: "hop@cau.vn"}},
		{`*s Call 3 Encryption Type: "Aes-128"`, Line{Kind: CallStatus, Call: "3", Key: "Encryption Type", Value: "Aes-128"}},
		{`*s Call 3 DisplayName: "A \"quoted\" name"`, Line{Kind: CallStatus, Call: "3", Key: "DisplayName", Value: `A "quoted" name`}},
		{"*s Call 12 (ghost=True):", Line{Kind: Ghost, Call: "12"}},
		{"*s Call 12 (ghost=True)", Line{Kind: Ghost, Call: "12"}},
		{"*s Call x Status: Connected", Line{Kind: Status}},
		{"*s Call 12345678901 Status: Connected", Line{Kind: Status}},
		{"*s Audio Volume: 50", Line{Kind: Status}},
		{`*e CallDisconnect CauseType: "RemoteBusy"`, Line{Kind: Event, Name: "CallDisconnect", Key: "CauseType", Value: "RemoteBusy"}},
		{"*r DialResult (status=OK):", Line{Kind: Result, Name: "DialResult", Value: "OK"}},
		{"*r DialResult (status=Error):", Line{Kind: Result, Name: "DialResult", Value: "Error"}},
		{"*r DialResult CallId: 5", Line{Kind: Field, Name: "DialResult", Key: "CallId", Value: "5"}},
		{"    CallId: 5", Line{Kind: Field, Key: "CallId", Value: "5"}},
		{`** resultId: "rg7"`, Line{Kind: ResultID, Value: "rg7"}},
		{"** end", Line{Kind: End}},
		{"OK", Line{Kind: OK}},
		{"ERROR", Line{Kind: Error}},
		{"  ", Line{Kind: Blank}},
		{"login: ", Line{Kind: LoginPrompt}},
		{"room301 login:", Line{Kind: LoginPrompt}},
		{"Password: ", Line{Kind: PasswordPrompt}},
		{"Login incorrect", Line{Kind: LoginIncorrect}},
		{"*r Login successful", Line{Kind: Banner, Value: "*r Login successful"}},
		{"*c xConfiguration Audio DefaultVolume: 50", Line{Kind: Other}},
		{"Command not recognized.", Line{Kind: Message, Value: "Command not recognized."}},
		{"CallId: 5", Line{Kind: Unknown}}, // a field is indented
	}
	for _, tt := range tests {
		if got := ParseLine(tt.line); got != tt.want {
			t.Errorf("ParseLine(%q) = %+v, want %+v", tt.line, got, tt.want)
		}
	}
}

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestReadCalls(t *testing.T) {
	got, err := ReadCalls(strings.NewReader(readTestdata(t, "status_call.txt")))
	want := []CallRecord{
		{ID: "3", Remote: "hop.thanhpho@cau.vn", Status: "Connected", Direction: "Outgoing"},
		{ID: "4", Remote: "1001", Status: "Ringing", Direction: "Incoming"},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ReadCalls(status_call.txt) = %+v, %v, want %+v", got, err, want)
	}
}

func TestReadReply(t *testing.T) {
	tests := []struct {
		file   string
		failed bool
		words  string
		field  string
	}{
		{"dial_ok.txt", false, "status=OK", "5"},
		{"dial_error.txt", true, "Max number of calls reached", ""},
		{"banner.txt", true, "status=", ""}, // no result at all: not a success
	}
	for _, tt := range tests {
		rep, err := ReadReply(strings.NewReader(readTestdata(t, tt.file)))
		if err != nil || rep.Failed() != tt.failed || rep.Words() != tt.words || rep.Fields["CallId"] != tt.field {
			t.Errorf("ReadReply(%s) = %+v, %v; want failed %v, words %q, CallId %q", tt.file, rep, err, tt.failed, tt.words, tt.field)
		}
	}
}

// feed passes a file's lines to Parse as the driver does (blank lines are
// never passed on) and returns the call changes and whether a restart was
// seen.
func feed(p *Protocol, text string) (calls []terminal.Call, restarted bool, unknown []string) {
	for _, l := range strings.FieldsFunc(text, func(r rune) bool { return r == '\r' || r == '\n' }) {
		parsed, ok := p.Parse(l)
		calls = append(calls, parsed.Calls...)
		restarted = restarted || parsed.Restarted
		if !ok {
			unknown = append(unknown, l)
		}
	}
	return calls, restarted, unknown
}

func TestParseFeedback(t *testing.T) {
	remote := "hop@cau.vn"
	tests := []struct {
		file string
		want []terminal.Call
	}{
		{"feedback_busy.txt", []terminal.Call{
			{ID: "5", Remote: remote, State: terminal.Dialling},
			{ID: "5", Remote: remote, State: terminal.Dialling},
			{ID: "5", Remote: remote, State: terminal.Failed, Reason: "RemoteBusy: Busy Here"},
		}},
		{"feedback_dropped.txt", []terminal.Call{
			{ID: "6", Remote: remote, State: terminal.Dialling},
			{ID: "6", Remote: remote, State: terminal.Connected},
			{ID: "6", Remote: remote, State: terminal.Ended, Reason: "RemoteDisconnect: Normal call clearing"},
		}},
		{"feedback_nocause.txt", []terminal.Call{
			{ID: "7", Remote: remote, State: terminal.Dialling},
			{ID: "7", Remote: remote, State: terminal.Failed},
		}},
	}
	for _, tt := range tests {
		got, restarted, unknown := feed(&Protocol{}, readTestdata(t, tt.file))
		if !reflect.DeepEqual(got, tt.want) || restarted || len(unknown) > 0 {
			t.Errorf("Parse(%s) = %+v, restarted %v, unknown %q; want %+v", tt.file, got, restarted, unknown, tt.want)
		}
	}
}

func TestParseRestart(t *testing.T) {
	for file, want := range map[string]bool{"boot.txt": true, "banner.txt": true, "status_call.txt": false} {
		if _, restarted, _ := feed(&Protocol{}, readTestdata(t, file)); restarted != want {
			t.Errorf("Parse(%s) restarted = %v, want %v", file, restarted, want)
		}
	}
}

func TestDialCommand(t *testing.T) {
	tests := []struct {
		target terminal.Target
		want   string // "" for refused
	}{
		{terminal.Target{Number: "hop@cau.vn", Protocol: "sip", Speed: 1920}, `xCommand Dial Number: "hop@cau.vn" Protocol: Sip CallRate: 1920`},
		{terminal.Target{Number: "10.1.2.3##88", Protocol: "H323"}, `xCommand Dial Number: "10.1.2.3##88" Protocol: H323`},
		{terminal.Target{Number: "phòng họp 1", Protocol: "auto"}, `xCommand Dial Number: "phòng họp 1"`},
		{terminal.Target{Number: `x" Protocol: H323`}, ""},
		{terminal.Target{Number: `x\`}, ""},
		{terminal.Target{Number: `x | resultId="rg1"`}, ""},
		{terminal.Target{Number: "x\r\nxCommand SystemUnit Boot"}, ""},
		{terminal.Target{Number: "x\x00"}, ""},
		{terminal.Target{Number: "x\xff"}, ""},
		{terminal.Target{Number: ""}, ""},
		{terminal.Target{Number: strings.Repeat("1", 256)}, ""},
		{terminal.Target{Number: "x", Protocol: "spark"}, ""},
		{terminal.Target{Number: "x", Speed: 10000}, ""},
	}
	for _, tt := range tests {
		got, err := dialCommand(tt.target)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("dialCommand(%+v) = %q, %v; want %q", tt.target, got, err, tt.want)
		}
	}
}
