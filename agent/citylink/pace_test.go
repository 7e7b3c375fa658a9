package citylink

import (
	"context"
	"slices"
	"testing"
	"time"
)

func TestPaceTimeoutFollowsRoundTrip(t *testing.T) {
	p := newPace(3*time.Second, time.Millisecond, 10*time.Second, 16)
	if got := p.timeout(); got != 3*time.Second {
		t.Fatalf("first timeout = %v, want the configured 3s", got)
	}
	// RFC 6298: the first sample R gives SRTT R and RTTVAR R/2; then
	// RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R|, SRTT = 7/8 SRTT + 1/8 R.
	steps := []struct {
		rtt     time.Duration
		sampled bool
		want    time.Duration
	}{
		{100 * time.Millisecond, true, 300 * time.Millisecond},    // 100 + 4×50
		{200 * time.Millisecond, true, 362500 * time.Microsecond}, // 112.5 + 4×62.5
		{5 * time.Second, false, 362500 * time.Microsecond},       // a resent message's ack is no sample
	}
	for i, s := range steps {
		p.acked(s.rtt, s.sampled)
		if got := p.timeout(); got != s.want {
			t.Errorf("after ack %d (%v, sampled %v) timeout = %v, want %v", i, s.rtt, s.sampled, got, s.want)
		}
	}
	for i, want := range []time.Duration{725 * time.Millisecond, 1450 * time.Millisecond, 2900 * time.Millisecond, 5800 * time.Millisecond, 10 * time.Second, 10 * time.Second} {
		p.expired()
		if got := p.timeout(); got != want {
			t.Errorf("after timeout %d the timeout = %v, want %v (doubled, at most 10s)", i+1, got, want)
		}
	}
	p.acked(150*time.Millisecond, true)
	if got := p.timeout(); got >= time.Second {
		t.Errorf("a fresh sample after the back-off left the timeout at %v, want it measured again", got)
	}
	for range 100 {
		p.acked(time.Microsecond, true)
	}
	if got := p.timeout(); got != time.Millisecond {
		t.Errorf("acks in 1µs brought the timeout to %v, want its floor 1ms", got)
	}
	if got := newPace(time.Hour, time.Second, time.Minute, 4).timeout(); got != time.Minute {
		t.Errorf("a first timeout of 1h with a ceiling of 1m = %v, want 1m", got)
	}
}

func TestPaceWindow(t *testing.T) {
	p := newPace(time.Second, time.Second, time.Minute, 16)
	limits := func(acks int) []int {
		var out []int
		for range acks {
			p.acked(time.Second, true)
			out = append(out, p.limit())
		}
		return out
	}
	if got := p.limit(); got != initialWindow {
		t.Fatalf("a new session's window = %d, want %d", got, initialWindow)
	}
	// Slow start: one more per ack, so it doubles each round trip, up to
	// the configured window.
	if got, want := limits(14), []int{5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 16, 16}; !slices.Equal(got, want) {
		t.Errorf("window after each ack from 4 = %v, want %v", got, want)
	}
	p.lost()
	if got := p.limit(); got != 8 {
		t.Errorf("after a loss the window = %d, want 16 halved", got)
	}
	// Past the threshold it grows by one a round trip: a window's worth of
	// acks.
	if got := limits(9)[8]; got != 9 {
		t.Errorf("9 acks after the loss left the window at %d, want 9", got)
	}
	p.expired()
	if got := p.limit(); got != 1 {
		t.Errorf("after a timeout the window = %d, want 1", got)
	}
	if got, want := limits(5), []int{2, 3, 4, 5, 5}; !slices.Equal(got, want) {
		t.Errorf("window after each ack from 1 = %v, want %v (doubling up to half the window at the timeout, 4.5)", got, want)
	}
	// An ack that took longer than the timeout that fired shows the timeout
	// was early: the window comes back.
	before := p.limit()
	p.expired()
	p.expired()
	p.acked(time.Hour, true)
	if got := p.limit(); got != before {
		t.Errorf("after two early timeouts and a late ack the window = %d, want %d as before them", got, before)
	}
	p.expired()
	p.acked(time.Millisecond, true)
	if got := p.limit(); got != 2 {
		t.Errorf("after a timeout and a quick ack the window = %d, want 2", got)
	}
	for range 20 {
		p.lost()
	}
	if got := p.limit(); got != 1 {
		t.Errorf("after many losses the window = %d, want 1", got)
	}
	if got := newPace(time.Second, time.Second, time.Minute, 2).limit(); got != 2 {
		t.Errorf("the first window with Settings.Window 2 = %d, want 2", got)
	}
}

