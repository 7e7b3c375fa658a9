package socat

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func readN(t *testing.T, path string, n int) string {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	f.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, n)
	if _, err := io.ReadFull(f, buf); err != nil {
		t.Fatalf("read %s: %v (got %q)", path, err, buf)
	}
	return string(buf)
}

func TestPairUnplugReplug(t *testing.T) {
	dir := t.TempDir()
	l := Pair(t, dir)
	if l.Device != filepath.Join(dir, "dev") || l.Host != filepath.Join(dir, "host") {
		t.Fatalf("Pair(%s) = %s, %s; want dev and host links in it", dir, l.Device, l.Host)
	}
	l.Write([]byte("A\r\n\x00\xff"))
	if got := readN(t, l.Device, 5); got != "A\r\n\x00\xff" {
		t.Errorf("device read = %q, want %q", got, "A\r\n\x00\xff")
	}

	l.Unplug()
	for _, p := range []string{l.Device, l.Host} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("after Unplug, Lstat(%s) error = %v, want not exist", p, err)
		}
	}

	l.Replug("dev1")
	if want := filepath.Join(dir, "dev1"); l.Device != want {
		t.Errorf("Replug(dev1): Device = %s, want %s", l.Device, want)
	}
	l.Write([]byte("B\r"))
	if got := readN(t, l.Device, 2); got != "B\r" {
		t.Errorf("device read after replug = %q, want %q", got, "B\r")
	}

	l.Replug("")
	if want := filepath.Join(dir, "dev1"); l.Device != want {
		t.Errorf("Replug(\"\"): Device = %s, want %s", l.Device, want)
	}
}
