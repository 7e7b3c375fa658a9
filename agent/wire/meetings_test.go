package wire

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// meetingJSON is a valid meeting with fields replaced as given (a value of
// "-" drops the field).
func meetingJSON(id string, with map[string]string) string {
	fields := [][2]string{
		{"id", strconv.Quote(id)}, {"title", `"Họp giao ban"`}, {"room", `"P.301"`},
		{"start", `"2026-03-02T09:00:00+07:00"`}, {"end", `"2026-03-02T11:00:00+07:00"`},
		{"checkin_opens", `"2026-03-02T08:30:00+07:00"`}, {"checkin_closes", `"2026-03-02T09:30:00+07:00"`},
		{"invitees", `[{"person":"p1","name":"Nguyễn Văn A","unit":"Sở Nội vụ","role":"chair","seat":"A1"},{"person":"p2","name":"Trần Thị B"}]`},
		{"bridge", "-"},
	}
	var parts []string
	for _, f := range fields {
		v, ok := with[f[0]]
		if !ok {
			v = f[1]
		}
		if v != "-" {
			parts = append(parts, strconv.Quote(f[0])+":"+v)
		}
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func schedJSON(meetings ...string) string {
	return `{"version":3,"meetings":[` + strings.Join(meetings, ",") + `]}`
}

func TestDecodeSchedule(t *testing.T) {
	ict := time.FixedZone("", 7*3600)
	// Written at +07:00, decoded in UTC.
	at := func(h, m int) time.Time { return time.Date(2026, 3, 2, h, m, 0, 0, ict).UTC() }
	good := Meeting{ID: "m1", Title: "Họp giao ban", Room: "P.301", Start: at(9, 0), End: at(11, 0), CheckInOpens: at(8, 30), CheckInCloses: at(9, 30),
		Invitees: []Invitee{{Person: "p1", Name: "Nguyễn Văn A", Unit: "Sở Nội vụ", Role: "chair", Seat: "A1"}, {Person: "p2", Name: "Trần Thị B"}}}
	m := func(with map[string]string) string { return schedJSON(meetingJSON("m1", with)) }
	manyMeetings := make([]string, MaxMeetings+1)
	for i := range manyMeetings {
		manyMeetings[i] = meetingJSON("m"+strconv.Itoa(i), map[string]string{"invitees": "[]"})
	}
	manyInvitees := make([]string, MaxInvitees+1)
	for i := range manyInvitees {
		manyInvitees[i] = `{"person":"p` + strconv.Itoa(i) + `","name":"x"}`
	}
	tests := []struct {
		name, in string
		kind     error
	}{
		{"ok", m(nil), nil},
		{"no meetings", `{"version":1,"meetings":[]}`, nil},
		{"meetings absent", `{"version":1}`, nil},
		{"no invitees", m(map[string]string{"invitees": "-"}), nil},
		{"closes after end", m(map[string]string{"checkin_closes": `"2026-03-02T12:00:00+07:00"`}), nil},
		{"opens at start", m(map[string]string{"checkin_opens": `"2026-03-02T09:00:00+07:00"`}), nil},
		{"window of an instant", m(map[string]string{"checkin_closes": `"2026-03-02T08:30:00+07:00"`}), nil},
		{"max meetings", schedJSON(manyMeetings[:MaxMeetings]...), nil},
		{"zero version", `{"version":0,"meetings":[]}`, ErrInvalid},
		{"no version", `{"meetings":[]}`, ErrInvalid},
		{"too many meetings", schedJSON(manyMeetings...), ErrInvalid},
		{"duplicate meeting", schedJSON(meetingJSON("m1", nil), meetingJSON("m1", nil)), ErrInvalid},
		{"empty id", schedJSON(meetingJSON("", nil)), ErrInvalid},
		{"long id", schedJSON(meetingJSON(strings.Repeat("i", MaxMeetingIDSize+1), nil)), ErrInvalid},
		{"no title", m(map[string]string{"title": "-"}), ErrInvalid},
		{"long title", m(map[string]string{"title": strconv.Quote(strings.Repeat("t", MaxTitleSize+1))}), ErrInvalid},
		{"long room", m(map[string]string{"room": strconv.Quote(strings.Repeat("r", MaxNameSize+1))}), ErrInvalid},
		{"no start", m(map[string]string{"start": "-"}), ErrInvalid},
		{"no end", m(map[string]string{"end": "-"}), ErrInvalid},
		{"no opens", m(map[string]string{"checkin_opens": "-"}), ErrInvalid},
		{"no closes", m(map[string]string{"checkin_closes": "-"}), ErrInvalid},
		{"start at end", m(map[string]string{"end": `"2026-03-02T09:00:00+07:00"`}), ErrInvalid},
		{"end before start", m(map[string]string{"end": `"2026-03-02T08:00:00+07:00"`, "checkin_opens": `"2026-03-02T07:00:00+07:00"`}), ErrInvalid},
		{"closes before opens", m(map[string]string{"checkin_closes": `"2026-03-02T08:00:00+07:00"`}), ErrInvalid},
		{"opens at end", m(map[string]string{"checkin_opens": `"2026-03-02T11:00:00+07:00"`, "checkin_closes": `"2026-03-02T11:30:00+07:00"`}), ErrInvalid},
		{"mistyped year", m(map[string]string{"end": `"2062-03-02T11:00:00+07:00"`}), ErrInvalid},
		{"endless check-in", m(map[string]string{"checkin_closes": `"2062-03-02T11:00:00+07:00"`}), ErrInvalid},
		{"too many invitees", m(map[string]string{"invitees": "[" + strings.Join(manyInvitees, ",") + "]"}), ErrInvalid},
		{"invited twice", m(map[string]string{"invitees": `[{"person":"p1","name":"A"},{"person":"p1","name":"A again"}]`}), ErrInvalid},
		{"no person", m(map[string]string{"invitees": `[{"name":"A"}]`}), ErrInvalid},
		{"long person", m(map[string]string{"invitees": `[{"person":"` + strings.Repeat("p", MaxPersonIDSize+1) + `","name":"A"}]`}), ErrInvalid},
		{"no name", m(map[string]string{"invitees": `[{"person":"p1"}]`}), ErrInvalid},
		{"long name", m(map[string]string{"invitees": `[{"person":"p1","name":"` + strings.Repeat("n", MaxNameSize+1) + `"}]`}), ErrInvalid},
		{"long unit", m(map[string]string{"invitees": `[{"person":"p1","name":"A","unit":"` + strings.Repeat("u", MaxNameSize+1) + `"}]`}), ErrInvalid},
		{"long role", m(map[string]string{"invitees": `[{"person":"p1","name":"A","role":"` + strings.Repeat("r", MaxRoleSize+1) + `"}]`}), ErrInvalid},
		{"long seat", m(map[string]string{"invitees": `[{"person":"p1","name":"A","seat":"` + strings.Repeat("s", MaxSeatSize+1) + `"}]`}), ErrInvalid},
		{"time not RFC 3339", m(map[string]string{"start": `"2026-03-02 09:00"`}), ErrMalformed},
		{"time a number", m(map[string]string{"start": `1772416800`}), ErrMalformed},
		{"invitee unknown field", m(map[string]string{"invitees": `[{"person":"p1","name":"A","email":"a@b"}]`}), ErrMalformed},
		{"meeting unknown field", m(map[string]string{"id": `"m1","capacity":3`}), ErrMalformed},
		{"meetings object", `{"version":1,"meetings":{}}`, ErrMalformed},
		{"huge", `{"version":1,"meetings":[],"x":"` + strings.Repeat("a", MaxScheduleSize) + `"}`, ErrTooLarge},
	}
	bridge := func(b string) string { return m(map[string]string{"bridge": b}) }
	for _, c := range []struct {
		name, bridge string
		kind         error
	}{
		{"SIP URI", `{"dial":"sip:giaoban@bridge.hanoi.gov.vn;transport=tls","protocol":"sip","speed":1920}`, nil},
		{"H.323 alias", `{"dial":"h323:8001@10.0.0.5","protocol":"h323"}`, nil},
		{"E.164", `{"dial":"+842438251234"}`, nil},
		{"address and auto", `{"dial":"10.1.2.3##8001","protocol":"auto","speed":64,"auto_join":false}`, nil},
		{"max speed", `{"dial":"x","speed":8192,"auto_join":true}`, nil},
		{"max dial", `{"dial":"` + strings.Repeat("9", MaxDialSize) + `"}`, nil},
		{"null", `null`, nil},
		{"no dial", `{"protocol":"sip"}`, ErrInvalid},
		{"empty dial", `{"dial":""}`, ErrInvalid},
		{"long dial", `{"dial":"` + strings.Repeat("9", MaxDialSize+1) + `"}`, ErrInvalid},
		{"double quote", `{"dial":"8001\" hangup all"}`, ErrInvalid},
		{"single quote", `{"dial":"800'1"}`, ErrInvalid},
		{"backquote", `{"dial":"800` + "`" + `1"}`, ErrInvalid},
		{"backslash", `{"dial":"800\\1"}`, ErrInvalid},
		{"space", `{"dial":"8001 8002"}`, ErrInvalid},
		{"newline", `{"dial":"8001\nhangup all"}`, ErrInvalid},
		{"carriage return", `{"dial":"8001\r"}`, ErrInvalid},
		{"NUL", `{"dial":"8001\u0000"}`, ErrInvalid},
		{"DEL", `{"dial":"8001\u007f"}`, ErrInvalid},
		{"not ASCII", `{"dial":"sip:họp@cầu"}`, ErrInvalid},
		{"unknown protocol", `{"dial":"x","protocol":"isdn"}`, ErrInvalid},
		{"protocol in capitals", `{"dial":"x","protocol":"SIP"}`, ErrInvalid},
		{"slow", `{"dial":"x","speed":63}`, ErrInvalid},
		{"fast", `{"dial":"x","speed":8193}`, ErrInvalid},
		{"negative speed", `{"dial":"x","speed":-1}`, ErrInvalid},
		{"speed a string", `{"dial":"x","speed":"1920"}`, ErrMalformed},
		{"auto_join a string", `{"dial":"x","auto_join":"yes"}`, ErrMalformed},
		{"unknown field", `{"dial":"x","pin":"1234"}`, ErrMalformed},
		{"array", `["x"]`, ErrMalformed},
	} {
		tests = append(tests, struct {
			name, in string
			kind     error
		}{"bridge " + c.name, bridge(c.bridge), c.kind})
	}
	for _, mc := range malformedCases {
		tests = append(tests, struct {
			name, in string
			kind     error
		}{mc.name, mc.in, ErrMalformed})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeSchedule([]byte(tt.in))
			if kindOf(err) != tt.kind || (err != nil) != (tt.kind != nil) {
				t.Fatalf("DecodeSchedule(%.80q) = %v, want %v", tt.in, err, tt.kind)
			}
			if err != nil && !reflect.DeepEqual(got, Schedule{}) {
				t.Errorf("DecodeSchedule(%.80q) = %+v with its error, want the zero Schedule", tt.in, got)
			}
			if err == nil && (got.Meetings == nil || len(got.Meetings) > 0 && got.Meetings[0].Invitees == nil) {
				t.Errorf("DecodeSchedule(%.80q) = %+v, want empty lists, not nil", tt.in, got)
			}
		})
	}
	got, err := DecodeSchedule([]byte(m(nil)))
	if want := (Schedule{Version: 3, Meetings: []Meeting{good}}); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("DecodeSchedule(ok) = %+v, %v, want %+v", got, err, want)
	}
	b, _ := json.Marshal(got)
	if again, err := DecodeSchedule(b); err != nil || !reflect.DeepEqual(again, got) {
		t.Errorf("DecodeSchedule(%s) = %+v, %v after a round trip, want %+v", b, again, err, got)
	}
	no := false
	withBridge := good
	withBridge.Bridge = &Bridge{Dial: "sip:giaoban@bridge.hanoi.gov.vn", Protocol: "sip", Speed: 1920, AutoJoin: &no}
	got, err = DecodeSchedule([]byte(m(map[string]string{"bridge": `{"dial":"sip:giaoban@bridge.hanoi.gov.vn","protocol":"sip","speed":1920,"auto_join":false}`})))
	if want := (Schedule{Version: 3, Meetings: []Meeting{withBridge}}); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("DecodeSchedule(with a bridge) = %+v, %v, want %+v", got, err, want)
	}
}
