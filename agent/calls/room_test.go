package calls

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/meeting"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/devices/terminal"
)

// morning is one meeting, 09:00–10:00 on bridge A, in room "Phòng 2".
func morning() *meeting.Schedule {
	m := mtg("am", "09:00:00", "10:00:00", auto(bridgeA))
	m.Room = "Phòng 2"
	return &meeting.Schedule{Version: 1, Meetings: []meeting.Meeting{m}}
}

func TestRoomJoinsOnTimeAndHangsUpAfter(t *testing.T) {
	h := newHarness(t, morning(), DefaultRules())
	h.at("08:57:59")
	if _, dials, _ := h.term.counts(); dials != 0 {
		t.Fatalf("dialled %d times before join_before", dials)
	}
	h.at("08:58:00")
	wakes, dials, _ := h.term.counts()
	if wakes != 1 || dials != 1 || h.term.dials[0] != (terminal.Target{Number: bridgeA, Protocol: "sip"}) {
		t.Fatalf("at join time: %d wakes, dials %+v; want one wake and one dial of %s", wakes, h.term.dials, bridgeA)
	}
	c := h.last()
	want := wire.Call{Site: "site-1", Room: "Phòng 2", Device: "box-1", Meeting: "am", Bridge: bridgeA, Protocol: "sip", Terminal: "poly-1",
		State: wire.CallDialling, By: wire.CallBySchedule, Attempt: 1, At: at("08:58:00").UTC()}
	if c != want {
		t.Fatalf("dialling record = %+v, want %+v", c, want)
	}
	h.want("dialling/schedule/am")
	if st := h.room.State(); st.State != wire.CallDialling || !st.Reachable || st.Meeting != "am" || st.Bridge != bridgeA {
		t.Fatalf("state while dialling = %+v", st)
	}

	h.clock.set(at("08:58:05"))
	h.term.answer()
	h.want("connected/schedule/am")
	if st := h.room.State(); st.State != wire.CallConnected || !st.Since.Equal(at("08:58:05")) {
		t.Fatalf("state once connected = %+v, want connected since 08:58:05", st)
	}
	h.at("09:30:00")
	h.at("10:04:59")
	if _, dials, hangups := h.term.counts(); dials != 1 || hangups != 0 {
		t.Fatalf("during the meeting: %d dials, %d hang-ups; want 1, 0", dials, hangups)
	}
	h.at("10:05:00")
	if _, _, hangups := h.term.counts(); hangups != 1 {
		t.Fatalf("at end+hang_up_after: %d hang-ups, want 1", hangups)
	}
	if c := h.last(); c.State != wire.CallEnded || c.Duration != at("10:05:00").Sub(at("08:58:05")).Seconds() {
		t.Fatalf("ended record = %+v, want the seconds connected", c)
	}
	h.want("ended/schedule/am")
	if st := h.room.State(); st.State != "idle" {
		t.Fatalf("state after the hang-up = %+v, want idle", st)
	}
	if got := h.states[len(h.states)-1]; got != h.room.State() {
		t.Fatalf("OnChange last told %+v, state is %+v", got, h.room.State())
	}
	h.noViolations()
}

func TestRoomRefusedDialKeepsTheTerminalsWordsAndRetries(t *testing.T) {
	h := newHarness(t, morning(), DefaultRules())
	h.term.refuse = "error: call failed: busy"
	h.at("08:58:00")
	if c := h.last(); c.State != wire.CallFailed || c.Reason != "error: call failed: busy" || c.Attempt != 1 {
		t.Fatalf("failed record = %+v, want the terminal's words and attempt 1", c)
	}
	if st := h.room.State(); st.State != wire.CallFailed || st.Reason != "error: call failed: busy" {
		t.Fatalf("state = %+v, want failed with the terminal's words", st)
	}
	h.want("dialling/schedule/am", "failed/schedule/am")
	h.at("08:58:14")
	h.want()
	h.term.refuse = ""
	h.at("08:58:15")
	if c := h.last(); c.Attempt != 2 {
		t.Fatalf("retry record = %+v, want attempt 2", c)
	}
	h.want("dialling/schedule/am")
	h.term.reject("SIP 486 Busy Here")
	if c := h.last(); c.Reason != "SIP 486 Busy Here" {
		t.Fatalf("failed record = %+v, want the terminal's reason", c)
	}
	h.want("failed/schedule/am")
	h.at("08:58:44") // 30 s after the second failure
	h.want()
	h.at("08:58:45")
	h.want("dialling/schedule/am")
}

