package calls

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/roomgate/roomgate/agent/event"
	"github.com/roomgate/roomgate/agent/meeting"
	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/devices/terminal"
)

// Terminal is the part of a terminal driver (devices/terminal) the room
// drives.
type Terminal interface {
	// Run keeps the terminal connected and passes call changes to emit
	// until ctx is done.
	Run(ctx context.Context, emit func(terminal.Event)) error
	Wake(ctx context.Context) error
	Dial(ctx context.Context, t terminal.Target) error
	HangUp(ctx context.Context) error
	Calls(ctx context.Context) ([]terminal.Call, error)
	Health() terminal.Health
}

// Settings keeps values across agent restarts; *store.Store implements it.
type Settings interface {
	Setting(ctx context.Context, key string) (string, error)
	SetSetting(ctx context.Context, key, value string) error
}

// Config configures a Room.
type Config struct {
	Site, Room, Device string // who the records are from; Room is used when a meeting names none
	Terminal           string // the terminal's name in the config
	Rules              Rules
	// Keep writes a call record and its outbox row in one transaction, as
	// store.AddDoorEvent does for the door.
	Keep func(ctx context.Context, c wire.Call, ev store.Event) error
	// Settings remembers the box's call across restarts (Placed). Without
	// it a call found up when the agent starts is never taken as the box's:
	// not redialled, and not hung up either.
	Settings Settings
	// OnChange, if set, is called with the call state after every change,
	// in order, never two at once. It must not call the Room's commands
	// (DialNow, HangUp, Redial), which tell it of their own changes.
	OnChange func(wire.CallState)
	Now      func() time.Time // time.Now if nil
	Synced   func() bool      // whether the wall clock has synced since boot; always if nil
	Jitter   func() float64   // in [0, 1); rand.Float64 if nil
	Log      *slog.Logger     // slog.Default() if nil
	// Poll is how often Run asks the terminal's health and decides again
	// even without an event (which also catches a wall clock that jumped);
	// one second if zero.
	Poll time.Duration
}

// Errors a person's command may get.
var (
	ErrNoMeeting      = errors.New("calls: no meeting with a bridge now")
	ErrUnknownMeeting = errors.New("calls: no such meeting in the box's schedule")
	ErrMeetingOver    = errors.New("calls: the meeting is over")
	ErrNoBridge       = errors.New("calls: the meeting has no bridge; give one")
	ErrNotPlaced      = errors.New("calls: the call on the terminal was not placed by the box")
	ErrInCall         = errors.New("calls: the room is already in a call; hang up or redial")
	ErrNoCall         = errors.New("calls: no call to hang up")
	ErrNotReached     = errors.New("calls: the terminal is not reachable")
	ErrBy             = errors.New("calls: a command comes from the secretary or the city")
)

// Room is the room's bridge call: it dials and hangs up by the schedule and
// at people's request, and records every change.
type Room struct {
	cfg  Config
	term Terminal
	log  *slog.Logger
	kick chan struct{}

	// act is held while deciding and carrying out a decision, so that one
	// command at a time reaches the terminal.
	act     sync.Mutex
	listErr string // the last failure to read the calls, logged once; under act

	mu        sync.Mutex
	sched     *meeting.Schedule
	reachable bool
	listed    bool   // the calls were read since the terminal (re)connected
	fresh     bool   // no call list yet since the agent started: take back the box's call
	placed    string // the Placed last remembered, as kept in Settings
	// stopUntil is when each meeting a person hung up may be forgotten
	// (its hang-up time); stopped is the set last kept in Settings.
	stopUntil map[string]time.Time
	stopped   string
	listing   bool // reconcile is applying a list of the terminal's calls
	// justDialled: the list being read was asked right after the box's
	// dial, so a new call to its bridge in it is the box's.
	justDialled bool
	mem         Memory
	mine        *terminal.Call // the box's call as the terminal last showed it
	since       time.Time      // when mine connected
	hangBy      string         // who asked for the hang-up under way; "" when the box gave up
	foreign     map[string]foreignCall
	state       wire.CallState
	// last is the meeting and bridge of the box's call that ended last,
	// for a Redial with no call up.
	last struct {
		Meeting string
		Bridge  meeting.Bridge
	}

	notifyMu sync.Mutex
	notified wire.CallState
}

