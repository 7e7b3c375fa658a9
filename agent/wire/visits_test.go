package wire

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// templateB64 is a 4-d template (1, 0, 0, 0) as JSON carries it.
var templateB64 = base64.StdEncoding.EncodeToString(floats(1, 0, 0, 0))

func floats(xs ...float32) []byte {
	b := make([]byte, 4*len(xs))
	for i, x := range xs {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// visitJSON is a valid visit with the named members replaced ("-" drops one).
func visitJSON(id string, with map[string]string) string {
	m := [][2]string{
		{"id", `"` + id + `"`}, {"id_number", `"001099012345"`}, {"name", `"Nguyễn Văn An"`}, {"host", `"Phòng Hành chính"`},
		{"gates", `["hq/main-gate"]`}, {"not_before", `"2026-11-22T08:00:00Z"`}, {"not_after", `"2026-11-22T17:00:00Z"`},
		{"uses", `1`}, {"model", `"mobilefacenet"`}, {"template", `"` + templateB64 + `"`},
	}
	var parts []string
	for _, kv := range m {
		v, ok := with[kv[0]]
		switch {
		case !ok:
			v = kv[1]
		case v == "-":
			continue
		}
		parts = append(parts, `"`+kv[0]+`":`+v)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func visitsJSON(visits ...string) string {
	return `{"version":3,"visits":[` + strings.Join(visits, ",") + `]}`
}

func TestDecodeVisits(t *testing.T) {
	v, err := DecodeVisits([]byte(visitsJSON(visitJSON("v1", nil), visitJSON("v2", map[string]string{"gates": `["hq","other-site/side-gate"]`, "uses": "3"}))))
	if err != nil {
		t.Fatal(err)
	}
	want := Visit{ID: "v1", IDNumber: "001099012345", Name: "Nguyễn Văn An", Host: "Phòng Hành chính", Gates: []string{"hq/main-gate"},
		NotBefore: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC), NotAfter: time.Date(2026, 11, 22, 17, 0, 0, 0, time.UTC), Uses: 1,
		Model: "mobilefacenet", Template: floats(1, 0, 0, 0)}
	if v.Version != 3 || len(v.Visits) != 2 || v.Visits[0].ID != want.ID || v.Visits[0].IDNumber != want.IDNumber || !v.Visits[0].NotAfter.Equal(want.NotAfter) ||
		string(v.Visits[0].Template) != string(want.Template) || v.Visits[1].Uses != 3 || len(v.Visits[1].Gates) != 2 {
		t.Errorf("DecodeVisits = %+v, want first %+v", v, want)
	}
	empty, err := DecodeVisits([]byte(`{"version":4}`))
	if err != nil || empty.Visits == nil || len(empty.Visits) != 0 {
		t.Errorf("empty visits = %+v, %v; want an empty list (it removes every visit)", empty, err)
	}
}

func TestDecodeVisitsRefuses(t *testing.T) {
	nan := base64.StdEncoding.EncodeToString(floats(1, float32(math.NaN())))
	zero := base64.StdEncoding.EncodeToString(floats(0, 0))
	for _, c := range []struct {
		name, in string
		want     error
	}{
		{"not json", `{"version":1,`, ErrMalformed},
		{"unknown key", `{"version":1,"visits":[],"photo":"x"}`, ErrMalformed},
		{"a photo in a visit", visitsJSON(strings.Replace(visitJSON("v1", nil), "{", `{"photo":"/9j/4AAQ",`, 1)), ErrMalformed},
		{"version 0", `{"version":0,"visits":[]}`, ErrInvalid},
		{"same id twice", visitsJSON(visitJSON("v1", nil), visitJSON("v1", nil)), ErrInvalid},
		{"id number of 11 digits", visitsJSON(visitJSON("v1", map[string]string{"id_number": `"00109901234"`})), ErrInvalid},
		{"id number with a letter", visitsJSON(visitJSON("v1", map[string]string{"id_number": `"00109901234a"`})), ErrInvalid},
		{"no name", visitsJSON(visitJSON("v1", map[string]string{"name": `""`})), ErrInvalid},
		{"no gates", visitsJSON(visitJSON("v1", map[string]string{"gates": `[]`})), ErrInvalid},
		{"a gate with a comma", visitsJSON(visitJSON("v1", map[string]string{"gates": `["hq,x"]`})), ErrInvalid},
		{"a gate of three levels", visitsJSON(visitJSON("v1", map[string]string{"gates": `["hq/a/b"]`})), ErrInvalid},
		{"window backwards", visitsJSON(visitJSON("v1", map[string]string{"not_after": `"2026-11-22T07:00:00Z"`})), ErrInvalid},
		{"window of a year", visitsJSON(visitJSON("v1", map[string]string{"not_after": `"2027-11-22T07:00:00Z"`})), ErrInvalid},
		{"no not_before", visitsJSON(visitJSON("v1", map[string]string{"not_before": "-"})), ErrInvalid},
		{"uses 0", visitsJSON(visitJSON("v1", map[string]string{"uses": "0"})), ErrInvalid},
		{"no model", visitsJSON(visitJSON("v1", map[string]string{"model": `""`})), ErrInvalid},
		{"no template", visitsJSON(visitJSON("v1", map[string]string{"template": "-"})), ErrInvalid},
		{"template of 5 bytes", visitsJSON(visitJSON("v1", map[string]string{"template": `"AAAAAAA="`})), ErrInvalid},
		{"template with a NaN", visitsJSON(visitJSON("v1", map[string]string{"template": `"` + nan + `"`})), ErrInvalid},
		{"template of zeros", visitsJSON(visitJSON("v1", map[string]string{"template": `"` + zero + `"`})), ErrInvalid},
		{"too large", `{"version":1,"visits":[],"dev":"` + strings.Repeat("a", MaxVisitsSize) + `"}`, ErrTooLarge},
	} {
		if _, err := DecodeVisits([]byte(c.in)); !errors.Is(err, c.want) {
			t.Errorf("%s: DecodeVisits = %v, want %v", c.name, err, c.want)
		}
	}
}
