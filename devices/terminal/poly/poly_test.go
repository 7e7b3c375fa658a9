package poly_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/roomgate/roomgate/devices/terminal"
	"github.com/roomgate/roomgate/devices/terminal/poly"
	"github.com/roomgate/roomgate/devices/terminal/poly/polysim"
	"github.com/roomgate/roomgate/internal/socat"
)

// waitTimeout bounds every wait for the driver: generous, never a
// measurement.
const waitTimeout = 10 * time.Second

// recorder keeps what the driver reported.
type recorder struct {
	mu      sync.Mutex
	events  []terminal.Event
	unknown []string
	health  []terminal.Health
	changed chan struct{}
}

func (r *recorder) note(f func()) {
	r.mu.Lock()
	f()
	r.mu.Unlock()
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// waitFor waits until cond holds over the recorder.
func (r *recorder) waitFor(t *testing.T, what string, cond func(*recorder) bool) {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		r.mu.Lock()
		ok := cond(r)
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.changed:
		case <-time.After(50 * time.Millisecond): // conditions on the simulator change without a note
		case <-deadline:
			r.mu.Lock()
			defer r.mu.Unlock()
			t.Fatalf("timed out waiting for %s; events %+v, health %+v, unknown %v", what, r.events, r.health, r.unknown)
		}
	}
}

// call returns the last event of a call to remote, if any.
func (r *recorder) call(remote string) (terminal.Call, bool) {
	for i := len(r.events) - 1; i >= 0; i-- {
		if r.events[i].Call.Remote == remote {
			return r.events[i].Call, true
		}
	}
	return terminal.Call{}, false
}

func state(remote string, st terminal.State) func(*recorder) bool {
	return func(r *recorder) bool {
		c, ok := r.call(remote)
		return ok && c.State == st
	}
}

// states lists the states a call to remote went through.
func (r *recorder) states(remote string) []terminal.State {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s []terminal.State
	for _, e := range r.events {
		if e.Call.Remote == remote {
			s = append(s, e.Call.State)
		}
	}
	return s
}

func up(want bool) func(*recorder) bool {
	return func(r *recorder) bool { return len(r.health) > 0 && r.health[len(r.health)-1].Connected == want }
}

// rig is a driver with the Poly protocol against a simulated system.
type rig struct {
	term *polysim.Terminal
	d    *terminal.Driver
	rec  *recorder
	link *socat.Link // serial rigs
	ctx  context.Context
}

type transport int

const (
	serial transport = iota // a pty pair joined by socat, as an RS-232 port
	tcp                     // port 24, with a password
)

func (tr transport) String() string { return [...]string{"serial", "tcp"}[tr] }

// start runs the simulator on tr and a driver against it, and waits until
// the driver is connected unless the test expects otherwise.
func start(t *testing.T, tr transport, term *polysim.Terminal, p *poly.Protocol, waitUp bool) *rig {
	t.Helper()
	// A generous timeout: a loaded CI box with the race detector and
	// socat is slow, and slow is not dead.
	return startWithTimeout(t, tr, term, p, waitUp, 3*time.Second)
}

func startWithTimeout(t *testing.T, tr transport, term *polysim.Terminal, p *poly.Protocol, waitUp bool, timeout time.Duration) *rig {
	t.Helper()
	return startTuned(t, tr, term, p, waitUp, func(d *terminal.Driver) { d.Timeout = timeout })
}

