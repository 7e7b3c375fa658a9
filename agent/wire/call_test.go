package wire

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// callJSON is a valid call record with fields replaced as given (a value
// of "-" drops the field).
func callJSON(with map[string]string) string {
	fields := [][2]string{
		{"site", `"hq"`}, {"room", `"P.301"`}, {"device", `"hq-room-1"`}, {"meeting", `"M-1"`},
		{"bridge", `"sip:giaoban@bridge.hanoi.gov.vn"`}, {"protocol", `"sip"`}, {"terminal", `"poly"`},
		{"state", `"failed"`}, {"reason", `"Call rejected: 486 Busy Here"`}, {"by", `"schedule"`},
		{"attempt", `2`}, {"at", `"2026-03-02T08:58:00+07:00"`},
	}
	var parts []string
	for _, f := range fields {
		v, ok := with[f[0]]
		if !ok {
			v = f[1]
		}
		if v != "-" {
			parts = append(parts, `"`+f[0]+`":`+v)
		}
	}
	for k, v := range with {
		if !strings.Contains(callFields, `"`+k+`"`) {
			parts = append(parts, `"`+k+`":`+v)
		}
	}
	return "{" + strings.Join(parts, ",") + "}"
}

const callFields = `"site" "room" "device" "meeting" "bridge" "protocol" "terminal" "state" "reason" "by" "attempt" "at"`

func TestDecodeCall(t *testing.T) {
	want := Call{Site: "hq", Room: "P.301", Device: "hq-room-1", Meeting: "M-1", Bridge: "sip:giaoban@bridge.hanoi.gov.vn", Protocol: "sip",
		Terminal: "poly", State: CallFailed, Reason: "Call rejected: 486 Busy Here", By: CallBySchedule, Attempt: 2,
		At: time.Date(2026, 3, 2, 8, 58, 0, 0, time.FixedZone("", 7*3600))}
	got, err := DecodeCall([]byte(callJSON(nil)))
	if err != nil || !got.At.Equal(want.At) {
		t.Fatalf("DecodeCall(failed) = %+v, %v, want %+v", got, err, want)
	}
	got.At = want.At
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DecodeCall(failed) = %+v, want %+v", got, want)
	}
	tests := []struct {
		name, in string
		kind     error
	}{
		{"ok", callJSON(nil), nil},
		{"connected", callJSON(map[string]string{"state": `"connected"`, "reason": "-", "attempt": "-"}), nil},
		{"ended", callJSON(map[string]string{"state": `"ended"`, "duration_s": `3612.5`, "by": `"secretary"`}), nil},
		{"dropped by the far end", callJSON(map[string]string{"state": `"dropped"`, "by": `"terminal"`}), nil},
		{"by hand, outside a meeting", callJSON(map[string]string{"meeting": "-", "bridge": `"8001 (typed on the remote)"`, "protocol": "-", "by": `"terminal"`}), nil},
		{"no bridge known", callJSON(map[string]string{"bridge": `""`}), nil},
		{"reason at its limit", callJSON(map[string]string{"reason": `"` + strings.Repeat("r", MaxReasonSize) + `"`}), nil},
		{"unknown state", callJSON(map[string]string{"state": `"ringing"`}), ErrInvalid},
		{"no state", callJSON(map[string]string{"state": "-"}), ErrInvalid},
		{"idle is no record", callJSON(map[string]string{"state": `"idle"`}), ErrInvalid},
		{"unknown by", callJSON(map[string]string{"by": `"kiosk"`}), ErrInvalid},
		{"no by", callJSON(map[string]string{"by": "-"}), ErrInvalid},
		{"no site", callJSON(map[string]string{"site": "-"}), ErrInvalid},
		{"bad device", callJSON(map[string]string{"device": `"HQ Room 1"`}), ErrInvalid},
		{"no terminal", callJSON(map[string]string{"terminal": "-"}), ErrInvalid},
		{"long terminal", callJSON(map[string]string{"terminal": `"` + strings.Repeat("t", MaxTerminalSize+1) + `"`}), ErrInvalid},
		{"terminal with escape", callJSON(map[string]string{"terminal": `"poly\u001b[2J"`}), ErrInvalid},
		{"long room", callJSON(map[string]string{"room": `"` + strings.Repeat("r", MaxNameSize+1) + `"`}), ErrInvalid},
		{"long meeting", callJSON(map[string]string{"meeting": `"` + strings.Repeat("m", MaxMeetingIDSize+1) + `"`}), ErrInvalid},
		{"long bridge", callJSON(map[string]string{"bridge": `"` + strings.Repeat("9", MaxDialSize+1) + `"`}), ErrInvalid},
		{"bridge with newline", callJSON(map[string]string{"bridge": `"8001\nhangup all"`}), ErrInvalid},
		{"long reason", callJSON(map[string]string{"reason": `"` + strings.Repeat("r", MaxReasonSize+1) + `"`}), ErrInvalid},
		{"unknown protocol", callJSON(map[string]string{"protocol": `"isdn"`}), ErrInvalid},
		{"negative attempt", callJSON(map[string]string{"attempt": `-1`}), ErrInvalid},
		{"negative duration", callJSON(map[string]string{"duration_s": `-1`}), ErrInvalid},
		{"no time", callJSON(map[string]string{"at": "-"}), ErrInvalid},
		{"time not RFC 3339", callJSON(map[string]string{"at": `"08:58"`}), ErrMalformed},
		{"attempt a string", callJSON(map[string]string{"attempt": `"2"`}), ErrMalformed},
		{"unknown field", callJSON(map[string]string{"pin": `"1234"`}), ErrMalformed},
		{"huge", callJSON(map[string]string{"reason": `"` + strings.Repeat("r", MaxCallSize) + `"`}), ErrTooLarge},
	}
	for _, mc := range malformedCases {
		tests = append(tests, struct {
			name, in string
			kind     error
		}{mc.name, mc.in, ErrMalformed})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeCall([]byte(tt.in))
			if kindOf(err) != tt.kind || (err != nil) != (tt.kind != nil) {
				t.Fatalf("DecodeCall(%.80q) = %v, want %v", tt.in, err, tt.kind)
			}
			if err != nil && !reflect.DeepEqual(got, Call{}) {
				t.Errorf("DecodeCall(%.80q) = %+v with its error, want the zero Call", tt.in, got)
			}
		})
	}
}

