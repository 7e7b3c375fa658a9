package citylink

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/agent/wire"
)

// newTestLink returns a link over ob with a session publishing to a fake.
func newTestLink(t *testing.T, s Settings, ob Outbox, dl Downlink) (*Link, *session, *fakePublisher) {
	t.Helper()
	s.Broker, s.Device, s.Site = "ssl://127.0.0.1:1", testDevice, testSite
	s.TLS = &tlsConfigForTests
	if s.CityKey == nil {
		s.CityKey = testCity.Key.Public().(ed25519.PublicKey)
	}
	if s.Log == nil {
		s.Log, _ = testLog(t)
	}
	if dl == nil {
		dl = &fakeDownlink{}
	}
	l, err := New(s, ob, dl)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go l.ackLoop(ctx)
	sess := l.newSession(ctx)
	pub := &fakePublisher{}
	sess.client = pub
	l.cur = sess
	go sess.publisher()
	t.Cleanup(func() { close(sess.done) })
	// What a test takes includes everything the current session queued.
	pub.flush = func() { l.cur.publishQueued() }
	return l, sess, pub
}

// batches decodes the events messages published, checking each against
// the contract.
func batches(t *testing.T, msgs []published) [][]string {
	t.Helper()
	var out [][]string
	for _, m := range msgs {
		raw, err := wire.DecodeEvents(m.payload)
		if err != nil {
			t.Fatalf("published events message does not decode: %v", err)
		}
		var ids []string
		for _, r := range raw {
			e, err := wire.DecodeEvent(r, testDevice)
			if err != nil {
				t.Fatalf("published event does not decode: %v", err)
			}
			ids = append(ids, e.ID)
		}
		out = append(out, ids)
	}
	return out
}

func TestBatchesRespectLimitsAndOrder(t *testing.T) {
	for _, tt := range []struct {
		name              string
		batchEvents, size int
		pad               []int
	}{
		{"count bound", 7, 64 << 10, []int{10}},
		{"byte bound", 500, 4000, []int{10, 300, 1000, 50}},
		{"event bigger than a batch", 10, 2000, []int{3000, 10, 10}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ob := &memOutbox{}
			var all []store.OutboxEvent
			for i := range 300 {
				all = append(all, ob.add(t, 1, tt.pad[i%len(tt.pad)])...)
			}
			l, s, pub := newTestLink(t, Settings{BatchEvents: tt.batchEvents, BatchBytes: tt.size, Window: 1000}, ob, nil)
			s.pace.window = 1000 // grown to its ceiling: everything goes at once
			s.fill()
			msgs := pub.take(l.topics.events)
			var got []string
			for i, m := range msgs {
				ids := batches(t, msgs[i:i+1])[0]
				if len(ids) > tt.batchEvents {
					t.Errorf("batch %d has %d events, limit %d", i, len(ids), tt.batchEvents)
				}
				if len(m.payload) > tt.size && len(ids) > 1 {
					t.Errorf("batch %d is %d bytes with %d events, limit %d", i, len(m.payload), len(ids), tt.size)
				}
				if m.retained {
					t.Errorf("batch %d published retained", i)
				}
				got = append(got, ids...)
			}
			var joined [][]byte
			for _, ev := range all[:len(batches(t, msgs[:1])[0])] {
				joined = append(joined, ev.Payload)
			}
			if want := "[" + string(bytes.Join(joined, []byte(","))) + "]"; string(msgs[0].payload) != want {
				t.Errorf("first batch = %.200s, want the stored payloads joined byte for byte: %.200s", msgs[0].payload, want)
			}
			if len(got) != len(all) {
				t.Fatalf("sent %d events, want %d", len(got), len(all))
			}
			for i := range got {
				if got[i] != all[i].ID {
					t.Fatalf("event %d sent is %s, want %s (seq order)", i, got[i], all[i].ID)
				}
			}
			if st := l.Status(); st.Sent != int64(len(all)) || st.InFlight != len(all) || st.Resent != 0 {
				t.Errorf("Status() = %+v, want %d sent and in flight, none resent", st, len(all))
			}
		})
	}
}

