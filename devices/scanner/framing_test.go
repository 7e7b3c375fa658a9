package scanner

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"unicode"
	"unicode/utf8"
)

// Passes shaped like real ones (EdDSA JWS, base64url with - and _), as in
// testdata; their signatures are random bytes.
const (
	jws1 = "eyJhbGciOiJFZERTQSIsImtpZCI6ImhjbS1xMS0yMDI2In0.eyJqdGkiOiJwLTdmM2E5YyIsImlzcyI6Imh0dHBzOi8vY29uZy5oY21jLmdvdi52biIsInN1YiI6InYtMDAxMDk5MDEyMzQ1IiwibmFtZSI6Ik5ndXllbiBWYW4gQSIsImhvc3QiOiJwaG9uZy10aWVwLWRhbiIsImF1ZCI6WyJxMS1jb25nLWNoaW5oIl0sIm5iZiI6MTc5MDAwMDAwMCwiZXhwIjoxNzkwMDg2NDAwLCJ1c2VzIjoxfQ.jLYQkA-eNH-uiG3GUHeV7HRcTD_LLrLHPhSTTIZ-4Fe6ckmb-hIeg2sqwVcm7n1rCvarE8OOksrg0VBXsVmYfw"
	jws2 = "eyJhbGciOiJFZERTQSIsImtpZCI6ImhjbS1xMS0yMDI2In0.eyJqdGkiOiJwLTdmM2E5YyIsImlzcyI6Imh0dHBzOi8vY29uZy5oY21jLmdvdi52biIsInN1YiI6InYtMDAxMDk5MDEyMzQ1IiwibmFtZSI6Ik5ndXllbiBWYW4gQSIsImhvc3QiOiJwaG9uZy10aWVwLWRhbiIsImF1ZCI6WyJxMS1jb25nLWNoaW5oIl0sIm5iZiI6MTc5MDAwMDAwMCwiZXhwIjoxNzkwMDg2NDAwLCJ1c2VzIjoxfQ.lMx0EdcX8UV5sqoQD7uzT6WT_q7Scki3YuOrWAXwdlornB1-DzfESSG9P2Vk6t9_FCpyZoxH4iPRbt2MR7Rq_A"
	cccd = "001099012345|123456789|Nguyễn Văn A|01011990|Nam|12 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh|15082021"
)

// collect runs ReadLines and returns what it emitted, without times.
func collect(t testing.TB, r io.Reader, f Framing) ([]Line, error) {
	t.Helper()
	var got []Line
	err := ReadLines(r, f, func(l Line) {
		if l.At.IsZero() {
			t.Errorf("ReadLines emitted %+v with zero At", l)
		}
		got = append(got, Line{Text: l.Text, Reject: l.Reject})
	})
	return got, err
}

