package selftest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/roomgate/roomgate/agent/citylink"
	"github.com/roomgate/roomgate/devices/scanner"
	"github.com/roomgate/roomgate/devices/terminal"
)

// CityProbe pings through a connection of its own, while no agent holds the link.
type CityProbe struct{ Settings citylink.Settings }

func (p CityProbe) Ping(ctx context.Context) (time.Duration, error) {
	return citylink.Probe(ctx, p.Settings)
}

// Scanner is what a scanner probe needs of the scanner's driver.
type Scanner interface {
	Run(ctx context.Context, emit func(scanner.Line)) error
	Status() scanner.Status
}

// ScannerProbe reaches a scanner through the agent's loop, whose scans
// reach it through Scans, or, standalone, runs the scanner's driver for
// the test.
type ScannerProbe struct {
	Scanner    Scanner
	Scans      *Tap[int] // by scanner name: the length of the line
	Standalone bool
}

// scannerOpenWait is how long a standalone test waits for the port to open.
const scannerOpenWait = 3 * time.Second

func (p ScannerProbe) CheckOpen(ctx context.Context) error {
	st := p.Scanner.Status()
	if p.Standalone {
		ctx, cancel := context.WithTimeout(ctx, scannerOpenWait)
		stop := RunFor(ctx, func(ctx context.Context) { p.Scanner.Run(ctx, func(scanner.Line) {}) })
		for st = p.Scanner.Status(); ctx.Err() == nil && !st.Connected; st = p.Scanner.Status() {
			Sleep(ctx, 20*time.Millisecond)
		}
		cancel()
		stop()
	}
	if !st.Connected {
		if st.LastError == "" {
			return fmt.Errorf("%s: not connected", st.Path)
		}
		return errors.New(st.LastError)
	}
	return nil
}

func (p ScannerProbe) WaitScan(ctx context.Context) (int, error) {
	if p.Standalone {
		got := make(chan int, 1)
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stop := RunFor(ctx, func(ctx context.Context) {
			p.Scanner.Run(ctx, func(l scanner.Line) {
				select {
				case got <- len(l.Text):
				default:
				}
			})
		})
		defer stop()
		defer cancel()
		select {
		case n := <-got:
			return n, nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	ch, cancel := p.Scans.Wait(p.Scanner.Status().Name)
	defer cancel()
	select {
	case n := <-ch:
		return n, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// TerminalProbe asks the terminal for its calls, a status request every
// protocol has; standalone, it connects first.
type TerminalProbe struct {
	Driver     *terminal.Driver
	Standalone bool
	Err        error // why the agent could not set the terminal up
}

// terminalConnectWait is how long the test waits for the terminal to connect.
const terminalConnectWait = 5 * time.Second

func (t TerminalProbe) Status(ctx context.Context) error {
	if t.Err != nil {
		return t.Err
	}
	if t.Standalone {
		rctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stop := RunFor(rctx, func(ctx context.Context) { t.Driver.Run(ctx, func(terminal.Event) {}) })
		defer stop()
		defer cancel()
	}
	// A terminal just plugged in, or the agent just started, is given a
	// moment to connect.
	wctx, wcancel := context.WithTimeout(ctx, terminalConnectWait)
	defer wcancel()
	for wctx.Err() == nil && !t.Driver.Health().Connected {
		Sleep(wctx, 20*time.Millisecond)
	}
	if _, err := t.Driver.Calls(ctx); err != nil {
		if h := t.Driver.Health(); h.LastError != "" && h.LastError != err.Error() {
			return fmt.Errorf("%w (%s)", err, h.LastError)
		}
		return err
	}
	return nil
}

// RunFor runs a device's loop while a standalone test needs it; the
// returned func waits for the loop to let go of the device once ctx ends.
func RunFor(ctx context.Context, loop func(context.Context)) (wait func()) {
	done := make(chan struct{})
	go func() { defer close(done); loop(ctx) }()
	return func() { <-done }
}

// Sleep waits d or until ctx ends.
func Sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
