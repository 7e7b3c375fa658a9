package calls

import (
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/meeting"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/devices/terminal"
)

var hcm = func() *time.Location {
	l, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		panic(err)
	}
	return l
}()

func at(hhmmss string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", "2026-12-02 "+hhmmss, hcm)
	if err != nil {
		panic(err)
	}
	return t
}

// Bridges of the test day.
const (
	bridgeA = "7001@bridge.hcm.gov.vn"
	bridgeB = "7002@bridge.hcm.gov.vn"
	bridgeC = "7003@bridge.hcm.gov.vn"
	bridgeD = "7004@bridge.hcm.gov.vn"
	bridgeE = "7005@bridge.hcm.gov.vn"
	bridgeF = "7006@bridge.hcm.gov.vn"
)

func mtg(id, start, end string, b *meeting.Bridge) meeting.Meeting {
	s := at(start)
	return meeting.Meeting{ID: id, Title: id, Start: s, End: at(end), CheckInOpens: s.Add(-30 * time.Minute), CheckInCloses: at(end), Bridge: b}
}

func auto(dial string) *meeting.Bridge {
	return &meeting.Bridge{Dial: dial, Protocol: "sip", AutoJoin: true}
}

// day is the test room's day (JoinBefore 2 min, HangUpAfter 5 min):
//
//	am      09:00–10:00 A   then am2 10:00–11:00 on the same bridge A
//	nobr    12:00–13:00     no bridge
//	pm      14:00–15:00 B   then pm2 15:00–16:00 on another bridge C
//	byhand  17:00–18:00 D   auto_join false
//	long    19:00–21:00 E   with inner 20:00–20:30 on F inside it
func day() *meeting.Schedule {
	return &meeting.Schedule{Version: 1, Meetings: []meeting.Meeting{
		mtg("am", "09:00:00", "10:00:00", auto(bridgeA)),
		mtg("am2", "10:00:00", "11:00:00", auto(bridgeA)),
		mtg("nobr", "12:00:00", "13:00:00", nil),
		mtg("pm", "14:00:00", "15:00:00", auto(bridgeB)),
		mtg("pm2", "15:00:00", "16:00:00", auto(bridgeC)),
		mtg("byhand", "17:00:00", "18:00:00", &meeting.Bridge{Dial: bridgeD}),
		mtg("long", "19:00:00", "21:00:00", auto(bridgeE)),
		mtg("inner", "20:00:00", "20:30:00", auto(bridgeF)),
	}}
}

var (
	idle = Observed{Reachable: true}
	down = Observed{}
)

func up(state terminal.State) Observed {
	return Observed{Reachable: true, Call: &terminal.Call{ID: "1", Remote: "sip:x", State: state}}
}

// in is the memory of a box's call for meeting id on dial, by the schedule.
func in(id, dial string) Memory {
	return Memory{Meeting: id, Bridge: meeting.Bridge{Dial: dial, AutoJoin: true}, By: wire.CallBySchedule}
}

func tries(id string, t Tries) Memory {
	return Memory{Tries: map[string]Tries{id: t}}
}

type decideCase struct {
	name    string
	s       *meeting.Schedule // day() if nil
	now     string
	o       Observed
	m       Memory
	kind    Kind
	meeting string // Dial, Carry
	attempt int    // Dial
	by      string // Dial; schedule if ""
	bridge  string // Dial: the dial string dialled; the meeting's own if ""
	next    string // "" when not checked
}

