package scanner

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomgate/roomgate/internal/socat"
)

// waitTimeout bounds every wait on a real device; unplug is noticed in
// about a second.
const waitTimeout = 5 * time.Second

// running is a driver under test: its lines, its status reports and a way
// to stop it.
type running struct {
	lines    chan Line
	mu       sync.Mutex
	statuses []Status
	cancel   context.CancelFunc
	done     chan error
}

func start(t *testing.T, d driver) *running {
	t.Helper()
	r := newRunning()
	r.start(t, d)
	return r
}

func newRunning() *running {
	return &running{lines: make(chan Line, 1000), done: make(chan error, 1)}
}

func (r *running) start(t *testing.T, d driver) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- d.Run(ctx, func(l Line) { r.lines <- l }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(waitTimeout):
			t.Errorf("Run did not return within %v of cancel", waitTimeout)
		}
	})
}

func (r *running) onStatus(st Status) {
	r.mu.Lock()
	r.statuses = append(r.statuses, st)
	r.mu.Unlock()
}

// connections lists the changes of Connected in the status reports and
// how many reports there were.
func (r *running) connections() ([]bool, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var c []bool
	for _, st := range r.statuses {
		if len(c) == 0 || c[len(c)-1] != st.Connected {
			c = append(c, st.Connected)
		}
	}
	return c, len(r.statuses)
}

// stop cancels Run and returns its result and how long it took.
func (r *running) stop(t *testing.T) (error, time.Duration) {
	t.Helper()
	t0 := time.Now()
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err // for Cleanup
		return err, time.Since(t0)
	case <-time.After(waitTimeout):
		t.Fatalf("Run did not return within %v of cancel", waitTimeout)
		return nil, 0
	}
}

func (r *running) next(t *testing.T) Line {
	t.Helper()
	select {
	case l := <-r.lines:
		return l
	case <-time.After(waitTimeout):
		t.Fatalf("no line within %v", waitTimeout)
		return Line{}
	}
}

func (r *running) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case l := <-r.lines:
		t.Errorf("got line %+v, want none", l)
	case <-time.After(d):
	}
}