func TestRoomNeverTouchesAHandDialledCall(t *testing.T) {
	h := newHarness(t, morning(), DefaultRules())
	h.at("08:50:00")
	h.term.handDial("sip:" + bridgeA)
	if c := h.last(); c.By != wire.CallByTerminal || c.State != wire.CallConnected || c.Bridge != "sip:"+bridgeA {
		t.Fatalf("hand call record = %+v, want connected by terminal", c)
	}
	h.want("connected/terminal/")
	for _, hhmm := range []string{"08:58:00", "09:30:00", "10:00:00", "10:05:00", "23:00:00"} {
		h.at(hhmm)
	}
	if _, dials, hangups := h.term.counts(); dials != 0 || hangups != 0 {
		t.Fatalf("with a hand-dialled call up: %d dials, %d hang-ups; want none", dials, hangups)
	}
	h.clock.set(at("09:30:00"))
	for name, cmd := range map[string]func(context.Context, string) error{"DialNow": h.room.DialNow, "HangUp": h.room.HangUp, "Redial": h.room.Redial} {
		if err := cmd(context.Background(), wire.CallBySecretary); !errors.Is(err, ErrNotPlaced) {
			t.Errorf("%s with a hand-dialled call up = %v, want %v", name, err, ErrNotPlaced)
		}
	}
	h.term.handHangUp()
	if c := h.last(); c.State != wire.CallEnded || c.Meeting != "am" || c.Duration != 40*60 {
		t.Fatalf("hand call's end = %+v, want ended for am after 40 min", c)
	}
	h.want("ended/terminal/am")
	h.at("09:30:01")
	h.want("dialling/schedule/am")
	h.noViolations()
}

// A call someone dialled whose notification was lost is still seen: the
// room reads the terminal's calls before it dials.
func TestRoomReadsCallsBeforeDialling(t *testing.T) {
	h := newHarness(t, morning(), DefaultRules())
	h.step()
	h.term.quiet = true
	h.term.handDial("sip:" + bridgeB)
	h.term.quiet = false
	h.at("08:58:00")
	if _, dials, _ := h.term.counts(); dials != 0 {
		t.Fatal("dialled over a call whose event was lost")
	}
	h.want("connected/terminal/")
	h.noViolations()
}