type foreignCall struct {
	call  terminal.Call
	since time.Time
}

// New returns a Room driving term; Run starts it.
func New(cfg Config, term Terminal) *Room {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Jitter == nil {
		cfg.Jitter = rand.Float64
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	r := &Room{
		cfg: cfg, term: term, log: cfg.Log.With("component", "calls", "terminal", cfg.Terminal),
		kick: make(chan struct{}, 1), fresh: true, sched: &meeting.Schedule{},
		mem:       Memory{Tries: map[string]Tries{}},
		stopUntil: map[string]time.Time{},
		foreign:   map[string]foreignCall{},
		state:     wire.CallState{Terminal: cfg.Terminal, State: stateIdle},
	}
	r.loadStopped()
	return r
}

// stoppedKey is the setting that remembers the meetings a person hung up,
// so that a restart does not dial them again by schedule.
func (r *Room) stoppedKey() string { return "calls.stopped." + r.cfg.Terminal }

// loadStopped takes back the meetings a person hung up before a restart.
func (r *Room) loadStopped() {
	if r.cfg.Settings == nil {
		return
	}
	v, err := r.cfg.Settings.Setting(context.Background(), r.stoppedKey())
	if err != nil || v == "" {
		if err != nil {
			r.log.Error("cannot read the meetings a person hung up", "err", err)
		}
		return
	}
	var until map[string]time.Time
	if err := json.Unmarshal([]byte(v), &until); err != nil {
		r.log.Error("the meetings a person hung up are unreadable; forgetting them", "err", err)
		return
	}
	r.stopped = v
	for id, u := range until {
		r.stopUntil[id] = u
		t := r.mem.Tries[id]
		t.Stopped = true
		r.mem.Tries[id] = t
	}
}

// keepStopped keeps the meetings a person hung up in Settings when they
// changed. Called with mu held.
func (r *Room) keepStopped() {
	if r.cfg.Settings == nil {
		return
	}
	until := map[string]time.Time{}
	for id, t := range r.mem.Tries {
		if !t.Stopped {
			continue
		}
		if m := r.findMeeting(id); m != nil {
			r.stopUntil[id] = r.cfg.Rules.hangUpAt(m).UTC()
		}
		until[id] = r.stopUntil[id]
	}
	maps.DeleteFunc(r.stopUntil, func(id string, _ time.Time) bool { _, ok := until[id]; return !ok })
	var v string
	if len(until) > 0 {
		b, _ := json.Marshal(until) // keys sorted: the same set is the same text
		v = string(b)
	}
	r.keepSetting(r.stoppedKey(), v, &r.stopped, "the meetings a person hung up")
}

// keepSetting writes v under key unless *last, what was last written,
// holds it already.
func (r *Room) keepSetting(key, v string, last *string, what string) {
	if v == *last {
		return
	}
	if err := r.cfg.Settings.SetSetting(context.Background(), key, v); err != nil {
		r.log.Error("cannot remember "+what, "err", err)
		return
	}
	*last = v
}

// stateIdle is the call state with no call and nothing failed.
const stateIdle = "idle"

// Run drives the terminal until ctx is done: it runs the driver, follows
// its health, and decides on every event, on the next edge of the
// schedule and at least every Poll.
func (r *Room) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.term.Run(ctx, r.Event) }()
	poll := time.NewTicker(r.cfg.Poll)
	defer poll.Stop()
	wake := time.NewTimer(time.Hour)
	defer wake.Stop()
	for {
		r.health()
		if next := r.step(ctx); !next.IsZero() {
			wake.Reset(max(next.Sub(r.cfg.Now()), 0))
		}
		select {
		case <-ctx.Done():
			<-done
			return nil
		case err := <-done:
			if ctx.Err() != nil {
				return nil
			}
			if err == nil {
				err = errors.New("its driver returned")
			}
			return fmt.Errorf("calls: terminal %s stopped: %w", r.cfg.Terminal, err)
		case <-poll.C:
		case <-wake.C:
		case <-r.kick:
		}
	}
}

