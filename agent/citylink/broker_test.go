package citylink

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/internal/mqtttest"
)

// fakeCity is the city's ingest service in miniature: it stores the ids of
// the events it receives (checking each against the contract) and acks them.
type fakeCity struct {
	c         mqtt.Client
	silent    atomic.Bool  // receive and record, but send no acks
	ignore    atomic.Int32 // drop this many messages unrecorded and unacked
	ackDelay  time.Duration
	lean      atomic.Bool // read only the ids, as a city on another machine costs the box nothing
	mu        sync.Mutex
	got       map[string]int // event id → deliveries
	unacked   []string       // ids received while silent
	messages  int
	invalid   []string // what failed the contract
	lastBatch int
}

func startCity(t testing.TB, b *mqtttest.Broker, ackDelay time.Duration) *fakeCity {
	t.Helper()
	city := &fakeCity{got: map[string]int{}, ackDelay: ackDelay}
	filter := wire.Topic("+", wire.LeafEvents)
	opts := mqtt.NewClientOptions().AddBroker(b.URL).SetClientID("city-ingest").
		SetTLSConfig(b.TLSConfig(t, "city-ingest")).
		SetCleanSession(false).SetOrderMatters(false).
		SetAutoReconnect(true).SetConnectRetry(true).SetMaxReconnectInterval(200 * time.Millisecond).
		SetDefaultPublishHandler(city.onEvents).
		SetOnConnectHandler(func(c mqtt.Client) { c.Subscribe(filter, 1, nil) })
	city.c = mqtt.NewClient(opts)
	if tok := city.c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("city-ingest connect: %v", tok.Error())
	}
	t.Cleanup(func() { city.c.Disconnect(100) })
	return city
}

func (city *fakeCity) onEvents(c mqtt.Client, m mqtt.Message) {
	if city.ignore.Add(-1) >= 0 {
		return
	}
	device, _, err := wire.ParseTopic(m.Topic())
	batch, derr := wire.DecodeEvents(m.Payload())
	city.mu.Lock()
	city.messages++
	city.lastBatch = len(batch)
	var ids []string
	for _, raw := range batch {
		if city.lean.Load() {
			var e struct{ ID string }
			json.Unmarshal(raw, &e)
			city.got[e.ID]++
			ids = append(ids, e.ID)
			continue
		}
		e, err := wire.DecodeEvent(raw, device)
		if err != nil {
			city.invalid = append(city.invalid, err.Error())
			continue
		}
		city.got[e.ID]++
		ids = append(ids, e.ID)
	}
	if err != nil || derr != nil {
		city.invalid = append(city.invalid, "message: "+errString(err)+errString(derr))
	}
	silent := city.silent.Load()
	if silent {
		city.unacked = append(city.unacked, ids...)
	}
	city.mu.Unlock()
	if silent || len(ids) == 0 {
		return
	}
	time.Sleep(city.ackDelay)
	city.ack(device, ids)
}

