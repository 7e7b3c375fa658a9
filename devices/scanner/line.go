package scanner

import (
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"
)

// DefaultMaxLength is the longest line kept when a limit of 0 is given. A
// signed pass is a few hundred bytes; a CCCD's text well under that.
const DefaultMaxLength = 2048

// rejectPrefix is how much of a rejected line is kept in Text, for logs.
const rejectPrefix = 32

// Line is one scan.
type Line struct {
	// Text is the scan with control characters (C0, DEL, C1) and invalid
	// UTF-8 removed. When Reject is set it holds at most a short prefix,
	// for logs only.
	Text string
	// Reject, when set, says why the line must be treated as garbage.
	Reject string
	// At is when the line was completed.
	At time.Time
}

// lineBuf assembles one line at a time in bounded memory: it keeps the first
// max+1 bytes and only counts the rest, so an endless line costs nothing
// more. (The count cannot overflow: 2^63 bytes never pass a serial line.)
type lineBuf struct {
	max     int
	buf     []byte
	n       int // bytes in the current line, including those not kept
	scratch []byte
	tooLong string
}

func newLineBuf(max int) *lineBuf {
	if max <= 0 {
		max = DefaultMaxLength
	}
	return &lineBuf{
		max:     max,
		buf:     make([]byte, 0, max+1),
		scratch: make([]byte, 0, max+1),
		tooLong: fmt.Sprintf("line longer than %d bytes", max),
	}
}

func (l *lineBuf) write(p []byte) {
	if room := cap(l.buf) - len(l.buf); room > 0 {
		l.buf = append(l.buf, p[:min(room, len(p))]...)
	}
	l.n += len(p)
}

func (l *lineBuf) writeByte(c byte) {
	if len(l.buf) < cap(l.buf) {
		l.buf = append(l.buf, c)
	}
	l.n++
}

// dropLast forgets the last byte written: a CR that turned out to be half
// of a CRLF. It is in buf only if nothing was dropped.
func (l *lineBuf) dropLast() {
	if len(l.buf) > 0 && l.n <= len(l.buf) {
		l.buf = l.buf[:len(l.buf)-1]
	}
	l.n--
}

// end finishes the line and emits it unless it is empty once cleaned.
func (l *lineBuf) end(emit func(Line)) {
	defer l.reset()
	if l.n > l.max {
		emit(Line{Text: l.prefix(), Reject: l.tooLong, At: time.Now()})
		return
	}
	if text := l.clean(l.buf); text != "" {
		emit(Line{Text: text, At: time.Now()})
	}
}

// abandon drops a line that will never be finished, emitting a reject if it
// held more than control characters: the LF of a CRLF with framing "cr" is
// left open after every scan and is no cause for a reject.
func (l *lineBuf) abandon(emit func(Line), reason string) {
	defer l.reset()
	if l.n > l.max {
		emit(Line{Text: l.prefix(), Reject: l.tooLong, At: time.Now()})
		return
	}
	if text := l.clean(l.buf); text != "" {
		emit(Line{Text: l.prefix(), Reject: reason, At: time.Now()})
	}
}

// prefix is the cleaned start of a rejected line, never over the limit.
func (l *lineBuf) prefix() string {
	return l.clean(l.buf[:min(len(l.buf), rejectPrefix, l.max)])
}

func (l *lineBuf) reset() {
	l.buf = l.buf[:0]
	l.n = 0
}

// clean returns b without control characters and invalid UTF-8. Printable
// ASCII, the common case, costs one scan and the string's allocation.
func (l *lineBuf) clean(b []byte) string {
	i := 0
	for i < len(b) && b[i] >= 0x20 && b[i] < 0x7f {
		i++
	}
	if i == len(b) {
		return string(b)
	}
	out := append(l.scratch[:0], b[:i]...)
	for i < len(b) {
		c := b[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != 0x7f {
				out = append(out, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if !(r == utf8.RuneError && size == 1) && !unicode.IsControl(r) {
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	l.scratch = out[:0]
	return string(out)
}