func TestRoomRestartMidMeeting(t *testing.T) {
	// connected is a room in meeting am with the box's call up.
	connected := func(t *testing.T) *harness {
		h := newHarness(t, morning(), DefaultRules())
		h.at("08:58:00")
		h.term.answer()
		h.want("dialling/schedule/am", "connected/schedule/am")
		h.clock.set(at("09:30:00"))
		return h
	}
	noTouch := func(t *testing.T, h *harness, dialsBefore int) {
		t.Helper()
		h.at("09:45:00")
		h.at("10:05:00")
		h.at("12:00:00")
		if _, dials, hangups := h.term.counts(); dials != dialsBefore || hangups != 0 {
			t.Fatalf("%d dials, %d hang-ups; want %d, none", dials, hangups, dialsBefore)
		}
		h.noViolations()
	}
	t.Run("the box's call is taken back, not redialled, and hung up after", func(t *testing.T) {
		h := connected(t)
		h.start(morning(), DefaultRules()) // the agent restarts; the terminal keeps its call
		h.step()
		if _, dials, _ := h.term.counts(); dials != 1 {
			t.Fatalf("after a restart: %d dials, want the first only", dials)
		}
		h.want("connected/schedule/am")
		if st := h.room.State(); st.State != wire.CallConnected || st.Meeting != "am" {
			t.Fatalf("state after the restart = %+v", st)
		}
		h.at("10:05:00")
		if _, _, hangups := h.term.counts(); hangups != 1 {
			t.Fatalf("hang-ups = %d, want the box's call hung up", hangups)
		}
		h.want("ended/schedule/am")
		h.noViolations()
	})
	t.Run("a person's call is taken back as theirs", func(t *testing.T) {
		h := newHarness(t, day(), DefaultRules())
		h.clock.set(at("17:00:00"))
		if err := h.room.DialNow(context.Background(), wire.CallByCity); err != nil {
			t.Fatal(err)
		}
		h.term.answer()
		h.want("dialling/city/byhand", "connected/city/byhand")
		h.start(day(), DefaultRules())
		h.at("17:30:00")
		h.want("connected/city/byhand")
		h.at("18:05:00")
		h.want("ended/schedule/byhand")
	})
	t.Run("a hand-dialled call to the meeting's bridge found at the start is not the box's", func(t *testing.T) {
		h := newHarness(t, morning(), DefaultRules())
		h.term.quiet = true // the agent was down
		h.term.handDial("sip:" + bridgeA)
		h.term.quiet = false
		h.clock.set(at("09:30:00"))
		h.start(morning(), DefaultRules())
		h.step()
		h.want("connected/terminal/am")
		noTouch(t, h, 0)
	})
	t.Run("the box's call dropped while the agent was down and someone dialled the bridge by hand", func(t *testing.T) {
		h := connected(t)
		h.term.quiet = true
		h.term.drop("far end")
		h.term.handDial("sip:" + bridgeA)
		h.term.quiet = false
		h.start(morning(), DefaultRules())
		h.step()
		h.want("dropped/terminal/am", "connected/terminal/am")
		noTouch(t, h, 1)
	})
	t.Run("a call to another bridge is not the box's", func(t *testing.T) {
		h := newHarness(t, morning(), DefaultRules())
		h.term.handDial(bridgeB)
		h.clock.set(at("09:30:00"))
		h.start(morning(), DefaultRules())
		h.step()
		// Seen up by the first agent, then found up by the second.
		h.want("connected/terminal/", "connected/terminal/")
		noTouch(t, h, 0)
	})
	t.Run("the box's call ended while the agent was down", func(t *testing.T) {
		h := connected(t)
		h.term.quiet = true
		h.term.drop("far end")
		h.term.quiet = false
		h.clock.set(at("10:02:00")) // after the end: nothing to dial
		h.start(morning(), DefaultRules())
		h.step()
		if c := h.last(); c.Reason != "ended while the agent was down" || c.Bridge != bridgeA {
			t.Fatalf("record = %+v", c)
		}
		h.want("dropped/terminal/am")
		if v, _ := h.store.Setting(context.Background(), "calls.placed.poly-1"); v != "" {
			t.Fatalf("remembered %s after the call ended, want nothing", v)
		}
	})
}

func TestRoomTerminalUnpluggedAtTheStart(t *testing.T) {
	h := newHarness(t, morning(), DefaultRules())
	h.term.plug(false)
	h.at("08:58:00")
	h.at("09:00:00")
	if _, dials, _ := h.term.counts(); dials != 0 {
		t.Fatalf("dialled %d times while unplugged", dials)
	}
	if st := h.room.State(); st.Reachable {
		t.Fatalf("state while unplugged = %+v, want unreachable", st)
	}
	h.term.plug(true)
	h.at("09:20:00")
	h.want("dialling/schedule/am")
}

