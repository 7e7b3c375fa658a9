package scanner

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/roomgate/roomgate/devices/serialport"
)

// DefaultBaud is used when NewSerial is given no baud rate; most scanners
// ship set to it.
const DefaultBaud = 9600

// Serial is a QR scanner on a serial port (RS-232, USB CDC-ACM or a USB
// serial adapter). Set the exported fields before Run.
type Serial struct {
	// RetryInterval is how often a missing or failed port is tried
	// again; 0 means DefaultRetryInterval.
	RetryInterval time.Duration
	// IdleGap is the silence after which an unterminated line is dropped
	// as garbage (see ReadLines); 0 means DefaultIdleGap. It must exceed
	// the scanner's inter-character delay.
	IdleGap time.Duration
	// OnStatus, if set, is called after every connect and disconnect.
	OnStatus func(Status)

	pattern string
	baud    int
	framing Framing
	st      state
}

// NewSerial returns a scanner on the port at pathOrGlob. A glob such as
// /dev/serial/by-id/usb-Newland* finds an adapter that comes back under
// another name. It opens nothing until Run.
func NewSerial(name, pathOrGlob string, baud int, f Framing) *Serial {
	if baud <= 0 {
		baud = DefaultBaud
	}
	s := &Serial{pattern: pathOrGlob, baud: baud, framing: f}
	s.st.st = Status{Name: name, Kind: "serial"}
	return s
}

// Run reads lines and passes them to emit until ctx is done, then returns
// nil. It keeps the port open, and when it fails waits for a matching path
// to appear again and reopens it. It returns an error only for a framing or
// path pattern that can never work.
func (s *Serial) Run(ctx context.Context, emit func(Line)) error {
	if err := s.framing.Validate(); err != nil {
		return err
	}
	if _, err := filepath.Match(s.pattern, ""); err != nil {
		return fmt.Errorf("scanner: path %q: %w", s.pattern, err)
	}
	idle := s.IdleGap
	if idle <= 0 {
		idle = DefaultIdleGap
	}
	emit = s.st.emitUntilDone(ctx, emit)
	supervise(ctx, &s.st, s.OnStatus, s.RetryInterval, func() error {
		return s.session(ctx, idle, emit)
	})
	return nil
}

func (s *Serial) session(ctx context.Context, idle time.Duration, emit func(Line)) error {
	// Open discards what the driver buffered before: stale halves of
	// scans, not something a visitor is waiting on.
	port, path, err := serialport.Open(s.pattern, s.baud)
	if err != nil {
		return fmt.Errorf("scanner: %w", err)
	}
	defer port.Close()
	// A read that times out returns (0, nil): ReadLines' idle gap.
	if err := port.SetReadTimeout(idle); err != nil {
		return fmt.Errorf("scanner: set read timeout on %s: %w", path, err)
	}
	s.st.up(s.OnStatus, path)
	stop := closeOnDone(ctx, port)
	err = ReadLines(port, s.framing, emit)
	stop()
	if err == nil {
		err = errors.New("end of input")
	}
	return fmt.Errorf("scanner: read %s: %w", path, err)
}

// Status reports the port's health.
func (s *Serial) Status() Status { return s.st.get() }

func (s *Serial) String() string {
	return fmt.Sprintf("serial scanner %q at %s", s.st.get().Name, s.pattern)
}
