package wire

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

var (
	tmpl4  = []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0x80, 0xbf} // 4 float32s
	sumHex = strings.Repeat("ab", 32)
)

func chunkJSON(index int, people string) string {
	return `{"version":2,"index":` + strconv.Itoa(index) + `,"people":` + people + `}`
}

// manifestFor builds the manifest of chunks as the city would.
func manifestFor(version int64, dim int, chunks ...[]byte) GalleryManifest {
	m := GalleryManifest{Version: version, Model: "sface-2021dec", Dim: dim, Chunks: len(chunks), ChunkSHA256: []string{}}
	whole := sha256.New()
	for _, p := range chunks {
		c, err := DecodeGalleryChunk(p)
		if err != nil {
			panic(err)
		}
		for _, gp := range c.People {
			m.Count++
			m.Templates += len(gp.Templates)
		}
		sum := sha256.Sum256(p)
		m.ChunkSHA256 = append(m.ChunkSHA256, hex.EncodeToString(sum[:]))
		whole.Write(p)
	}
	m.SHA256 = hex.EncodeToString(whole.Sum(nil))
	return m
}

func TestDecodeGalleryChunk(t *testing.T) {
	b64 := func(b []byte) string { return strconv.Quote(base64.StdEncoding.EncodeToString(b)) }
	person := func(id string, templates ...string) string {
		return `{"id":"` + id + `","name":"Lê Văn C","unit":"UBND","templates":[` + strings.Join(templates, ",") + `]}`
	}
	tooMany := make([]string, MaxPersonTemplates+1)
	for i := range tooMany {
		tooMany[i] = b64(tmpl4)
	}
	tests := []struct {
		name, in string
		kind     error
	}{
		{"ok", chunkJSON(0, "["+person("p1", b64(tmpl4), b64(tmpl4))+","+person("p2", b64(tmpl4))+"]"), nil},
		{"no unit", chunkJSON(1, `[{"id":"p1","name":"A","templates":[`+b64(tmpl4)+`]}]`), nil},
		{"max templates", chunkJSON(0, "["+person("p1", tooMany[:MaxPersonTemplates]...)+"]"), nil},
		{"zero version", `{"version":0,"index":0,"people":[` + person("p1", b64(tmpl4)) + `]}`, ErrInvalid},
		{"negative index", chunkJSON(-1, "["+person("p1", b64(tmpl4))+"]"), ErrInvalid},
		{"index too high", chunkJSON(MaxGalleryChunks, "["+person("p1", b64(tmpl4))+"]"), ErrInvalid},
		{"no people", chunkJSON(0, "[]"), ErrInvalid},
		{"people absent", `{"version":2,"index":0}`, ErrInvalid},
		{"duplicate person", chunkJSON(0, "["+person("p1", b64(tmpl4))+","+person("p1", b64(tmpl4))+"]"), ErrInvalid},
		{"empty id", chunkJSON(0, "["+person("", b64(tmpl4))+"]"), ErrInvalid},
		{"long id", chunkJSON(0, "["+person(strings.Repeat("p", MaxPersonIDSize+1), b64(tmpl4))+"]"), ErrInvalid},
		{"no name", chunkJSON(0, `[{"id":"p1","templates":[`+b64(tmpl4)+`]}]`), ErrInvalid},
		{"long name", chunkJSON(0, `[{"id":"p1","name":"`+strings.Repeat("n", MaxNameSize+1)+`","templates":[`+b64(tmpl4)+`]}]`), ErrInvalid},
		{"long unit", chunkJSON(0, `[{"id":"p1","name":"A","unit":"`+strings.Repeat("u", MaxNameSize+1)+`","templates":[`+b64(tmpl4)+`]}]`), ErrInvalid},
		{"no templates", chunkJSON(0, "["+person("p1")+"]"), ErrInvalid},
		{"too many templates", chunkJSON(0, "["+person("p1", tooMany...)+"]"), ErrInvalid},
		{"empty template", chunkJSON(0, "["+person("p1", `""`)+"]"), ErrInvalid},
		{"template of 3 bytes", chunkJSON(0, "["+person("p1", b64([]byte{1, 2, 3}))+"]"), ErrInvalid},
		{"template too long", chunkJSON(0, "["+person("p1", b64(make([]byte, 4*MaxGalleryDim+4)))+"]"), ErrInvalid},
		{"template not base64", chunkJSON(0, "["+person("p1", `"not base64!"`)+"]"), ErrMalformed},
		{"template url base64", chunkJSON(0, "["+person("p1", `"__-_"`)+"]"), ErrMalformed},
		{"template a number array", chunkJSON(0, "["+person("p1", `[0.5,1]`)+"]"), ErrMalformed},
		{"person unknown field", chunkJSON(0, `[{"id":"p1","name":"A","photo":"x.jpg","templates":[`+b64(tmpl4)+`]}]`), ErrMalformed},
		{"index string", `{"version":2,"index":"0","people":[` + person("p1", b64(tmpl4)) + `]}`, ErrMalformed},
		{"huge", chunkJSON(0, `[{"id":"p1","name":"`+strings.Repeat("n", MaxGalleryChunkSize)+`"}]`), ErrTooLarge},
	}
	for _, mc := range malformedCases {
		tests = append(tests, struct {
			name, in string
			kind     error
		}{mc.name, mc.in, ErrMalformed})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeGalleryChunk([]byte(tt.in))
			if kindOf(err) != tt.kind || (err != nil) != (tt.kind != nil) || (err != nil && !reflect.DeepEqual(got, GalleryChunk{})) {
				t.Errorf("DecodeGalleryChunk(%.80q) = %.100v, %v, want %v", tt.in, got, err, tt.kind)
			}
		})
	}
	got, err := DecodeGalleryChunk([]byte(tests[0].in))
	want := GalleryChunk{Version: 2, Index: 0, People: []GalleryPerson{
		{ID: "p1", Name: "Lê Văn C", Unit: "UBND", Templates: [][]byte{tmpl4, tmpl4}},
		{ID: "p2", Name: "Lê Văn C", Unit: "UBND", Templates: [][]byte{tmpl4}},
	}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("DecodeGalleryChunk(ok) = %+v, %v, want %+v", got, err, want)
	}
}

