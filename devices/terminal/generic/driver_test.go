package generic_test

import (
	"context"
	"errors"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/roomgate/roomgate/devices/terminal"
	"github.com/roomgate/roomgate/devices/terminal/generic"
	"github.com/roomgate/roomgate/devices/terminal/generic/genericsim"
	"github.com/roomgate/roomgate/devices/terminal/terminaltest"
	"github.com/roomgate/roomgate/internal/socat"
)

// rig is a VCT-100 simulator and the Driver that drives it.
type rig struct {
	sim  *genericsim.Sim
	link *socat.Link // nil on TCP
	d    *terminal.Driver
	rec  *terminaltest.Recorder
}

// transports are the two ways a VCT-100 is reached.
var transports = []string{"tcp", "pty"}

// newRig starts a simulator on transport and a Driver for it, not yet
// running; configure changes the simulator before it serves.
func newRig(t *testing.T, transport, password string, configure func(*genericsim.Sim)) *rig {
	t.Helper()
	r := &rig{sim: genericsim.New(), rec: terminaltest.NewRecorder()}
	if configure != nil {
		configure(r.sim)
	}
	var tr terminal.Transport
	switch transport {
	case "tcp":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go r.sim.Listen(ln)
		tr = terminal.TCP{Addr: ln.Addr().String()}
	case "pty":
		r.link = socat.Pair(t, t.TempDir())
		r.serveHost(t)
		tr = terminal.Serial{Path: r.link.Device}
	}
	p, err := generic.New(genericsim.Definition(), password)
	if err != nil {
		t.Fatal(err)
	}
	r.d = &terminal.Driver{Name: "room", Transport: tr, Protocol: p,
		// Generous: a CI box running the race detector over every package
		// on two CPUs, with socat between, is slow, and slow is not dead
		// (500 ms once timed out a Wake there).
		Timeout: 2 * time.Second, PollInterval: 100 * time.Millisecond, IdleGap: 30 * time.Millisecond,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		OnHealth: r.rec.OnHealth, OnUnknown: r.rec.OnUnknown}
	return r
}

// serveHost serves the simulator on the host end of the pty pair, which
// stands for the terminal's end of the serial cable.
func (r *rig) serveHost(t *testing.T) {
	t.Helper()
	f, err := os.OpenFile(r.link.Host, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.sim.Serve(f)
	}()
	t.Cleanup(func() {
		f.Close()
		<-done
	})
}

// run runs the driver until the test ends; wait says whether to wait
// until it is connected.
func (r *rig) run(t *testing.T, wait bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.d.Run(ctx, r.rec.Emit)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	if wait {
		r.rec.WaitHealth(t, "connected", terminaltest.Connected(true))
	}
}

// simPeer scripts the simulator for the shared suite.
type simPeer struct{ sim *genericsim.Sim }

func (p simPeer) Hold(number string) { p.sim.Script(number, genericsim.Ring) }
func (p simPeer) Answer()            { p.sim.Answer() }
func (p simPeer) Refuse(number string) string {
	p.sim.Script(number, genericsim.Busy)
	return "line busy"
}

func TestSuite(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			terminaltest.Suite(t, func(t *testing.T) (terminal.Terminal, terminaltest.Peer) {
				r := newRig(t, tr, "", nil)
				return r.d, simPeer{r.sim}
			})
		})
	}
}

func TestDialOutcomes(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			r := newRig(t, tr, "", func(s *genericsim.Sim) {
				s.Script("1003", genericsim.Reject)
				s.Script("1004", genericsim.Unreachable)
			})
			r.run(t, true)
			ctx := context.Background()

			// Asleep, the terminal refuses: its words are kept.
			err := r.d.Dial(ctx, terminal.Target{Number: "1001"})
			var refused *terminal.RefusedError
			if !errors.As(err, &refused) || refused.Reply != "in standby" || refused.Command != "dial" {
				t.Fatalf("Dial before Wake = %v, want refused with the terminal's words %q", err, "in standby")
			}
			if err := r.d.Wake(ctx); err != nil {
				t.Fatalf("Wake() = %v", err)
			}
			if err := r.d.Dial(ctx, terminal.Target{Number: "1003", Protocol: "h323", Speed: 512}); err != nil {
				t.Fatalf("Dial(1003) = %v", err)
			}
			if e := r.rec.WaitEvent(t, "1003 failed", terminaltest.Call("1", terminal.Failed)); e.Call.Reason != "rejected by far end" || e.Call.Remote != "1003" {
				t.Errorf("failed event %+v, want remote 1003 and the terminal's reason", e.Call)
			}
			if err := r.d.Dial(ctx, terminal.Target{Number: "1004"}); err != nil {
				t.Fatalf("Dial(1004) = %v", err)
			}
			if e := r.rec.WaitEvent(t, "1004 failed", terminaltest.Call("2", terminal.Failed)); e.Call.Reason != "no route to host" {
				t.Errorf("failed event %+v, want the terminal's reason", e.Call)
			}
			// Answered at once, then dropped by the network mid-call.
			if err := r.d.Dial(ctx, terminal.Target{Number: "sip:1005@bridge"}); err != nil {
				t.Fatalf("Dial(1005) = %v", err)
			}
			r.rec.WaitEvent(t, "1005 connected", terminaltest.Call("3", terminal.Connected))
			r.sim.Drop("network lost")
			if e := r.rec.WaitEvent(t, "1005 dropped", terminaltest.Call("3", terminal.Ended)); e.Call.Reason != "network lost" || e.Call.Remote != "sip:1005@bridge" {
				t.Errorf("ended event %+v, want the remote kept and the terminal's reason", e.Call)
			}
			got := r.sim.Received()
			for _, want := range []string{"EVT ON", "PWR ON", "DIAL H323 512 1003", "DIAL AUTO 1024 1004", "DIAL AUTO 1024 sip:1005@bridge"} {
				if !slices.Contains(got, want) {
					t.Errorf("the terminal did not receive %q; it received %q", want, got)
				}
			}
			if u := r.rec.Unknown(); len(u) != 0 {
				t.Errorf("unknown lines %v: the worked example must know every line the VCT-100 sends", u)
			}
		})
	}
}

