package calls

import (
	"context"
	"fmt"
	"time"

	"github.com/roomgate/roomgate/agent/meeting"
	"github.com/roomgate/roomgate/agent/wire"
)

// DialNow is a person's "Call now": dial the current meeting's bridge
// (Rules.Current), whether or not it joins by itself. by is
// wire.CallBySecretary or wire.CallByCity. A refusal carries the terminal's
// words (terminal.RefusedError).
func (r *Room) DialNow(ctx context.Context, by string) error {
	return r.DialMeeting(ctx, by, "", nil)
}

// DialMeeting is DialNow for the meeting id ("": the current one) and, if
// bridge is not nil, on that bridge instead of the meeting's (one moved at
// short notice; checked by the caller as a meeting's bridge is). The call
// is held, as DialNow's, until hang_up_after past the meeting's end.
func (r *Room) DialMeeting(ctx context.Context, by, id string, bridge *meeting.Bridge) error {
	if err := checkBy(by); err != nil {
		return err
	}
	r.act.Lock()
	defer r.act.Unlock()
	defer r.notify()
	if err := r.ready(ctx); err != nil {
		return err
	}
	r.mu.Lock()
	inCall := r.mem.Meeting != ""
	r.mu.Unlock()
	if inCall {
		return ErrInCall
	}
	return r.dialChosen(ctx, by, id, bridge)
}

// HangUp is a person's "Hang up": end the box's call, or stop the box
// retrying the meeting's bridge, and do not dial that meeting again by
// schedule (DialNow or Redial still may).
func (r *Room) HangUp(ctx context.Context, by string) error {
	if err := checkBy(by); err != nil {
		return err
	}
	r.act.Lock()
	defer r.act.Unlock()
	defer r.notify()
	if err := r.ready(ctx); err != nil {
		return err
	}
	r.mu.Lock()
	r.mem.Redial, r.mem.RedialBy, r.mem.RedialBridge = "", "", nil
	id := r.mem.Meeting
	if id == "" {
		want := r.cfg.Rules.wanted(r.cfg.Now(), r.sched)
		if want == nil || r.mem.Tries[want.ID].Stopped {
			r.mu.Unlock()
			return ErrNoCall
		}
		id = want.ID
	}
	t := r.mem.Tries[id]
	t.Stopped = true
	r.mem.Tries[id] = t
	r.keepStopped()
	inCall := r.mem.Meeting != ""
	r.mu.Unlock()
	r.log.Info("hang up asked", "by", by, "meeting", id)
	if !inCall {
		return nil
	}
	return r.hangUp(ctx, by)
}

// Redial is a person's "Redial": hang up the box's call and dial its
// meeting again, on the same bridge, once the terminal has ended it. With
// no call up it dials the box's last call again when a person had put it
// on a bridge of their choosing and its meeting is not over; else it is
// DialNow.
func (r *Room) Redial(ctx context.Context, by string) error {
	if err := checkBy(by); err != nil {
		return err
	}
	r.act.Lock()
	defer r.act.Unlock()
	defer r.notify()
	if err := r.ready(ctx); err != nil {
		return err
	}
	r.mu.Lock()
	id := r.mem.Meeting
	var again *meeting.Bridge
	if id != "" {
		r.mem.Redial, r.mem.RedialBy, r.mem.RedialBridge = id, by, r.chosen(id, r.mem.Bridge)
	} else if again = r.chosen(r.last.Meeting, r.last.Bridge); again != nil {
		if m := r.findMeeting(r.last.Meeting); m == nil || !r.cfg.Now().Before(r.cfg.Rules.hangUpAt(m)) {
			again = nil
		}
	}
	last := r.last.Meeting
	r.mu.Unlock()
	if again != nil {
		r.log.Info("redial asked: the last call's bridge again", "by", by, "meeting", last)
		return r.dialChosen(ctx, by, last, again)
	}
	if id == "" {
		return r.dialChosen(ctx, by, "", nil)
	}
	r.log.Info("redial asked", "by", by, "meeting", id)
	defer r.poke()
	return r.hangUp(ctx, by)
}

// chosen is b when a person put meeting id's call on it rather than on the
// meeting's own bridge (a redial goes there again); nil when b is the
// meeting's, or id is "". Called with mu held.
func (r *Room) chosen(id string, b meeting.Bridge) *meeting.Bridge {
	if id == "" || b.Dial == "" {
		return nil
	}
	if m := r.findMeeting(id); m != nil && hasBridge(m) && SameDial(m.Bridge.Dial, b.Dial) {
		return nil
	}
	return &b
}

// ready reads the terminal's calls for a person's command: it must answer,
// and no call the box did not place may be up. Called with act held.
func (r *Room) ready(ctx context.Context) error {
	r.health()
	r.mu.Lock()
	up := r.reachable
	r.mu.Unlock()
	if !up {
		return ErrNotReached
	}
	if err := r.list(ctx); err != nil {
		return fmt.Errorf("calls: read the terminal's calls: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.foreign) > 0 {
		return ErrNotPlaced
	}
	return nil
}

// dialChosen dials for a person the meeting id ("": the current one) on
// bridge (nil: the meeting's). Called with act held.
func (r *Room) dialChosen(ctx context.Context, by, id string, bridge *meeting.Bridge) error {
	r.mu.Lock()
	now := r.cfg.Now()
	var m *meeting.Meeting
	if id == "" {
		m = r.cfg.Rules.Current(now, r.sched)
	} else {
		m = r.findMeeting(id)
	}
	var chosen meeting.Meeting
	var attempt int
	if m != nil {
		chosen, attempt = *m, r.mem.Tries[m.ID].Attempts+1
	}
	r.mu.Unlock()
	switch {
	case m == nil && id == "":
		return ErrNoMeeting
	case m == nil:
		return fmt.Errorf("%w: %q", ErrUnknownMeeting, id)
	case !now.Before(r.cfg.Rules.hangUpAt(m)):
		return fmt.Errorf("%w: %q ended at %s", ErrMeetingOver, id, m.End.Format(time.RFC3339))
	case bridge != nil:
		b := *bridge
		chosen.Bridge = &b
	case !hasBridge(m):
		return fmt.Errorf("%w: %q", ErrNoBridge, m.ID)
	}
	r.log.Info("dial asked", "by", by, "meeting", m.ID, "bridge_given", bridge != nil)
	return r.dial(ctx, &chosen, attempt, by)
}

func checkBy(by string) error {
	if by != wire.CallBySecretary && by != wire.CallByCity {
		return fmt.Errorf("%w, not %q", ErrBy, by)
	}
	return nil
}