func (city *fakeCity) ack(device string, ids []string) {
	payload, _ := json.Marshal(wire.Ack{IDs: ids})
	city.c.Publish(wire.Topic(device, wire.LeafAck), 1, false, payload).WaitTimeout(5 * time.Second)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// received returns how many distinct events arrived and how many arrived again.
func (city *fakeCity) received() (distinct, again int) {
	city.mu.Lock()
	defer city.mu.Unlock()
	for _, n := range city.got {
		again += n - 1
	}
	return len(city.got), again
}

func (city *fakeCity) check(t *testing.T, want map[string]bool) {
	t.Helper()
	city.mu.Lock()
	defer city.mu.Unlock()
	if len(city.invalid) > 0 {
		t.Errorf("the city refused %d events, first: %s", len(city.invalid), city.invalid[0])
	}
	for id := range want {
		if city.got[id] == 0 {
			t.Errorf("event %s never reached the city", id)
			return
		}
	}
	if len(city.got) != len(want) {
		t.Errorf("the city got %d distinct events, want %d", len(city.got), len(want))
	}
}

// runLink runs a link against the broker until the test ends.
func runLink(t testing.TB, b *mqtttest.Broker, s Settings, ob Outbox, dl Downlink) (*Link, func()) {
	t.Helper()
	s.Broker, s.TLS, s.Device, s.Site = b.URL, b.TLSConfig(t, testDevice), testDevice, testSite
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
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run() = %v, want nil", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("Run() did not return 10s after its context ended")
			}
		})
	}
	t.Cleanup(stop)
	return l, stop
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestEveryEventArrivesAcrossBrokerRestart(t *testing.T) {
	b := mqtttest.Start(t)
	city := startCity(t, b, 20*time.Millisecond)
	ob := &memOutbox{}
	ob.add(t, 3000, 100)
	want := ob.unacked()
	l, _ := runLink(t, b, Settings{BatchEvents: 20, Window: 4, AckTimeout: 3 * time.Second, BackoffMin: 50 * time.Millisecond, BackoffMax: 500 * time.Millisecond}, ob, nil)

	eventually(t, 20*time.Second, "600 events acked", func() bool { return l.Status().Acked >= 600 })
	b.Stop(t)
	for _, ev := range ob.add(t, 500, 100) {
		want[ev.ID] = true
	}
	l.Notify()
	eventually(t, 10*time.Second, "the link sees the broker gone", func() bool { return !l.Status().Connected })
	time.Sleep(2 * time.Second)
	if st := l.Status(); st.LastError == "" {
		t.Errorf("Status() while the broker is down = %+v, want its error", st)
	}
	b.Restart(t)

	eventually(t, 60*time.Second, "every event acked", func() bool { return len(ob.unacked()) == 0 })
	city.check(t, want)
	st := l.Status()
	distinct, again := city.received()
	t.Logf("%d events, %d delivered again; status %+v", distinct, again, st)
	if st.Acked != int64(len(want)) || !st.Connected || st.LastError != "" {
		t.Errorf("Status() = %+v, want %d acked, connected", st, len(want))
	}
}

func TestResendWhenTheCityDoesNotAck(t *testing.T) {
	b := mqtttest.Start(t)
	city := startCity(t, b, 0)
	city.ignore.Store(3) // lost on the city side, say by a crash before storing
	ob := &memOutbox{}
	ob.add(t, 100, 10)
	want := ob.unacked()
	l, _ := runLink(t, b, Settings{BatchEvents: 10, Window: 4, AckTimeout: 500 * time.Millisecond, AckTimeoutMin: 500 * time.Millisecond}, ob, nil)
	eventually(t, 20*time.Second, "every event acked", func() bool { return len(ob.unacked()) == 0 })
	city.check(t, want)
	if st := l.Status(); st.Resent < 30 || st.Acked != 100 {
		t.Errorf("Status() = %+v, want at least the 30 events of 3 lost messages resent, 100 acked", st)
	}
}

// A city that takes longer to ack than the first timeout (an ingest behind
// on a morning's drain) is waited for, not sent again what it has queued;
// messages it really lost are still sent again.
func TestSlowCityThroughBroker(t *testing.T) {
	b := mqtttest.Start(t)
	const delay = 2 * time.Second
	city := startCity(t, b, delay)
	city.ignore.Store(2) // lost by the city: only a resend brings these
	ob := &memOutbox{}
	ob.add(t, 1000, 10)
	want := ob.unacked()
	// The first timeout and its floor at a quarter of the city's delay: the
	// fixed timeout this replaces sent every batch about four times.
	l, _ := runLink(t, b, Settings{BatchEvents: 20, Window: 32, AckTimeout: delay / 4, AckTimeoutMin: delay / 4}, ob, nil)
	eventually(t, 60*time.Second, "every event acked", func() bool { return len(ob.unacked()) == 0 })
	city.check(t, want)
	st := l.Status()
	distinct, again := city.received()
	t.Logf("%d events, %d delivered again (%.2f× sent); status %+v", distinct, again, float64(distinct+again)/float64(distinct), st)
	if st.Resent < 40 {
		t.Errorf("%d events resent, want at least the 40 of the 2 messages the city lost", st.Resent)
	}
	if limit := int64(len(want)) / 10; st.Resent > limit {
		t.Errorf("%d of %d events resent to a city that acks everything after %v, want at most %d", st.Resent, len(want), delay, limit)
	}
	if st.AckTimeout < delay {
		t.Errorf("ack timeout at the end = %v, want at least the city's %v", st.AckTimeout, delay)
	}
}

