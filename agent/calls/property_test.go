package calls

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/meeting"
	"github.com/roomgate/roomgate/agent/wire"
)

// play runs a sequence of happenings, two bytes each (what, and a
// parameter), against a room and fails on the first call the box dialled
// over or hung up without having placed it. The fake terminal checks both
// at the moment of the command; a dial while one is under way is a dial
// over it.
func play(t testing.TB, ops []byte) {
	h := newHarness(t, day(), DefaultRules())
	ctx := context.Background()
	by := func(p byte) string { return [...]string{wire.CallBySecretary, wire.CallByCity}[p%2] }
	for i := 0; i+1 < len(ops); i += 2 {
		p := ops[i+1]
		h.trace = append(h.trace, fmt.Sprintf("%s op %d(%d)", h.clock.Now().In(hcm).Format(time.TimeOnly), ops[i]%17, p))
		switch ops[i] % 17 {
		case 0:
			h.clock.set(h.clock.Now().Add(time.Duration(p) * 7 * time.Second))
		case 1:
			h.step()
		case 2:
			h.term.answer()
		case 3:
			h.term.reject("busy")
		case 4:
			h.term.drop("far end left")
		case 5:
			h.term.handDial([...]string{bridgeA, "sip:" + bridgeB, "0912345678", bridgeE}[p%4])
		case 6:
			h.term.handHangUp()
		case 7:
			h.term.plug(p%2 == 0)
		case 8:
			h.term.reboot()
		case 9:
			h.term.mu.Lock()
			h.term.quiet = p%2 == 0
			h.term.mu.Unlock()
		case 10:
			if p < 128 {
				h.room.DialNow(ctx, by(p))
				break
			}
			// The city naming a meeting, perhaps with a bridge of its own.
			id := [...]string{"am", "nobr", "pm", "byhand", "gone"}[int(p>>1)%5]
			bridge := [...]*meeting.Bridge{nil, {Dial: bridgeF}, {Dial: bridgeA, Protocol: "sip"}}[int(p>>4)%3]
			h.room.DialMeeting(ctx, by(p), id, bridge)
		case 11:
			h.room.HangUp(ctx, by(p))
		case 12:
			h.room.Redial(ctx, by(p))
		case 13:
			h.room.SetSchedule(schedules[int(p)%len(schedules)]())
		case 14:
			h.clock.set(at("00:00:00").Add(time.Duration(p) * 6 * time.Minute))
		case 15:
			h.start(schedules[int(p)%len(schedules)](), DefaultRules()) // the agent restarts
		case 16:
			h.term.mu.Lock()
			h.term.refuse = [...]string{"", "error: busy"}[p%2]
			h.term.mu.Unlock()
		}
		h.noViolations()
	}
	h.step()
	h.noViolations()
	for _, c := range h.keep.all() {
		if !slices.Contains([]string{wire.CallDialling, wire.CallConnected, wire.CallFailed, wire.CallDropped, wire.CallEnded}, c.State) ||
			!slices.Contains([]string{wire.CallBySchedule, wire.CallBySecretary, wire.CallByCity, wire.CallByTerminal}, c.By) {
			t.Fatalf("record %+v: unknown state or by", c)
		}
	}
}

// schedules are what the city may replace the schedule with mid-way.
var schedules = []func() *meeting.Schedule{
	day,
	morning,
	func() *meeting.Schedule { return &meeting.Schedule{} },
	func() *meeting.Schedule {
		s := day()
		s.Meetings[0].Bridge = auto(bridgeB)
		s.Meetings[3].Bridge.AutoJoin = false
		return s
	},
}

func TestPropertyNeverTouchesOthersCalls(t *testing.T) {
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 13))
		ops := make([]byte, 400)
		for i := range ops {
			ops[i] = byte(rng.UintN(256))
		}
		t.Run("", func(t *testing.T) { play(t, ops) })
	}
}

func FuzzRoom(f *testing.F) {
	f.Add([]byte{14, 90, 1, 0, 2, 0, 5, 0, 14, 101, 1, 0})       // join, answer, hand call, past the end
	f.Add([]byte{5, 0, 14, 90, 1, 0, 6, 0, 1, 0, 11, 0})         // hand call over the join time
	f.Add([]byte{14, 90, 9, 0, 5, 1, 1, 0, 0, 200, 1, 0})        // a hand call whose event is lost
	f.Add([]byte{14, 90, 1, 0, 2, 0, 15, 0, 0, 250, 1, 0})       // restart mid-call
	f.Add([]byte{14, 90, 16, 1, 1, 0, 0, 3, 1, 0, 12, 0})        // refused, retried, redialled
	f.Add([]byte{14, 90, 1, 0, 7, 1, 8, 0, 7, 0, 1, 0, 4, 0})    // unplugged, rebooted
	f.Add([]byte{14, 198, 9, 48, 5, 55, 15, 48, 15, 48, 12, 48}) // a hand call to the bridge before the agent's first look
	f.Add([]byte("00000000000\xca10+0a0X087a00"))                // the box's failure lost, then the same bridge dialled by hand
	f.Add([]byte{14, 125, 10, 163, 2, 0, 13, 3, 1, 0, 12, 0})    // the city dials nobr on F; the schedule moves; redial
	// am put on F by a person; redialled, dropped, redialled with no call up
	f.Add([]byte{14, 95, 10, 160, 2, 0, 12, 1, 1, 0, 2, 0, 4, 0, 12, 0})
	f.Fuzz(func(t *testing.T, ops []byte) { play(t, ops) })
}