func TestDecodeStateCall(t *testing.T) {
	at := time.Date(2026, 3, 2, 1, 58, 0, 0, time.UTC)
	in := State{Online: true, Call: &CallState{Terminal: "poly", Reachable: true, State: CallConnected, Meeting: "M-1", Bridge: "sip:x@y", Since: at}}
	b, _ := json.Marshal(in)
	if got, err := DecodeState(b); err != nil || !reflect.DeepEqual(got, in) {
		t.Errorf("DecodeState(%s) = %+v, %v, want %+v", b, got, err, in)
	}
	for _, tt := range []struct {
		name, in string
		kind     error
	}{
		{"idle", `{"online":true,"call":{"terminal":"poly","reachable":false,"state":"idle","reason":"no answer on /dev/ttyUSB0"}}`, nil},
		{"unknown state", `{"online":true,"call":{"terminal":"poly","reachable":true,"state":"ringing"}}`, ErrInvalid},
		{"held by the clock", `{"online":true,"call":{"terminal":"poly","reachable":true,"state":"idle","held":"clock_unsynced"}}`, nil},
		{"held for no known reason", `{"online":true,"call":{"terminal":"poly","reachable":true,"state":"idle","held":"lunch"}}`, ErrInvalid},
		{"long reason", `{"online":true,"call":{"terminal":"poly","reachable":true,"state":"failed","reason":"` + strings.Repeat("r", MaxReasonSize+1) + `"}}`, ErrInvalid},
		{"unknown field", `{"online":true,"call":{"terminal":"poly","state":"idle","volume":3}}`, ErrMalformed},
	} {
		if _, err := DecodeState([]byte(tt.in)); kindOf(err) != tt.kind {
			t.Errorf("%s: DecodeState(%.80q) = %v, want %v", tt.name, tt.in, err, tt.kind)
		}
	}
}

func TestDecodeDialArgs(t *testing.T) {
	tests := []struct {
		name, in string
		want     DialArgs
		kind     error
	}{
		{"none", ``, DialArgs{}, nil},
		{"null", `null`, DialArgs{}, nil},
		{"empty", `{}`, DialArgs{}, nil},
		{"meeting", `{"meeting":"M-1"}`, DialArgs{Meeting: "M-1"}, nil},
		{"bridge", `{"dial":"h323:8001@10.0.0.5","protocol":"h323","speed":768}`, DialArgs{Dial: "h323:8001@10.0.0.5", Protocol: "h323", Speed: 768}, nil},
		{"meeting on another bridge", `{"meeting":"M-1","dial":"sip:b@c"}`, DialArgs{Meeting: "M-1", Dial: "sip:b@c"}, nil},
		{"long meeting", `{"meeting":"` + strings.Repeat("m", MaxMeetingIDSize+1) + `"}`, DialArgs{}, ErrInvalid},
		{"control character in meeting", `{"meeting":"M\u001b[2J"}`, DialArgs{}, ErrInvalid},
		{"a bridge object is not the wire's shape", `{"bridge":{"dial":"8001"}}`, DialArgs{}, ErrMalformed},
		{"protocol without dial", `{"protocol":"sip"}`, DialArgs{}, ErrInvalid},
		{"speed without dial", `{"speed":768}`, DialArgs{}, ErrInvalid},
		{"quote in dial", `{"dial":"8001\"; hangup all"}`, DialArgs{}, ErrInvalid},
		{"space in dial", `{"dial":"8001 8002"}`, DialArgs{}, ErrInvalid},
		{"unknown protocol", `{"dial":"8001","protocol":"pots"}`, DialArgs{}, ErrInvalid},
		{"slow", `{"dial":"8001","speed":8}`, DialArgs{}, ErrInvalid},
		{"auto_join is no arg", `{"dial":"8001","auto_join":true}`, DialArgs{}, ErrMalformed},
		{"array", `[]`, DialArgs{}, ErrMalformed},
		{"duplicate key", `{"dial":"a","dial":"b"}`, DialArgs{}, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeDialArgs(json.RawMessage(tt.in))
			if kindOf(err) != tt.kind || (err != nil) != (tt.kind != nil) || got != tt.want {
				t.Errorf("DecodeDialArgs(%.80q) = %+v, %v, want %+v, %v", tt.in, got, err, tt.want, tt.kind)
			}
		})
	}
	if b := (DialArgs{Meeting: "M-1"}).Bridge(); b != nil {
		t.Errorf("DialArgs{Meeting}.Bridge() = %+v, want nil", b)
	}
	if b := (DialArgs{Dial: "8001", Speed: 768}).Bridge(); b == nil || *b != (Bridge{Dial: "8001", Speed: 768}) {
		t.Errorf("DialArgs{Dial, Speed}.Bridge() = %+v, want the bridge", b)
	}
}