func TestRoomDrop(t *testing.T) {
	connected := func(t *testing.T, r Rules) *harness {
		h := newHarness(t, morning(), r)
		h.at("08:58:00")
		h.term.answer()
		h.want("dialling/schedule/am", "connected/schedule/am")
		h.clock.set(at("09:30:00"))
		h.term.drop("network lost")
		c := h.last()
		if c.State != wire.CallDropped || c.By != wire.CallByTerminal || c.Reason != "network lost" || c.Duration != at("09:30:00").Sub(at("08:58:00")).Seconds() {
			t.Fatalf("drop record = %+v", c)
		}
		h.want("dropped/terminal/am")
		return h
	}
	t.Run("redialled after the backoff", func(t *testing.T) {
		h := connected(t, DefaultRules())
		h.at("09:30:14")
		h.want()
		h.at("09:30:15")
		if c := h.last(); c.Attempt != 2 {
			t.Fatalf("redial = %+v, want attempt 2", c)
		}
		h.want("dialling/schedule/am")
	})
	t.Run("redial off", func(t *testing.T) {
		r := DefaultRules()
		r.RedialOnDrop = false
		h := connected(t, r)
		h.at("09:59:59")
		h.want()
		if st := h.room.State(); st.State != wire.CallDropped || st.Reason != "network lost" {
			t.Fatalf("state = %+v, want dropped", st)
		}
		h.at("10:05:00")
		if st := h.room.State(); st.State != "idle" {
			t.Fatalf("state after the meeting = %+v, want idle", st)
		}
	})
	t.Run("the terminal rebooted while unreachable", func(t *testing.T) {
		h := newHarness(t, morning(), DefaultRules())
		h.at("08:58:00")
		h.term.answer()
		h.want("dialling/schedule/am", "connected/schedule/am")
		h.term.plug(false)
		h.at("09:00:00")
		h.term.reboot()
		h.term.plug(true)
		h.at("09:01:00")
		if c := h.last(); c.State != wire.CallDropped || c.Reason != "gone from the terminal's calls" {
			t.Fatalf("after the reboot: %+v, want dropped", c)
		}
		h.want("dropped/terminal/am")
		h.at("09:01:15")
		h.want("dialling/schedule/am")
	})
}

func TestRoomGivesUpADialThatDoesNotConnect(t *testing.T) {
	h := newHarness(t, morning(), DefaultRules())
	h.at("08:58:00")
	h.at("08:59:29")
	h.want("dialling/schedule/am")
	h.at("08:59:30")
	if _, _, hangups := h.term.counts(); hangups != 1 {
		t.Fatalf("hang-ups = %d, want the ringing call hung up", hangups)
	}
	if c := h.last(); c.State != wire.CallFailed || c.Reason != "no connection within 1m30s" {
		t.Fatalf("record = %+v", c)
	}
	h.want("failed/schedule/am") // and no "ended" for the call given up
	h.at("08:59:45")
	h.want("dialling/schedule/am")
	h.noViolations()
}

func TestRoomBackToBackMeetings(t *testing.T) {
	t.Run("same bridge: carried, not hung up or redialled", func(t *testing.T) {
		h := newHarness(t, day(), DefaultRules())
		h.at("08:58:00")
		h.term.answer()
		h.want("dialling/schedule/am", "connected/schedule/am")
		h.at("10:00:00")
		h.at("10:05:00")
		h.at("11:04:59")
		h.want("connected/schedule/am2")
		if _, dials, hangups := h.term.counts(); dials != 1 || hangups != 0 {
			t.Fatalf("%d dials, %d hang-ups; want 1, 0", dials, hangups)
		}
		h.at("11:05:00")
		h.want("ended/schedule/am2")
	})
	t.Run("another bridge: hang up, then dial the next", func(t *testing.T) {
		h := newHarness(t, day(), DefaultRules())
		h.at("13:58:00")
		h.term.answer()
		h.want("dialling/schedule/pm", "connected/schedule/pm")
		h.at("15:00:00")
		h.want("ended/schedule/pm")
		h.at("15:00:00")
		h.want("dialling/schedule/pm2")
		if got := h.term.dials[len(h.term.dials)-1].Number; got != bridgeC {
			t.Fatalf("dialled %s, want pm2's %s", got, bridgeC)
		}
	})
}

func TestRoomScheduleReplacedMidCall(t *testing.T) {
	h := newHarness(t, morning(), DefaultRules())
	h.at("08:58:00")
	h.term.answer()
	h.want("dialling/schedule/am", "connected/schedule/am")
	moved := morning()
	moved.Meetings[0].Bridge = auto(bridgeB)
	h.room.SetSchedule(moved)
	h.at("09:10:00")
	h.want("ended/schedule/am")
	h.at("09:10:00")
	h.want("dialling/schedule/am")
	h.term.answer()
	h.want("connected/schedule/am")
	h.room.SetSchedule(nil)
	h.at("09:11:00")
	h.want("ended/schedule/am")
}

