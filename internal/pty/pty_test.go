package pty

import (
	"bytes"
	"io"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestOpenPassesBytesUnchanged(t *testing.T) {
	master, path, err := Open()
	if err != nil {
		t.Fatalf("Open() error: %v", err)
	}
	defer master.Close()
	slave, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open slave %s: %v", path, err)
	}
	defer slave.Close()

	// Every byte value, including the ones a cooked tty would translate
	// (CR to NL), act on (^C, ^D, ^S) or echo back.
	want := make([]byte, 256)
	for i := range want {
		want[i] = byte(i)
	}
	if _, err := master.Write(want); err != nil {
		t.Fatalf("write master: %v", err)
	}
	got := make([]byte, len(want))
	slave.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(slave, got); err != nil {
		t.Fatalf("read slave: %v (got %q)", err, got)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("slave read = %q, want %q", got, want)
	}

	// Nothing may be echoed back to the master.
	master.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	buf := make([]byte, 16)
	if n, err := master.Read(buf); n > 0 {
		t.Errorf("master read = %q, %v; want no echo", buf[:n], err)
	}

	// And the other way round.
	if _, err := slave.Write([]byte("\r\n\x03")); err != nil {
		t.Fatalf("write slave: %v", err)
	}
	master.SetReadDeadline(time.Now().Add(5 * time.Second))
	back := make([]byte, 3)
	if _, err := io.ReadFull(master, back); err != nil {
		t.Fatalf("read master: %v", err)
	}
	if string(back) != "\r\n\x03" {
		t.Errorf("master read = %q, want %q", back, "\r\n\x03")
	}
}

func TestOpenGivesDistinctPairs(t *testing.T) {
	m1, p1, err := Open()
	if err != nil {
		t.Fatalf("Open() error: %v", err)
	}
	defer m1.Close()
	m2, p2, err := Open()
	if err != nil {
		t.Fatalf("Open() error: %v", err)
	}
	defer m2.Close()
	if p1 == p2 {
		t.Errorf("Open() twice = %s and %s, want distinct slaves", p1, p2)
	}
}
