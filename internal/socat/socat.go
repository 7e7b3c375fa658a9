package socat

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// startTimeout bounds the waits for socat to start and to stop.
const startTimeout = 5 * time.Second

// Link is a running socat joining two raw ptys. Device is the symlink a
// driver opens, Host the one the test writes to.
type Link struct {
	Device string
	Host   string

	t      testing.TB
	dir    string
	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been waited for
	log    *stderr
	host   *os.File
}

// readyMark is what socat -d -d logs once both ptys are set up. The links
// appear earlier, before the raw mode is applied: a write then would still
// be cooked (LF turned into CRLF).
const readyMark = "starting data transfer loop"

// stderr collects socat's log and tells when it is ready.
type stderr struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan struct{}
}

func (w *stderr) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	had := bytes.Contains(w.buf.Bytes(), []byte(readyMark))
	w.buf.Write(p)
	if !had && bytes.Contains(w.buf.Bytes(), []byte(readyMark)) {
		close(w.ready)
	}
	return len(p), nil
}

func (w *stderr) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// Pair starts socat with the links dir/dev and dir/host and waits until both
// exist. The test fails if socat is not installed. Cleanup stops socat.
func Pair(t testing.TB, dir string) *Link {
	t.Helper()
	if _, err := exec.LookPath("socat"); err != nil {
		t.Fatal("socat not found: apt-get install socat")
	}
	l := &Link{t: t, dir: dir, Host: filepath.Join(dir, "host")}
	l.start(filepath.Join(dir, "dev"))
	t.Cleanup(l.Unplug)
	return l
}

// Write writes p to the host end, which stays open between calls so socat
// does not see the line hang up. Call it from the test's goroutine.
func (l *Link) Write(p []byte) {
	l.t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.host == nil {
		f, err := os.OpenFile(l.Host, os.O_RDWR|unix.O_NOCTTY, 0)
		if err != nil {
			l.t.Fatalf("socat: open host end: %v", err)
		}
		l.host = f
	}
	if _, err := l.host.Write(p); err != nil {
		l.t.Fatalf("socat: write host end: %v; socat log:\n%s", err, l.log)
	}
}

// Unplug stops socat and waits for it to exit; socat removes both links on
// the way out, as the kernel removes a USB adapter's device node.
func (l *Link) Unplug() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.host != nil {
		l.host.Close()
		l.host = nil
	}
	if l.cmd == nil {
		return
	}
	l.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-l.exited:
	case <-time.After(startTimeout):
		l.cmd.Process.Kill()
		<-l.exited
	}
	l.cmd = nil
}

// Replug starts socat again. An empty devName keeps the previous device
// link; another name plays an adapter coming back as another device.
func (l *Link) Replug(devName string) {
	l.t.Helper()
	l.Unplug()
	dev := l.Device
	if devName != "" {
		dev = filepath.Join(l.dir, devName)
	}
	l.start(dev)
}

func (l *Link) start(dev string) {
	l.t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.Device = dev
	log := &stderr{ready: make(chan struct{})}
	cmd := exec.Command("socat", "-d", "-d",
		"pty,raw,echo=0,link="+dev,
		"pty,raw,echo=0,link="+l.Host)
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		l.t.Fatalf("socat: start: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	select {
	case <-log.ready:
	case <-exited:
		l.t.Fatalf("socat: exited before it was ready; stderr:\n%s", log)
	case <-time.After(startTimeout):
		cmd.Process.Kill()
		<-exited
		l.t.Fatalf("socat: not ready within %v; stderr:\n%s", startTimeout, log)
	}
	if !exists(dev) || !exists(l.Host) {
		cmd.Process.Kill()
		<-exited
		l.t.Fatalf("socat: ready but links %s and %s missing; stderr:\n%s", dev, l.Host, log)
	}
	l.cmd, l.exited, l.log = cmd, exited, log
}

// exists follows the link, so a link left dangling does not count.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
