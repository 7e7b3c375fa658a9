package wire

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDecodeStateDoctor(t *testing.T) {
	in := State{Online: true, Doctor: &DoctorState{Time: time.Date(2026, 3, 2, 1, 58, 0, 0, time.UTC), OK: 6, Warnings: 1, Failures: 1, Failing: []string{"clock", "scanner:front"}}}
	b, _ := json.Marshal(in)
	if got, err := DecodeState(b); err != nil || !reflect.DeepEqual(got, in) {
		t.Errorf("DecodeState(%s) = %+v, %v, want %+v", b, got, err, in)
	}
	for _, tt := range []struct {
		name, in string
		kind     error
	}{
		{"all ok", `{"online":true,"doctor":{"time":"2026-03-02T01:58:00Z","ok":8,"warnings":0,"failures":0}}`, nil},
		{"negative", `{"online":true,"doctor":{"time":"2026-03-02T01:58:00Z","ok":-1,"warnings":0,"failures":0}}`, ErrInvalid},
		{"too many", `{"online":true,"doctor":{"time":"2026-03-02T01:58:00Z","ok":1000,"warnings":0,"failures":0}}`, ErrInvalid},
		{"names missing", `{"online":true,"doctor":{"time":"2026-03-02T01:58:00Z","ok":1,"warnings":0,"failures":2,"failing":["disk"]}}`, ErrInvalid},
		{"long name", `{"online":true,"doctor":{"time":"2026-03-02T01:58:00Z","ok":1,"warnings":1,"failures":0,"failing":["` + strings.Repeat("n", MaxDoctorCheckName+1) + `"]}}`, ErrInvalid},
		{"unknown field", `{"online":true,"doctor":{"time":"2026-03-02T01:58:00Z","ok":1,"warnings":0,"failures":0,"detail":"x"}}`, ErrMalformed},
	} {
		if _, err := DecodeState([]byte(tt.in)); kindOf(err) != tt.kind {
			t.Errorf("%s: DecodeState(%.80q) = %v, want %v", tt.name, tt.in, err, tt.kind)
		}
	}
}
