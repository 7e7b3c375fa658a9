package wire

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/event"
)

const goodEvent = `{"specversion":"1.0","id":"0192d1c2-7f3e-7a3b-9c4d-5e6f7a8b9c0d","source":"roomgate://hq/gate-7",` +
	`"type":"vn.roomgate.entry.v1","time":"2026-11-22T09:00:00.123Z","datacontenttype":"application/json","data":{"Granted":true,"x":[{"A":1}]}}`

// withField returns goodEvent with one attribute's JSON value replaced, or
// removed when value is "".
func withField(key, value string) string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(goodEvent), &m); err != nil {
		panic(err)
	}
	if value == "" {
		delete(m, key)
	} else {
		m[key] = json.RawMessage(value)
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestDecodeEvent(t *testing.T) {
	want := Event{
		SpecVersion: "1.0", ID: "0192d1c2-7f3e-7a3b-9c4d-5e6f7a8b9c0d", Source: "roomgate://hq/gate-7", Type: "vn.roomgate.entry.v1",
		Time: time.Date(2026, 11, 22, 9, 0, 0, 123e6, time.UTC), DataContentType: "application/json", Data: json.RawMessage(`{"Granted":true,"x":[{"A":1}]}`),
	}
	got, err := DecodeEvent([]byte(goodEvent), "gate-7")
	if err != nil || got.ID != want.ID || got.Source != want.Source || got.Type != want.Type || !got.Time.Equal(want.Time) || string(got.Data) != string(want.Data) {
		t.Fatalf("DecodeEvent(good) = %+v, %v, want %+v", got, err, want)
	}
	for _, tt := range []struct {
		name, in, device string
		kind             error
	}{
		{"other device", goodEvent, "gate-8", ErrInvalid},
		{"specversion 0.3", withField("specversion", `"0.3"`), "gate-7", ErrInvalid},
		{"no specversion", withField("specversion", ""), "gate-7", ErrInvalid},
		{"no id", withField("id", ""), "gate-7", ErrInvalid},
		{"long id", withField("id", `"`+strings.Repeat("a", 65)+`"`), "gate-7", ErrInvalid},
		{"64-byte id", withField("id", `"`+strings.Repeat("a", 64)+`"`), "gate-7", nil},
		{"source other scheme", withField("source", `"http://hq/gate-7"`), "gate-7", ErrInvalid},
		{"source bad site", withField("source", `"roomgate://HQ/gate-7"`), "gate-7", ErrInvalid},
		{"source empty site", withField("source", `"roomgate:///gate-7"`), "gate-7", ErrInvalid},
		{"source extra level", withField("source", `"roomgate://hq/gate-7/x"`), "gate-7", ErrInvalid},
		{"source no device", withField("source", `"roomgate://hq"`), "gate-7", ErrInvalid},
		{"type other vendor", withField("type", `"com.example.entry.v1"`), "gate-7", ErrInvalid},
		{"type no version", withField("type", `"vn.roomgate.entry"`), "gate-7", ErrInvalid},
		{"type no name", withField("type", `"vn.roomgate.v1"`), "gate-7", ErrInvalid},
		{"type v0", withField("type", `"vn.roomgate.entry.v0"`), "gate-7", ErrInvalid},
		{"type dotted", withField("type", `"vn.roomgate.door.alarm.v2"`), "gate-7", nil},
		{"no time", withField("time", ""), "gate-7", ErrInvalid},
		{"time not rfc3339", withField("time", `"22/11/2026"`), "gate-7", ErrMalformed},
		{"time number", withField("time", `1700000000`), "gate-7", ErrMalformed},
		{"time with offset", withField("time", `"2026-11-22T16:00:00+07:00"`), "gate-7", nil},
		{"content type", withField("datacontenttype", `"text/plain"`), "gate-7", ErrInvalid},
		{"no data", withField("data", ""), "gate-7", ErrInvalid},
		{"data array", withField("data", `[1]`), "gate-7", ErrInvalid},
		{"data string", withField("data", `"x"`), "gate-7", ErrInvalid},
		{"data null", withField("data", `null`), "gate-7", ErrInvalid},
		{"data duplicate key", withField("data", `{"a":1,"a":2}`), "gate-7", ErrMalformed},
		{"extension attribute", withField("traceparent", `"00-x"`), "gate-7", ErrMalformed},
		{"id number", withField("id", `7`), "gate-7", ErrMalformed},
	} {
		_, err := DecodeEvent([]byte(tt.in), tt.device)
		if kindOf(err) != tt.kind || (err != nil) != (tt.kind != nil) {
			t.Errorf("%s: DecodeEvent(%.120q, %s) = %v, want %v", tt.name, tt.in, tt.device, err, tt.kind)
		}
	}
}

// The agent's event builder produces what the contract accepts.
func TestAgentEventsValidate(t *testing.T) {
	_, payload, err := event.New(event.Source("hq", "gate-7"), event.TypeDoor, time.Now(), map[string]any{"kind": "forced_open"})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := DecodeEvents([]byte("[" + string(payload) + "," + string(payload) + "]"))
	if err != nil || len(batch) != 2 {
		t.Fatalf("DecodeEvents = %d, %v, want 2 events", len(batch), err)
	}
	if _, err := DecodeEvent(batch[1], "gate-7"); err != nil {
		t.Errorf("DecodeEvent(%s) = %v", batch[1], err)
	}
}

func TestDecodeEvents(t *testing.T) {
	many := "[" + strings.Repeat("{},", MaxBatchEvents) + "{}]"
	for _, tt := range []struct {
		name, in string
		n        int
		kind     error
	}{
		{"one", "[" + goodEvent + "]", 1, nil},
		{"three", "[" + goodEvent + ",\n" + goodEvent + "," + goodEvent + "]", 3, nil},
		{"bad elements pass through", `[{"x":1}]`, 1, nil},
		{"max", "[" + strings.Repeat("{},", MaxBatchEvents-1) + "{}]", MaxBatchEvents, nil},
		{"empty", `[]`, 0, ErrInvalid},
		{"too many", many, 0, ErrInvalid},
		{"object", goodEvent, 0, ErrMalformed},
		{"element number", `[1]`, 0, ErrMalformed},
		{"element array", `[[]]`, 0, ErrMalformed},
		{"element null", `[null]`, 0, ErrMalformed},
		{"two arrays", `[{}][{}]`, 0, ErrMalformed},
		{"unterminated", `[{}`, 0, ErrMalformed},
		{"duplicate key in element", `[{"id":"a","id":"b"}]`, 0, ErrMalformed},
		{"huge", "[" + strings.Repeat(goodEvent+",", MaxEventsSize/len(goodEvent)) + goodEvent + "]", 0, ErrTooLarge},
		{"empty payload", ``, 0, ErrMalformed},
	} {
		got, err := DecodeEvents([]byte(tt.in))
		if len(got) != tt.n || kindOf(err) != tt.kind || (err != nil) != (tt.kind != nil) {
			t.Errorf("%s: DecodeEvents(%.80q) = %d events, %v, want %d, %v", tt.name, tt.in, len(got), err, tt.n, tt.kind)
		}
	}
}
