package scannertest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/roomgate/roomgate/devices/scanner"
)

// ErrUnplugged is the LastError a fake reports after SetConnected(false).
var ErrUnplugged = errors.New("scannertest: unplugged")

// Fake is a scanner driven by the test. Its state is plain fields behind a
// mutex; the zero value is ready, Name is optional.
type Fake struct {
	// Name and OnStatus are set before Run. OnStatus, if set, is called
	// after every connect and disconnect, as the real drivers do.
	Name     string
	OnStatus func(scanner.Status)

	mu     sync.Mutex
	status scanner.Status
	queue  chan delivery
}

type delivery struct {
	line scanner.Line
	done chan struct{}
}

func (f *Fake) ch() chan delivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.queue == nil {
		f.queue = make(chan delivery)
	}
	return f.queue
}

// Send delivers text as a scan. It blocks until a running Run has passed
// the line to its emit func and that has returned, so a test can check the
// effect right after. The text is delivered as is: it is not cleaned.
func (f *Fake) Send(text string) {
	f.SendLine(scanner.Line{Text: text, At: time.Now()})
}

// SendLine delivers l as Send does, for tests of rejected lines.
func (f *Fake) SendLine(l scanner.Line) {
	d := delivery{line: l, done: make(chan struct{})}
	f.ch() <- d
	<-d.done
}

// Run passes sent lines to emit until ctx is done, then returns nil. It
// reports itself connected while it runs, unless SetConnected says
// otherwise.
func (f *Fake) Run(ctx context.Context, emit func(scanner.Line)) error {
	q := f.ch()
	f.set(true, nil)
	defer f.set(false, errors.New("scannertest: stopped"))
	for {
		select {
		case <-ctx.Done():
			return nil
		case d := <-q:
			f.mu.Lock()
			f.status.Lines++
			f.mu.Unlock()
			emit(d.line)
			close(d.done)
		}
	}
}

// SetConnected plays an unplug (false) or a replug (true). Lines sent
// meanwhile are still delivered: a test decides what it sends.
func (f *Fake) SetConnected(connected bool) {
	if connected {
		f.set(true, nil)
	} else {
		f.set(false, ErrUnplugged)
	}
}

func (f *Fake) set(connected bool, err error) {
	f.mu.Lock()
	f.status.Connected = connected
	f.status.LastError = ""
	if err != nil {
		f.status.LastError = err.Error()
	}
	f.status.Since = time.Now()
	f.status.Path = "fake"
	st := f.statusLocked()
	onStatus := f.OnStatus
	f.mu.Unlock()
	if onStatus != nil {
		onStatus(st)
	}
}

func (f *Fake) statusLocked() scanner.Status {
	st := f.status
	st.Name = f.Name
	st.Kind = "fake"
	return st
}

// Status reports the fake's state.
func (f *Fake) Status() scanner.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.statusLocked()
}

func (f *Fake) String() string {
	return fmt.Sprintf("fake scanner %q", f.Name)
}

// The agent's scanner interface, which the real drivers satisfy too.
var _ interface {
	Run(context.Context, func(scanner.Line)) error
	Status() scanner.Status
	String() string
} = (*Fake)(nil)