func TestWindowAndAcks(t *testing.T) {
	ob := &memOutbox{}
	ob.add(t, 50, 10)
	l, s, pub := newTestLink(t, Settings{BatchEvents: 5, Window: 3}, ob, nil)
	ctx := context.Background()

	s.fill()
	sent := batches(t, pub.take(l.topics.events))
	if len(sent) != 3 {
		t.Fatalf("fill() with window 3 published %d batches, want 3", len(sent))
	}
	if s.ahead == nil || s.ahead[0].Seq != 16 {
		t.Errorf("fill() did not read the next batch ahead: %v", s.ahead)
	}

	// Acking part of a batch forgets those events only and frees no slot.
	if err := l.ackIDs(ctx, sent[0][:2]); err != nil {
		t.Fatal(err)
	}
	s.fill()
	if n := len(pub.take(l.topics.events)); n != 0 {
		t.Errorf("after a partial ack fill() published %d batches, want 0", n)
	}
	un := ob.unacked()
	for i, id := range sent[0] {
		if un[id] != (i >= 2) {
			t.Errorf("event %d of the first batch unacked = %v, want %v", i, un[id], i >= 2)
		}
	}
	if st := l.Status(); st.InFlight != 13 || st.Acked != 2 {
		t.Errorf("Status() = %+v, want 13 in flight, 2 acked", st)
	}

	// The rest of the batch frees one slot: the read-ahead batch goes out.
	l.ackIDs(ctx, slices.Concat(sent[0][2:], []string{"unknown-id"}))
	select {
	case <-s.wake:
	default:
		t.Error("a freed slot did not wake the sender")
	}
	s.fill()
	next := batches(t, pub.take(l.topics.events))
	if len(next) != 1 || next[0][0] != ob.rows[15].ev.ID {
		t.Fatalf("after a full ack fill() published %v, want the batch from seq 16", next)
	}

	// A duplicate ack changes nothing.
	l.ackIDs(ctx, sent[0])
	if st := l.Status(); st.Acked != 5 || st.InFlight != 15 {
		t.Errorf("after a duplicate ack Status() = %+v, want 5 acked, 15 in flight", st)
	}

	// Acks of everything drain the outbox in order, one window at a time.
	inflight := slices.Concat(sent[1:], next)
	for len(inflight) > 0 {
		for _, ids := range inflight {
			l.ackIDs(ctx, ids)
		}
		s.fill()
		inflight = batches(t, pub.take(l.topics.events))
		if len(inflight) > 3 {
			t.Fatalf("fill() published %d batches, window 3", len(inflight))
		}
	}
	if un := ob.unacked(); len(un) != 0 {
		t.Errorf("%d events left unacked", len(un))
	}
	if st := l.Status(); st.Acked != 50 || st.Sent != 50 || st.InFlight != 0 {
		t.Errorf("Status() = %+v, want 50 sent and acked", st)
	}
}

func TestResendAfterAckTimeout(t *testing.T) {
	ob := &memOutbox{}
	ob.add(t, 20, 10)
	l, s, pub := newTestLink(t, Settings{BatchEvents: 10, Window: 2, AckTimeout: 50 * time.Millisecond, AckTimeoutMin: 50 * time.Millisecond}, ob, nil)
	clock := useFakeClock(l)
	s.fill()
	sent := batches(t, pub.take(l.topics.events))
	l.ackIDs(context.Background(), slices.Concat(sent[0][:4], sent[1])) // batch 2 done, batch 1 partly

	s.resendExpired()
	if n := len(pub.take(l.topics.events)); n != 0 {
		t.Fatalf("resendExpired() before the timeout published %d batches", n)
	}
	clock.add(60 * time.Millisecond)
	s.resendExpired()
	again := batches(t, pub.take(l.topics.events))
	if len(again) != 1 || strings.Join(again[0], ",") != strings.Join(sent[0][4:], ",") {
		t.Fatalf("resendExpired() published %v, want the 6 unacked events of the first batch %v", again, sent[0][4:])
	}
	if st := l.Status(); st.Resent != 6 || st.Sent != 26 || st.InFlight != 6 {
		t.Errorf("Status() = %+v, want 6 resent, 26 sent, 6 in flight", st)
	}
	// The resent batch waits a full timeout again.
	s.resendExpired()
	if n := len(pub.take(l.topics.events)); n != 0 {
		t.Errorf("resendExpired() right after a resend published %d batches", n)
	}
	// Acked meanwhile through the store (by another path): dropped, not resent.
	ob.Ack(context.Background(), sent[0])
	clock.add(60 * time.Millisecond)
	s.resendExpired()
	if n := len(pub.take(l.topics.events)); n != 0 {
		t.Errorf("resendExpired() resent %d batches whose events were acked", n)
	}
	if st := l.Status(); st.InFlight != 0 {
		t.Errorf("Status().InFlight = %d, want 0", st.InFlight)
	}
}

