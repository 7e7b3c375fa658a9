package scanner

import (
	"bytes"
	"encoding/binary"
	"flag"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/roomgate/roomgate/internal/pty"
)

var update = flag.Bool("update", false, "rewrite the synthesized testdata/*.events")

// Key codes from linux/input-event-codes.h, written out here apart from
// the decoder's table so that a mistake in one does not hide in the other.
var (
	keyRows = []struct {
		first          uint16
		plain, shifted string
	}{
		{2, "1234567890-=", "!@#$%^&*()_+"},
		{16, "qwertyuiop[]", "QWERTYUIOP{}"},
		{30, "asdfghjkl;'`", "ASDFGHJKL:\"~"},
		{43, "\\zxcvbnm,./", "|ZXCVBNM<>?"},
		{57, " ", ""},
	}
	// The keypad's digits, which Alt codes are typed on.
	keypad = map[rune]uint16{'7': 71, '8': 72, '9': 73, '4': 75, '5': 76, '6': 77, '1': 79, '2': 80, '3': 81, '0': 82}
)

const (
	evMsc   = 0x04
	mscScan = 0x04
	keyCaps = 58
)

type stroke struct {
	code  uint16
	shift bool
}

func strokes() map[rune]stroke {
	m := map[rune]stroke{}
	for _, row := range keyRows {
		for i, r := range row.plain {
			m[r] = stroke{row.first + uint16(i), false}
		}
		for i, r := range row.shifted {
			m[r] = stroke{row.first + uint16(i), true}
		}
	}
	return m
}

// events writes input_event records in the kernel's layout, the way a USB
// keyboard reports: for each key an EV_MSC/MSC_SCAN, the EV_KEY and an
// EV_SYN/SYN_REPORT, a few milliseconds apart. The scan code value is not
// the real HID usage; the decoder ignores it as it ignores all EV_MSC.
type events struct {
	buf      bytes.Buffer
	wordSize int
	t        time.Time
}

func newEvents() *events {
	return &events{wordSize: 8, t: time.Date(2026, 3, 2, 7, 30, 0, 0, time.UTC)}
}

func (e *events) ev(typ, code uint16, value int32) {
	rec := make([]byte, 2*e.wordSize+8)
	sec, usec := uint64(e.t.Unix()), uint64(e.t.Nanosecond()/1000)
	if e.wordSize == 8 {
		binary.NativeEndian.PutUint64(rec, sec)
		binary.NativeEndian.PutUint64(rec[8:], usec)
	} else {
		binary.NativeEndian.PutUint32(rec, uint32(sec))
		binary.NativeEndian.PutUint32(rec[4:], uint32(usec))
	}
	tail := rec[2*e.wordSize:]
	binary.NativeEndian.PutUint16(tail, typ)
	binary.NativeEndian.PutUint16(tail[2:], code)
	binary.NativeEndian.PutUint32(tail[4:], uint32(value))
	e.buf.Write(rec)
}

func (e *events) key(code uint16, value int32) *events {
	e.ev(evMsc, mscScan, int32(0x70000+int32(code)))
	e.ev(evKey, code, value)
	e.ev(evSyn, 0, 0)
	e.t = e.t.Add(4 * time.Millisecond)
	return e
}

func (e *events) tap(code uint16) *events { return e.key(code, 1).key(code, 0) }

// text types s. Runes a US layout lacks are skipped, or with altCodes sent
// as Alt+keypad decimal code points, as scanners in "Alt mode" do.
func (e *events) text(s string, altCodes bool) *events {
	m := strokes()
	for _, r := range s {
		st, ok := m[r]
		switch {
		case ok && st.shift:
			e.key(keyLeftShift, 1).tap(st.code).key(keyLeftShift, 0)
		case ok:
			e.tap(st.code)
		case altCodes:
			e.key(keyLeftAlt, 1)
			for _, d := range strconv.Itoa(int(r)) {
				e.tap(keypad[d])
			}
			e.key(keyLeftAlt, 0)
		}
	}
	return e
}

func (e *events) enter() *events { return e.tap(keyEnter) }