func TestReadLinesTestdata(t *testing.T) {
	ok := Line{Text: "OK"}
	garbage := []Line{{Text: "[2J]0;x(ABC"}, {Text: "1m"}, ok}
	tests := []struct {
		file string
		f    Framing
		want []Line
	}{
		{"jws-crlf.bin", Framing{Terminator: "crlf"}, []Line{{Text: jws1}, {Text: jws2}}},
		{"jws-crlf.bin", Framing{Terminator: "any"}, []Line{{Text: jws1}, {Text: jws2}}},
		{"jws-crlf.bin", Framing{}, []Line{{Text: jws1}, {Text: jws2}}},
		{"jws-crlf.bin", Framing{Terminator: "cr"}, []Line{{Text: jws1}, {Text: jws2}}},
		{"jws-crlf.bin", Framing{Terminator: "lf"}, []Line{{Text: jws1}, {Text: jws2}}},
		{"jws-lf.bin", Framing{Terminator: "lf"}, []Line{{Text: jws1}, {Text: jws2}}},
		{"jws-lf.bin", Framing{Terminator: "any"}, []Line{{Text: jws1}, {Text: jws2}}},
		// Wrong framing: LF is never a terminator, so both scans run into
		// one line that never ends.
		{"jws-lf.bin", Framing{Terminator: "crlf"}, []Line{{Text: jws1[:32], Reject: rejectEnd}}},
		{"jws-lf.bin", Framing{Terminator: "cr"}, []Line{{Text: jws1[:32], Reject: rejectEnd}}},
		{"cccd-cr.bin", Framing{Terminator: "cr"}, []Line{{Text: cccd}}},
		{"cccd-cr.bin", Framing{Terminator: "any"}, []Line{{Text: cccd}}},
		{"stx-etx.bin", Framing{Terminator: "crlf"}, []Line{{Text: jws1}}},
		{"garbage.bin", Framing{Terminator: "crlf"}, garbage},
		{"garbage.bin", Framing{Terminator: "any"}, garbage},
		{"garbage.bin", Framing{Terminator: "cr"}, garbage},
		{"garbage.bin", Framing{Terminator: "lf"}, garbage},
		{"overlong.bin", Framing{Terminator: "crlf"}, []Line{{Text: strings.Repeat("A", 32), Reject: "line longer than 2048 bytes"}, ok}},
		{"overlong.bin", Framing{Terminator: "any", MaxLength: 3000}, []Line{{Text: strings.Repeat("A", 3000)}, ok}},
		{"overlong.bin", Framing{Terminator: "crlf", MaxLength: 2999}, []Line{{Text: strings.Repeat("A", 32), Reject: "line longer than 2999 bytes"}, ok}},
		{"overlong.bin", Framing{Terminator: "lf", MaxLength: 3000}, []Line{{Text: strings.Repeat("A", 32), Reject: "line longer than 3000 bytes"}, ok}},
		{"overlong.bin", Framing{Terminator: "crlf", MaxLength: 4}, []Line{{Text: "AAAA", Reject: "line longer than 4 bytes"}, ok}},
		{"unterminated.bin", Framing{Terminator: "crlf"}, []Line{{Text: jws1}, {Text: jws2[:32], Reject: rejectEnd}}},
	}
	for _, tt := range tests {
		data, err := os.ReadFile(filepath.Join("testdata", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		// Read boundaries must not matter: whole, byte by byte, halves.
		readers := map[string]io.Reader{
			"whole":    bytes.NewReader(data),
			"one-byte": iotest.OneByteReader(bytes.NewReader(data)),
			"half":     iotest.HalfReader(bytes.NewReader(data)),
		}
		for name, r := range readers {
			got, err := collect(t, r, tt.f)
			if err != nil {
				t.Errorf("ReadLines(%s %s, %+v) error = %v", tt.file, name, tt.f, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ReadLines(%s %s, %+v) = %q, want %q", tt.file, name, tt.f, got, tt.want)
			}
		}
	}
}

func TestReadLinesFraming(t *testing.T) {
	tests := []struct {
		in   string
		term string
		want []Line
	}{
		{"A\r\nB\r\n", "any", []Line{{Text: "A"}, {Text: "B"}}},
		{"A\n\rB\r\r\n\n", "any", []Line{{Text: "A"}, {Text: "B"}}},
		{"\r\n\r\n\n\r", "any", nil},
		{"\x00\x1b", "any", nil}, // noise left open at the end is no line
		{"A\rB\r", "crlf", []Line{{Text: "AB", Reject: rejectEnd}}},
		{"A\r\r\nB\nC\r\n", "crlf", []Line{{Text: "A"}, {Text: "BC"}}},
		{"A\r\nB\r\n", "cr", []Line{{Text: "A"}, {Text: "B"}}},
		{"A\r\nB\r\n", "lf", []Line{{Text: "A"}, {Text: "B"}}},
		{"A\tB\x7fC\r", "cr", []Line{{Text: "ABC"}}},
		{"\xef\xbb\xbfA\r", "cr", []Line{{Text: "\ufeffA"}}},
		{"\xed\xa0\x80A\r", "cr", []Line{{Text: "A"}}}, // a surrogate is not UTF-8
		{"\xef\xbf\xbdA\r", "cr", []Line{{Text: "\ufffdA"}}},
	}
	for _, tt := range tests {
		got, err := collect(t, strings.NewReader(tt.in), Framing{Terminator: tt.term})
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ReadLines(%q, %s) = %q, %v; want %q, nil", tt.in, tt.term, got, err, tt.want)
		}
	}
}

func TestReadLinesMaxLengthBoundary(t *testing.T) {
	for _, term := range []string{"cr", "lf", "crlf", "any"} {
		end := map[string]string{"cr": "\r", "lf": "\n", "crlf": "\r\n", "any": "\r\n"}[term]
		f := Framing{Terminator: term, MaxLength: 8}
		got, _ := collect(t, strings.NewReader("12345678"+end), f)
		if want := []Line{{Text: "12345678"}}; !slices.Equal(got, want) {
			t.Errorf("ReadLines(8 bytes, %+v) = %q, want %q", f, got, want)
		}
		got, _ = collect(t, strings.NewReader("123456789"+end), f)
		if want := []Line{{Text: "12345678", Reject: "line longer than 8 bytes"}}; !slices.Equal(got, want) {
			t.Errorf("ReadLines(9 bytes, %+v) = %q, want %q", f, got, want)
		}
	}
}

func TestReadLinesValidate(t *testing.T) {
	for _, f := range []Framing{{Terminator: "nul"}, {Terminator: "CRLF"}, {MaxLength: -1}} {
		called := false
		err := ReadLines(strings.NewReader("A\r"), f, func(Line) { called = true })
		if err == nil || called {
			t.Errorf("ReadLines(%+v) = %v, emitted %v; want an error and nothing emitted", f, err, called)
		}
	}
}

// script is a reader that returns its steps one read at a time; an empty
// step is a read timeout, (0, nil).
type script struct {
	steps []string
	err   error
}

func (s *script) Read(p []byte) (int, error) {
	if len(s.steps) == 0 {
		return 0, s.err
	}
	n := copy(p, s.steps[0])
	s.steps = s.steps[1:]
	return n, nil
}

func TestReadLinesIdleGap(t *testing.T) {
	tests := []struct {
		steps []string
		want  []Line
	}{
		// A scan in three pieces with no gap between them.
		{[]string{"AB", "C", "D\r\n"}, []Line{{Text: "ABCD"}}},
		// Garbage without terminator, a gap, then a good scan.
		{[]string{"\x00junk", "", "OK\r\n"}, []Line{{Text: "junk", Reject: rejectIdle}, {Text: "OK"}}},
		{[]string{strings.Repeat("x", 10000), "", "OK\r\n"}, []Line{{Text: strings.Repeat("x", 32), Reject: "line longer than 2048 bytes"}, {Text: "OK"}}},
		// A gap between lines is not a reject.
		{[]string{"A\r\n", "", "", "B\r\n"}, []Line{{Text: "A"}, {Text: "B"}}},
		// A gap between the CR and LF of CRLF loses that line.
		{[]string{"A\r", "", "\nB\r\n"}, []Line{{Text: "A", Reject: rejectIdle}, {Text: "B"}}},
	}
	for _, tt := range tests {
		got, err := collect(t, &script{steps: tt.steps, err: io.EOF}, Framing{Terminator: "crlf"})
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ReadLines(%q) = %q, %v; want %q, nil", tt.steps, got, err, tt.want)
		}
	}
}

func TestReadLinesReaderError(t *testing.T) {
	errGone := errors.New("gone")
	got, err := collect(t, &script{steps: []string{"A\r\nB"}, err: errGone}, Framing{})
	want := []Line{{Text: "A"}, {Text: "B", Reject: rejectEnd}}
	if !errors.Is(err, errGone) || !slices.Equal(got, want) {
		t.Errorf("ReadLines(failing reader) = %q, %v; want %q, %v", got, err, want, errGone)
	}
}

// endless yields n bytes of 'x' without ever ending a line.
type endless struct{ n int }

func (e *endless) Read(p []byte) (int, error) {
	if e.n == 0 {
		return 0, io.EOF
	}
	k := min(len(p), e.n)
	for i := range p[:k] {
		p[i] = 'x'
	}
	e.n -= k
	return k, nil
}

func TestReadLinesBoundedMemory(t *testing.T) {
	for _, size := range []int{10 << 10, 10 << 20} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		got, err := collect(t, io.MultiReader(&endless{n: size}, strings.NewReader("\r\nOK\r\n")), Framing{})
		runtime.ReadMemStats(&after)
		want := []Line{{Text: strings.Repeat("x", 32), Reject: "line longer than 2048 bytes"}, {Text: "OK"}}
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ReadLines(%d-byte line) = %q, %v; want %q, nil", size, got, err, want)
		}
		// Buffers are a few kB whatever the input size.
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<10 {
			t.Errorf("ReadLines(%d-byte line) allocated %d bytes, want at most 64 kB", size, alloc)
		}
	}
}