func runDecide(t *testing.T, r Rules, cases []decideCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := c.s
			if s == nil {
				s = day()
			}
			a := r.Decide(at(c.now), s, c.o, c.m)
			got := ""
			if a.Meeting != nil {
				got = a.Meeting.ID
			}
			if a.Kind != c.kind || got != c.meeting {
				t.Fatalf("Decide(%s) = %v %q (%s), want %v %q", c.now, a.Kind, got, a.Why, c.kind, c.meeting)
			}
			if c.kind == Dial {
				by := c.by
				if by == "" {
					by = wire.CallBySchedule
				}
				if a.Attempt != c.attempt || a.By != by {
					t.Fatalf("Decide(%s) dials attempt %d by %s, want %d by %s", c.now, a.Attempt, a.By, c.attempt, by)
				}
				bridge := c.bridge
				if bridge == "" {
					bridge = s.Find(c.meeting).Bridge.Dial
				}
				if a.Meeting.Bridge == nil || a.Meeting.Bridge.Dial != bridge {
					t.Fatalf("Decide(%s) dials %+v, want %s", c.now, a.Meeting.Bridge, bridge)
				}
			}
			if c.next != "" && !a.Next.Equal(at(c.next)) {
				t.Fatalf("Decide(%s).Next = %s, want %s", c.now, a.Next.In(hcm).Format(time.TimeOnly), c.next)
			}
		})
	}
}

func TestDecideJoinAndEnd(t *testing.T) {
	runDecide(t, DefaultRules(), []decideCase{
		{name: "a second before join_before", now: "08:57:59", o: idle, kind: Wait, next: "08:58:00"},
		{name: "exactly at join_before", now: "08:58:00", o: idle, kind: Dial, meeting: "am", attempt: 1},
		{name: "the terminal is down at join time", now: "08:58:00", o: down, kind: Wait, next: "09:58:00"},
		{name: "back mid-meeting: dialled then", now: "09:30:00", o: idle, kind: Dial, meeting: "am", attempt: 1},
		{name: "connected, in the meeting", now: "09:30:00", o: up(terminal.Connected), m: in("am", bridgeA), kind: Wait, next: "09:58:00"},
		{name: "a second before the end, no call: still dials", now: "09:59:59", o: idle, kind: Dial, meeting: "am", attempt: 1},
		{name: "at the end the next meeting on the bridge takes the call", now: "10:00:00", o: up(terminal.Connected), m: in("am", bridgeA), kind: Carry, meeting: "am2"},
		{name: "carried: no hang-up at am's end+hang_up_after", now: "10:05:00", o: up(terminal.Connected), m: in("am2", bridgeA), kind: Wait, next: "11:00:00"},
		{name: "at the end with no call: the next one is dialled", now: "10:00:00", o: idle, kind: Dial, meeting: "am2", attempt: 1},
		{name: "after the end, held", now: "11:04:59", o: up(terminal.Connected), m: in("am2", bridgeA), kind: Wait, next: "11:05:00"},
		{name: "exactly at end+hang_up_after", now: "11:05:00", o: up(terminal.Connected), m: in("am2", bridgeA), kind: HangUp},
		{name: "after the end, idle: nothing to dial", now: "11:00:00", o: idle, kind: Wait, next: "11:05:00"},
		{name: "a meeting without a bridge", now: "12:00:00", o: idle, kind: Wait, next: "13:58:00"},
		{name: "auto_join false is not dialled", now: "17:00:00", o: idle, kind: Wait},
	})
}

func TestDecideNextMeetingOnAnotherBridge(t *testing.T) {
	runDecide(t, DefaultRules(), []decideCase{
		{name: "pm2's join time while pm is on: pm keeps the terminal", now: "14:58:00", o: up(terminal.Connected), m: in("pm", bridgeB), kind: Wait, next: "15:00:00"},
		{name: "at pm's end: hang up for pm2", now: "15:00:00", o: up(terminal.Connected), m: in("pm", bridgeB), kind: HangUp},
		{name: "then pm2 is dialled", now: "15:00:00", o: idle, kind: Dial, meeting: "pm2", attempt: 1},
		{name: "pm's call still hanging up: wait", now: "15:00:10", o: up(terminal.Connected), m: Memory{Meeting: "pm", Bridge: meeting.Bridge{Dial: bridgeB}, By: wire.CallBySchedule, HangingUp: at("15:00:00")}, kind: Wait, next: "15:01:30"},
		{name: "pm's hang-up not seen within settle: again", now: "15:01:30", o: up(terminal.Connected), m: Memory{Meeting: "pm", Bridge: meeting.Bridge{Dial: bridgeB}, By: wire.CallBySchedule, HangingUp: at("15:00:00")}, kind: HangUp},
		{name: "pm failed until its end: pm2 is dialled at its start", now: "15:00:00", o: idle, m: tries("pm", Tries{Attempts: 9, Failures: 9, Last: at("14:59:00")}), kind: Dial, meeting: "pm2", attempt: 1},
	})
}