// Acks the city publishes while the box is away arrive when it is back:
// the session is persistent.
func TestAcksWhileAwayArrive(t *testing.T) {
	b := mqtttest.Start(t)
	city := startCity(t, b, 0)
	city.silent.Store(true)
	ob := &memOutbox{}
	ob.add(t, 50, 10)
	_, stop := runLink(t, b, Settings{BatchEvents: 50, AckTimeout: time.Hour}, ob, nil)
	eventually(t, 10*time.Second, "the city got the events", func() bool { n, _ := city.received(); return n == 50 })
	stop()

	city.mu.Lock()
	pending := city.unacked
	city.mu.Unlock()
	city.ack(testDevice, pending)
	if n := len(ob.unacked()); n != 50 {
		t.Fatalf("%d unacked with the box away, want 50", n)
	}
	l, _ := runLink(t, b, Settings{BatchEvents: 50, AckTimeout: time.Hour}, ob, nil)
	eventually(t, 10*time.Second, "the queued ack applied", func() bool { return len(ob.unacked()) == 0 })
	if st := l.Status(); st.Acked != 50 {
		t.Errorf("Status() = %+v, want the 50 acked from the queued ack", st)
	}
}

func TestPubackModeThroughBroker(t *testing.T) {
	b := mqtttest.Start(t)
	ob := &memOutbox{}
	ob.add(t, 1000, 50)
	l, _ := runLink(t, b, Settings{AckMode: AckPuback, BatchEvents: 100, Window: 4}, ob, nil)
	eventually(t, 20*time.Second, "every event acked on PUBACK", func() bool { return len(ob.unacked()) == 0 })
	if st := l.Status(); st.Acked != 1000 || st.Sent != 1000 {
		t.Errorf("Status() = %+v, want 1000 sent and acked", st)
	}
}

// ops is the city's operations service: it sends config, trust and
// commands, and reads state and command results.
type ops struct {
	c    mqtt.Client
	msgs chan mqtt.Message
}

func startOps(t *testing.T, b *mqtttest.Broker) *ops {
	t.Helper()
	o := &ops{msgs: make(chan mqtt.Message, 100)}
	opts := mqtt.NewClientOptions().AddBroker(b.URL).SetClientID("city-ops").
		SetTLSConfig(b.TLSConfig(t, "city-ops")).SetCleanSession(true).
		SetDefaultPublishHandler(func(_ mqtt.Client, m mqtt.Message) { o.msgs <- m })
	o.c = mqtt.NewClient(opts)
	if tok := o.c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("city-ops connect: %v", tok.Error())
	}
	t.Cleanup(func() { o.c.Disconnect(100) })
	return o
}

func (o *ops) subscribe(t *testing.T, filter string) {
	t.Helper()
	if tok := o.c.Subscribe(filter, 1, nil); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("city-ops subscribe %s: %v", filter, tok.Error())
	}
}

func (o *ops) publish(t *testing.T, leaf string, retained bool, payload string) {
	t.Helper()
	if tok := o.c.Publish(wire.Topic(testDevice, leaf), 1, retained, payload); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("city-ops publish %s: %v", leaf, tok.Error())
	}
}

// next returns the next message on topic, skipping others.
func (o *ops) next(t *testing.T, topic string) []byte {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case m := <-o.msgs:
			if m.Topic() == topic {
				return m.Payload()
			}
		case <-timeout:
			t.Fatalf("nothing on %s for 10s", topic)
		}
	}
}

