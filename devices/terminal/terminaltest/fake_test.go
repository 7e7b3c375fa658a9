package terminaltest

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/roomgate/roomgate/devices/terminal"
)

// fakePeer scripts a Fake for the Suite.
type fakePeer struct{ f *Fake }

func (fakePeer) Hold(string) {} // a fake's calls ring until Answer anyway
func (p fakePeer) Answer()   { p.f.Answer() }
func (p fakePeer) Refuse(number string) string {
	p.f.RefuseDial(number, "line busy")
	return "line busy"
}

func TestSuite(t *testing.T) {
	Suite(t, func(t *testing.T) (terminal.Terminal, Peer) {
		f := &Fake{Name: "room"}
		return f, fakePeer{f}
	})
}

func states(events []terminal.Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.Call.ID+" "+string(e.Call.State)+" "+e.Call.Remote+" "+e.Call.Reason)
	}
	return out
}

func TestFakeScriptsCalls(t *testing.T) {
	f := &Fake{Name: "room"}
	rec := run(t, f)
	ctx := context.Background()
	if err := f.Wake(ctx); err != nil {
		t.Fatal(err)
	}
	if err := f.Dial(ctx, terminal.Target{Number: "a", Protocol: "sip", Speed: 768}); err != nil {
		t.Fatal(err)
	}
	f.Fail("no route")
	f.Dial(ctx, terminal.Target{Number: "b"})
	f.Answer()
	f.Drop("network lost")
	hand := f.HandDial("c")
	f.Answer()
	f.HangUp(ctx)
	want := []string{
		"1 dialling a ", "1 failed a no route",
		"2 dialling b ", "2 connected b ", "2 ended b network lost",
		"3 dialling c ", "3 connected c ", "3 ended c local hang-up",
	}
	// Events were emitted before each call returned: no waiting.
	if got := states(rec.Events()); !reflect.DeepEqual(got, want) {
		t.Errorf("events =\n%q\nwant\n%q", got, want)
	}
	if hand != "3" {
		t.Errorf("HandDial() = %q, want the call's id 3", hand)
	}
	wantCmds := []Command{{Op: "wake"}, {Op: "dial", Target: terminal.Target{Number: "a", Protocol: "sip", Speed: 768}},
		{Op: "dial", Target: terminal.Target{Number: "b"}}, {Op: "hang up"}}
	if got := f.Commands(); !reflect.DeepEqual(got, wantCmds) {
		t.Errorf("Commands() = %+v, want %+v (a hand-dialled call is not a command)", got, wantCmds)
	}
	if calls, err := f.Calls(ctx); err != nil || len(calls) != 0 {
		t.Errorf("Calls() = %+v, %v; want none", calls, err)
	}
}

func TestFakeRefusesDials(t *testing.T) {
	f := &Fake{}
	run(t, f)
	ctx := context.Background()
	f.RefuseDial("", "in standby")
	f.RefuseDial("b", "line busy")
	var refused *terminal.RefusedError
	if err := f.Dial(ctx, terminal.Target{Number: "b"}); !errors.As(err, &refused) || refused.Reply != "line busy" {
		t.Errorf("Dial(b) = %v, want refused with line busy", err)
	}
	if err := f.Dial(ctx, terminal.Target{Number: "a"}); !errors.As(err, &refused) || refused.Reply != "in standby" {
		t.Errorf("Dial(a) = %v, want refused with in standby", err)
	}
	f.RefuseDial("", "")
	if err := f.Dial(ctx, terminal.Target{Number: "a"}); err != nil {
		t.Errorf("Dial(a) after RefuseDial(\"\", \"\") = %v, want nil", err)
	}
	if calls, _ := f.Calls(ctx); len(calls) != 1 || calls[0].Remote != "a" {
		t.Errorf("Calls() = %+v, want the one dial that was not refused", calls)
	}
}

func TestFakeUnplugged(t *testing.T) {
	var mu sync.Mutex
	var reports []bool
	f := &Fake{Name: "room", OnHealth: func(h terminal.Health) {
		mu.Lock()
		reports = append(reports, h.Connected)
		mu.Unlock()
	}}
	if h := f.Health(); h.Connected || h.Name != "room" || h.Kind != "fake" {
		t.Errorf("Health() before Run = %+v, want room, fake, not connected", h)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.Run(ctx, func(terminal.Event) {}) }()
	for !f.Health().Connected {
		time.Sleep(time.Millisecond) // until Run has started
	}
	if err := f.Dial(ctx, terminal.Target{Number: "a"}); err != nil {
		t.Fatal(err)
	}
	f.SetConnected(false)
	if h := f.Health(); h.Connected || h.LastError != ErrUnplugged.Error() {
		t.Errorf("Health() unplugged = %+v, want down with %v", h, ErrUnplugged)
	}
	for name, err := range map[string]error{
		"Wake":   f.Wake(ctx),
		"Dial":   f.Dial(ctx, terminal.Target{Number: "b"}),
		"HangUp": f.HangUp(ctx),
	} {
		if !errors.Is(err, terminal.ErrNotConnected) {
			t.Errorf("%s() unplugged = %v, want ErrNotConnected", name, err)
		}
	}
	if _, err := f.Calls(ctx); !errors.Is(err, terminal.ErrNotConnected) {
		t.Errorf("Calls() unplugged = %v, want ErrNotConnected", err)
	}
	f.SetConnected(true)
	if calls, err := f.Calls(ctx); err != nil || len(calls) != 1 {
		t.Errorf("Calls() replugged = %+v, %v; want the call placed before the unplug", calls, err)
	}
	if got := f.Commands(); len(got) != 1 {
		t.Errorf("Commands() = %+v, want only the dial made while connected", got)
	}
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if want := []bool{true, false, true, false}; !slices.Equal(reports, want) {
		t.Errorf("OnHealth Connected = %v, want %v", reports, want)
	}
}