func TestDecideOverlap(t *testing.T) {
	runDecide(t, DefaultRules(), []decideCase{
		{name: "the meeting that started first holds the terminal", now: "20:00:00", o: idle, kind: Dial, meeting: "long", attempt: 1},
		{name: "inner is not dialled over long", now: "20:10:00", o: up(terminal.Connected), m: in("long", bridgeE), kind: Wait},
		{name: "long's call lasts to its own end", now: "21:04:59", o: up(terminal.Connected), m: in("long", bridgeE), kind: Wait, next: "21:05:00"},
		{name: "and is hung up after it", now: "21:05:00", o: up(terminal.Connected), m: in("long", bridgeE), kind: HangUp},
		{name: "a person's call to inner is not replaced by long", now: "20:10:00", o: up(terminal.Connected),
			m: Memory{Meeting: "inner", Bridge: meeting.Bridge{Dial: bridgeF}, By: wire.CallBySecretary}, kind: Wait},
		{name: "a person's call ends after its meeting's end too", now: "20:35:00", o: up(terminal.Connected),
			m: Memory{Meeting: "inner", Bridge: meeting.Bridge{Dial: bridgeF}, By: wire.CallBySecretary}, kind: HangUp},
	})
}

func TestDecideCallNotPlacedByTheBox(t *testing.T) {
	hand := Observed{Reachable: true, Foreign: true}
	runDecide(t, DefaultRules(), []decideCase{
		{name: "not dialled over at join time", now: "08:58:00", o: hand, kind: Wait},
		{name: "not dialled over mid-meeting", now: "09:30:00", o: hand, kind: Wait},
		{name: "not hung up at the end", now: "11:05:00", o: hand, kind: Wait},
		{name: "not hung up long after", now: "23:00:00", o: hand, kind: Wait},
		{name: "not hung up for the next meeting on another bridge", now: "15:00:00", o: hand, kind: Wait},
		{name: "beside the box's own call, which then stays up too", now: "11:05:00",
			o: Observed{Reachable: true, Foreign: true, Call: &terminal.Call{ID: "1", State: terminal.Connected}}, m: in("am2", bridgeA), kind: Wait},
		{name: "once it is gone the meeting is dialled", now: "09:30:00", o: idle, kind: Dial, meeting: "am", attempt: 1},
	})
}

func TestDecideRetries(t *testing.T) {
	failed := func(n int, last string, jitter float64) Memory {
		return tries("am", Tries{Attempts: n, Failures: n, Last: at(last), Jitter: jitter})
	}
	runDecide(t, DefaultRules(), []decideCase{
		{name: "first failure: 15 s", now: "08:58:14", o: idle, m: failed(1, "08:58:00", 0), kind: Wait, next: "08:58:15"},
		{name: "first retry", now: "08:58:15", o: idle, m: failed(1, "08:58:00", 0), kind: Dial, meeting: "am", attempt: 2},
		{name: "second failure: 30 s", now: "08:58:29", o: idle, m: failed(2, "08:58:00", 0), kind: Wait, next: "08:58:30"},
		{name: "third: 60 s", now: "08:58:59", o: idle, m: failed(3, "08:58:00", 0), kind: Wait, next: "08:59:00"},
		{name: "fourth: 2 min", now: "08:59:59", o: idle, m: failed(4, "08:58:00", 0), kind: Wait, next: "09:00:00"},
		{name: "tenth: still 2 min", now: "09:00:00", o: idle, m: failed(10, "08:58:00", 0), kind: Dial, meeting: "am", attempt: 11},
		{name: "jitter takes up to a fifth off", now: "08:58:14", o: idle, m: failed(1, "08:58:00", 0.5), kind: Dial, meeting: "am", attempt: 2},
		{name: "retried until the end", now: "09:59:59", o: idle, m: failed(30, "09:57:00", 0), kind: Dial, meeting: "am", attempt: 31},
		{name: "no retry after the end", s: &meeting.Schedule{Meetings: []meeting.Meeting{mtg("am", "09:00:00", "10:00:00", auto(bridgeA))}},
			now: "10:00:00", o: idle, m: failed(30, "09:59:50", 0), kind: Wait, next: "10:05:00"},
		{name: "the count is per meeting", now: "10:00:00", o: idle, m: failed(30, "09:59:50", 0), kind: Dial, meeting: "am2", attempt: 1},
		{name: "the clock set back before the join time: nothing to retry", now: "08:50:00", o: idle, m: failed(1, "09:10:00", 0), kind: Wait},
		{name: "the clock set back inside the window: retry now", now: "09:05:00", o: idle, m: failed(1, "09:10:00", 0), kind: Dial, meeting: "am", attempt: 2},
	})
}