// checkLines asserts the properties every emitted line must have.
func checkLines(t *testing.T, lines []Line, max int) {
	t.Helper()
	for _, l := range lines {
		if len(l.Text) > max {
			t.Errorf("emitted Text of %d bytes, max %d", len(l.Text), max)
		}
		if !utf8.ValidString(l.Text) {
			t.Errorf("emitted invalid UTF-8 %q", l.Text)
		}
		for _, r := range l.Text {
			if unicode.IsControl(r) {
				t.Errorf("emitted control character %U in %q", r, l.Text)
			}
		}
		if l.Text == "" && l.Reject == "" {
			t.Errorf("emitted an empty line")
		}
	}
}

func FuzzReadLines(f *testing.F) {
	for _, name := range []string{"jws-crlf.bin", "cccd-cr.bin", "garbage.bin", "stx-etx.bin"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint8(0), uint16(0))
	}
	terms := []string{"", "cr", "lf", "crlf", "any"}
	f.Fuzz(func(t *testing.T, data []byte, term uint8, max uint16) {
		fr := Framing{Terminator: terms[int(term)%len(terms)], MaxLength: int(max % 512)}
		limit := fr.MaxLength
		if limit == 0 {
			limit = DefaultMaxLength
		}
		whole, err := collect(t, bytes.NewReader(data), fr)
		if err != nil {
			t.Fatalf("ReadLines(%q, %+v) error = %v", data, fr, err)
		}
		checkLines(t, whole, limit)
		// Read boundaries must not change the result.
		split, _ := collect(t, iotest.OneByteReader(bytes.NewReader(data)), fr)
		if !slices.Equal(whole, split) {
			t.Errorf("ReadLines(%q, %+v) = %q whole, %q byte by byte", data, fr, whole, split)
		}
	})
}