func TestSlowAndSilentTerminal(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			r := newRig(t, tr, "", nil)
			r.run(t, true)
			// Slower than usual, within the timeout: still fine.
			r.sim.SetSlow(200 * time.Millisecond)
			if err := r.d.Wake(context.Background()); err != nil {
				t.Errorf("Wake() to a slow terminal = %v, want nil", err)
			}
			r.sim.SetSlow(0)
			r.sim.SetSilent(true)
			h := r.rec.WaitHealth(t, "down", terminaltest.Connected(false))
			if !strings.Contains(h.LastError, "no answer") {
				t.Errorf("Health().LastError = %q, want it to say the terminal did not answer", h.LastError)
			}
			r.sim.SetSilent(false)
			r.rec.WaitHealth(t, "up again", terminaltest.Connected(true))
		})
	}
}

func TestRebootRegistersAgain(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			r := newRig(t, tr, "", nil)
			r.run(t, true)
			ctx := context.Background()
			r.d.Wake(ctx)
			if err := r.d.Dial(ctx, terminal.Target{Number: "1001"}); err != nil {
				t.Fatal(err)
			}
			r.rec.WaitEvent(t, "connected", terminaltest.Call("1", terminal.Connected))
			r.sim.Reboot()
			// The reboot said nothing of the call: the next poll ends it.
			r.rec.WaitEvent(t, "call gone", terminaltest.Call("1", terminal.Ended))
			// Registered again, the notifications of a new call come.
			r.sim.Script("1002", genericsim.Ring)
			if err := r.d.Wake(ctx); err != nil {
				t.Fatal(err)
			}
			if err := r.d.Dial(ctx, terminal.Target{Number: "1002"}); err != nil {
				t.Fatal(err)
			}
			r.sim.Answer()
			r.rec.WaitEvent(t, "new call connected", terminaltest.Call("2", terminal.Connected))
			if n := count(r.sim.Received(), "EVT ON"); n < 2 {
				t.Errorf("EVT ON sent %d times, want again after the reboot", n)
			}
		})
	}
}

func count(lines []string, s string) int {
	n := 0
	for _, l := range lines {
		if l == s {
			n++
		}
	}
	return n
}

func TestGarbageAndEcho(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			r := newRig(t, tr, "", func(s *genericsim.Sim) { s.Echo = true })
			r.run(t, true)
			r.sim.Write("\x00\xff\xfejunk\r\nCALL 1 SIDEWAYS x\r\nCALL 2 SIDEWAYS y\r\n" + strings.Repeat("z", terminal.MaxLineSize+1) + "\r\n")
			// A notification split across writes and one with no line end at all.
			r.sim.Write("EVT CALL 7 RING")
			r.sim.Write("ING 1001\r\nEVT CALL 7 UP 1001")
			r.rec.WaitEvent(t, "call 7 connected", terminaltest.Call("7", terminal.Connected))
			r.rec.WaitUnknown(t, 2)
			if got, want := r.rec.Unknown(), []string{"(unprintable)", "CALL"}; !slices.Equal(got, want) {
				t.Errorf("unknown kinds = %q, want %q, each once; echoed commands are not unknown", got, want)
			}
			if err := r.d.Wake(context.Background()); err != nil {
				t.Errorf("Wake() after garbage = %v, want nil", err)
			}
		})
	}
}

func TestPassword(t *testing.T) {
	t.Run("right", func(t *testing.T) {
		r := newRig(t, "tcp", "s3cret-pw", func(s *genericsim.Sim) { s.Password = "s3cret-pw" })
		r.run(t, true)
		if err := r.d.Wake(context.Background()); err != nil {
			t.Errorf("Wake() after login = %v, want nil", err)
		}
		if got := r.sim.Received(); slices.Contains(got, "s3cret-pw") {
			t.Errorf("Received() = %q: the simulator must leave the password out", got)
		}
	})
	t.Run("wrong", func(t *testing.T) {
		r := newRig(t, "tcp", "guess-pw", func(s *genericsim.Sim) { s.Password = "s3cret-pw" })
		r.run(t, false)
		h := r.rec.WaitHealth(t, "login refused", func(h terminal.Health) bool { return strings.Contains(h.LastError, "login refused") })
		if h.Connected || !strings.Contains(h.LastError, "bad password") || strings.Contains(h.LastError, "guess-pw") {
			t.Errorf("Health() = %+v, want down with the terminal's words and not the password", h)
		}
	})
}

func TestSerialUnplugged(t *testing.T) {
	r := newRig(t, "pty", "", nil)
	r.run(t, true)
	r.link.Unplug()
	r.rec.WaitHealth(t, "down", terminaltest.Connected(false))
	if err := r.d.Wake(context.Background()); !errors.Is(err, terminal.ErrNotConnected) {
		t.Errorf("Wake() unplugged = %v, want ErrNotConnected", err)
	}
	r.link.Replug("")
	r.serveHost(t)
	r.rec.WaitHealth(t, "up again", terminaltest.Connected(true))
}
