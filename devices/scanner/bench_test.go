package scanner

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/roomgate/roomgate/internal/pty"
)

// repeat yields line n times, in reads of at most 512 bytes, as a USB
// serial adapter delivers them.
type repeat struct {
	line []byte
	off  int
	n    int
}

func (r *repeat) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), 512)], r.line[r.off:])
	if r.off += k; r.off == len(r.line) {
		r.off = 0
		r.n--
	}
	return k, nil
}

// BenchmarkReadLines measures framing one pass: time and allocations per
// line.
func BenchmarkReadLines(b *testing.B) {
	for _, term := range []string{"crlf", "any"} {
		b.Run(term, func(b *testing.B) {
			line := []byte(jws1 + "\r\n")
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			n := 0
			if err := ReadLines(&repeat{line: line, n: b.N}, Framing{Terminator: term}, func(Line) { n++ }); err != nil {
				b.Fatal(err)
			}
			if n != b.N {
				b.Fatalf("ReadLines emitted %d lines, want %d", n, b.N)
			}
		})
	}
}

// BenchmarkSerialPty measures a scan's trip from the wire to emit through
// a real pty and the serial driver: per op, one pass written and received.
func BenchmarkSerialPty(b *testing.B) {
	master, path, err := pty.Open()
	if err != nil {
		b.Fatal(err)
	}
	defer master.Close()
	s := NewSerial("bench", path, 115200, Framing{Terminator: "crlf"})
	lines := make(chan Line, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx, func(l Line) { lines <- l }) }()
	defer func() {
		cancel()
		<-done
	}()
	for deadline := time.Now().Add(5 * time.Second); !s.Status().Connected; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("Status() = %+v, want connected", s.Status())
		}
	}
	line := []byte(jws1 + "\r\n")
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := master.Write(line); err != nil {
			b.Fatal(err)
		}
		if l := <-lines; l.Text != jws1 {
			b.Fatalf("line = %+v, want the pass", l)
		}
	}
}