func TestDecideDrops(t *testing.T) {
	dropped := tries("am", Tries{Attempts: 1, Failures: 1, Last: at("09:30:00"), Dropped: true})
	on, off := DefaultRules(), DefaultRules()
	off.RedialOnDrop = false
	runDecide(t, on, []decideCase{
		{name: "redial on: after the backoff", now: "09:30:14", o: idle, m: dropped, kind: Wait, next: "09:30:15"},
		{name: "redial on: redialled", now: "09:30:15", o: idle, m: dropped, kind: Dial, meeting: "am", attempt: 2},
	})
	runDecide(t, off, []decideCase{
		{name: "redial off: stays down", now: "09:45:00", o: idle, m: dropped, kind: Wait},
		{name: "redial off: the next meeting is dialled", now: "10:00:00", o: idle, m: dropped, kind: Dial, meeting: "am2", attempt: 1},
	})
}

func TestDecideDialUnderWay(t *testing.T) {
	dialled := in("am", bridgeA)
	dialled.Dialled = at("08:58:00")
	runDecide(t, DefaultRules(), []decideCase{
		{name: "not shown yet: no second dial", now: "08:58:01", o: idle, m: dialled, kind: Wait, next: "08:59:30"},
		{name: "ringing: no second dial", now: "08:59:29", o: up(terminal.Dialling), m: dialled, kind: Wait, next: "08:59:30"},
		{name: "not connected within settle", now: "08:59:30", o: up(terminal.Dialling), m: dialled, kind: GiveUp},
		{name: "never shown within settle", now: "08:59:30", o: idle, m: dialled, kind: GiveUp},
		{name: "connected: settle does not apply", now: "09:30:00", o: up(terminal.Connected), m: dialled, kind: Wait, next: "09:58:00"},
		{name: "unreachable while dialling: wait", now: "09:30:00", o: down, m: dialled, kind: Wait},
		{name: "the clock set back before the dial", now: "08:50:00", o: up(terminal.Dialling), m: dialled, kind: HangUp},
	})
}

// A box that booted without its network has a wall clock that may be
// hours off: nothing is dialled or hung up by the schedule until it syncs.
func TestDecideUnsyncedClock(t *testing.T) {
	unsynced := Observed{Reachable: true, ClockUnsynced: true}
	connected := Observed{Reachable: true, ClockUnsynced: true, Call: &terminal.Call{ID: "1", State: terminal.Connected}}
	redial := Memory{Redial: "byhand", RedialBy: wire.CallBySecretary, Tries: map[string]Tries{"byhand": {Attempts: 1}}}
	runDecide(t, DefaultRules(), []decideCase{
		{name: "not dialled at join time", now: "08:58:00", o: unsynced, kind: Wait},
		{name: "not hung up at end+hang_up_after", now: "11:05:00", o: connected, m: in("am2", bridgeA), kind: Wait},
		{name: "a person's redial still goes", now: "17:30:00", o: unsynced, m: redial, kind: Dial, meeting: "byhand", attempt: 2, by: wire.CallBySecretary},
		{name: "synced again: dialled", now: "08:58:00", o: idle, kind: Dial, meeting: "am", attempt: 1},
	})
}