// SetSchedule replaces the room's meetings (nil: none); the room decides
// again at once. s is not modified and must not be after.
func (r *Room) SetSchedule(s *meeting.Schedule) {
	if s == nil {
		s = &meeting.Schedule{}
	}
	r.mu.Lock()
	r.sched = s
	r.mu.Unlock()
	r.poke()
}

// State is the room's call as the box sees it now.
func (r *Room) State() wire.CallState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state
}

// Event takes a call change from the terminal's driver.
func (r *Room) Event(ev terminal.Event) {
	r.mu.Lock()
	r.apply(ev.Call, r.cfg.Now())
	r.mu.Unlock()
	r.notify()
	r.poke()
}

func (r *Room) poke() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// health follows the driver's link: calls are read again whenever it comes
// back, since anything may have happened while it was away.
func (r *Room) health() {
	up := r.term.Health().Connected
	r.mu.Lock()
	changed := up != r.reachable
	r.reachable, r.state.Reachable = up, up
	if changed {
		r.listed = false
	}
	r.mu.Unlock()
	if changed {
		r.log.Info("terminal reachability changed", "reachable", up)
		r.notify()
	}
}

// step decides once and carries it out; it returns when to decide again.
func (r *Room) step(ctx context.Context) time.Time {
	r.act.Lock()
	defer r.act.Unlock()
	defer r.notify()
	if r.needList() {
		// Once per error: Run tries again every Poll.
		if err := r.list(ctx); err != nil && err.Error() != r.listErr {
			r.listErr = err.Error()
			r.log.Warn("cannot read the terminal's calls", "err", err)
		} else if err == nil {
			r.listErr = ""
		}
	}
	a := r.decide()
	if a.Kind == Dial || a.Kind == HangUp || a.Kind == GiveUp {
		// Act on the terminal as it is, not as events left it: a lost
		// notification must not let the box dial over or hang up a call
		// someone placed by hand.
		if err := r.list(ctx); err != nil && a.Kind != Dial {
			r.log.Warn("not hanging up: cannot read the terminal's calls", "err", err)
			return r.cfg.Now().Add(r.cfg.Rules.RetryFirst)
		}
		a = r.decide()
	}
	r.do(ctx, a)
	return a.Next
}

func (r *Room) needList() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reachable && !r.listed
}

func (r *Room) decide() Action {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.cfg.Now()
	r.prune(now)
	o := r.observed()
	held := ""
	if o.ClockUnsynced {
		held = wire.CallHeldClock
	}
	if held != r.state.Held {
		r.log.Info("the schedule of calls", "held", held)
		r.state.Held = held
	}
	return r.cfg.Rules.Decide(now, r.sched, o, r.mem)
}

// observed is what the policy sees; calls not read since the terminal came
// back count as unreachable.
func (r *Room) observed() Observed {
	return Observed{Reachable: r.reachable && r.listed, Call: r.mine, Foreign: len(r.foreign) > 0,
		ClockUnsynced: r.cfg.Synced != nil && !r.cfg.Synced()}
}

// do carries out an action of the schedule's.
func (r *Room) do(ctx context.Context, a Action) {
	if a.Kind != Wait {
		r.mu.Lock()
		call := r.mem.Meeting
		r.mu.Unlock()
		r.log.Info("call action", "action", a.Kind.String(), "why", a.Why, "meeting", meetingID(a.Meeting), "attempt", a.Attempt, "call", call)
	}
	switch a.Kind {
	case Dial:
		r.dial(ctx, a.Meeting, a.Attempt, a.By)
	case HangUp:
		r.hangUp(ctx, wire.CallBySchedule)
	case GiveUp:
		r.mu.Lock()
		now := r.cfg.Now()
		r.failed(now, r.mem.By, "no connection within "+r.cfg.Rules.Settle.String())
		shown := r.mine != nil
		if !shown {
			r.clearMine()
		}
		r.mu.Unlock()
		if shown {
			r.hangUp(ctx, "")
		}
	case Carry:
		r.mu.Lock()
		r.mem.Meeting, r.mem.Bridge, r.mem.By = a.Meeting.ID, *a.Meeting.Bridge, wire.CallBySchedule
		r.remember()
		if r.mine != nil && r.mine.State == terminal.Connected {
			r.record(wire.Call{Meeting: a.Meeting.ID, State: wire.CallConnected, By: wire.CallBySchedule})
		}
		r.mu.Unlock()
	}
}

