package terminaltest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/roomgate/roomgate/devices/terminal"
)

// Peer scripts the far side of a terminal under Suite.
type Peer interface {
	Hold(number string)          // a dial of number rings until Answer
	Answer()                     // the ringing calls connect
	Refuse(number string) string // the terminal refuses to dial number; Refuse returns its words
}

// Suite checks what every terminal must do. start makes a terminal, not
// yet running, and its peer, once for each part of the suite; the suite
// runs it until the part ends.
func Suite(t *testing.T, start func(t *testing.T) (terminal.Terminal, Peer)) {
	t.Run("dial answer hang up", func(t *testing.T) {
		term, peer := start(t)
		rec := run(t, term)
		ctx := context.Background()
		const number = "sip:1001@bridge.hcm.gov.vn"
		if err := term.Wake(ctx); err != nil {
			t.Fatalf("Wake() = %v", err)
		}
		peer.Hold(number)
		if err := term.Dial(ctx, terminal.Target{Number: number, Protocol: "sip"}); err != nil {
			t.Fatalf("Dial(%s) = %v", number, err)
		}
		id := rec.WaitEvent(t, "dialling", func(e terminal.Event) bool {
			return e.Call.State == terminal.Dialling && e.Call.Remote == number
		}).Call.ID
		peer.Answer()
		if e := rec.WaitEvent(t, "connected", Call(id, terminal.Connected)); e.Call.Remote != number || e.At.IsZero() {
			t.Errorf("connected event %+v, want remote %s and a time", e, number)
		}
		calls, err := term.Calls(ctx)
		if err != nil || !slices.ContainsFunc(calls, func(c terminal.Call) bool { return c.ID == id && c.State == terminal.Connected }) {
			t.Errorf("Calls() = %+v, %v; want call %s connected", calls, err, id)
		}
		if err := term.HangUp(ctx); err != nil {
			t.Fatalf("HangUp() = %v", err)
		}
		rec.WaitEvent(t, "call over", func(e terminal.Event) bool { return e.Call.ID == id && e.Call.State.Final() })
		calls, err = term.Calls(ctx)
		if err != nil || slices.ContainsFunc(calls, func(c terminal.Call) bool { return c.ID == id }) {
			t.Errorf("Calls() after HangUp = %+v, %v; want call %s gone", calls, err, id)
		}
	})
	t.Run("refused dial keeps the terminal's words", func(t *testing.T) {
		term, peer := start(t)
		run(t, term)
		const number = "1002"
		words := peer.Refuse(number)
		if err := term.Wake(context.Background()); err != nil {
			t.Fatalf("Wake() = %v", err)
		}
		err := term.Dial(context.Background(), terminal.Target{Number: number})
		var refused *terminal.RefusedError
		if !errors.As(err, &refused) || refused.Reply != words {
			t.Fatalf("Dial(refused number) = %v, want a *terminal.RefusedError with the reply %q", err, words)
		}
		if h := term.Health(); !h.Connected {
			t.Errorf("Health() after a refused dial = %+v, want still connected: the terminal answered", h)
		}
	})
}

// run runs term until the test ends and waits until it is connected.
func run(t *testing.T, term terminal.Terminal) *Recorder {
	t.Helper()
	rec := NewRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		term.Run(ctx, rec.Emit)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	// The terminal's own OnHealth, if it has one, belongs to the caller:
	// health is polled.
	deadline := time.Now().Add(waitTimeout)
	for !term.Health().Connected {
		if time.Now().After(deadline) {
			t.Fatalf("%s not connected after %v: %+v", term, waitTimeout, term.Health())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return rec
}