func TestDecidePeopleAsked(t *testing.T) {
	stopped := tries("am", Tries{Attempts: 1, Stopped: true})
	redial := Memory{Redial: "byhand", RedialBy: wire.CallByCity, Tries: map[string]Tries{"byhand": {Attempts: 2}}}
	manual := Memory{Meeting: "byhand", Bridge: meeting.Bridge{Dial: bridgeD}, By: wire.CallBySecretary}
	early := Memory{Meeting: "pm", Bridge: meeting.Bridge{Dial: bridgeB}, By: wire.CallBySecretary}
	runDecide(t, DefaultRules(), []decideCase{
		{name: "hung up by a person: not redialled", now: "09:30:00", o: idle, m: stopped, kind: Wait},
		{name: "but the next meeting is", now: "10:00:00", o: idle, m: stopped, kind: Dial, meeting: "am2", attempt: 1},
		{name: "a redial asked once the call is gone", now: "17:30:00", o: idle, m: redial, kind: Dial, meeting: "byhand", attempt: 3, by: wire.CallByCity},
		{name: "a person's call to an auto_join false meeting is kept", now: "17:59:00", o: up(terminal.Connected), m: manual, kind: Wait},
		{name: "and hung up after it", now: "18:05:00", o: up(terminal.Connected), m: manual, kind: HangUp},
		{name: "a person's call before join time is kept", now: "13:40:00", o: up(terminal.Connected), m: early, kind: Wait},
	})
}

// A call a person put on another bridge than its meeting's is redialled
// there, and the schedule is left as it was.
func TestDecideRedialOnChosenBridge(t *testing.T) {
	chosen := &meeting.Bridge{Dial: bridgeF, Protocol: "h323", Speed: 768}
	redial := func(id string, b *meeting.Bridge) Memory {
		return Memory{Redial: id, RedialBy: wire.CallByCity, RedialBridge: b, Tries: map[string]Tries{id: {Attempts: 1}}}
	}
	s := day()
	runDecide(t, DefaultRules(), []decideCase{
		{name: "a meeting with its own bridge, redialled on the chosen one", s: s, now: "09:30:00", o: idle, m: redial("am", chosen), kind: Dial, meeting: "am", attempt: 2, by: wire.CallByCity, bridge: bridgeF},
		{name: "no bridge chosen: the meeting's own", s: s, now: "09:30:00", o: idle, m: redial("am", nil), kind: Dial, meeting: "am", attempt: 2, by: wire.CallByCity},
		{name: "a meeting without a bridge, on the chosen one", s: s, now: "12:30:00", o: idle, m: redial("nobr", chosen), kind: Dial, meeting: "nobr", attempt: 2, by: wire.CallByCity, bridge: bridgeF},
		{name: "up to hang_up_after past the end", s: s, now: "13:04:59", o: idle, m: redial("nobr", chosen), kind: Dial, meeting: "nobr", attempt: 2, by: wire.CallByCity, bridge: bridgeF},
		{name: "not after it", s: s, now: "13:05:00", o: idle, m: redial("nobr", chosen), kind: Wait},
		{name: "not while the old call is still up", s: s, now: "09:30:00", o: up(terminal.Connected),
			m: Memory{Meeting: "am", Bridge: *chosen, By: wire.CallByCity, HangingUp: at("09:29:59"), Redial: "am", RedialBy: wire.CallByCity, RedialBridge: chosen}, kind: Wait},
	})
	off := DefaultRules()
	off.RedialOnDrop = false
	down := func(id string, dropped bool) Memory {
		return tries(id, Tries{Attempts: 1, Failures: 1, Last: at("09:30:00"), Dropped: dropped, Bridge: chosen, By: wire.CallByCity})
	}
	runDecide(t, DefaultRules(), []decideCase{
		{name: "a drop on the chosen bridge: wait the backoff", s: s, now: "09:30:14", o: idle, m: down("am", true), kind: Wait, next: "09:30:15"},
		{name: "then redialled there, as the person's call", s: s, now: "09:30:15", o: idle, m: down("am", true), kind: Dial, meeting: "am", attempt: 2, by: wire.CallByCity, bridge: bridgeF},
		{name: "a failed dial on the chosen bridge is retried there", s: s, now: "09:30:15", o: idle, m: down("am", false), kind: Dial, meeting: "am", attempt: 2, by: wire.CallByCity, bridge: bridgeF},
		{name: "a meeting that does not join by itself is not redialled", s: s, now: "17:30:15", o: idle, m: down("byhand", true), kind: Wait},
		{name: "nor one without a bridge of its own", s: s, now: "12:30:15", o: idle, m: down("nobr", true), kind: Wait},
		{name: "a person hung it up: not redialled", s: s, now: "09:40:00", o: idle,
			m: tries("am", Tries{Attempts: 1, Stopped: true, Bridge: chosen, By: wire.CallByCity}), kind: Wait},
	})
	runDecide(t, off, []decideCase{
		{name: "redial off: a drop on the chosen bridge stays down", s: s, now: "09:45:00", o: idle, m: down("am", true), kind: Wait},
	})
	if got := s.Find("am").Bridge.Dial; got != bridgeA {
		t.Fatalf("Decide changed the schedule: am's bridge is %s, want %s", got, bridgeA)
	}
	if s.Find("nobr").Bridge != nil {
		t.Fatalf("Decide gave nobr a bridge in the schedule: %+v", s.Find("nobr").Bridge)
	}
}

