package scanner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/roomgate/roomgate/devices/serialport"
)

// Defaults for the drivers' tuning fields.
const (
	DefaultRetryInterval = 500 * time.Millisecond
	DefaultIdleGap       = 500 * time.Millisecond
)

// errStopped is what Status says once Run has returned.
var errStopped = errors.New("scanner: stopped")

// Status is a driver's health.
type Status struct {
	Name string
	Kind string // "serial" or "hid" ("fake" for scannertest.Fake)
	// Path is the device opened last; with a glob it says which match.
	Path      string
	Connected bool
	// LastError says why the scanner is not connected.
	LastError string
	// Since is when Connected last changed.
	Since time.Time
	// Lines counts lines emitted, rejects included.
	Lines uint64
}

// driver is what both drivers offer; consumers declare their own copy.
type driver interface {
	Run(ctx context.Context, emit func(Line)) error
	Status() Status
	String() string
}

var (
	_ driver = (*Serial)(nil)
	_ driver = (*Keyboard)(nil)
)

// state is a driver's Status behind a mutex; the drivers call OnStatus
// with what its methods return, outside the lock.
type state struct {
	mu sync.Mutex
	st Status
}

func (s *state) get() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st
}

func (s *state) countLine() {
	s.mu.Lock()
	s.st.Lines++
	s.mu.Unlock()
}

func (s *state) connect(path string) Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.Path = path
	s.st.Connected = true
	s.st.LastError = ""
	s.st.Since = time.Now()
	return s.st
}

// disconnect records err and reports whether the status changed, so a
// device that stays missing is reported once, not at every retry.
func (s *state) disconnect(err error) (Status, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	msg := err.Error()
	if !s.st.Connected && s.st.LastError == msg && !s.st.Since.IsZero() {
		return s.st, false
	}
	if s.st.Connected || s.st.Since.IsZero() {
		s.st.Since = time.Now()
	}
	s.st.Connected = false
	s.st.LastError = msg
	return s.st, true
}

// notify records a disconnect and tells onStatus if it is news.
func (s *state) notify(onStatus func(Status), err error) {
	if st, changed := s.disconnect(err); changed && onStatus != nil {
		onStatus(st)
	}
}

// findDevice returns the first existing path matching pattern, a path or a
// glob.
func findDevice(pattern string) (string, error) {
	path, err := serialport.Find(pattern)
	if err != nil {
		return "", fmt.Errorf("scanner: %w", err)
	}
	return path, nil
}

// up records a connection and tells onStatus.
func (s *state) up(onStatus func(Status), path string) {
	if st := s.connect(path); onStatus != nil {
		onStatus(st)
	}
}

// supervise runs session again and again, retry apart, until ctx is done.
// A session opens the device, calls up, and reads until the device fails.
func supervise(ctx context.Context, s *state, onStatus func(Status), retry time.Duration, session func() error) {
	if retry <= 0 {
		retry = DefaultRetryInterval
	}
	for ctx.Err() == nil {
		err := session()
		if ctx.Err() != nil {
			break
		}
		s.notify(onStatus, err)
		t := time.NewTimer(retry)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
	s.notify(onStatus, errStopped)
}

// closeOnDone closes c when ctx is done, to unblock a pending read. The
// returned func stops the watch and waits for it, so no goroutine outlives
// the session.
func closeOnDone(ctx context.Context, c io.Closer) (stop func()) {
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-ctx.Done():
			c.Close()
		case <-quit:
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}

// emitUntilDone counts lines and passes them on while ctx is live; a line
// cut short by the shutdown itself is not news.
func (s *state) emitUntilDone(ctx context.Context, emit func(Line)) func(Line) {
	return func(l Line) {
		if ctx.Err() != nil {
			return
		}
		s.countLine()
		emit(l)
	}
}