// dial records the dial, wakes the terminal and dials; a refusal is kept
// with the terminal's words. Called with act held.
func (r *Room) dial(ctx context.Context, m *meeting.Meeting, attempt int, by string) error {
	r.mu.Lock()
	now := r.cfg.Now()
	r.mem.Meeting, r.mem.Bridge, r.mem.By = m.ID, *m.Bridge, by
	r.mem.Dialled, r.mem.HangingUp = now, time.Time{}
	r.mem.Redial, r.mem.RedialBy, r.mem.RedialBridge = "", "", nil
	t := r.mem.Tries[m.ID]
	t.Attempts, t.Stopped = attempt, false
	if by != wire.CallBySchedule {
		t.Dropped = false
		t.Bridge, t.By = r.chosen(m.ID, *m.Bridge), by
	}
	r.mem.Tries[m.ID] = t
	r.keepStopped()
	r.record(wire.Call{Meeting: m.ID, State: wire.CallDialling, By: by, Attempt: attempt})
	r.mu.Unlock()
	r.notify()

	cctx, cancel := context.WithTimeout(ctx, r.cfg.Rules.Settle)
	defer cancel()
	if err := r.term.Wake(cctx); err != nil {
		// A terminal that is awake may refuse to wake; the dial says more.
		r.log.Warn("wake failed; dialling anyway", "err", err)
	}
	err := r.term.Dial(cctx, terminal.Target{Number: m.Bridge.Dial, Protocol: m.Bridge.Protocol, Speed: m.Bridge.Speed})
	if err == nil {
		// The call that has just appeared is the box's: learn its id now,
		// in case its events are lost and a call to the same bridge is
		// dialled by hand before the next look.
		r.mu.Lock()
		r.justDialled = true
		r.mu.Unlock()
		if err := r.list(ctx); err != nil {
			r.log.Warn("cannot read the terminal's calls after dialling", "err", err)
		}
		r.mu.Lock()
		r.justDialled = false
		r.mu.Unlock()
		return nil
	}
	r.mu.Lock()
	// Unless the terminal already reported the call's end itself.
	if r.mem.Meeting == m.ID && r.mem.Dialled.Equal(now) {
		r.failed(r.cfg.Now(), by, reason(err))
		r.clearMine()
	}
	r.mu.Unlock()
	return fmt.Errorf("calls: dial %s: %w", m.Bridge.Dial, err)
}

// hangUp asks the terminal to end the box's call; by "" is the box giving
// up a dial, which was recorded already. A dial the terminal never showed
// is only forgotten: there is nothing of the box's to hang up. Called with
// act held.
func (r *Room) hangUp(ctx context.Context, by string) error {
	r.mu.Lock()
	if r.mine == nil {
		if by != "" {
			r.record(wire.Call{Meeting: r.mem.Meeting, State: wire.CallEnded, By: by})
		}
		r.clearMine()
		r.mu.Unlock()
		return nil
	}
	r.mem.HangingUp, r.hangBy = r.cfg.Now(), by
	r.mu.Unlock()
	cctx, cancel := context.WithTimeout(ctx, r.cfg.Rules.Settle)
	defer cancel()
	if err := r.term.HangUp(cctx); err != nil {
		r.log.Warn("hang-up failed; trying again later", "err", err)
		return fmt.Errorf("calls: hang up: %w", err)
	}
	return nil
}

// reason is a failed dial's reason: the terminal's own words when it
// refused.
func reason(err error) string {
	if re, ok := errors.AsType[*terminal.RefusedError](err); ok {
		return re.Reply
	}
	return err.Error()
}