func TestDecodeGalleryManifest(t *testing.T) {
	ok := GalleryManifest{Version: 3, Model: "sface-2021dec", Dim: 128, Count: 2, Templates: 3, Chunks: 2, SHA256: sumHex, ChunkSHA256: []string{sumHex, sumHex}}
	enc := func(edit func(*GalleryManifest)) string {
		m := ok
		m.ChunkSHA256 = append([]string(nil), ok.ChunkSHA256...)
		edit(&m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	tests := []struct {
		name, in string
		kind     error
	}{
		{"ok", enc(func(*GalleryManifest) {}), nil},
		{"empty gallery", `{"version":4,"model":"m","dim":0,"count":0,"templates":0,"chunks":0,"sha256":"` + hex.EncodeToString(sha256.New().Sum(nil)) + `","chunk_sha256":[]}`, nil},
		{"zero version", enc(func(m *GalleryManifest) { m.Version = 0 }), ErrInvalid},
		{"no model", enc(func(m *GalleryManifest) { m.Model = "" }), ErrInvalid},
		{"long model", enc(func(m *GalleryManifest) { m.Model = strings.Repeat("m", MaxModelSize+1) }), ErrInvalid},
		{"negative count", enc(func(m *GalleryManifest) { m.Count = -1 }), ErrInvalid},
		{"too many people", enc(func(m *GalleryManifest) { m.Count = MaxGalleryPeople + 1; m.Templates = m.Count }), ErrInvalid},
		{"fewer templates than people", enc(func(m *GalleryManifest) { m.Templates = 1 }), ErrInvalid},
		{"too many templates per person", enc(func(m *GalleryManifest) { m.Templates = 2*MaxPersonTemplates + 1 }), ErrInvalid},
		{"too many templates", enc(func(m *GalleryManifest) { m.Count = MaxGalleryPeople; m.Templates = MaxGalleryTemplates + 1 }), ErrInvalid},
		{"zero dim", enc(func(m *GalleryManifest) { m.Dim = 0 }), ErrInvalid},
		{"negative dim", enc(func(m *GalleryManifest) { m.Dim = -1 }), ErrInvalid},
		{"huge dim", enc(func(m *GalleryManifest) { m.Dim = MaxGalleryDim + 1 }), ErrInvalid},
		{"no chunks for people", enc(func(m *GalleryManifest) { m.Chunks = 0; m.ChunkSHA256 = nil }), ErrInvalid},
		{"more chunks than people", enc(func(m *GalleryManifest) { m.Chunks = 3; m.ChunkSHA256 = append(m.ChunkSHA256, sumHex) }), ErrInvalid},
		{"chunk sums missing", enc(func(m *GalleryManifest) { m.ChunkSHA256 = m.ChunkSHA256[:1] }), ErrInvalid},
		{"chunk sums null", enc(func(m *GalleryManifest) { m.ChunkSHA256 = nil }), ErrInvalid},
		{"sha256 short", enc(func(m *GalleryManifest) { m.SHA256 = sumHex[:62] }), ErrInvalid},
		{"sha256 upper case", enc(func(m *GalleryManifest) { m.SHA256 = strings.ToUpper(sumHex) }), ErrInvalid},
		{"sha256 not hex", enc(func(m *GalleryManifest) { m.SHA256 = strings.Repeat("zz", 32) }), ErrInvalid},
		{"chunk sha256 bad", enc(func(m *GalleryManifest) { m.ChunkSHA256[1] = "x" }), ErrInvalid},
		{"unknown field", `{"version":1,"model":"m","dim":1,"count":1,"templates":1,"chunks":1,"sha256":"` + sumHex + `","chunk_sha256":["` + sumHex + `"],"photos":true}`, ErrMalformed},
		{"dim float", strings.Replace(enc(func(*GalleryManifest) {}), `"dim":128`, `"dim":128.5`, 1), ErrMalformed},
		{"huge", `{"version":1,"model":"` + strings.Repeat("m", MaxGalleryManifestSize) + `"}`, ErrTooLarge},
	}
	for _, mc := range malformedCases {
		tests = append(tests, struct {
			name, in string
			kind     error
		}{mc.name, mc.in, ErrMalformed})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeGalleryManifest([]byte(tt.in))
			if kindOf(err) != tt.kind || (err != nil) != (tt.kind != nil) || (err != nil && !reflect.DeepEqual(got, GalleryManifest{})) {
				t.Errorf("DecodeGalleryManifest(%.80q) = %+v, %v, want %v", tt.in, got, err, tt.kind)
			}
		})
	}
	if got, err := DecodeGalleryManifest([]byte(tests[0].in)); err != nil || !reflect.DeepEqual(got, ok) {
		t.Errorf("DecodeGalleryManifest(ok) = %+v, %v, want %+v", got, err, ok)
	}
}