// A city that acks every message a minute after it was sent, twice the
// first timeout, is sent one probe and then waited for; the old fixed
// timeout resent every message.
func TestSlowCityIsWaitedFor(t *testing.T) {
	ob := &memOutbox{}
	ob.add(t, 400, 10)
	l, s, pub := newTestLink(t, Settings{BatchEvents: 10}, ob, nil)
	clock := useFakeClock(l)
	ctx := context.Background()
	type inCity struct {
		ids []string
		at  time.Time
	}
	var queue []inCity
	var messages int
	for range 20 * 60 {
		clock.add(time.Second)
		s.fill()
		for _, ids := range batches(t, pub.take(l.topics.events)) {
			queue = append(queue, inCity{ids, clock.now()})
			messages++
		}
		for len(queue) > 0 && clock.now().Sub(queue[0].at) >= time.Minute {
			if err := l.ackIDs(ctx, queue[0].ids); err != nil {
				t.Fatal(err)
			}
			queue = queue[1:]
		}
		s.resendExpired()
		if len(ob.unacked()) == 0 {
			break
		}
	}
	st := l.Status()
	if n := len(ob.unacked()); n != 0 {
		t.Fatalf("%d events still unacknowledged after 20 simulated minutes; status %+v", n, st)
	}
	if st.Resent > 20 {
		t.Errorf("%d events resent to a city that acks everything after 1m, want at most two probes of 10", st.Resent)
	}
	if st.AckTimeout <= time.Minute {
		t.Errorf("ack timeout after a drain at 1m round trips = %v, want longer than 1m", st.AckTimeout)
	}
	t.Logf("%d messages for 40 batches; %d events resent; window %d, timeout %v", messages, st.Resent, st.Window, st.AckTimeout)
}

// A batch older than the timeout while a later one was acknowledged lost
// its message or its ack: it goes again at once, and the window halves.
func TestLostAckResentWhileLaterAcksArrive(t *testing.T) {
	ob := &memOutbox{}
	ob.add(t, 40, 10)
	l, s, pub := newTestLink(t, Settings{BatchEvents: 10, Window: 8}, ob, nil)
	clock := useFakeClock(l)
	ctx := context.Background()
	s.fill()
	sent := batches(t, pub.take(l.topics.events))
	if len(sent) != initialWindow {
		t.Fatalf("first fill sent %d batches, want %d", len(sent), initialWindow)
	}
	clock.add(time.Second)
	for _, ids := range sent[1:] {
		if err := l.ackIDs(ctx, ids); err != nil {
			t.Fatal(err)
		}
	}
	window := l.Status().Window
	clock.add(3 * time.Second) // within the 5s floor of the timeout
	s.resendExpired()
	if got := pub.take(l.topics.events); len(got) != 0 {
		t.Fatalf("resent %d batches 4s after sending, within the timeout", len(got))
	}
	clock.add(2 * time.Second)
	s.resendExpired()
	again := batches(t, pub.take(l.topics.events))
	if len(again) != 1 || !slices.Equal(again[0], sent[0]) {
		t.Fatalf("after the timeout resent %v, want the first batch %v", again, sent[0])
	}
	if st := l.Status(); st.Window >= window || st.Resent != 10 {
		t.Errorf("after the loss status = %+v, want the window below %d and 10 resent", st, window)
	}
	if err := l.ackIDs(ctx, again[0]); err != nil {
		t.Fatal(err)
	}
	if n := len(ob.unacked()); n != 0 {
		t.Errorf("%d events unacked after the resend's ack", n)
	}
}

// With no ack at all the oldest batch alone goes again, each time after
// twice the wait: a city that is down or swamped gets one probe, not the
// window.
func TestOnlyTheOldestIsProbed(t *testing.T) {
	ob := &memOutbox{}
	ob.add(t, 40, 10)
	l, s, pub := newTestLink(t, Settings{BatchEvents: 10, Window: 8}, ob, nil)
	clock := useFakeClock(l)
	s.fill()
	sent := batches(t, pub.take(l.topics.events))
	clock.add(30 * time.Second)
	s.resendExpired()
	again := batches(t, pub.take(l.topics.events))
	if len(again) != 1 || !slices.Equal(again[0], sent[0]) {
		t.Fatalf("30s without any ack resent %v, want the oldest batch alone", again)
	}
	if st := l.Status(); st.AckTimeout != time.Minute || st.Window != 1 {
		t.Errorf("after the first timeout status = %+v, want a 1m timeout and a window of 1", st)
	}
	clock.add(59 * time.Second)
	s.resendExpired()
	if got := pub.take(l.topics.events); len(got) != 0 {
		t.Errorf("resent %d batches within the doubled timeout", len(got))
	}
	clock.add(time.Second)
	s.resendExpired()
	if got := batches(t, pub.take(l.topics.events)); len(got) != 1 || !slices.Equal(got[0], sent[0]) {
		t.Errorf("after the doubled timeout resent %v, want the oldest again", got)
	}
}
