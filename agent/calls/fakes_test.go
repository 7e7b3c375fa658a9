package calls

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/event"
	"github.com/roomgate/roomgate/agent/meeting"
	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/devices/terminal"
)

// fakeTerminal is a terminal whose calls the test scripts. It knows which
// calls the box placed, so it can tell when the box dials over or hangs up
// a call someone else made: those are violations, not errors, so that a
// property test sees every one.
type fakeTerminal struct {
	mu         sync.Mutex
	connected  bool
	calls      []fakeCall // up or ringing
	n          int
	emit       func(terminal.Event)
	quiet      bool   // events are lost (the room must read Calls)
	refuse     string // the next dials are refused with this reply
	shown      string // how the terminal shows a dialled number; "sip:" + it if ""
	wakes      int
	dials      []terminal.Target
	hangups    int
	violations []string
	onDial     func() // called once a dial's call is on the terminal
}

type fakeCall struct {
	terminal.Call
	byBox bool
}

func (f *fakeTerminal) Run(ctx context.Context, emit func(terminal.Event)) error {
	f.mu.Lock()
	f.emit = emit
	f.mu.Unlock()
	<-ctx.Done()
	return nil
}

func (f *fakeTerminal) Wake(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.wakes++
	return nil
}

func (f *fakeTerminal) Dial(_ context.Context, t terminal.Target) error {
	f.mu.Lock()
	f.dials = append(f.dials, t)
	if !f.connected {
		f.mu.Unlock()
		return terminal.ErrNotConnected
	}
	if len(f.calls) > 0 {
		f.violations = append(f.violations, fmt.Sprintf("dial %s over %+v", t.Number, f.calls))
	}
	if f.refuse != "" {
		f.mu.Unlock()
		return &terminal.RefusedError{Command: "dial", Reply: f.refuse}
	}
	f.n++
	remote := f.shown
	if remote == "" {
		remote = "sip:" + t.Number
	}
	c := terminal.Call{ID: strconv.Itoa(f.n), Remote: remote, State: terminal.Dialling}
	f.calls = append(f.calls, fakeCall{Call: c, byBox: true})
	onDial := f.onDial
	f.mu.Unlock()
	if onDial != nil {
		onDial()
	}
	f.send(c)
	return nil
}

func (f *fakeTerminal) HangUp(context.Context) error {
	f.mu.Lock()
	f.hangups++
	if !f.connected {
		f.mu.Unlock()
		return terminal.ErrNotConnected
	}
	var ended []terminal.Call
	for _, c := range f.calls {
		if !c.byBox {
			f.violations = append(f.violations, fmt.Sprintf("hung up %+v, which the box did not place", c.Call))
		}
		c.State, c.Reason = terminal.Ended, "local hangup"
		ended = append(ended, c.Call)
	}
	f.calls = nil
	f.mu.Unlock()
	f.send(ended...)
	return nil
}

func (f *fakeTerminal) Calls(context.Context) ([]terminal.Call, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.connected {
		return nil, terminal.ErrNotConnected
	}
	var out []terminal.Call
	for _, c := range f.calls {
		out = append(out, c.Call)
	}
	return out, nil
}

func (f *fakeTerminal) Health() terminal.Health {
	f.mu.Lock()
	defer f.mu.Unlock()
	return terminal.Health{Name: "poly-1", Kind: "poly", Connected: f.connected}
}

// send passes changes to the room, unless events are being lost.
func (f *fakeTerminal) send(cs ...terminal.Call) {
	f.mu.Lock()
	emit, quiet := f.emit, f.quiet
	f.mu.Unlock()
	if emit == nil || quiet {
		return
	}
	for _, c := range cs {
		emit(terminal.Event{Call: c})
	}
}

// change sets the state of the first call the test's pick selects, and
// drops it from the terminal when final; false if none.
func (f *fakeTerminal) change(pick func(fakeCall) bool, s terminal.State, reason string) bool {
	f.mu.Lock()
	i := slices.IndexFunc(f.calls, pick)
	if i < 0 {
		f.mu.Unlock()
		return false
	}
	c := f.calls[i].Call
	c.State, c.Reason = s, reason
	if s.Final() {
		f.calls = slices.Delete(f.calls, i, i+1)
	} else {
		f.calls[i].Call = c
	}
	f.mu.Unlock()
	f.send(c)
	return true
}

func boxDialling(c fakeCall) bool    { return c.byBox && c.State == terminal.Dialling }
func boxConnected(c fakeCall) bool   { return c.byBox && c.State == terminal.Connected }
func notByBox(c fakeCall) bool       { return !c.byBox }
func (f *fakeTerminal) answer() bool { return f.change(boxDialling, terminal.Connected, "") }
func (f *fakeTerminal) reject(why string) bool {
	return f.change(boxDialling, terminal.Failed, why)
}
func (f *fakeTerminal) drop(why string) bool { return f.change(boxConnected, terminal.Ended, why) }

// handDial is someone dialling at the terminal's remote.
func (f *fakeTerminal) handDial(remote string) {
	f.mu.Lock()
	f.n++
	c := terminal.Call{ID: strconv.Itoa(f.n), Remote: remote, State: terminal.Connected}
	f.calls = append(f.calls, fakeCall{Call: c})
	f.mu.Unlock()
	f.send(c)
}