// Resync resends every unacknowledged event without waiting for the timeout.
func TestResync(t *testing.T) {
	ob := &memOutbox{}
	ob.add(t, 20, 10)
	l, s, pub := newTestLink(t, Settings{BatchEvents: 10, Window: 2, AckTimeout: time.Hour}, ob, nil)
	s.fill()
	sent := batches(t, pub.take(l.topics.events))
	l.ackIDs(context.Background(), sent[1][:3])
	s.resync()
	again := batches(t, pub.take(l.topics.events))
	want := slices.Concat(sent[0], sent[1][3:])
	if got := slices.Concat(again...); !slices.Equal(got, want) {
		t.Fatalf("resync() published %v, want the 17 unacknowledged events %v", got, want)
	}
	if n := len(pub.take(l.topics.state)); n != 1 {
		t.Errorf("resync() published the state %d times, want once", n)
	}
	if st := l.Status(); st.Resent != 17 || st.InFlight != 17 {
		t.Errorf("Status() = %+v, want 17 resent and in flight", st)
	}
}

// After a reconnect, everything unacknowledged goes again from the oldest.
func TestNewSessionResendsFromOldest(t *testing.T) {
	ob := &memOutbox{}
	ob.add(t, 30, 10)
	l, s, pub := newTestLink(t, Settings{BatchEvents: 10, Window: 5}, ob, nil)
	s.fill()
	first := batches(t, pub.take(l.topics.events))
	l.ackIDs(context.Background(), first[1])

	s2 := l.newSession(context.Background())
	s2.client = pub
	l.cur = s2
	s2.fill()
	second := batches(t, pub.take(l.topics.events))
	if len(second) != 2 || second[0][0] != first[0][0] || second[1][0] != first[2][0] {
		t.Fatalf("new session sent %v, want batches 1 and 3 again", second)
	}
	if st := l.Status(); st.Resent != 20 || st.Sent != 50 {
		t.Errorf("Status() = %+v, want 20 resent of 50 sent", st)
	}
}

func TestPubackMode(t *testing.T) {
	ob := &memOutbox{}
	ob.add(t, 25, 10)
	l, s, pub := newTestLink(t, Settings{AckMode: AckPuback, BatchEvents: 10, Window: 2}, ob, nil)
	for range 10 {
		s.fill()
		if len(ob.unacked()) == 0 {
			break
		}
		select {
		case <-s.wake:
		case <-time.After(time.Second):
			t.Fatal("no PUBACK freed a slot")
		}
	}
	if n := len(ob.unacked()); n != 0 {
		t.Fatalf("%d events unacked after every PUBACK", n)
	}
	if got := len(batches(t, pub.take(l.topics.events))); got != 3 {
		t.Errorf("published %d batches, want 3", got)
	}

	// A failed publish acks nothing.
	ob.add(t, 5, 10)
	pub.err = errors.New("connection lost before Publish completed")
	s.fill()
	time.Sleep(50 * time.Millisecond)
	if n := len(ob.unacked()); n != 5 {
		t.Errorf("after a failed publish %d events unacked, want 5", n)
	}
}

// The store failing is reported and retried, never fatal.
func TestStoreErrors(t *testing.T) {
	ob := &memOutbox{}
	ob.add(t, 5, 10)
	l, s, pub := newTestLink(t, Settings{}, ob, nil)
	ob.pendingErr = errors.New("store: pending: disk I/O error")
	s.fill()
	if st := l.Status(); st.LastError == "" || st.Sent != 0 {
		t.Errorf("Status() = %+v, want the store's error and nothing sent", st)
	}
	ob.pendingErr = nil
	s.fill()
	sent := batches(t, pub.take(l.topics.events))
	if len(sent) != 1 {
		t.Fatalf("published %d batches once the store recovered, want 1", len(sent))
	}
	ob.ackErr = errors.New("store: ack: database is locked")
	ack := []byte(`{"ids":["` + sent[0][0] + `"]}`)
	if l.handle(s, l.topics.ack, ack) {
		t.Error("an ack the store could not record was acknowledged to the broker")
	}
	ob.ackErr = nil
	if !l.handle(s, l.topics.ack, ack) || len(ob.unacked()) != 4 {
		t.Errorf("redelivered ack: unacked %d, want 4", len(ob.unacked()))
	}
}

func TestOutboxAlarm(t *testing.T) {
	ob := &memOutbox{}
	ob.add(t, 9, 10)
	l, _, _ := newTestLink(t, Settings{OutboxCap: 10}, ob, nil)
	ctx := context.Background()
	l.refreshStats(ctx)
	if st := l.Status(); st.Alarm || st.Pending != 9 {
		t.Errorf("Status() at 9 of 10 = %+v, want no alarm", st)
	}
	ob.add(t, 1, 10)
	l.refreshStats(ctx)
	if st := l.Status(); !st.Alarm || st.Pending != 10 || st.Oldest.IsZero() {
		t.Errorf("Status() at 10 of 10 = %+v, want the alarm", st)
	}
	if s := l.state(); !s.Outbox.Alarm || s.Outbox.Pending != 10 {
		t.Errorf("state().Outbox = %+v, want the alarm", s.Outbox)
	}
	select {
	case <-l.stateReq:
	default:
		t.Error("raising the alarm did not ask for a state publish")
	}
	if n := len(ob.rows); n != 10 {
		t.Errorf("the alarm dropped records: %d left", n)
	}
	ob.Ack(ctx, []string{ob.rows[0].ev.ID})
	l.refreshStats(ctx)
	if st := l.Status(); st.Alarm {
		t.Errorf("Status() at 9 of 10 = %+v, want the alarm cleared", st)
	}
}