// startTuned is start with tune setting the driver's timeout and anything
// else before it runs.
func startTuned(t *testing.T, tr transport, term *polysim.Terminal, p *poly.Protocol, waitUp bool, tune func(*terminal.Driver)) *rig {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &rig{term: term, ctx: ctx, rec: &recorder{changed: make(chan struct{}, 1)}}
	var tp terminal.Transport
	switch tr {
	case serial:
		r.link = socat.Pair(t, t.TempDir())
		r.serveHost(t)
		tp = terminal.Serial{Path: r.link.Device}
	case tcp:
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go term.ServeListener(ctx, ln)
		tp = terminal.TCP{Addr: ln.Addr().String()}
	}
	if p.GreetWait == 0 {
		p.GreetWait = 300 * time.Millisecond
	}
	rec := r.rec
	r.d = &terminal.Driver{Name: "room 7", Transport: tp, Protocol: p,
		PollInterval: 200 * time.Millisecond, IdleGap: 50 * time.Millisecond,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		OnHealth:  func(h terminal.Health) { rec.note(func() { rec.health = append(rec.health, h) }) },
		OnUnknown: func(kind, line string) { rec.note(func() { rec.unknown = append(rec.unknown, kind) }) },
	}
	tune(r.d)
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.d.Run(ctx, func(e terminal.Event) { rec.note(func() { rec.events = append(rec.events, e) }) })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(waitTimeout):
			t.Errorf("Run did not return within %v of cancel", waitTimeout)
		}
	})
	if waitUp {
		rec.waitFor(t, "connected", up(true))
	}
	return r
}

// serveHost serves the simulator on the host end of the socat pair until
// the pair is unplugged.
func (r *rig) serveHost(t *testing.T) {
	t.Helper()
	f, err := os.OpenFile(r.link.Host, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		r.term.Serve(r.ctx, f)
		f.Close()
	}()
}

func (r *rig) dial(t *testing.T, number, protocol string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	return r.d.Dial(ctx, terminal.Target{Number: number, Protocol: protocol})
}

// both runs test on each way a system is reached: a serial console that
// echoes, a serial console with a password (it prompts only when spoken
// to), and port 24 with a password (it prompts at once).
func both(t *testing.T, test func(t *testing.T, tr transport, term *polysim.Terminal, p *poly.Protocol)) {
	for _, v := range []struct {
		name     string
		tr       transport
		echo     bool
		password string
	}{
		{"serial", serial, true, ""},
		{"serial with password", serial, false, "s3cret"},
		{"tcp with password", tcp, false, "s3cret"},
		{"tcp with echo", tcp, true, ""}, // a telnet session: echo, then the reply, then "-> "
	} {
		t.Run(v.name, func(t *testing.T) {
			term := &polysim.Terminal{AnswerAfter: 100 * time.Millisecond, Echo: v.echo, Password: v.password}
			test(t, v.tr, term, &poly.Protocol{Password: v.password})
		})
	}
}

func TestDialConnectsAndHangUpEnds(t *testing.T) {
	both(t, func(t *testing.T, tr transport, term *polysim.Terminal, p *poly.Protocol) {
		r := start(t, tr, term, p, true)
		const bridge = "r7@bridge.city.vn"
		if err := r.d.Wake(context.Background()); err != nil {
			t.Fatalf("Wake = %v; health %+v", err, r.rec.health)
		}
		if err := r.dial(t, bridge, "sip"); err != nil {
			t.Fatalf("Dial = %v", err)
		}
		r.rec.waitFor(t, "connected", state(bridge, terminal.Connected))
		if got := r.rec.states(bridge); got[0] != terminal.Dialling {
			t.Errorf("states = %v, want dialling first", got)
		}
		if err := r.d.HangUp(context.Background()); err != nil {
			t.Fatalf("HangUp = %v; health %+v", err, r.rec.health)
		}
		r.rec.waitFor(t, "ended", state(bridge, terminal.Ended))
		want := []terminal.State{terminal.Dialling, terminal.Connected, terminal.Ended}
		if got := r.rec.states(bridge); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("states = %v, want %v, each once", got, want)
		}
		if !contains(term.Received(), `dial manual 1024 "r7@bridge.city.vn" sip`) {
			t.Errorf("commands = %q, want the dial manual line", term.Received())
		}
		r.rec.mu.Lock()
		defer r.rec.mu.Unlock()
		if len(r.rec.unknown) != 0 {
			t.Errorf("unknown kinds %v: every line of a normal call must be known", r.rec.unknown)
		}
	})
}

