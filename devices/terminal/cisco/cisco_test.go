package cisco_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/roomgate/roomgate/devices/terminal"
	"github.com/roomgate/roomgate/devices/terminal/cisco"
	"github.com/roomgate/roomgate/devices/terminal/cisco/ciscosim"
	"github.com/roomgate/roomgate/devices/terminal/sshport"
	"github.com/roomgate/roomgate/internal/socat"
)

const (
	user     = "integrator"
	password = "s3cret"
)

// recorder keeps what the driver reports and wakes waitFor on each report.
type recorder struct {
	mu      sync.Mutex
	events  []terminal.Event
	health  []terminal.Health
	unknown []string
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

// waitFor waits until cond holds, failing after 10 s: a bound on a hang,
// not a speed target.
func (r *recorder) waitFor(t *testing.T, what string, cond func(*recorder) bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		ok := cond(r)
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.changed:
		case <-time.After(50 * time.Millisecond): // a report may have come between cond and select
		case <-deadline:
			r.mu.Lock()
			defer r.mu.Unlock()
			t.Fatalf("timed out waiting for %s; events %+v\nhealth %+v\nunknown %q", what, r.events, r.health, r.unknown)
		}
	}
}

// call finds the last event of a call to remote in state st.
func (r *recorder) call(remote string, st terminal.State) (terminal.Call, bool) {
	for i := len(r.events) - 1; i >= 0; i-- {
		if c := r.events[i].Call; c.Remote == remote && c.State == st {
			return c, true
		}
	}
	return terminal.Call{}, false
}

func reached(remote string, st terminal.State) func(*recorder) bool {
	return func(r *recorder) bool { _, ok := r.call(remote, st); return ok }
}

func up(want bool) func(*recorder) bool {
	return func(r *recorder) bool { return len(r.health) > 0 && r.health[len(r.health)-1].Connected == want }
}

func (r *recorder) states(remote string) []terminal.State {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []terminal.State
	for _, e := range r.events {
		if e.Call.Remote == remote {
			out = append(out, e.Call.State)
		}
	}
	return out
}

// link is one way to reach the simulated codec.
type link struct {
	name      string
	transport terminal.Transport
	hostKey   string // ssh: the codec's fingerprint
	protocol  *cisco.Protocol
	unplug    func()
	replug    func()
}