func TestPurge(t *testing.T) {
	ob := &memOutbox{}
	evs := ob.add(t, 3, 10)
	l, _, _ := newTestLink(t, Settings{Retention: time.Hour}, ob, nil)
	ob.Ack(context.Background(), []string{evs[0].ID})
	ob.rows[0].acked = time.Now().Add(-2 * time.Hour)
	ob.Ack(context.Background(), []string{evs[1].ID})
	l.purge(context.Background())
	if len(ob.rows) != 2 || ob.rows[0].ev.ID != evs[1].ID {
		t.Errorf("purge left %d rows, want the recently acked and the pending one", len(ob.rows))
	}
}

func TestNewChecksSettings(t *testing.T) {
	ok := Settings{Broker: "ssl://b:8883", Device: "gate-7", Site: "hq", TLS: &tlsConfigForTests}
	for _, tt := range []struct {
		name   string
		change func(*Settings)
	}{
		{"no broker", func(s *Settings) { s.Broker = "" }},
		{"bad device", func(s *Settings) { s.Device = "Gate 7" }},
		{"bad site", func(s *Settings) { s.Site = "" }},
		{"no tls", func(s *Settings) { s.TLS = nil }},
		{"bad ack mode", func(s *Settings) { s.AckMode = "never" }},
	} {
		s := ok
		tt.change(&s)
		if _, err := New(s, &memOutbox{}, &fakeDownlink{}); err == nil {
			t.Errorf("New(%s) = nil error", tt.name)
		}
	}
	l, err := New(ok, &memOutbox{}, &fakeDownlink{})
	if err != nil {
		t.Fatal(err)
	}
	if l.s.AckMode != AckCity || l.s.BatchEvents != 500 || l.s.Window != 32 || l.topics.events != "roomgate/v1/dev/gate-7/events" {
		t.Errorf("New(defaults) settings = %+v", l.s)
	}
	if l.s.AckTimeout != 30*time.Second || l.s.AckTimeoutMin != 5*time.Second || l.s.AckTimeoutMax != 5*time.Minute {
		t.Errorf("New(defaults) ack timeouts = %v in %v..%v, want 30s in 5s..5m", l.s.AckTimeout, l.s.AckTimeoutMin, l.s.AckTimeoutMax)
	}
	// A first timeout set outside the default bounds (a config older than
	// them) stretches them instead of being overruled.
	for _, first := range []time.Duration{2 * time.Second, time.Hour} {
		s := ok
		s.AckTimeout = first
		l, err := New(s, &memOutbox{}, &fakeDownlink{})
		if err != nil {
			t.Fatal(err)
		}
		if p := newPace(l.s.AckTimeout, l.s.AckTimeoutMin, l.s.AckTimeoutMax, l.s.Window); p.timeout() != first {
			t.Errorf("New(AckTimeout %v): first timeout %v, bounds %v..%v", first, p.timeout(), l.s.AckTimeoutMin, l.s.AckTimeoutMax)
		}
	}
}

// stuckPublisher is paho while a lost connection is torn down: Publish
// blocks (for the whole write timeout in paho) until released.
type stuckPublisher struct {
	fakePublisher
	release chan struct{}
}

func (p *stuckPublisher) Publish(topic string, qos byte, retained bool, payload any) mqtt.Token {
	<-p.release
	return p.fakePublisher.Publish(topic, qos, retained, payload)
}

// The session's loop must go on (to see the loss or its end) while paho
// is stuck in Publish; it once waited out paho's minute-long write timeout.
func TestFillDoesNotWaitForAStuckPublish(t *testing.T) {
	ob := &memOutbox{}
	ob.add(t, 30, 10)
	l, s, _ := newTestLink(t, Settings{BatchEvents: 10, Window: 5}, ob, nil)
	stuck := &stuckPublisher{release: make(chan struct{})}
	stuck.flush = func() {}
	s.client = stuck
	returned := make(chan struct{})
	go func() {
		s.fill()
		s.publishState()
		close(returned)
	}()
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		t.Fatal("fill and publishState still waiting for a stuck Publish after 10 s")
	}
	close(stuck.release)
	published := 0
	eventually(t, 10*time.Second, "the 3 batches published once paho moves", func() bool {
		published += len(stuck.take(l.topics.events))
		return published == 3
	})
}
