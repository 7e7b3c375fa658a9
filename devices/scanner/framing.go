package scanner

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Framing says how a serial scanner ends its lines.
type Framing struct {
	// Terminator is "cr", "lf", "crlf" or "any" (CR or LF); empty means
	// any. With "any" a CRLF ends one line, as an empty line is never
	// emitted.
	Terminator string
	// MaxLength is the longest line in bytes, terminator excluded; 0 means
	// DefaultMaxLength. Longer lines are rejected.
	MaxLength int
}

// Validate reports an unknown terminator or a negative length.
func (f Framing) Validate() error {
	switch f.Terminator {
	case "", "any", "cr", "lf", "crlf":
	default:
		return fmt.Errorf("scanner: unknown terminator %q (want cr, lf, crlf or any)", f.Terminator)
	}
	if f.MaxLength < 0 {
		return fmt.Errorf("scanner: negative max length %d", f.MaxLength)
	}
	return nil
}

// Reasons for rejecting a line that never got its terminator.
const (
	rejectIdle = "no terminator before idle gap"
	rejectEnd  = "no terminator before end of input"
)

// readBufSize is one read's worth; a scan usually arrives in one or two.
const readBufSize = 4096

// ReadLines reads r until it ends and calls emit for every line, in order.
// Lines may arrive split over any number of reads. A line longer than
// f.MaxLength is consumed up to its terminator and emitted with Reject set;
// memory stays bounded whatever the input.
//
// A read that returns no bytes and no error marks an idle gap, as a serial
// port with a read timeout does: a line still open then is unfinished
// garbage (a scan cut short, line noise) and is emitted as a reject, so the
// next scan starts clean; without the gap the next scan would be swallowed
// by the garbage's line. The same happens to a line open when r ends. An
// open line of control characters only is dropped without a reject.
//
// ReadLines returns nil at io.EOF and the reader's error otherwise.
func ReadLines(r io.Reader, f Framing, emit func(Line)) error {
	if err := f.Validate(); err != nil {
		return err
	}
	fr := framer{crlf: f.Terminator == "crlf", lb: newLineBuf(f.MaxLength)}
	switch f.Terminator {
	case "cr":
		fr.a, fr.b = '\r', '\r'
	case "lf", "crlf":
		fr.a, fr.b = '\n', '\n'
	default:
		fr.a, fr.b = '\r', '\n'
	}
	buf := make([]byte, readBufSize)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			fr.feed(buf[:n], emit)
		} else if err == nil {
			fr.lb.abandon(emit, rejectIdle)
			fr.prev = 0
		}
		if err != nil {
			fr.lb.abandon(emit, rejectEnd)
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// framer splits a byte stream at terminator bytes a or b; in CRLF mode at
// an LF that follows a CR.
type framer struct {
	a, b byte
	crlf bool
	prev byte // last byte fed, across reads
	lb   *lineBuf
}

func (fr *framer) feed(p []byte, emit func(Line)) {
	for len(p) > 0 {
		i := fr.index(p)
		if i < 0 {
			fr.lb.write(p)
			fr.prev = p[len(p)-1]
			return
		}
		fr.lb.write(p[:i])
		if i > 0 {
			fr.prev = p[i-1]
		}
		switch {
		case !fr.crlf:
			fr.lb.end(emit)
		case fr.prev == '\r':
			fr.lb.dropLast()
			fr.lb.end(emit)
		default:
			// A bare LF is content; cleaning removes it.
			fr.lb.writeByte('\n')
		}
		fr.prev = p[i]
		p = p[i+1:]
	}
}

// index finds the first terminator byte with the runtime's fast IndexByte.
func (fr *framer) index(p []byte) int {
	i := bytes.IndexByte(p, fr.a)
	if fr.a == fr.b {
		return i
	}
	if i >= 0 {
		p = p[:i]
	}
	if j := bytes.IndexByte(p, fr.b); j >= 0 {
		return j
	}
	return i
}