func TestDownlinkThroughBroker(t *testing.T) {
	b := mqtttest.Start(t)
	city := startCity(t, b, 0)
	o := startOps(t, b)
	o.subscribe(t, wire.Topic(testDevice, wire.LeafCmdResult))
	// Retained before the box connects: the box finds it on subscribing.
	o.publish(t, wire.LeafConfig, true, string(signed(t, testDevice, wire.Config{Version: 2, YAML: "sync:\n  window: bogus\n"})))

	dl := &fakeDownlink{}
	ob := &memOutbox{}
	l, _ := runLink(t, b, Settings{StateEvery: 200 * time.Millisecond}, ob, dl)
	eventually(t, 10*time.Second, "connected and subscribed", func() bool { return l.Status().Connected })
	o.publish(t, wire.LeafCmd, false, `{"id":"m1","name":`)
	o.publish(t, wire.LeafCmd, false, string(signed(t, testDevice, wire.Command{ID: "u1", Name: "reboot"})))
	o.publish(t, wire.LeafTrust, false, string(signed(t, testDevice, wire.Trust{Version: 1, Revoked: []string{strings.Repeat("r", wire.MaxTrustSize)}})))
	// Acks come from the ingest service; the ACL drops them from ops.
	city.c.Publish(wire.Topic(testDevice, wire.LeafAck), 1, false, `{"ids":[42]}`).WaitTimeout(10 * time.Second)
	r, err := wire.DecodeCommandResult(o.next(t, wire.Topic(testDevice, wire.LeafCmdResult)))
	if err != nil || r.ID != "u1" || r.OK || !strings.Contains(r.Error, "unknown command") {
		t.Errorf("result of an unknown command = %+v, %v", r, err)
	}
	ping := string(signed(t, testDevice, wire.Command{ID: "c1", Name: wire.CmdPing}))
	for range 2 {
		o.publish(t, wire.LeafCmd, false, ping)
		r, err := wire.DecodeCommandResult(o.next(t, wire.Topic(testDevice, wire.LeafCmdResult)))
		if err != nil || r.ID != "c1" || !r.OK {
			t.Errorf("result of ping = %+v, %v", r, err)
		}
	}
	if _, _, n := dl.counts(); n != 1 {
		t.Errorf("the agent ran %d commands for one ping delivered twice, want 1", n)
	}

	o.subscribe(t, wire.Topic(testDevice, wire.LeafState))
	eventually(t, 10*time.Second, "state reports the refusals", func() bool {
		st, err := wire.DecodeState(o.next(t, wire.Topic(testDevice, wire.LeafState)))
		if err != nil {
			t.Fatalf("state does not decode: %v", err)
		}
		return st.Online && st.Link.Refused == 5 && st.Config.Version == 2 && !st.Config.Applied &&
			strings.Contains(st.Config.Error, "sync.window") && strings.Contains(st.LastError, "config version 2 refused")
	})

	// The link keeps working.
	ob.add(t, 100, 10)
	l.Notify()
	eventually(t, 10*time.Second, "events acked after the bad messages", func() bool { return len(ob.unacked()) == 0 })
	if n, _ := city.received(); n != 100 {
		t.Errorf("the city got %d events, want 100", n)
	}
}

func TestOfflineStateOnShutdown(t *testing.T) {
	b := mqtttest.Start(t)
	o := startOps(t, b)
	l, stop := runLink(t, b, Settings{}, &memOutbox{}, nil)
	eventually(t, 10*time.Second, "connected", func() bool { return l.Status().Connected })
	o.subscribe(t, wire.Topic(testDevice, wire.LeafState))
	if st, err := wire.DecodeState(o.next(t, wire.Topic(testDevice, wire.LeafState))); err != nil || !st.Online || !st.Link.Connected {
		t.Errorf("retained state while running = %+v, %v, want online", st, err)
	}
	stop()
	if st, err := wire.DecodeState(o.next(t, wire.Topic(testDevice, wire.LeafState))); err != nil || st.Online {
		t.Errorf("state after shutdown = %+v, %v, want offline", st, err)
	}
}

