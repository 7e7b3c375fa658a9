package calls

import (
	"strings"
	"time"

	"github.com/roomgate/roomgate/agent/meeting"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/devices/terminal"
)

// Rules are the room's call policy. The wiring maps the config onto them;
// zero durations are not defaults, so start from DefaultRules.
type Rules struct {
	// JoinBefore is how long before a meeting's start the box wakes the
	// terminal and dials the meeting's bridge.
	JoinBefore time.Duration
	// HangUpAfter is how long after a meeting's end the box hangs up its
	// call, unless a meeting due to be dialled by then uses the same bridge.
	HangUpAfter time.Duration
	// RedialOnDrop redials a call of the box's that drops before its
	// meeting ends (after the same backoff as a failed dial).
	RedialOnDrop bool
	// RetryFirst is the wait after a failed dial or a drop; each further
	// failure in a row doubles it, up to RetryMax. The feature's jitter
	// takes up to a fifth off, so that rooms that lost one bridge at the
	// same moment do not call it back in step.
	RetryFirst, RetryMax time.Duration
	// Settle is how long the terminal has to show what the box asked for:
	// a dial not connected by then is hung up and counted as failed, and a
	// hang-up not seen by then is sent again.
	Settle time.Duration
}

// DefaultRules are the defaults: join 2 min before the start, hang
// up 5 min after the end, redial drops, retry from 15 s doubling to 2 min.
func DefaultRules() Rules {
	return Rules{
		JoinBefore:   2 * time.Minute,
		HangUpAfter:  5 * time.Minute,
		RedialOnDrop: true,
		RetryFirst:   15 * time.Second,
		RetryMax:     2 * time.Minute,
		Settle:       90 * time.Second,
	}
}

// Observed is what the terminal shows.
type Observed struct {
	Reachable bool
	// Call is the box's call as the terminal shows it; nil when the box has
	// none up, or its dial has not shown yet.
	Call *terminal.Call
	// Foreign is whether a call the box did not place is up (dialled by
	// hand, or incoming). Hanging up ends every call, so while one is up
	// the box neither dials nor hangs up.
	Foreign bool
	// ClockUnsynced is whether the wall clock has not been synchronised
	// since boot: a box that booted without its network may be hours off,
	// so the schedule is not followed (a person's Redial still is).
	ClockUnsynced bool
}

// Memory is what the feature remembers between decisions.
type Memory struct {
	// Meeting is the meeting the box's call (up, or dialled and not yet
	// shown) serves; "" when the box has no call. Bridge is what it
	// dialled, By who asked for it (a wire.CallBy* value).
	Meeting string
	Bridge  meeting.Bridge
	By      string
	// Dialled is when the box sent the dial (zero for a call adopted after
	// a restart); HangingUp is when it asked the terminal to hang up.
	Dialled, HangingUp time.Time
	// Redial is the meeting a person asked to redial: dialled as soon as
	// the call being hung up for it has ended, by RedialBy, on RedialBridge
	// when the call was on another bridge than the meeting's (nil: its own).
	Redial, RedialBy string
	RedialBridge     *meeting.Bridge
	// Tries is how dialling each meeting went.
	Tries map[string]Tries
}

// Tries is how dialling one meeting went.
type Tries struct {
	Attempts int       // dials sent, the record's attempt number
	Failures int       // failed dials and drops since it last connected
	Last     time.Time // when the last failure or drop happened
	Jitter   float64   // in [0, 1), drawn at the last failure
	Dropped  bool      // its call dropped; with RedialOnDrop off it stays down
	Stopped  bool      // a person hung it up: the schedule does not dial it again
	// Bridge is the bridge a person (By) put the meeting's call on instead
	// of its own; the schedule's retries and redials go there too, as that
	// person's call. nil: the meeting's own.
	Bridge *meeting.Bridge
	By     string
}

// Kind is what the room should do.
type Kind int