func (f *fakeTerminal) handHangUp() bool { return f.change(notByBox, terminal.Ended, "") }

func (f *fakeTerminal) plug(up bool) {
	f.mu.Lock()
	f.connected = up
	f.mu.Unlock()
}

// reboot loses every call.
func (f *fakeTerminal) reboot() {
	f.mu.Lock()
	f.calls = nil
	f.mu.Unlock()
}

func (f *fakeTerminal) counts() (wakes, dials, hangups int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.wakes, len(f.dials), f.hangups
}

// keeper is the store's side: it keeps records in order and checks that
// each outbox row is the record's CloudEvent.
type keeper struct {
	t       testing.TB
	mu      sync.Mutex
	records []wire.Call
}

func (k *keeper) Keep(_ context.Context, c wire.Call, ev store.Event) error {
	var env event.Envelope
	if err := json.Unmarshal(ev.Payload, &env); err != nil {
		k.t.Errorf("outbox payload %q: %v", ev.Payload, err)
	}
	var data wire.Call
	if err := json.Unmarshal(env.Data, &data); err != nil || data != c {
		k.t.Errorf("outbox data = %+v (%v), want the record %+v", data, err, c)
	}
	if ev.Type != event.TypeCall || env.Type != event.TypeCall || env.ID != ev.ID || env.Source != "roomgate://site-1/box-1" {
		k.t.Errorf("outbox row %s %s, envelope %s %s %s; want %s, the same id, the box's source", ev.Type, ev.ID, env.Type, env.ID, env.Source, event.TypeCall)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.records = append(k.records, c)
	return nil
}

func (k *keeper) all() []wire.Call {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.records)
}

// settings is the store's settings table, which outlives the agent.
type settings struct {
	mu     sync.Mutex
	values map[string]string
}

func (s *settings) Setting(_ context.Context, key string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.values[key], nil
}

func (s *settings) SetSetting(_ context.Context, key, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.values[key] = value
	return nil
}

// clock is the room's time, moved by the test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// quiet keeps the room's log out of the test output.
var quiet = slog.New(slog.DiscardHandler)

// harness is a room on a fake terminal, clock and store, stepped by hand.
type harness struct {
	t      testing.TB
	clock  *clock
	term   *fakeTerminal
	keep   *keeper
	store  *settings
	room   *Room
	states []wire.CallState
	trace  []string // what a property test did, for its failure message
}

func newHarness(t testing.TB, s *meeting.Schedule, rules Rules) *harness {
	h := &harness{t: t, clock: &clock{t: at("08:00:00")}, term: &fakeTerminal{connected: true}, keep: &keeper{t: t},
		store: &settings{values: map[string]string{}}}
	h.start(s, rules)
	return h
}

// start starts (or restarts) the agent's room on the same terminal.
func (h *harness) start(s *meeting.Schedule, rules Rules) {
	h.room = New(Config{
		Site: "site-1", Room: "room-1", Device: "box-1", Terminal: "poly-1", Rules: rules,
		Keep: h.keep.Keep, Settings: h.store, Now: h.clock.Now, Jitter: func() float64 { return 0 }, Log: quiet,
		OnChange: func(st wire.CallState) { h.states = append(h.states, st) },
	}, h.term)
	h.room.SetSchedule(s)
	h.term.mu.Lock()
	h.term.emit = h.room.Event
	h.term.mu.Unlock()
}

// at moves the clock to hhmmss and lets the room decide.
func (h *harness) at(hhmmss string) {
	h.clock.set(at(hhmmss))
	h.step()
}

func (h *harness) step() {
	h.room.health()
	h.room.step(context.Background())
}

// want checks the records kept since the last call, as state/by/meeting.
func (h *harness) want(records ...string) {
	h.t.Helper()
	got := h.summary()
	if !slices.Equal(got, records) {
		h.t.Fatalf("records = %q, want %q", got, records)
	}
	h.keep.mu.Lock()
	h.keep.records = nil
	h.keep.mu.Unlock()
}

func (h *harness) summary() []string {
	var out []string
	for _, c := range h.keep.all() {
		out = append(out, c.State+"/"+c.By+"/"+c.Meeting)
	}
	return out
}

func (h *harness) last() wire.Call {
	h.t.Helper()
	all := h.keep.all()
	if len(all) == 0 {
		h.t.Fatal("no record kept")
	}
	return all[len(all)-1]
}

// wantDialled checks the box's last dial.
func (h *harness) wantDialled(want terminal.Target) {
	h.t.Helper()
	h.term.mu.Lock()
	defer h.term.mu.Unlock()
	if n := len(h.term.dials); n == 0 || h.term.dials[n-1] != want {
		h.t.Fatalf("dials = %+v, want the last %+v", h.term.dials, want)
	}
}

func (h *harness) noViolations() {
	h.t.Helper()
	h.term.mu.Lock()
	defer h.term.mu.Unlock()
	if len(h.term.violations) > 0 {
		h.t.Fatalf("the box dialled over or hung up a call it did not place: %q\nafter %q\nrecords %q", h.term.violations, h.trace, h.summary())
	}
}