// testGallery builds a gallery of people in chunks of per, as the city
// publishes it: the chunks' exact bytes and a manifest over them.
func testGallery(t *testing.T, version int64, people, per int) (wire.GalleryManifest, [][]byte) {
	t.Helper()
	m := wire.GalleryManifest{Version: version, Model: "sface", Dim: 4, Count: people, ChunkSHA256: []string{}}
	whole := sha256.New()
	var chunks [][]byte
	for i := 0; i < people; i += per {
		c := wire.GalleryChunk{Version: version, Index: len(chunks)}
		for j := i; j < min(i+per, people); j++ {
			c.People = append(c.People, wire.GalleryPerson{ID: fmt.Sprintf("p%03d", j), Name: fmt.Sprintf("Người %d", j), Templates: [][]byte{{byte(j), 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}})
			m.Templates++
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		m.ChunkSHA256 = append(m.ChunkSHA256, hex.EncodeToString(sum[:]))
		whole.Write(b)
		chunks = append(chunks, b)
	}
	m.Chunks, m.SHA256 = len(chunks), hex.EncodeToString(whole.Sum(nil))
	return m, chunks
}

func TestMeetingsAndGalleryThroughBroker(t *testing.T) {
	b := mqtttest.Start(t)
	o := startOps(t, b)
	o.subscribe(t, wire.Topic(testDevice, wire.LeafState))
	// A malformed schedule and half a gallery are retained before the box
	// connects; it finds them on subscribing.
	o.publish(t, wire.LeafMeetings, true, `{"version":1,"meetings":[{"id":"m1","title":"Họp"}]}`)
	m, chunks := testGallery(t, 7, 50, 10)
	for i, c := range chunks[:3] {
		o.publishTopic(t, wire.GalleryChunkTopic(testDevice, i), true, c)
	}
	dl := &fakeDownlink{}
	l, _ := runLink(t, b, Settings{StateEvery: 200 * time.Millisecond, State: func() wire.State { return wire.State{Gallery: dl.gallery()} }}, &memOutbox{}, dl)
	eventually(t, 10*time.Second, "connected", func() bool { return l.Status().Connected })
	waitState := func(what string, ok func(wire.State) bool) {
		t.Helper()
		eventually(t, 10*time.Second, what, func() bool {
			st, err := wire.DecodeState(o.next(t, wire.Topic(testDevice, wire.LeafState)))
			if err != nil {
				t.Fatalf("state does not decode: %v", err)
			}
			return ok(st)
		})
	}
	waitState("the malformed schedule refused in state", func(st wire.State) bool {
		return !st.Schedule.Applied && strings.Contains(st.Schedule.Error, "start, end, checkin_opens and checkin_closes are all required")
	})

	sched, _ := json.Marshal(wire.Schedule{Version: 2, Meetings: []wire.Meeting{{ID: "m1", Title: "Họp giao ban", Room: "P.301",
		Start: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC),
		CheckInOpens: time.Date(2026, 3, 2, 8, 30, 0, 0, time.UTC), CheckInCloses: time.Date(2026, 3, 2, 9, 15, 0, 0, time.UTC),
		Invitees: []wire.Invitee{{Person: "p001", Name: "Người 1", Seat: "A1"}}}}})
	o.publish(t, wire.LeafMeetings, true, string(sched))
	waitState("schedule v2 applied", func(st wire.State) bool { return st.Schedule == wire.Applied{Version: 2, Applied: true} })

	// The rest of the gallery, then its manifest, as the city sends them.
	for i, c := range chunks[3:] {
		o.publishTopic(t, wire.GalleryChunkTopic(testDevice, 3+i), true, c)
	}
	o.publishTopic(t, wire.Topic(testDevice, wire.LeafGalleryManifest), true, mustMarshal(t, m))
	waitState("the gallery received", func(st wire.State) bool {
		return st.Gallery == wire.GallerySync{Version: 7, Model: "sface", Received: 5, Total: 5, Applied: true}
	})
	dl.mu.Lock()
	for i, c := range chunks {
		if string(dl.chunks[i]) != string(c) {
			t.Errorf("chunk %d reached the agent as %.60q, want the bytes published", i, dl.chunks[i])
		}
	}
	dl.mu.Unlock()

	// A corrupted chunk is refused, and the city clearing a retained chunk
	// (an empty payload) is not.
	before := l.Status().Refused
	bad := strings.Replace(string(chunks[1]), "Người", "Ngươi", 1)
	o.publishTopic(t, wire.GalleryChunkTopic(testDevice, 1), true, []byte(bad))
	o.publishTopic(t, wire.GalleryChunkTopic(testDevice, 9), true, nil)
	eventually(t, 10*time.Second, "the corrupted chunk refused", func() bool { return l.Status().Refused == before+1 })
	if n := len(dl.schedules); n != 1 {
		t.Errorf("the agent got %d schedules, want 1 (the malformed one never reached it)", n)
	}
}

func (o *ops) publishTopic(t *testing.T, topic string, retained bool, payload []byte) {
	t.Helper()
	if tok := o.c.Publish(topic, 1, retained, payload); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("city-ops publish %s: %v", topic, tok.Error())
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