// list reads the terminal's calls and reconciles them. Called with act held.
func (r *Room) list(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, r.cfg.Rules.Settle)
	defer cancel()
	calls, err := r.term.Calls(cctx)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fresh {
		r.takeBack(ctx, calls)
	}
	r.reconcile(calls, r.cfg.Now())
	return nil
}

// placedKey is the setting that remembers the box's call.
func (r *Room) placedKey() string { return "calls.placed." + r.cfg.Terminal }

// takeBack makes the call the box remembers placing its own again, if the
// terminal still has it. Called with mu held.
func (r *Room) takeBack(ctx context.Context, calls []terminal.Call) {
	if r.cfg.Settings == nil || r.mem.Meeting != "" {
		return
	}
	v, err := r.cfg.Settings.Setting(ctx, r.placedKey())
	if err != nil || v == "" {
		if err != nil {
			r.log.Error("cannot read the call the box placed", "err", err)
		}
		return
	}
	r.placed = v
	var p Placed
	if err := json.Unmarshal([]byte(v), &p); err != nil {
		r.log.Error("the call the box placed is unreadable; forgetting it", "err", err)
		return
	}
	for _, c := range calls {
		if p.Matches(c) {
			r.log.Info("found the box's call up; taking it back", "meeting", p.Meeting, "remote", c.Remote)
			r.mem.Meeting, r.mem.By = p.Meeting, p.By
			r.mem.Bridge = meeting.Bridge{Dial: p.Bridge, Protocol: p.Protocol, Speed: p.Speed}
			if m := r.findMeeting(p.Meeting); m != nil && hasBridge(m) && SameDial(m.Bridge.Dial, p.Bridge) {
				r.mem.Bridge = *m.Bridge
			} else if p.By != wire.CallBySchedule {
				t := r.mem.Tries[p.Meeting]
				t.Bridge, t.By = r.chosen(p.Meeting, r.mem.Bridge), p.By
				r.mem.Tries[p.Meeting] = t
			}
			r.applyMine(c, r.cfg.Now())
			return
		}
	}
	// Gone while the agent was down: the city's last record of it says it
	// is up.
	r.record(wire.Call{Meeting: p.Meeting, Bridge: p.Bridge, State: wire.CallDropped, By: wire.CallByTerminal, Reason: "ended while the agent was down"})
	r.remember()
}

// remember keeps the box's call in Settings when it changed. Called with mu
// held.
func (r *Room) remember() {
	if r.cfg.Settings == nil {
		return
	}
	var v string
	if r.mine != nil && r.mem.Meeting != "" {
		b, _ := json.Marshal(Placed{Meeting: r.mem.Meeting, Bridge: r.mem.Bridge.Dial, Call: r.mine.ID, By: r.mem.By,
			Protocol: r.mem.Bridge.Protocol, Speed: r.mem.Bridge.Speed})
		v = string(b)
	}
	r.keepSetting(r.placedKey(), v, &r.placed, "the box's call")
}

// reconcile brings what the room believes in line with the terminal's
// calls now. Called with mu held.
func (r *Room) reconcile(calls []terminal.Call, now time.Time) {
	r.fresh, r.listed = false, true
	r.listing = true
	defer func() { r.listing = false }()
	seen := map[string]bool{}
	for _, c := range calls {
		if c.State.Final() {
			continue
		}
		seen[key(c)] = true
		r.apply(c, now)
	}
	if r.mine != nil && !seen[key(*r.mine)] {
		gone := *r.mine
		gone.State, gone.Reason = terminal.Ended, "gone from the terminal's calls"
		r.apply(gone, now)
	}
	for k, f := range r.foreign {
		if !seen[k] {
			gone := f.call
			gone.State = terminal.Ended
			r.apply(gone, now)
		}
	}
}

// apply takes one call's state. Called with mu held.
func (r *Room) apply(c terminal.Call, now time.Time) {
	_, known := r.foreign[key(c)]
	switch {
	case known:
		r.applyForeign(c, now)
	case r.mine != nil && sameCall(*r.mine, c):
		r.applyMine(c, now)
	case r.mine == nil && r.mem.Meeting != "" && (!r.listing || r.justDialled) && !c.Incoming && (c.Remote == "" || SameDial(c.Remote, r.mem.Bridge.Dial)):
		// The box's dial shows up: in the events that follow the dial, or
		// in the list read right after it; a later list may show a call to
		// the same bridge dialled by hand since.
		r.applyMine(c, now)
	default:
		r.applyForeign(c, now)
	}
}