func TestRoomPeoplesCommands(t *testing.T) {
	ctx := context.Background()
	t.Run("call, hang up, redial", func(t *testing.T) {
		h := newHarness(t, day(), DefaultRules())
		h.clock.set(at("17:00:00")) // byhand: auto_join false
		h.step()
		h.want()
		if err := h.room.DialNow(ctx, wire.CallBySecretary); err != nil {
			t.Fatalf("DialNow: %v", err)
		}
		h.want("dialling/secretary/byhand")
		if err := h.room.DialNow(ctx, wire.CallByCity); !errors.Is(err, ErrInCall) {
			t.Fatalf("DialNow in a call = %v, want %v", err, ErrInCall)
		}
		h.term.answer()
		h.want("connected/secretary/byhand")
		if err := h.room.Redial(ctx, wire.CallByCity); err != nil {
			t.Fatalf("Redial: %v", err)
		}
		h.want("ended/city/byhand")
		h.step()
		if c := h.last(); c.Attempt != 2 {
			t.Fatalf("redial = %+v, want attempt 2", c)
		}
		h.want("dialling/city/byhand")
		h.term.answer()
		h.want("connected/city/byhand")
		if err := h.room.HangUp(ctx, wire.CallBySecretary); err != nil {
			t.Fatalf("HangUp: %v", err)
		}
		h.want("ended/secretary/byhand")
		if err := h.room.HangUp(ctx, wire.CallBySecretary); !errors.Is(err, ErrNoCall) {
			t.Fatalf("HangUp with no call = %v, want %v", err, ErrNoCall)
		}
		h.noViolations()
	})
	t.Run("a person's hang-up is not undone by the schedule", func(t *testing.T) {
		h := newHarness(t, morning(), DefaultRules())
		h.at("08:58:00")
		h.term.answer()
		h.want("dialling/schedule/am", "connected/schedule/am")
		h.clock.set(at("09:10:00"))
		if err := h.room.HangUp(ctx, wire.CallByCity); err != nil {
			t.Fatalf("HangUp: %v", err)
		}
		h.want("ended/city/am")
		h.at("09:30:00")
		h.want()
		if err := h.room.Redial(ctx, wire.CallBySecretary); err != nil {
			t.Fatalf("Redial with no call: %v", err)
		}
		h.want("dialling/secretary/am")
		h.wantDialled(terminal.Target{Number: bridgeA, Protocol: "sip"}) // the meeting's own, as Call now
	})
	t.Run("hang up stops the retries", func(t *testing.T) {
		h := newHarness(t, morning(), DefaultRules())
		h.term.refuse = "busy"
		h.at("08:58:00")
		h.want("dialling/schedule/am", "failed/schedule/am")
		if err := h.room.HangUp(ctx, wire.CallBySecretary); err != nil {
			t.Fatalf("HangUp while retrying: %v", err)
		}
		h.at("09:30:00")
		h.want()
	})
	t.Run("refusals", func(t *testing.T) {
		h := newHarness(t, day(), DefaultRules())
		h.clock.set(at("12:30:00"))
		if err := h.room.DialNow(ctx, wire.CallBySecretary); !errors.Is(err, ErrNoMeeting) {
			t.Errorf("DialNow with no bridge now = %v, want %v", err, ErrNoMeeting)
		}
		if err := h.room.DialNow(ctx, wire.CallBySchedule); !errors.Is(err, ErrBy) {
			t.Errorf("DialNow by schedule = %v, want %v", err, ErrBy)
		}
		h.clock.set(at("09:30:00"))
		h.term.refuse = "error: not registered"
		err := h.room.DialNow(ctx, wire.CallByCity)
		if re, ok := errors.AsType[*terminal.RefusedError](err); !ok || re.Reply != "error: not registered" {
			t.Errorf("DialNow refused = %v, want the terminal's refusal", err)
		}
		h.term.plug(false)
		if err := h.room.DialNow(ctx, wire.CallByCity); !errors.Is(err, ErrNotReached) {
			t.Errorf("DialNow unplugged = %v, want %v", err, ErrNotReached)
		}
	})
}