// What Decide may ask for.
const (
	Wait   Kind = iota // nothing until Next or the next event
	Dial               // wake the terminal and dial Meeting's bridge
	HangUp             // hang up the box's call
	Carry              // the box's call now serves Meeting, on the same bridge: no command, a record
	GiveUp             // the box's dial did not connect within Settle: count a failure and hang it up
)

var kindNames = [...]string{"wait", "dial", "hang up", "carry", "give up"}

func (k Kind) String() string { return kindNames[k] }

// Action is what Decide decided.
type Action struct {
	Kind    Kind
	Meeting *meeting.Meeting // Dial and Carry: the meeting
	By      string           // Dial: who asked (schedule, or the person who asked to redial)
	Attempt int              // Dial: the how-manyth dial for Meeting
	Why     string           // for the log
	// Next is when to decide again at the latest, even without an event;
	// zero: only on an event.
	Next time.Time
}

// Decide is the room's call policy at now. It is pure: the feature keeps
// observed and memory up to date and carries out the action.
//
// Among meetings that overlap, the one that started first holds the
// terminal (as meeting.Rules.Decide picks the earlier one), so a meeting
// inside another is not dialled. A call a person asked for through the box
// (secretary or city) is never replaced by the schedule; it is hung up
// like the schedule's own, after its meeting's end.
func (r Rules) Decide(now time.Time, s *meeting.Schedule, o Observed, m Memory) Action {
	if s == nil {
		s = &meeting.Schedule{}
	}
	a := r.decide(now, s, o, m)
	a.Next = earliest(a.Next, r.nextEdge(now, s))
	return a
}

func (r Rules) decide(now time.Time, s *meeting.Schedule, o Observed, m Memory) Action {
	switch {
	case !o.Reachable:
		return Action{Why: "the terminal is not reachable"}
	case o.Foreign:
		return Action{Why: "a call the box did not place is up"}
	case o.ClockUnsynced && m.Redial == "":
		return Action{Why: "the clock is not synchronised yet: the schedule waits for it"}
	case m.Meeting != "":
		return r.keep(now, s, o.Call, m)
	}
	if m.Redial != "" {
		if mt := s.Find(m.Redial); mt != nil && now.Before(r.hangUpAt(mt)) {
			if m.RedialBridge != nil {
				on := *mt
				on.Bridge = m.RedialBridge
				mt = &on
			}
			if hasBridge(mt) {
				return Action{Kind: Dial, Meeting: mt, By: m.RedialBy, Attempt: m.Tries[mt.ID].Attempts + 1, Why: "redial asked"}
			}
		}
	}
	want := r.wanted(now, s)
	if want == nil {
		return Action{Why: "no meeting to join now"}
	}
	t := m.Tries[want.ID]
	switch {
	case t.Stopped:
		return Action{Why: "a person hung up " + want.ID}
	case t.Dropped && !r.RedialOnDrop:
		return Action{Why: "the call dropped and redial is off"}
	case t.Failures > 0:
		// A clock set back past the failure ends the wait rather than
		// stretching it by the jump.
		if due := t.Last.Add(r.Backoff(t.Failures, t.Jitter)); now.Before(due) && !now.Before(t.Last) {
			return Action{Why: "waiting to retry", Next: due}
		}
	}
	if t.Bridge != nil {
		// Where the person put it, and as their call, which the schedule holds.
		on := *want
		on.Bridge = t.Bridge
		return Action{Kind: Dial, Meeting: &on, By: t.By, Attempt: t.Attempts + 1, Why: "again on the bridge a person chose"}
	}
	return Action{Kind: Dial, Meeting: want, By: wire.CallBySchedule, Attempt: t.Attempts + 1, Why: "join time"}
}