func (r *Room) applyMine(c terminal.Call, now time.Time) {
	was := terminal.Dialling
	if r.mine != nil {
		was = r.mine.State
	}
	if c.Remote == "" && r.mine != nil {
		c.Remote = r.mine.Remote
	}
	r.mine = &c
	r.remember()
	switch c.State {
	case terminal.Connected:
		if was != terminal.Connected {
			r.since = now
			t := r.mem.Tries[r.mem.Meeting]
			t.Failures, t.Dropped = 0, false
			r.mem.Tries[r.mem.Meeting] = t
			r.record(wire.Call{Meeting: r.mem.Meeting, State: wire.CallConnected, By: r.mem.By})
		}
	case terminal.Failed, terminal.Ended:
		var dur float64
		if was == terminal.Connected {
			dur = now.Sub(r.since).Seconds()
		}
		switch {
		case !r.mem.HangingUp.IsZero() && r.hangBy == "":
			// The box gave the dial up; its failure is recorded.
		case !r.mem.HangingUp.IsZero():
			r.record(wire.Call{Meeting: r.mem.Meeting, State: wire.CallEnded, By: r.hangBy, Duration: dur})
			r.state.State = stateIdle
		case was == terminal.Connected:
			r.record(wire.Call{Meeting: r.mem.Meeting, State: wire.CallDropped, By: wire.CallByTerminal, Reason: c.Reason, Duration: dur})
			r.failure(now, true)
		default:
			r.failed(now, r.mem.By, c.Reason)
		}
		r.clearMine()
	}
}

// applyForeign follows a call the box did not place, and records it, so
// that the city sees a room joined by hand too.
func (r *Room) applyForeign(c terminal.Call, now time.Time) {
	k := key(c)
	f, known := r.foreign[k]
	if !known && c.State.Final() {
		return // the end of a call never seen up (a stale or late event)
	}
	if known && f.call.State == c.State {
		return
	}
	rec := wire.Call{Bridge: c.Remote, State: string(c.State), By: wire.CallByTerminal, Reason: c.Reason}
	if m := r.onBridge(now, c.Remote); m != nil {
		rec.Meeting = m.ID
	}
	switch c.State {
	case terminal.Connected:
		f.since = now
	case terminal.Ended:
		if f.call.State == terminal.Connected {
			rec.Duration = now.Sub(f.since).Seconds()
		}
	}
	f.call = c
	if c.State.Final() {
		delete(r.foreign, k)
	} else {
		r.foreign[k] = f
	}
	r.record(rec)
}

// onBridge is the meeting, between its join and hang-up times, held on the
// bridge a call dials; nil if none.
func (r *Room) onBridge(now time.Time, remote string) *meeting.Meeting {
	for i := range r.sched.Meetings {
		m := &r.sched.Meetings[i]
		if hasBridge(m) && SameDial(m.Bridge.Dial, remote) && within(now, r.cfg.Rules.joinAt(m), r.cfg.Rules.hangUpAt(m)) {
			return m
		}
	}
	return nil
}

// failed records a dial of the box's that did not connect. Called with mu
// held.
func (r *Room) failed(now time.Time, by, why string) {
	t := r.mem.Tries[r.mem.Meeting]
	r.record(wire.Call{Meeting: r.mem.Meeting, State: wire.CallFailed, By: by, Reason: why, Attempt: t.Attempts})
	r.failure(now, false)
}

func (r *Room) failure(now time.Time, dropped bool) {
	t := r.mem.Tries[r.mem.Meeting]
	t.Failures++
	t.Last, t.Jitter = now, r.cfg.Jitter()
	t.Dropped = t.Dropped || dropped
	r.mem.Tries[r.mem.Meeting] = t
}