// Wake is answered "wake", the very text of the command: on a port that
// echoes and on one that does not, the answer is taken at once, not after
// the terminal's timeout (here longer than the test waits).
func TestWakeAnswerIsNotTakenForAnEcho(t *testing.T) {
	both(t, func(t *testing.T, tr transport, term *polysim.Terminal, p *poly.Protocol) {
		r := startWithTimeout(t, tr, term, p, true, 3*waitTimeout)
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := r.d.Wake(ctx); err != nil {
			t.Fatalf("Wake = %v: its answer was not taken within %v", err, waitTimeout)
		}
		if err := r.dial(t, "r7@bridge.city.vn", "sip"); err != nil {
			t.Fatalf("Dial after Wake = %v: a late wake answer or echo got in its way", err)
		}
	})
}

func TestBusyAndRejectedFailWithTheWords(t *testing.T) {
	both(t, func(t *testing.T, tr transport, term *polysim.Terminal, p *poly.Protocol) {
		r := start(t, tr, term, p, true)
		for number, words := range map[string]string{"busy@bridge": "busy", "reject@bridge": "rejected"} {
			if err := r.dial(t, number, "h323"); err != nil {
				t.Fatalf("Dial(%s) = %v", number, err)
			}
			// A poll of the call list can overtake the line with the cause and
			// fail the call first as gone from the list; the cause follows.
			r.rec.waitFor(t, number+" failed saying "+words, func(r *recorder) bool {
				c, ok := r.call(number)
				return ok && c.State == terminal.Failed && strings.Contains(c.Reason, words)
			})
		}
	})
}

func TestDroppedMidCallEnds(t *testing.T) {
	both(t, func(t *testing.T, tr transport, term *polysim.Terminal, p *poly.Protocol) {
		r := start(t, tr, term, p, true)
		if err := r.dial(t, "r7@bridge", "auto"); err != nil {
			t.Fatalf("Dial = %v", err)
		}
		r.rec.waitFor(t, "connected", state("r7@bridge", terminal.Connected))
		term.Drop(41)
		r.rec.waitFor(t, "ended", state("r7@bridge", terminal.Ended))
		r.rec.mu.Lock()
		c, _ := r.rec.call("r7@bridge")
		r.rec.mu.Unlock()
		if c.Reason != "temporary failure (cause 41)" {
			t.Errorf("dropped call's reason = %q, want the cause in words", c.Reason)
		}
	})
}

func TestSlowRepliesWithinTheTimeout(t *testing.T) {
	both(t, func(t *testing.T, tr transport, term *polysim.Terminal, p *poly.Protocol) {
		r := start(t, tr, term, p, true)
		term.SetReplyDelay(time.Second) // the driver waits three
		if err := r.dial(t, "r7@bridge", "h323"); err != nil {
			t.Fatalf("Dial with slow replies = %v", err)
		}
		r.rec.waitFor(t, "connected", state("r7@bridge", terminal.Connected))
		if h := r.d.Health(); !h.Connected {
			t.Errorf("Health() = %+v, want connected: slow is not dead", h)
		}
	})
}

func TestRebootRegistersAgain(t *testing.T) {
	both(t, func(t *testing.T, tr transport, term *polysim.Terminal, p *poly.Protocol) {
		r := start(t, tr, term, p, true)
		if err := r.dial(t, "r7@bridge", "sip"); err != nil {
			t.Fatalf("Dial = %v", err)
		}
		r.rec.waitFor(t, "connected", state("r7@bridge", terminal.Connected))
		term.Reboot()
		// The call went with the reboot, without a word: the poll finds it gone.
		r.rec.waitFor(t, "ended", state("r7@bridge", terminal.Ended))
		r.rec.waitFor(t, "registered again", func(*recorder) bool { return count(term.Received(), "callstate register") >= 2 })
		r.rec.waitFor(t, "connected after the reboot", up(true))
		// Notifications flow again: a new call is followed.
		if err := r.dial(t, "r8@bridge", "sip"); err != nil {
			t.Fatalf("Dial after the reboot = %v", err)
		}
		r.rec.waitFor(t, "second call connected", state("r8@bridge", terminal.Connected))
	})
}