// Run drives the room by itself: the driver's events, the schedule's
// edges and the terminal's health reach it without a test stepping it.
func TestRoomRun(t *testing.T) {
	dialled := make(chan struct{}, 1)
	term := &fakeTerminal{connected: true, onDial: func() { dialled <- struct{}{} }}
	k := &keeper{t: t}
	states := make(chan wire.CallState, 100)
	r := New(Config{Site: "site-1", Device: "box-1", Terminal: "poly-1", Rules: DefaultRules(), Keep: k.Keep, Log: quiet,
		OnChange: func(st wire.CallState) { states <- st }}, term)
	start := time.Now().Add(DefaultRules().JoinBefore + 50*time.Millisecond)
	r.SetSchedule(&meeting.Schedule{Meetings: []meeting.Meeting{{ID: "now", Start: start, End: start.Add(time.Hour), Bridge: auto(bridgeA)}}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	waitFor := func(what string, ok func(wire.CallState) bool) {
		t.Helper()
		deadline := time.After(10 * time.Second) // a failsafe, not a measure
		for {
			select {
			case st := <-states:
				if ok(st) {
					return
				}
			case <-deadline:
				t.Fatalf("never %s; state %+v", what, r.State())
			}
		}
	}
	select {
	case <-dialled:
	case <-time.After(10 * time.Second): // a failsafe, not a measure
		t.Fatalf("never dialled; state %+v", r.State())
	}
	term.answer()
	waitFor("connected", func(st wire.CallState) bool { return st.State == wire.CallConnected })
	term.plug(false)
	waitFor("unreachable", func(st wire.CallState) bool { return !st.Reachable })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// chosenF is a bridge a person chose over a meeting's own, and onF how the
// terminal is asked to dial it.
var (
	chosenF = meeting.Bridge{Dial: bridgeF, Protocol: "h323", Speed: 768}
	onF     = terminal.Target{Number: bridgeF, Protocol: "h323", Speed: 768}
)

// placedOnF is a room whose call for meeting id a person (by) put on
// chosenF at hhmmss, answered.
func placedOnF(t *testing.T, hhmmss, by, id string) *harness {
	t.Helper()
	h := newHarness(t, day(), DefaultRules())
	h.clock.set(at(hhmmss))
	if err := h.room.DialMeeting(context.Background(), by, id, &chosenF); err != nil {
		t.Fatal(err)
	}
	h.wantDialled(onF)
	h.term.answer()
	h.want("dialling/"+by+"/"+id, "connected/"+by+"/"+id)
	return h
}

// The city names the meeting, and may give a bridge of its own; what it
// cannot have is refused with the reason.
func TestRoomDialMeeting(t *testing.T) {
	ctx := context.Background()
	t.Run("a meeting's bridge, before its join time", func(t *testing.T) {
		h := newHarness(t, day(), DefaultRules())
		h.at("13:30:00")
		if err := h.room.DialMeeting(ctx, wire.CallByCity, "pm", nil); err != nil {
			t.Fatal(err)
		}
		h.term.answer()
		if c := h.last(); c.Bridge != bridgeB {
			t.Fatalf("record = %+v, want pm's bridge", c)
		}
		h.want("dialling/city/pm", "connected/city/pm")
		h.at("13:45:00")
		h.at("15:04:59")
		if _, dials, hangups := h.term.counts(); dials != 1 || hangups != 0 {
			t.Fatalf("%d dials, %d hang-ups; want the city's call kept", dials, hangups)
		}
		h.noViolations()
	})
	t.Run("another bridge, held until the meeting's end", func(t *testing.T) {
		h := newHarness(t, day(), DefaultRules())
		h.at("12:10:00")
		if err := h.room.DialMeeting(ctx, wire.CallByCity, "nobr", &chosenF); err != nil {
			t.Fatal(err)
		}
		h.wantDialled(onF)
		h.term.answer()
		if c := h.last(); c.Bridge != bridgeF || c.Protocol != "h323" {
			t.Fatalf("record = %+v, want the city's bridge", c)
		}
		h.want("dialling/city/nobr", "connected/city/nobr")
		if st := h.room.State(); st.Bridge != bridgeF {
			t.Fatalf("state = %+v, want the city's bridge", st)
		}
		h.at("13:04:59")
		if _, _, hangups := h.term.counts(); hangups != 0 {
			t.Fatal("the city's bridge was hung up as a changed bridge")
		}
		h.at("13:05:00")
		h.want("ended/schedule/nobr")
		h.noViolations()
	})
	// nobr has no bridge of its own; am has A, and am2 after it on A is due
	// at its join time, but a person's call is kept until am's hang-up time.
	for _, c := range []struct{ id, placed, redial, hangUp string }{
		{"nobr", "12:10:00", "12:30:00", "13:05:00"},
		{"am", "08:50:00", "09:30:00", "10:05:00"},
	} {
		t.Run("Redial keeps the bridge a person chose for "+c.id+", held there until the hang-up time", func(t *testing.T) {
			h := placedOnF(t, c.placed, wire.CallByCity, c.id)
			h.at(c.redial)
			h.want()
			if err := h.room.Redial(ctx, wire.CallBySecretary); err != nil {
				t.Fatalf("Redial: %v", err)
			}
			h.want("ended/secretary/" + c.id)
			h.step()
			h.want("dialling/secretary/" + c.id)
			h.wantDialled(onF)
			h.term.answer()
			if r := h.last(); r.State != wire.CallConnected || r.Bridge != bridgeF || r.Protocol != "h323" {
				t.Fatalf("record = %+v, want connected on the chosen bridge", r)
			}
			h.want("connected/secretary/" + c.id)
			h.clock.set(at(c.hangUp).Add(-time.Second))
			h.step()
			h.want()
			h.at(c.hangUp)
			h.want("ended/schedule/" + c.id)
			h.noViolations()
		})
	}
	t.Run("a drop on a chosen bridge is redialled there, not on the meeting's own", func(t *testing.T) {
		h := placedOnF(t, "08:50:00", wire.CallByCity, "am")
		h.clock.set(at("09:30:00"))
		h.term.drop("far end left")
		h.want("dropped/terminal/am")
		h.at("09:30:14")
		h.want()
		h.at("09:30:15")
		h.want("dialling/city/am")
		h.wantDialled(onF)
		h.term.answer()
		h.want("connected/city/am")
		h.at("10:04:59")
		h.want()
		h.noViolations()
	})
	t.Run("after a restart, a drop on a chosen bridge is redialled there as given (protocol, speed)", func(t *testing.T) {
		h := placedOnF(t, "08:50:00", wire.CallBySecretary, "am")
		h.start(day(), DefaultRules())
		h.at("09:00:00")
		h.want("connected/secretary/am") // taken back, said again
		h.term.drop("far end left")
		h.at("09:00:15")
		h.want("dropped/terminal/am", "dialling/secretary/am")
		h.wantDialled(onF)
		h.noViolations()
	})
	t.Run("Redial with no call up redials the chosen bridge of the call that ended", func(t *testing.T) {
		h := placedOnF(t, "12:10:00", wire.CallByCity, "nobr")
		h.term.drop("far end left")
		h.want("dropped/terminal/nobr")
		h.at("12:20:00") // nobr has no bridge of its own: the schedule does not redial it
		h.want()
		if err := h.room.Redial(ctx, wire.CallBySecretary); err != nil {
			t.Fatalf("Redial after the drop: %v", err)
		}
		h.want("dialling/secretary/nobr")
		h.wantDialled(onF)
		h.term.answer()
		if err := h.room.HangUp(ctx, wire.CallBySecretary); err != nil {
			t.Fatal(err)
		}
		h.want("connected/secretary/nobr", "ended/secretary/nobr")
		h.at("13:05:00")
		if err := h.room.Redial(ctx, wire.CallBySecretary); !errors.Is(err, ErrNoMeeting) {
			t.Fatalf("Redial once nobr is over = %v, want %v (nothing to redial)", err, ErrNoMeeting)
		}
		h.noViolations()
	})
	t.Run("refusals", func(t *testing.T) {
		h := newHarness(t, day(), DefaultRules())
		h.at("12:10:00")
		for _, tc := range []struct {
			id   string
			want error
		}{{"gone", ErrUnknownMeeting}, {"nobr", ErrNoBridge}, {"am", ErrMeetingOver}} {
			if err := h.room.DialMeeting(ctx, wire.CallByCity, tc.id, nil); !errors.Is(err, tc.want) {
				t.Errorf("DialMeeting(%q) = %v, want %v", tc.id, err, tc.want)
			}
		}
		h.term.handDial(bridgeB)
		if err := h.room.DialMeeting(ctx, wire.CallByCity, "pm", nil); !errors.Is(err, ErrNotPlaced) {
			t.Errorf("DialMeeting over a hand-dialled call = %v, want %v", err, ErrNotPlaced)
		}
		if _, dials, _ := h.term.counts(); dials != 0 {
			t.Errorf("%d dials, want none", dials)
		}
		h.noViolations()
	})
}

// A person's hang-up is kept in the store: the agent restarting during
// the meeting does not dial it again, even if the schedule comes after the
// restart; once the meeting is over it is forgotten.
func TestRoomHangUpSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	for _, by := range []string{wire.CallBySecretary, wire.CallByCity} {
		t.Run(by, func(t *testing.T) {
			h := newHarness(t, morning(), DefaultRules())
			h.at("08:58:00")
			h.term.answer()
			h.want("dialling/schedule/am", "connected/schedule/am")
			h.clock.set(at("09:10:00"))
			if err := h.room.HangUp(ctx, by); err != nil {
				t.Fatal(err)
			}
			h.want("ended/" + by + "/am")
			h.start(&meeting.Schedule{}, DefaultRules()) // the schedule not loaded yet
			h.at("09:20:00")
			h.room.SetSchedule(morning())
			h.at("09:20:01")
			h.start(morning(), DefaultRules())
			h.at("09:40:00")
			if _, dials, _ := h.term.counts(); dials != 1 {
				t.Fatalf("after restarts: %d dials, want the first only", dials)
			}
			h.want()
			h.at("10:05:00")
			if v := h.store.values["calls.stopped.poly-1"]; v != "" {
				t.Errorf("after the meeting the store still keeps %q", v)
			}
			if err := h.room.DialNow(ctx, by); !errors.Is(err, ErrNoMeeting) {
				t.Errorf("DialNow after the meeting = %v, want %v", err, ErrNoMeeting)
			}
			h.noViolations()
		})
	}
	t.Run("Call now after the hang-up dials again and is forgotten", func(t *testing.T) {
		h := newHarness(t, morning(), DefaultRules())
		h.at("08:58:00")
		if err := h.room.HangUp(ctx, wire.CallBySecretary); err != nil {
			t.Fatal(err)
		}
		h.at("08:59:00")
		if err := h.room.DialNow(ctx, wire.CallBySecretary); err != nil {
			t.Fatal(err)
		}
		h.term.answer()
		h.term.drop("far end left") // redialled by schedule: nobody hangs up now
		h.start(morning(), DefaultRules())
		h.at("09:30:00")
		if _, dials, _ := h.term.counts(); dials != 3 {
			t.Fatalf("%d dials, want the schedule's, the secretary's and the redial after the drop", dials)
		}
	})
}

// While the clock is unsynchronised the schedule is not acted on and the
// state says why, so the kiosk can tell the room; once synced the room
// joins as usual and the hold is lifted.
func TestRoomHeldWhileTheClockIsUnsynced(t *testing.T) {
	h := newHarness(t, morning(), DefaultRules())
	synced := false
	h.room.cfg.Synced = func() bool { return synced }
	h.at("08:58:00")
	if _, dials, _ := h.term.counts(); dials != 0 {
		t.Fatalf("dialled %d times on an unsynced clock", dials)
	}
	if st := h.room.State(); st.Held != wire.CallHeldClock {
		t.Fatalf("state on an unsynced clock = %+v, want held %q", st, wire.CallHeldClock)
	}
	if got := h.states[len(h.states)-1]; got.Held != wire.CallHeldClock {
		t.Fatalf("OnChange was last told %+v, without the hold", got)
	}
	synced = true
	h.at("08:58:01")
	if _, dials, _ := h.term.counts(); dials != 1 {
		t.Fatalf("%d dials once the clock synced, want 1", dials)
	}
	if st := h.room.State(); st.Held != "" || st.State != wire.CallDialling {
		t.Fatalf("state once synced = %+v, want dialling and not held", st)
	}
	h.noViolations()
}
