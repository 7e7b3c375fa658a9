package calls

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/meeting"
)

// BenchmarkScheduleToDial measures how long after a meeting's join time the
// room calls Dial on the terminal, through Run as the agent runs it (timer
// on the schedule's next edge, a look at the terminal's calls, the
// dialling record, wake, dial). The fake terminal answers at once, so this
// is the room's share of the issue's "schedule time → dial command
// written, p99 ≤ 1 s"; a real driver adds its wake and callinfo round
// trips, and the store its transaction. Run with -benchtime=200x.
func BenchmarkScheduleToDial(b *testing.B) {
	var lat []time.Duration
	for b.Loop() {
		dialled := make(chan time.Time, 1)
		term := &fakeTerminal{connected: true, onDial: func() {
			select {
			case dialled <- time.Now():
			default:
			}
		}}
		k := &keeper{t: b}
		r := New(Config{Site: "site-1", Device: "box-1", Terminal: "poly-1", Rules: DefaultRules(), Keep: k.Keep, Log: quiet}, term)
		join := time.Now().Add(20 * time.Millisecond)
		start := join.Add(DefaultRules().JoinBefore)
		r.SetSchedule(&meeting.Schedule{Meetings: []meeting.Meeting{{ID: "m", Start: start, End: start.Add(time.Hour), Bridge: auto(bridgeA)}}})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- r.Run(ctx) }()
		select {
		case at := <-dialled:
			lat = append(lat, at.Sub(join))
		case <-time.After(10 * time.Second):
			b.Fatal("never dialled")
		}
		cancel()
		<-done
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	b.ReportMetric(float64(pct(0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(pct(0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(0, "ns/op") // the loop waits for the schedule, so time per op says nothing
}

// BenchmarkDecide is one decision over a full day's schedule of the limit's
// size (wire.MaxMeetings), which the room makes on every event and tick.
func BenchmarkDecide(b *testing.B) {
	s := &meeting.Schedule{}
	for i := range 1000 {
		start := at("07:00:00").Add(time.Duration(i) * time.Minute)
		s.Meetings = append(s.Meetings, meeting.Meeting{ID: fmt.Sprintf("m%d", i), Start: start, End: start.Add(50 * time.Second), Bridge: auto(bridgeA)})
	}
	r := DefaultRules()
	m := Memory{Tries: map[string]Tries{}}
	now := at("12:00:30")
	for b.Loop() {
		r.Decide(now, s, idle, m)
	}
}