func TestGarbageAndPartialLinesAreIgnored(t *testing.T) {
	both(t, func(t *testing.T, tr transport, term *polysim.Terminal, p *poly.Protocol) {
		r := start(t, tr, term, p, true)
		term.Inject("garbage 1\r\n\x00\x01\xff\r\ngarbage 2\r\ncs: call[x] chan[0] dialstr[1] state[RINGING]\r\n")
		term.Inject("cs: call[99] chan[0] dialstr[10.0.0.")
		term.Inject("9] state[RINGING]\r\n") // one line in two writes
		r.rec.waitFor(t, "the split line", state("10.0.0.9", terminal.Dialling))
		term.Inject("garbage 3\r\n" + strings.Repeat("z", terminal.MaxLineSize+10) + "\r\n")
		if err := r.dial(t, "r7@bridge", "sip"); err != nil {
			t.Fatalf("Dial after garbage = %v", err)
		}
		r.rec.waitFor(t, "connected", state("r7@bridge", terminal.Connected))
		r.rec.mu.Lock()
		defer r.rec.mu.Unlock()
		if got, want := strings.Join(r.rec.unknown, ","), "garbage,(unprintable),cs"; got != want {
			t.Errorf("unknown kinds = %s, want %s, each once", got, want)
		}
	})
}

func TestRefusedDialKeepsTheTerminalsWords(t *testing.T) {
	both(t, func(t *testing.T, tr transport, term *polysim.Terminal, p *poly.Protocol) {
		term.NoSIP = true
		r := start(t, tr, term, p, true)
		err := r.dial(t, "r7@bridge", "sip")
		var refused *terminal.RefusedError
		if !errors.As(err, &refused) || refused.Reply != "IP line (SIP) not enabled." {
			t.Fatalf("Dial(sip) with SIP off = %v, want a RefusedError with the terminal's words", err)
		}
		if h := r.d.Health(); !h.Connected {
			t.Errorf("Health() = %+v, want connected: a refusal is an answer", h)
		}
	})
}

func TestDialStringCannotBreakOutOfItsQuotes(t *testing.T) {
	r := start(t, tcp, &polysim.Terminal{}, &poly.Protocol{}, true)
	for _, n := range []string{`r7" h323`, "r7\r\nhangup all", "r7\x00", ""} {
		if err := r.dial(t, n, "sip"); err == nil {
			t.Errorf("Dial(%q) = nil, want it refused", n)
		}
	}
	for _, c := range r.term.Received() {
		if strings.HasPrefix(c, "dial") || c == "hangup all" {
			t.Errorf("the terminal received %q", c)
		}
	}
}

func TestWrongPasswordIsAClearHealthError(t *testing.T) {
	for _, tc := range []struct{ password, want string }{
		{"wrong", "password refused"},
		{"", "asks for a password and none is configured"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			r := start(t, tcp, &polysim.Terminal{Password: "s3cret"}, &poly.Protocol{Password: tc.password}, false)
			r.rec.waitFor(t, "the error", func(r *recorder) bool {
				return len(r.health) > 0 && strings.Contains(r.health[len(r.health)-1].LastError, tc.want)
			})
			h := r.d.Health()
			if h.Connected {
				t.Errorf("Health() = %+v, want not connected", h)
			}
			if tc.password != "" && strings.Contains(h.LastError, tc.password) {
				t.Errorf("Health().LastError = %q shows the password", h.LastError)
			}
		})
	}
}

func TestUnpluggedIsDownAndComesBack(t *testing.T) {
	term := &polysim.Terminal{AnswerAfter: 100 * time.Millisecond}
	r := start(t, serial, term, &poly.Protocol{}, true)
	r.link.Unplug()
	r.rec.waitFor(t, "down", up(false))
	if err := r.d.Wake(context.Background()); !errors.Is(err, terminal.ErrNotConnected) {
		t.Errorf("Wake while unplugged = %v, want ErrNotConnected", err)
	}
	r.link.Replug("")
	r.serveHost(t)
	r.rec.waitFor(t, "up again", up(true))
	if err := r.dial(t, "r7@bridge", "sip"); err != nil {
		t.Fatalf("Dial after replug = %v", err)
	}
	r.rec.waitFor(t, "connected", state("r7@bridge", terminal.Connected))
}