// keep decides about the box's call, up or under way.
func (r Rules) keep(now time.Time, s *meeting.Schedule, c *terminal.Call, m Memory) Action {
	if !m.HangingUp.IsZero() {
		if due := m.HangingUp.Add(r.Settle); within(now, m.HangingUp, due) {
			return Action{Why: "hanging up", Next: due}
		}
		return Action{Kind: HangUp, Why: "the terminal has not ended the call"}
	}
	holder, why := r.holder(now, s, m)
	switch {
	case holder == nil:
		return Action{Kind: HangUp, Why: why}
	case holder.ID != m.Meeting:
		return Action{Kind: Carry, Meeting: holder, Why: "the next meeting uses the same bridge"}
	}
	var next time.Time
	if (c == nil || c.State != terminal.Connected) && !m.Dialled.IsZero() {
		next = m.Dialled.Add(r.Settle)
		if !within(now, m.Dialled, next) {
			return Action{Kind: GiveUp, Why: "not connected in time"}
		}
	}
	return Action{Why: "in the meeting", Next: next}
}

// holder is the meeting the box's call serves at now, or nil and why the
// call should end.
func (r Rules) holder(now time.Time, s *meeting.Schedule, m Memory) (*meeting.Meeting, string) {
	manual := m.By != wire.CallBySchedule
	if want := r.wanted(now, s); want != nil && !manual && !SameDial(want.Bridge.Dial, m.Bridge.Dial) {
		return nil, "meeting " + want.ID + " needs the terminal on another bridge"
	}
	// A running meeting on the same bridge keeps the call, whether or not
	// it would have been dialled by itself: the room is already there.
	var run *meeting.Meeting
	for i := range s.Meetings {
		mt := &s.Meetings[i]
		if hasBridge(mt) && SameDial(mt.Bridge.Dial, m.Bridge.Dial) && r.dialWindow(mt, now) && first(mt, run) {
			run = mt
		}
	}
	if run != nil {
		return run, ""
	}
	own := s.Find(m.Meeting)
	switch {
	case own == nil:
		return nil, "the meeting was taken off the schedule"
	case !manual && (!hasBridge(own) || !SameDial(own.Bridge.Dial, m.Bridge.Dial)):
		// A person may have chosen another bridge for the meeting.
		return nil, "the meeting's bridge changed"
	case !now.Before(r.hangUpAt(own)):
		return nil, "hang_up_after has passed since the end"
	case !manual && now.Before(r.joinAt(own)):
		return nil, "the clock is before the join time"
	}
	return own, ""
}

// wanted is the meeting the schedule wants the terminal in at now: among
// the meetings that join by themselves and whose dial window
// [start-JoinBefore, end) holds now, the one that starts first.
func (r Rules) wanted(now time.Time, s *meeting.Schedule) *meeting.Meeting {
	var want *meeting.Meeting
	for i := range s.Meetings {
		mt := &s.Meetings[i]
		if hasBridge(mt) && mt.Bridge.AutoJoin && r.dialWindow(mt, now) && first(mt, want) {
			want = mt
		}
	}
	return want
}

// Current is the meeting a person's Call now dials at now: the running
// meeting with a bridge (dial window), else the one whose check-in is open
// or whose hang-up time has not come, the earliest first. auto_join does
// not matter: a person asked.
func (r Rules) Current(now time.Time, s *meeting.Schedule) *meeting.Meeting {
	if s == nil {
		return nil
	}
	var run, near *meeting.Meeting
	for i := range s.Meetings {
		mt := &s.Meetings[i]
		if !hasBridge(mt) {
			continue
		}
		opens := r.joinAt(mt)
		if mt.CheckInOpens.Before(opens) {
			opens = mt.CheckInOpens
		}
		switch {
		case r.dialWindow(mt, now) && first(mt, run):
			run = mt
		case !now.Before(opens) && now.Before(r.hangUpAt(mt)) && first(mt, near):
			near = mt
		}
	}
	if run != nil {
		return run
	}
	return near
}