func TestDecideScheduleReplaced(t *testing.T) {
	moved := day()
	moved.Meetings[0].Bridge = auto(bridgeF)
	removed := day()
	removed.Meetings = removed.Meetings[1:]
	noAuto := day()
	noAuto.Meetings[0].Bridge.AutoJoin = false
	runDecide(t, DefaultRules(), []decideCase{
		{name: "bridge changed mid-call: hang up", s: moved, now: "09:30:00", o: up(terminal.Connected), m: in("am", bridgeA), kind: HangUp},
		{name: "then the new bridge is dialled", s: moved, now: "09:30:00", o: idle, kind: Dial, meeting: "am", attempt: 1},
		{name: "meeting removed mid-call: hang up", s: removed, now: "09:30:00", o: up(terminal.Connected), m: in("am", bridgeA), kind: HangUp},
		{name: "meeting removed while dialling: hang up", s: removed, now: "09:30:00", o: up(terminal.Dialling), m: in("am", bridgeA), kind: HangUp},
		{name: "auto_join turned off mid-call: kept", s: noAuto, now: "09:30:00", o: up(terminal.Connected), m: in("am", bridgeA), kind: Wait},
		{name: "empty schedule: hang up", s: &meeting.Schedule{}, now: "09:30:00", o: up(terminal.Connected), m: in("am", bridgeA), kind: HangUp},
		{name: "nil schedule: nothing to dial", s: nil, now: "09:30:00", o: idle, kind: Dial, meeting: "am", attempt: 1},
	})
	if a := DefaultRules().Decide(at("09:30:00"), nil, idle, Memory{}); a.Kind != Wait {
		t.Fatalf("Decide with no schedule = %v, want wait", a.Kind)
	}
}

func TestDecideClockJumps(t *testing.T) {
	runDecide(t, DefaultRules(), []decideCase{
		{name: "forward past the hang-up time", now: "13:00:00", o: up(terminal.Connected), m: in("am", bridgeA), kind: HangUp},
		{name: "forward into a meeting", now: "14:30:00", o: idle, kind: Dial, meeting: "pm", attempt: 1},
		{name: "back before the join time", now: "07:00:00", o: up(terminal.Connected), m: in("am", bridgeA), kind: HangUp},
		{name: "back to the previous day", now: "09:30:00", s: tomorrow(), o: idle, kind: Wait},
	})
	if a := DefaultRules().Decide(at("09:30:00"), tomorrow(), idle, Memory{}); !a.Next.Equal(at("08:58:00").AddDate(0, 0, 1)) {
		t.Fatalf("a day early: Next = %s, want tomorrow's join time", a.Next)
	}
}