func contains(list []string, s string) bool { return count(list, s) > 0 }

func count(list []string, s string) int {
	n := 0
	for _, l := range list {
		if l == s {
			n++
		}
	}
	return n
}

// silenceBound is the bound: with the driver's default timeout and
// poll, a terminal that stops answering shows in the health, and a
// command to it returns, within 5 s.
const silenceBound = 5 * time.Second

func defaults(d *terminal.Driver) { d.Timeout, d.PollInterval = 0, 0 }

func TestSilentSystemTimesOutEveryCaller(t *testing.T) {
	both(t, func(t *testing.T, tr transport, term *polysim.Terminal, p *poly.Protocol) {
		r := startTuned(t, tr, term, p, true, defaults)
		term.SetSilent(true)
		silent := time.Now()
		ops := map[string]func(context.Context) error{
			"Dial":   func(ctx context.Context) error { return r.d.Dial(ctx, terminal.Target{Number: "r7@bridge"}) },
			"HangUp": r.d.HangUp,
			"Wake":   r.d.Wake,
			"Calls":  func(ctx context.Context) error { _, err := r.d.Calls(ctx); return err },
		}
		errs := make(chan error, len(ops))
		for name, op := range ops {
			go func() {
				began := time.Now()
				err := op(context.Background())
				if took := time.Since(began); err == nil || took > silenceBound {
					errs <- fmt.Errorf("%s on a silent system = %v after %v; want an error within %v", name, err, took, silenceBound)
					return
				}
				if !errors.Is(err, terminal.ErrTimeout) && !errors.Is(err, terminal.ErrNotConnected) {
					errs <- fmt.Errorf("%s on a silent system = %v; want ErrTimeout or ErrNotConnected", name, err)
					return
				}
				errs <- nil
			}()
		}
		for range ops {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		r.rec.waitFor(t, "down", up(false))
		r.rec.mu.Lock()
		h := r.rec.health[len(r.rec.health)-1]
		r.rec.mu.Unlock()
		if took := h.Since.Sub(silent); took > silenceBound || !strings.Contains(h.LastError, "no answer") {
			t.Errorf("health %+v %v after the system went silent; want down, saying it did not answer, within %v", h, took, silenceBound)
		}
		term.SetSilent(false)
		r.rec.waitFor(t, "up again", up(true))
	})
}

// TestPortThatNeverAnswers: a serial port whose far end reads every byte
// and writes none, as a terminal that is off behind a powered adapter.
func TestPortThatNeverAnswers(t *testing.T) {
	link := socat.Pair(t, t.TempDir())
	f, err := os.OpenFile(link.Host, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	go io.Copy(io.Discard, f)
	rec := &recorder{changed: make(chan struct{}, 1)}
	d := &terminal.Driver{Name: "room 7", Transport: terminal.Serial{Path: link.Device}, Protocol: &poly.Protocol{},
		OnHealth: func(h terminal.Health) { rec.note(func() { rec.health = append(rec.health, h) }) }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); d.Run(ctx, func(terminal.Event) {}) }()
	t.Cleanup(func() { cancel(); <-done })
	began := time.Now()
	rec.waitFor(t, "a health error", func(r *recorder) bool {
		return len(r.health) > 0 && !r.health[len(r.health)-1].Connected && r.health[len(r.health)-1].LastError != ""
	})
	if took := time.Since(began); took > silenceBound {
		t.Errorf("health error after %v, want within %v", took, silenceBound)
	}
	if h := d.Health(); h.Connected || !strings.Contains(h.LastError, "no answer") {
		t.Errorf("Health() = %+v, want not connected, saying the terminal did not answer", h)
	}
	if err := d.Dial(context.Background(), terminal.Target{Number: "r7@bridge"}); !errors.Is(err, terminal.ErrNotConnected) && !errors.Is(err, terminal.ErrTimeout) {
		t.Errorf("Dial = %v, want ErrNotConnected or ErrTimeout", err)
	}
}