// Placed is the box's call as it remembers it across agent restarts (in
// the store), so that after a restart it takes back its own call and only
// that one.
type Placed struct {
	Meeting string `json:"meeting"`
	Bridge  string `json:"bridge"`         // the dial string
	Call    string `json:"call,omitempty"` // the terminal's id for the call
	By      string `json:"by"`             // who asked for it
	// How it was dialled, so that a Redial after a restart dials a bridge
	// a person chose as they gave it.
	Protocol string `json:"protocol,omitempty"`
	Speed    int    `json:"speed,omitempty"`
}

// Matches reports whether c, found up on the terminal, is the call
// remembered: the same id when the terminal gives ids, to the same bridge,
// outgoing. A call someone dialled by hand to the same bridge after the
// box's dropped has another id, and stays theirs.
func (p Placed) Matches(c terminal.Call) bool {
	switch {
	case p.Meeting == "" || c.Incoming || c.State.Final() || !SameDial(c.Remote, p.Bridge):
		return false
	case p.Call != "" || c.ID != "":
		return p.Call == c.ID
	}
	return true
}

// Backoff is the wait after the nth failure in a row (n ≥ 1), with jitter
// in [0, 1) taking up to a fifth off.
func (r Rules) Backoff(n int, jitter float64) time.Duration {
	d := r.RetryFirst
	for i := 1; i < n && d < r.RetryMax; i++ {
		d *= 2
	}
	d = min(d, r.RetryMax)
	return d - time.Duration(float64(d)*jitter/5)
}

// nextEdge is the first time after now at which a meeting's windows open
// or close.
func (r Rules) nextEdge(now time.Time, s *meeting.Schedule) time.Time {
	var next time.Time
	for i := range s.Meetings {
		mt := &s.Meetings[i]
		if !hasBridge(mt) {
			continue
		}
		for _, t := range [...]time.Time{r.joinAt(mt), mt.End, r.hangUpAt(mt)} {
			if t.After(now) {
				next = earliest(next, t)
			}
		}
	}
	return next
}

func (r Rules) joinAt(m *meeting.Meeting) time.Time   { return m.Start.Add(-r.JoinBefore) }
func (r Rules) hangUpAt(m *meeting.Meeting) time.Time { return m.End.Add(r.HangUpAfter) }

// dialWindow reports whether now is in [start-JoinBefore, end).
func (r Rules) dialWindow(m *meeting.Meeting, now time.Time) bool {
	return !now.Before(r.joinAt(m)) && now.Before(m.End)
}

func hasBridge(m *meeting.Meeting) bool { return m.Bridge != nil && m.Bridge.Dial != "" }

// first reports whether m starts before best (ties: the smaller id), or
// best is nil.
func first(m, best *meeting.Meeting) bool {
	if best == nil {
		return true
	}
	if c := m.Start.Compare(best.Start); c != 0 {
		return c < 0
	}
	return m.ID < best.ID
}

// within reports whether now is in [from, to): a clock set back before
// from ends a wait instead of stretching it.
func within(now, from, to time.Time) bool { return !now.Before(from) && now.Before(to) }

// earliest is the earlier of two times, zero meaning none.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// SameDial reports whether two dial strings name the same far end, as a
// terminal may report a dialled string: case, a URI scheme and a domain the
// terminal added ("1234" dialled, "sip:1234@bridge" shown) do not count.
func SameDial(a, b string) bool {
	a, b = normDial(a), normDial(b)
	if a == "" || b == "" {
		return false
	}
	if a == b {
		return true
	}
	ua, _, hasA := strings.Cut(a, "@")
	ub, _, hasB := strings.Cut(b, "@")
	return hasA != hasB && ua == ub
}

func normDial(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, scheme := range [...]string{"sip:", "sips:", "h323:", "tel:"} {
		if rest, ok := strings.CutPrefix(s, scheme); ok {
			return rest
		}
	}
	return s
}