// to32 rewrites 64-bit records in the 32-bit layout.
func to32(b []byte) []byte {
	var out []byte
	for i := 0; i+24 <= len(b); i += 24 {
		rec := make([]byte, 16)
		binary.NativeEndian.PutUint32(rec, uint32(binary.NativeEndian.Uint64(b[i:])))
		binary.NativeEndian.PutUint32(rec[4:], uint32(binary.NativeEndian.Uint64(b[i+8:])))
		copy(rec[8:], b[i+16:i+24])
		out = append(out, rec...)
	}
	return out
}

// cccdTyped is the CCCD as a US keyboard delivers it: the accented letters
// are gone, the ID numbers and dates intact.
const cccdTyped = "001099012345|123456789|Nguyn Vn A|01011990|Nam|12 L Li, Phng Bn Ngh, Qun 1, TP. H Ch Minh|15082021"

func TestDecodeKeyEventsTestdata(t *testing.T) {
	files := map[string]*events{
		"jws.events":          newEvents().text(jws1, false).enter().text(jws2, false).tap(keyKPEnter),
		"cccd-skip.events":    newEvents().text(cccd, false).enter(),
		"cccd-altcode.events": newEvents().text(cccd, true).enter(),
	}
	want := map[string][]Line{
		"jws.events":          {{Text: jws1}, {Text: jws2}},
		"cccd-skip.events":    {{Text: cccdTyped}},
		"cccd-altcode.events": {{Text: cccdTyped}},
	}
	for name, ev := range files {
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, ev.buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		layouts := map[int][]byte{8: data, 4: to32(data)}
		for ws, b := range layouts {
			for rname, r := range map[string]io.Reader{"whole": bytes.NewReader(b), "one-byte": iotest.OneByteReader(bytes.NewReader(b))} {
				got := decodeAll(t, r, 0, ws)
				if !slices.Equal(got, want[name]) {
					t.Errorf("decodeKeyEvents(%s, %d-byte words, %s) = %q, want %q", name, ws, rname, got, want[name])
				}
			}
		}
		native := data
		if bits.UintSize == 32 {
			native = to32(data)
		}
		var got []Line
		if err := DecodeKeyEvents(bytes.NewReader(native), 0, func(l Line) { got = append(got, Line{Text: l.Text, Reject: l.Reject}) }); err != nil || !slices.Equal(got, want[name]) {
			t.Errorf("DecodeKeyEvents(%s) = %q, %v; want %q, nil", name, got, err, want[name])
		}
	}
}

func decodeAll(t *testing.T, r io.Reader, max, wordSize int) []Line {
	t.Helper()
	var got []Line
	err := decodeKeyEvents(r, max, wordSize, func(l Line) {
		if l.At.IsZero() {
			t.Errorf("decodeKeyEvents emitted %+v with zero At", l)
		}
		got = append(got, Line{Text: l.Text, Reject: l.Reject})
	})
	if err != nil {
		t.Errorf("decodeKeyEvents error = %v", err)
	}
	return got
}