func (r *Room) clearMine() {
	if r.mem.Meeting != "" {
		r.last.Meeting, r.last.Bridge = r.mem.Meeting, r.mem.Bridge
	}
	r.mine = nil
	r.mem.Meeting, r.mem.Bridge, r.mem.By = "", meeting.Bridge{}, ""
	r.mem.Dialled, r.mem.HangingUp, r.hangBy = time.Time{}, time.Time{}, ""
	r.remember()
}

// prune forgets the tries of meetings that are over or gone, and a failure
// shown for one. Called with mu held.
func (r *Room) prune(now time.Time) {
	for id, t := range r.mem.Tries {
		m := r.findMeeting(id)
		// A meeting a person hung up is kept until its hang-up time even
		// while the schedule lacks it, as it may just after a restart.
		keep := m != nil && now.Before(r.cfg.Rules.hangUpAt(m)) || m == nil && t.Stopped && now.Before(r.stopUntil[id])
		if !keep {
			delete(r.mem.Tries, id)
		}
	}
	r.keepStopped()
	if st := r.state.State; (st == wire.CallFailed || st == wire.CallDropped) && r.mem.Meeting == "" && r.mem.Tries[r.state.Meeting].Failures == 0 {
		r.state.State, r.state.Since = stateIdle, now
	}
}

func (r *Room) findMeeting(id string) *meeting.Meeting { return r.sched.Find(id) }

// record keeps one change of the room's call and updates its state. Called
// with mu held: records are kept in the order the changes happened.
func (r *Room) record(c wire.Call) {
	now := r.cfg.Now()
	c.Site, c.Device, c.Terminal, c.At = r.cfg.Site, r.cfg.Device, r.cfg.Terminal, now.UTC()
	c.Room = r.cfg.Room
	// The box's call is on the bridge it dialled, which a person may have
	// chosen over the meeting's.
	if c.Bridge == "" && c.Meeting == r.mem.Meeting && r.mem.Bridge.Dial != "" {
		c.Bridge, c.Protocol = r.mem.Bridge.Dial, r.mem.Bridge.Protocol
	}
	if m := r.findMeeting(c.Meeting); m != nil {
		if m.Room != "" {
			c.Room = m.Room
		}
		if c.Bridge == "" && m.Bridge != nil {
			c.Bridge, c.Protocol = m.Bridge.Dial, m.Bridge.Protocol
		}
	}
	env, payload, err := event.New(event.Source(r.cfg.Site, r.cfg.Device), event.TypeCall, now, c)
	if err == nil {
		err = r.cfg.Keep(context.Background(), c, store.Event{ID: env.ID, Type: env.Type, Time: env.Time, Payload: payload})
	}
	if err != nil {
		r.log.Error("call record not kept", "meeting", c.Meeting, "state", c.State, "err", err)
	} else {
		r.log.Info("call record kept", "id", env.ID, "meeting", c.Meeting, "state", c.State, "by", c.By, "reason", c.Reason)
	}
	st := &r.state
	st.State, st.Meeting, st.Bridge, st.Since = c.State, c.Meeting, c.Bridge, now
	st.ByBox = c.By != wire.CallByTerminal
	switch c.State {
	case wire.CallFailed, wire.CallDropped:
		st.Reason = c.Reason
	case wire.CallConnected:
		st.Reason = ""
	case wire.CallEnded:
		st.State = stateIdle
	}
}

// notify tells OnChange the state, if it changed since it was last told.
func (r *Room) notify() {
	if r.cfg.OnChange == nil {
		return
	}
	r.notifyMu.Lock()
	defer r.notifyMu.Unlock()
	st := r.State()
	if st == r.notified {
		return
	}
	r.notified = st
	r.cfg.OnChange(st)
}

// key names a call: the terminal's id, else what it dials.
func key(c terminal.Call) string {
	if c.ID != "" {
		return "id:" + c.ID
	}
	return "remote:" + normDial(c.Remote)
}

func sameCall(a, b terminal.Call) bool {
	if a.ID != "" && b.ID != "" {
		return a.ID == b.ID
	}
	return a.Remote == "" || b.Remote == "" || SameDial(a.Remote, b.Remote)
}

func meetingID(m *meeting.Meeting) string {
	if m == nil {
		return ""
	}
	return m.ID
}