// tomorrow is meeting am a day later, as a clock a day behind sees it.
func tomorrow() *meeting.Schedule {
	return &meeting.Schedule{Meetings: []meeting.Meeting{{ID: "am",
		Start: at("09:00:00").AddDate(0, 0, 1), End: at("10:00:00").AddDate(0, 0, 1), Bridge: auto(bridgeA)}}}
}

// After a restart the box takes back the call it remembers placing, and
// no other.
func TestPlacedMatches(t *testing.T) {
	p := Placed{Meeting: "am", Bridge: bridgeA, Call: "7", By: wire.CallBySchedule}
	noID := Placed{Meeting: "am", Bridge: bridgeA, By: wire.CallBySchedule}
	call := func(id, remote string) terminal.Call {
		return terminal.Call{ID: id, Remote: remote, State: terminal.Connected}
	}
	cases := []struct {
		name string
		p    Placed
		c    terminal.Call
		want bool
	}{
		{"the call remembered", p, call("7", bridgeA), true},
		{"as the terminal shows the bridge", p, call("7", "SIP:7001@Bridge.HCM.gov.vn"), true},
		{"ringing still", p, terminal.Call{ID: "7", Remote: bridgeA, State: terminal.Dialling}, true},
		{"the same bridge dialled by hand since (another id)", p, call("8", bridgeA), false},
		{"the same id to another bridge (a terminal that rebooted)", p, call("7", bridgeB), false},
		{"incoming from the bridge", p, terminal.Call{ID: "7", Remote: bridgeA, State: terminal.Connected, Incoming: true}, false},
		{"over", p, terminal.Call{ID: "7", Remote: bridgeA, State: terminal.Ended}, false},
		{"nothing remembered", Placed{}, call("7", bridgeA), false},
		{"a terminal without ids: the bridge", noID, call("", bridgeA), true},
		{"remembered without an id, shown with one", noID, call("7", bridgeA), false},
	}
	for _, c := range cases {
		if got := c.p.Matches(c.c); got != c.want {
			t.Errorf("%s: %+v.Matches(%+v) = %v, want %v", c.name, c.p, c.c, got, c.want)
		}
	}
}

func TestCurrent(t *testing.T) {
	r := DefaultRules()
	cases := []struct{ now, want string }{
		{"08:29:59", ""},
		{"08:30:00", "am"}, // check-in opens
		{"10:00:00", "am2"},
		{"11:04:59", "am2"},
		{"11:05:00", ""},
		{"12:30:00", ""}, // no bridge
		{"17:30:00", "byhand"},
		{"20:10:00", "long"},
	}
	for _, c := range cases {
		m := r.Current(at(c.now), day())
		got := ""
		if m != nil {
			got = m.ID
		}
		if got != c.want {
			t.Errorf("Current(%s) = %q, want %q", c.now, got, c.want)
		}
	}
	if m := r.Current(at("09:00:00"), nil); m != nil {
		t.Errorf("Current with no schedule = %q, want none", m.ID)
	}
}

func TestBackoff(t *testing.T) {
	r := DefaultRules()
	cases := []struct {
		n      int
		jitter float64
		want   time.Duration
	}{
		{1, 0, 15 * time.Second},
		{2, 0, 30 * time.Second},
		{3, 0, time.Minute},
		{4, 0, 2 * time.Minute},
		{50, 0, 2 * time.Minute},
		{1, 0.5, 13500 * time.Millisecond},
		{50, 0.999, 96024 * time.Millisecond},
	}
	for _, c := range cases {
		if got := r.Backoff(c.n, c.jitter); got != c.want {
			t.Errorf("Backoff(%d, %v) = %v, want %v", c.n, c.jitter, got, c.want)
		}
	}
}

func TestSameDial(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"7001@bridge", "7001@bridge", true},
		{"7001@bridge", "sip:7001@BRIDGE", true},
		{"7001", "h323:7001@bridge", true},
		{"7001@a", "7001@b", false},
		{"7001", "7002", false},
		{"", "", false},
		{" 7001 ", "tel:7001", true},
	}
	for _, c := range cases {
		if got := SameDial(c.a, c.b); got != c.want {
			t.Errorf("SameDial(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