func TestGalleryManifestCheck(t *testing.T) {
	c0 := []byte(chunkJSON(0, `[{"id":"p1","name":"A","templates":["`+base64.StdEncoding.EncodeToString(tmpl4)+`"]}]`))
	c1 := []byte(`{"version":2,"index":1,"people":[{"id":"p2","name":"B","templates":["` + base64.StdEncoding.EncodeToString(tmpl4) + `"]}]}`)
	m := manifestFor(2, 4, c0, c1)
	if _, err := DecodeGalleryManifest(mustJSON(t, m)); err != nil {
		t.Fatalf("manifestFor = %+v, which does not decode: %v", m, err)
	}
	decoded := func(p []byte) GalleryChunk {
		c, err := DecodeGalleryChunk(p)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for i, p := range [][]byte{c0, c1} {
		if err := m.Check(decoded(p), p); err != nil {
			t.Errorf("Check(chunk %d) = %v, want nil", i, err)
		}
	}
	spaced := append([]byte(" "), c0...) // the same chunk, other bytes
	other := m
	other.Version = 3
	wide := m
	wide.Dim = 8
	short := m
	short.Chunks = 1
	for _, tt := range []struct {
		name string
		m    GalleryManifest
		p    []byte
	}{
		{"other bytes", m, spaced},
		{"other chunk's bytes", m, c1},
		{"other version", other, c0},
		{"other dim", wide, c0},
		{"index beyond", short, c1},
	} {
		c := decoded(tt.p)
		if tt.name == "other chunk's bytes" {
			c = decoded(c0)
		}
		if err := tt.m.Check(c, tt.p); kindOf(err) != ErrInvalid {
			t.Errorf("%s: Check = %v, want %v", tt.name, err, ErrInvalid)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