// overPTY serves the sim's console on the host end of a socat pty pair;
// the driver opens the device end as it would a USB serial adapter. The
// console asks for a login and echoes, as a codec's RS-232 port does.
func overPTY(t *testing.T, sim *ciscosim.Sim, pass string) link {
	sim.Echo = true
	pty := socat.Pair(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	serve := func() {
		f, err := os.OpenFile(pty.Host, os.O_RDWR|unix.O_NOCTTY, 0)
		if err != nil {
			t.Fatalf("open host end: %v", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			go func() { <-ctx.Done(); f.Close() }()
			sim.Serve(ctx, f)
			f.Close()
		}()
	}
	serve()
	t.Cleanup(func() { cancel(); pty.Unplug(); wg.Wait() })
	return link{
		name:      "pty",
		transport: terminal.Serial{Path: pty.Device, Baud: 115200},
		protocol:  &cisco.Protocol{User: user, Password: pass},
		unplug:    pty.Unplug,
		replug:    func() { pty.Replug(""); serve() },
	}
}

// overSSH serves the sim over SSH with the host key pinned.
func overSSH(t *testing.T, sim *ciscosim.Sim, pass string) link {
	srv, err := sim.ListenSSH("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return link{
		name:      "ssh",
		transport: sshport.Transport{Addr: srv.Addr(), User: user, Password: pass, HostKey: srv.HostKey()},
		hostKey:   srv.Fingerprint(),
		protocol:  &cisco.Protocol{},
		unplug:    srv.DropAll,
		replug:    func() {},
	}
}

var links = []func(*testing.T, *ciscosim.Sim, string) link{overPTY, overSSH}

func newSim() *ciscosim.Sim { return &ciscosim.Sim{User: user, Password: password} }

// run starts a driver on l, polling every 100 ms, and returns it once it
// reports what wantUp says.
func run(t *testing.T, l link, wantUp bool) (*terminal.Driver, *recorder) {
	t.Helper()
	return runPolling(t, l, wantUp, 100*time.Millisecond)
}

func runPolling(t *testing.T, l link, wantUp bool, poll time.Duration) (*terminal.Driver, *recorder) {
	t.Helper()
	rec := &recorder{changed: make(chan struct{}, 1)}
	d := &terminal.Driver{Name: "room 301", Transport: l.transport, Protocol: l.protocol,
		Timeout: 500 * time.Millisecond, PollInterval: poll, IdleGap: 50 * time.Millisecond,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		OnHealth:  func(h terminal.Health) { rec.note(func() { rec.health = append(rec.health, h) }) },
		OnUnknown: func(kind, line string) { rec.note(func() { rec.unknown = append(rec.unknown, kind) }) },
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx, func(e terminal.Event) { rec.note(func() { rec.events = append(rec.events, e) }) })
	}()
	t.Cleanup(func() { cancel(); <-done })
	if wantUp {
		rec.waitFor(t, "connected", up(true))
	} else {
		rec.waitFor(t, "a failed connection", func(r *recorder) bool { return len(r.health) > 0 && r.health[len(r.health)-1].LastError != "" })
	}
	return d, rec
}

// each runs a test over every link.
func each(t *testing.T, f func(t *testing.T, sim *ciscosim.Sim, l link)) {
	for _, mk := range links {
		sim := newSim()
		l := mk(t, sim, password)
		t.Run(l.name, func(t *testing.T) { f(t, sim, l) })
	}
}

func dial(t *testing.T, d *terminal.Driver, number string) {
	t.Helper()
	if err := d.Dial(context.Background(), terminal.Target{Number: number, Protocol: "sip", Speed: 1920}); err != nil {
		t.Fatalf("Dial(%q) = %v, want nil", number, err)
	}
}

func TestDialAnsweredThenHungUp(t *testing.T) {
	each(t, func(t *testing.T, sim *ciscosim.Sim, l link) {
		d, rec := run(t, l, true)
		dial(t, d, "hop@cau.vn")
		rec.waitFor(t, "connected", reached("hop@cau.vn", terminal.Connected))
		if got := rec.states("hop@cau.vn"); got[0] != terminal.Dialling {
			t.Errorf("states = %v, want dialling first", got)
		}
		if err := d.HangUp(context.Background()); err != nil {
			t.Fatalf("HangUp = %v", err)
		}
		rec.waitFor(t, "ended", reached("hop@cau.vn", terminal.Ended))
		rec.mu.Lock()
		c, _ := rec.call("hop@cau.vn", terminal.Ended)
		rec.mu.Unlock()
		if c.Reason != "LocalDisconnect" {
			t.Errorf("ended call = %+v, want the reason LocalDisconnect", c)
		}
		if got := sim.Received(); !slices.ContainsFunc(got, func(s string) bool {
			return strings.HasPrefix(s, `xCommand Dial Number: "hop@cau.vn" Protocol: Sip CallRate: 1920 | resultId=`)
		}) {
			t.Errorf("codec received %q, want the dial with protocol and rate", got)
		}
	})
}

func TestBusyAndRejectedFailWithTheTerminalsWords(t *testing.T) {
	each(t, func(t *testing.T, sim *ciscosim.Sim, l link) {
		d, rec := run(t, l, true)
		for number, words := range map[string]string{
			"busy@cau.vn":   "RemoteBusy: Busy Here",    // the ghost before the cause
			"reject@cau.vn": "RemoteRejected: Declined", // the cause before the ghost
		} {
			dial(t, d, number)
			rec.waitFor(t, number+" failed", reached(number, terminal.Failed))
			rec.mu.Lock()
			c, _ := rec.call(number, terminal.Failed)
			rec.mu.Unlock()
			if c.Reason != words {
				t.Errorf("%s failed with %q, want %q", number, c.Reason, words)
			}
			if slices.Contains(rec.states(number), terminal.Connected) {
				t.Errorf("%s: states %v, never connected", number, rec.states(number))
			}
		}
	})
}

func TestDialRefusedByTheCodec(t *testing.T) {
	each(t, func(t *testing.T, sim *ciscosim.Sim, l link) {
		d, _ := run(t, l, true)
		err := d.Dial(context.Background(), terminal.Target{Number: "invalid"})
		var refused *terminal.RefusedError
		if !errors.As(err, &refused) || refused.Reply != "Invalid number" {
			t.Fatalf("Dial(invalid) = %v, want a RefusedError with the codec's words", err)
		}
		if h := d.Health(); !h.Connected {
			t.Errorf("Health() = %+v, want still connected: the codec answered", h)
		}
	})
}

func TestDialStringCannotBreakOut(t *testing.T) {
	sim := newSim()
	d, _ := run(t, overSSH(t, sim, password), true)
	for _, n := range []string{`x" Protocol: H323`, "x\r\nxCommand SystemUnit Boot", `x\`, `x | resultId="rg1"`} {
		if err := d.Dial(context.Background(), terminal.Target{Number: n}); !errors.Is(err, cisco.ErrBadDialable) {
			t.Errorf("Dial(%q) = %v, want ErrBadDialable", n, err)
		}
	}
	for _, cmd := range sim.Received() {
		if strings.Contains(strings.ToLower(cmd), "dial") || strings.Contains(cmd, "Boot") {
			t.Errorf("codec received %q", cmd)
		}
	}
}

func TestDroppedMidCallEnds(t *testing.T) {
	each(t, func(t *testing.T, sim *ciscosim.Sim, l link) {
		d, rec := run(t, l, true)
		dial(t, d, "hop@cau.vn")
		rec.waitFor(t, "connected", reached("hop@cau.vn", terminal.Connected))
		sim.Drop()
		rec.waitFor(t, "ended", reached("hop@cau.vn", terminal.Ended))
		rec.mu.Lock()
		c, _ := rec.call("hop@cau.vn", terminal.Ended)
		rec.mu.Unlock()
		if c.Reason != "RemoteDisconnect: Normal call clearing" {
			t.Errorf("dropped call = %+v, want the far end's cause", c)
		}
	})
}

func TestSlowRepliesWithinTheTimeout(t *testing.T) {
	each(t, func(t *testing.T, sim *ciscosim.Sim, l link) {
		d, rec := run(t, l, true)
		sim.SetDelay(150 * time.Millisecond) // the driver waits 500 ms
		dial(t, d, "hop@cau.vn")
		rec.waitFor(t, "connected", reached("hop@cau.vn", terminal.Connected))
		if h := d.Health(); !h.Connected {
			t.Errorf("Health() = %+v, want connected", h)
		}
	})
}

func TestRebootRegistersAgain(t *testing.T) {
	each(t, func(t *testing.T, sim *ciscosim.Sim, l link) {
		d, rec := run(t, l, true)
		dial(t, d, "hop@cau.vn")
		rec.waitFor(t, "connected", reached("hop@cau.vn", terminal.Connected))
		before := sim.Registrations()
		sim.Reboot()
		// The call vanished without a word: the poll ends it.
		rec.waitFor(t, "ended by the reboot", reached("hop@cau.vn", terminal.Ended))
		regs := func(*recorder) bool { return sim.Registrations() >= before+2 }
		rec.waitFor(t, "registered again", regs)
		// The codec counts the registration when it arrives; the driver
		// takes the link back once it has read the replies.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			err := d.Wake(context.Background())
			if err == nil {
				break
			}
			if !errors.Is(err, terminal.ErrNotConnected) || time.Now().After(deadline) {
				t.Fatalf("Wake after reboot = %v", err)
			}
		}
		if sim.Standby() {
			t.Error("codec still in standby after Wake")
		}
		dial(t, d, "again@cau.vn")
		rec.waitFor(t, "connected after the reboot", reached("again@cau.vn", terminal.Connected))
	})
}

func TestGarbageIgnoredAndReportedOnce(t *testing.T) {
	each(t, func(t *testing.T, sim *ciscosim.Sim, l link) {
		// No poll, so that no reply is awaited while the garbage comes: the
		// driver counts the lines inside a reply as the reply's.
		d, rec := runPolling(t, l, true, time.Hour)
		garbage := func() {
			sim.Say("garbage 1\r\n\x00\x01\xfe\r\n*s Audio Vol") // a line cut in two writes…
			sim.Say("ume: 50\r\n** end\r\ngarbage 2\r\n")        // …is read whole
		}
		garbage()
		want := []string{"garbage", "(unprintable)"}
		rec.waitFor(t, "garbage reported", func(r *recorder) bool { return len(r.unknown) >= len(want) })
		garbage()
		dial(t, d, "hop@cau.vn")
		rec.waitFor(t, "connected after garbage", reached("hop@cau.vn", terminal.Connected))
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if !slices.Equal(rec.unknown, want) {
			t.Errorf("unknown kinds = %q, want %q once each", rec.unknown, want)
		}
	})
}

func TestUnplugAndSilenceShowInHealth(t *testing.T) {
	each(t, func(t *testing.T, sim *ciscosim.Sim, l link) {
		_, rec := run(t, l, true)
		l.unplug()
		rec.waitFor(t, "down when unplugged", up(false))
		l.replug()
		rec.waitFor(t, "up when plugged back", up(true))

		sim.SetSilent(true)
		rec.waitFor(t, "down when silent", up(false))
		rec.mu.Lock()
		last := rec.health[len(rec.health)-1]
		rec.mu.Unlock()
		if !strings.Contains(last.LastError, "no answer") {
			t.Errorf("health %+v, want it to say the terminal does not answer", last)
		}
		sim.SetSilent(false)
		rec.waitFor(t, "up when it answers again", up(true))
	})
}

func TestWrongPasswordIsAClearError(t *testing.T) {
	for _, mk := range links {
		sim := newSim()
		l := mk(t, sim, "wrong")
		t.Run(l.name, func(t *testing.T) {
			_, rec := run(t, l, false)
			rec.mu.Lock()
			defer rec.mu.Unlock()
			h := rec.health[len(rec.health)-1]
			if h.Connected || !strings.Contains(h.LastError, "login refused") || !strings.Contains(h.LastError, user) {
				t.Errorf("health = %+v, want down with the refused login and its user", h)
			}
		})
	}
}

func TestHostKeyMismatchRefused(t *testing.T) {
	sim := newSim()
	l := overSSH(t, sim, password)
	other, err := (&ciscosim.Sim{}).ListenSSH("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	other.Close()
	tr := l.transport.(sshport.Transport)
	tr.HostKey = other.HostKey() // pinned to another codec
	l.transport = tr

	_, openErr := tr.Open(context.Background())
	srvFP := l.hostKey
	if !errors.Is(openErr, sshport.ErrHostKey) || !strings.Contains(openErr.Error(), srvFP) || !strings.Contains(openErr.Error(), other.Fingerprint()) {
		t.Fatalf("Open = %v, want ErrHostKey naming the key seen (%s) and the one pinned (%s)", openErr, srvFP, other.Fingerprint())
	}
	_, rec := run(t, l, false)
	rec.mu.Lock()
	h := rec.health[len(rec.health)-1]
	rec.mu.Unlock()
	if h.Connected || !strings.Contains(h.LastError, "host key") {
		t.Errorf("health = %+v, want down with the host key refused", h)
	}
	if got := sim.Received(); len(got) > 0 {
		t.Errorf("codec received %q from a box that should not have logged in", got)
	}

	// Pinned by its fingerprint, the right codec is accepted.
	tr.HostKey = srvFP
	l.transport = tr
	run(t, l, true)
}