func TestDecodeKeyEvents(t *testing.T) {
	const a, b, one = 30, 48, 2
	truncated := newEvents().text("AB", false).enter().text("C", false)
	truncated.buf.Write(make([]byte, 10))
	tests := []struct {
		name string
		ev   *events
		max  int
		want []Line
	}{
		{"right shift", newEvents().key(keyRightShift, 1).tap(a).key(keyRightShift, 0).tap(a).enter(), 0, []Line{{Text: "Aa"}}},
		{"autorepeat types", newEvents().key(a, 1).key(a, 2).key(a, 2).key(a, 0).enter(), 0, []Line{{Text: "aaa"}}},
		{"releases type nothing", newEvents().key(a, 0).key(b, 0).enter(), 0, nil},
		{"empty lines are not emitted", newEvents().enter().enter().tap(keyKPEnter), 0, nil},
		{"caps lock is ignored", newEvents().tap(keyCaps).tap(a).enter(), 0, []Line{{Text: "a"}}},
		{"ctrl combinations type nothing", newEvents().key(keyRightCtrl, 1).tap(a).key(keyRightCtrl, 0).tap(b).enter(), 0, []Line{{Text: "b"}}},
		{"alt combinations type nothing", newEvents().key(keyRightAlt, 1).tap(82).tap(a).key(keyRightAlt, 0).tap(82).enter(), 0, []Line{{Text: "0"}}},
		{"shift held over enter", newEvents().key(keyLeftShift, 1).tap(one).enter().tap(one).key(keyLeftShift, 0).tap(one).enter(), 0, []Line{{Text: "!"}, {Text: "!1"}}},
		{"keypad digits and enter", newEvents().tap(79).tap(83).tap(74).tap(keyKPEnter), 0, []Line{{Text: "1.-"}}},
		{"max length", newEvents().text("12345", false).enter().text("1234", false).enter(), 4, []Line{{Text: "1234", Reject: "line longer than 4 bytes"}, {Text: "1234"}}},
		{"unfinished line at end is dropped", truncated, 0, []Line{{Text: "AB"}}},
	}
	dropped := newEvents().key(keyLeftShift, 1).tap(a)
	dropped.ev(evSyn, synDropped, 0)
	dropped.tap(b).enter().tap(a).enter()
	tests = append(tests, struct {
		name string
		ev   *events
		max  int
		want []Line
	}{"dropped events reject the line and reset shift", dropped, 0, []Line{{Text: "Ab", Reject: rejectDropped}, {Text: "a"}}})
	for _, tt := range tests {
		got := decodeAll(t, bytes.NewReader(tt.ev.buf.Bytes()), tt.max, 8)
		if !slices.Equal(got, tt.want) {
			t.Errorf("decodeKeyEvents(%s) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestDecodeKeyEventsReaderError(t *testing.T) {
	b := newEvents().text("OK", false).enter().buf.Bytes()
	r := io.MultiReader(bytes.NewReader(b), iotest.ErrReader(io.ErrClosedPipe))
	var got []Line
	err := decodeKeyEvents(r, 0, 8, func(l Line) { got = append(got, Line{Text: l.Text}) })
	if err != io.ErrClosedPipe || !slices.Equal(got, []Line{{Text: "OK"}}) {
		t.Errorf("decodeKeyEvents(failing reader) = %q, %v; want [OK], %v", got, err, io.ErrClosedPipe)
	}
}

func TestKeyboardCancelWhileMissing(t *testing.T) {
	k := NewKeyboard("gate-kbd", filepath.Join(t.TempDir(), "event*"), 0)
	k.RetryInterval = time.Minute
	r := start(t, k)
	st := waitStatus(t, k, "disconnected", disconnected)
	if st.Kind != "hid" || st.Name != "gate-kbd" || !strings.Contains(st.LastError, "no device") {
		t.Errorf("Status() = %+v, want hid gate-kbd with no device", st)
	}
	if err, took := r.stop(t); err != nil || took > 250*time.Millisecond {
		t.Errorf("Run after cancel = %v in %v, want nil within 250ms", err, took)
	}
	if s := k.String(); !strings.Contains(s, "gate-kbd") {
		t.Errorf("String() = %q, want the name in it", s)
	}
}

// A terminal is not an input device: the grab must fail, and be reported,
// rather than leave the keys flowing to the console.
func TestKeyboardRefusesUngrabbableDevice(t *testing.T) {
	master, path, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	k := NewKeyboard("gate-kbd", path, 0)
	k.RetryInterval = 20 * time.Millisecond
	r := newRunning()
	k.OnStatus = r.onStatus
	r.start(t, k)
	st := waitStatus(t, k, "disconnected", disconnected)
	if !strings.Contains(st.LastError, "grab "+path) || st.Connected {
		t.Errorf("Status() = %+v, want a grab error", st)
	}
	time.Sleep(100 * time.Millisecond)
	if err, took := r.stop(t); err != nil || took > 250*time.Millisecond {
		t.Errorf("Run after cancel = %v in %v, want nil within 250ms", err, took)
	}
	// One report for the grab error however many retries, one for stop.
	if got, n := r.connections(); !slices.Equal(got, []bool{false}) || n != 2 {
		t.Errorf("OnStatus Connected = %v in %d reports, want [false] in 2", got, n)
	}
}