func waitStatus(t *testing.T, d driver, what string, ok func(Status) bool) Status {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		st := d.Status()
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("Status() = %+v, want %s within %v", st, what, waitTimeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func connectedTo(path string) func(Status) bool {
	return func(st Status) bool { return st.Connected && st.Path == path }
}

func disconnected(st Status) bool { return !st.Connected && st.LastError != "" }

func newTestSerial(t *testing.T, link *socat.Link, pattern string) (*Serial, *running) {
	t.Helper()
	s := NewSerial("gate-1", pattern, 9600, Framing{Terminator: "crlf"})
	s.RetryInterval = 20 * time.Millisecond
	s.IdleGap = 100 * time.Millisecond
	r := newRunning()
	s.OnStatus = r.onStatus
	r.start(t, s)
	waitStatus(t, s, "connected to "+link.Device, connectedTo(link.Device))
	return s, r
}

func TestSerialLineSplitOverWrites(t *testing.T) {
	link := socat.Pair(t, t.TempDir())
	s, r := newTestSerial(t, link, link.Device)
	pass := jws1 + "\r\n"
	for i := 0; i < len(pass); i += 50 {
		link.Write([]byte(pass[i:min(i+50, len(pass))]))
		time.Sleep(20 * time.Millisecond) // well under IdleGap
	}
	if l := r.next(t); l.Text != jws1 || l.Reject != "" {
		t.Errorf("line = %+v, want %q", l, jws1)
	}
	link.Write([]byte("\r\n" + cccd + "\r\n"))
	if l := r.next(t); l.Text != cccd || l.Reject != "" {
		t.Errorf("line = %+v, want %q", l, cccd)
	}
	st := s.Status()
	if !st.Connected || st.Lines != 2 || st.Name != "gate-1" || st.Kind != "serial" || st.Path != link.Device || st.LastError != "" {
		t.Errorf("Status() = %+v, want connected to %s with 2 lines", st, link.Device)
	}
	if got := s.String(); !strings.Contains(got, "gate-1") || !strings.Contains(got, link.Device) {
		t.Errorf("String() = %q, want name and path in it", got)
	}
}

func TestSerialGarbage(t *testing.T) {
	link := socat.Pair(t, t.TempDir())
	_, r := newTestSerial(t, link, link.Device)
	rng := rand.New(rand.NewPCG(1, 2))
	var junk []byte
	for range 200 {
		switch rng.IntN(4) {
		case 0:
			junk = append(junk, 0, 0xff, 0xfe)
		case 1:
			junk = append(junk, "\x1b[2J\x1b[31m\x1b]0;title\x07"...)
		default:
			for range 20 {
				junk = append(junk, byte(rng.Uint32()))
			}
		}
	}
	link.Write(junk)
	time.Sleep(300 * time.Millisecond) // an idle gap ends the last piece
	link.Write([]byte("OK\r\n"))
	for {
		l := r.next(t)
		if l.Text == "OK" && l.Reject == "" {
			break
		}
		checkLines(t, []Line{l}, DefaultMaxLength)
	}
}

func TestSerialOverlongThenValid(t *testing.T) {
	link := socat.Pair(t, t.TempDir())
	_, r := newTestSerial(t, link, link.Device)
	link.Write([]byte(strings.Repeat("x", 10<<10)))
	time.Sleep(300 * time.Millisecond)
	link.Write([]byte(jws1 + "\r\n"))
	want := Line{Text: strings.Repeat("x", 32), Reject: "line longer than 2048 bytes"}
	if l := r.next(t); l.Text != want.Text || l.Reject != want.Reject {
		t.Errorf("line = %+v, want %+v", l, want)
	}
	if l := r.next(t); l.Text != jws1 || l.Reject != "" {
		t.Errorf("line = %+v, want %q", l, jws1)
	}
}

func TestSerialDiscardsBytesBeforeOpen(t *testing.T) {
	link := socat.Pair(t, t.TempDir())
	link.Write([]byte("STALE\r\nHALF"))
	time.Sleep(200 * time.Millisecond) // socat moves them to the device side
	_, r := newTestSerial(t, link, link.Device)
	link.Write([]byte("FRESH\r\n"))
	if l := r.next(t); l.Text != "FRESH" || l.Reject != "" {
		t.Errorf("first line = %+v, want FRESH", l)
	}
}

func TestSerialReplugSameName(t *testing.T) {
	link := socat.Pair(t, t.TempDir())
	s, r := newTestSerial(t, link, link.Device)
	t0 := time.Now()
	link.Unplug()
	st := waitStatus(t, s, "disconnected", disconnected)
	t.Logf("unplug noticed after %v: %s", time.Since(t0), st.LastError)
	if st.Path != link.Device || st.Since.IsZero() {
		t.Errorf("Status() after unplug = %+v, want last path and Since", st)
	}
	// Still missing: no new report at every retry.
	time.Sleep(100 * time.Millisecond)
	link.Replug("")
	waitStatus(t, s, "connected again", connectedTo(link.Device))
	link.Write([]byte("AFTER\r\n"))
	if l := r.next(t); l.Text != "AFTER" {
		t.Errorf("line after replug = %+v, want AFTER", l)
	}
	// Reports: connected, the read error, maybe "no device" if a retry
	// came before the replug, connected; never one per retry.
	got, n := r.connections()
	if want := []bool{true, false, true}; !slices.Equal(got, want) || n > 4 {
		t.Errorf("OnStatus Connected = %v in %d reports, want %v in at most 4", got, n, want)
	}
}

func TestSerialReplugOtherName(t *testing.T) {
	dir := t.TempDir()
	link := socat.Pair(t, dir)
	s, r := newTestSerial(t, link, filepath.Join(dir, "dev*"))
	link.Unplug()
	waitStatus(t, s, "disconnected", disconnected)
	link.Replug("dev1")
	waitStatus(t, s, "connected to dev1", connectedTo(filepath.Join(dir, "dev1")))
	link.Write([]byte("AFTER\r\n"))
	if l := r.next(t); l.Text != "AFTER" {
		t.Errorf("line after replug = %+v, want AFTER", l)
	}
}

func TestSerialCancelWhileDisconnected(t *testing.T) {
	before := runtime.NumGoroutine()
	s := NewSerial("gate-1", filepath.Join(t.TempDir(), "missing*"), 9600, Framing{})
	s.RetryInterval = time.Minute // cancel must cut the wait short
	r := start(t, s)
	st := waitStatus(t, s, "disconnected", disconnected)
	if !strings.Contains(st.LastError, "no device") {
		t.Errorf("Status().LastError = %q, want it to say no device", st.LastError)
	}
	r.none(t, 50*time.Millisecond)
	err, took := r.stop(t)
	if err != nil || took > 250*time.Millisecond {
		t.Errorf("Run after cancel = %v in %v, want nil within 250ms", err, took)
	}
	if st := s.Status(); st.Connected || st.LastError != "scanner: stopped" {
		t.Errorf("Status() after Run = %+v, want stopped", st)
	}
	noLeak(t, before)
}

func TestSerialCancelWhileConnected(t *testing.T) {
	link := socat.Pair(t, t.TempDir())
	before := runtime.NumGoroutine()
	s := NewSerial("gate-1", link.Device, 9600, Framing{})
	s.IdleGap = time.Minute // cancel, not a read timeout, must end the read
	r := start(t, s)
	waitStatus(t, s, "connected", connectedTo(link.Device))
	link.Write([]byte("HALF"))
	time.Sleep(50 * time.Millisecond)
	err, took := r.stop(t)
	if err != nil || took > 250*time.Millisecond {
		t.Errorf("Run after cancel = %v in %v, want nil within 250ms", err, took)
	}
	// The half line cut off by the shutdown is not emitted.
	r.none(t, 0)
	if st := s.Status(); st.Connected || st.LastError != "scanner: stopped" {
		t.Errorf("Status() after Run = %+v, want stopped", st)
	}
	noLeak(t, before)
	// The port was released: another opener gets it.
	s2 := NewSerial("gate-1", link.Device, 9600, Framing{})
	start(t, s2)
	waitStatus(t, s2, "connected again", connectedTo(link.Device))
}

func TestSerialRunRejectsBadConfig(t *testing.T) {
	for _, s := range []*Serial{
		NewSerial("a", "/dev/ttyS0", 9600, Framing{Terminator: "semicolon"}),
		NewSerial("b", "/dev/serial/by-id/[", 9600, Framing{}),
	} {
		if err := s.Run(context.Background(), func(Line) {}); err == nil {
			t.Errorf("%v.Run() = nil, want a config error", s)
		}
	}
}

// noLeak waits for the goroutine count to fall back to before.
func noLeak(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Errorf("%d goroutines after Run, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
