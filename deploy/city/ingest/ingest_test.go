package ingest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/deploy/city/ingest"
	"github.com/roomgate/roomgate/deploy/city/ingest/pgstore/pgstoretest"
	"github.com/roomgate/roomgate/deploy/city/ingest/sqlitestore"
	"github.com/roomgate/roomgate/deploy/city/ingest/storetest"
	"github.com/roomgate/roomgate/deploy/city/mqttclient"
	"github.com/roomgate/roomgate/internal/mqtttest"
)

// device is a fake box: it publishes event batches and collects acks.
type device struct {
	name      string
	c         *mqttclient.Client
	acks      chan wire.Ack
	connected chan struct{} // a value for each connection (subscribed) after the first
}

func newDevice(t testing.TB, b *mqtttest.Broker, name string) *device {
	t.Helper()
	cert, key := b.ClientCert(t, name)
	d := &device{name: name, acks: make(chan wire.Ack, 10000), connected: make(chan struct{}, 1)}
	c, err := mqttclient.New(mqttclient.Config{
		Broker: b.URL, CAFile: b.CAFile, CertFile: cert, KeyFile: key, ClientID: name,
		Subscriptions: []string{wire.Topic(name, wire.LeafAck)},
		OnMessage: func(m mqttclient.Message) {
			defer m.Ack()
			a, err := wire.DecodeAck(m.Payload)
			if err != nil {
				t.Errorf("device %s: ack %.100q: %v", name, m.Payload, err)
				return
			}
			d.acks <- a
		},
		OnConnect: func() {
			select {
			case d.connected <- struct{}{}:
			default:
			}
		},
	})
	if err == nil {
		err = c.Connect(context.Background())
	}
	if err != nil {
		t.Fatalf("device %s: %v", name, err)
	}
	t.Cleanup(c.Close)
	<-d.connected // the first connection's
	d.c = c
	return d
}

// event returns a valid event of the device as a JSON object.
func (d *device) event(id string) map[string]any {
	return map[string]any{
		"specversion": "1.0", "id": id, "source": wire.Source("hq", d.name),
		"type": "vn.roomgate.entry.v1", "time": "2026-03-02T08:00:00.123+07:00",
		"datacontenttype": "application/json",
		"data":            map[string]any{"gate": "hq-gate-1", "granted": true, "name": "Nguyễn Văn An"},
	}
}

// batch returns n new valid events as a batch payload, and their ids.
func (d *device) batch(t testing.TB, n int) ([]byte, []string) {
	t.Helper()
	var evs []map[string]any
	var ids []string
	for range n {
		id := uuid.Must(uuid.NewV7()).String()
		ids = append(ids, id)
		evs = append(evs, d.event(id))
	}
	return payload(t, evs), ids
}

func payload(t testing.TB, v any) []byte {
	t.Helper()
	p, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (d *device) publish(t testing.TB, p []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.c.Publish(ctx, wire.Topic(d.name, wire.LeafEvents), p, false); err != nil {
		t.Fatalf("device %s: %v", d.name, err)
	}
}

// ack waits for the next ack.
func (d *device) ack(t testing.TB) wire.Ack {
	t.Helper()
	select {
	case a := <-d.acks:
		return a
	case <-time.After(20 * time.Second):
		t.Fatalf("device %s: no ack within 20s", d.name)
		return wire.Ack{}
	}
}

// acked collects acks until they name n ids, and returns the ids sorted.
func (d *device) acked(t testing.TB, n int) []string {
	t.Helper()
	var ids []string
	for len(ids) < n {
		ids = append(ids, d.ack(t).IDs...)
	}
	slices.Sort(ids)
	return ids
}

func (d *device) noAck(t testing.TB, wait time.Duration) {
	t.Helper()
	select {
	case a := <-d.acks:
		t.Fatalf("device %s: ack %v, want none", d.name, a.IDs)
	case <-time.After(wait):
	}
}

// running is an ingest process of a test.
type running struct {
	*ingest.Ingester
	stop      func() // stops it and waits until it returned
	problems  func() []string
	connected chan struct{} // a value for each connection after the first
}

func startIngest(t testing.TB, b *mqtttest.Broker, store ingest.Store, clientID string) running {
	t.Helper()
	return startIngestAs(t, b, store, "city-ingest", clientID)
}

// startIngestAs is startIngest with the certificate cn: the broker makes the
// CN the client id, so a second process at once needs a second certificate.
func startIngestAs(t testing.TB, b *mqtttest.Broker, store ingest.Store, cn, clientID string) running {
	t.Helper()
	cert, key := b.ClientCert(t, cn)
	var mu sync.Mutex
	var problems []string
	connected := make(chan struct{}, 1)
	in := ingest.New(ingest.Config{
		MQTT:       mqttclient.Config{Broker: b.URL, CAFile: b.CAFile, CertFile: cert, KeyFile: key, ClientID: clientID},
		Store:      store,
		MaxBackoff: 200 * time.Millisecond,
		OnProblem: func(err error) {
			mu.Lock()
			defer mu.Unlock()
			problems = append(problems, err.Error())
		},
		OnConnect: func() {
			select {
			case connected <- struct{}{}:
			default:
			}
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- in.Run(ctx) }()
	select {
	case <-connected:
	case err := <-done:
		cancel()
		t.Fatalf("ingest %s: Run = %v", clientID, err)
	case <-time.After(15 * time.Second):
		cancel()
		t.Fatalf("ingest %s: not connected within 15s", clientID)
	}
	problemsOf := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(problems)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("ingest %s: Run = %v", clientID, err)
				}
			case <-time.After(10 * time.Second):
				t.Errorf("ingest %s: did not stop within 10s", clientID)
			}
		})
	}
	t.Cleanup(stop)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("ingest %s: %+v, problems: %q", clientID, in.Stats(), problemsOf())
		}
	})
	return running{Ingester: in, stop: stop, problems: problemsOf, connected: connected}
}

// stores are the Store implementations every ingest test runs against.
func stores(t *testing.T) []struct {
	name string
	open func(t *testing.T) storetest.Store
} {
	pg := pgstoretest.Start(t)
	return []struct {
		name string
		open func(t *testing.T) storetest.Store
	}{
		{"sqlite", func(t *testing.T) storetest.Store {
			s, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "city.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}},
		{"postgres", func(t *testing.T) storetest.Store { return pg.Open(t) }},
	}
}

func sorted(ids []string) []string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return ids
}

func checkStored(t testing.TB, s storetest.Store, device string, want []string) {
	t.Helper()
	ctx := context.Background()
	got, err := s.IDs(ctx, wire.Source("hq", device))
	if err != nil || !slices.Equal(got, sorted(want)) {
		t.Errorf("IDs(%s) = %d ids, %v, want %d", device, len(got), err, len(want))
	}
	if n, err := s.Count(ctx); err != nil || n != int64(len(want)) {
		t.Errorf("Count() = %d, %v, want %d", n, err, len(want))
	}
}

// checkStats stops in, so counting is over, and checks its counters.
func checkStats(t testing.TB, in running, want ingest.Stats) {
	t.Helper()
	in.stop()
	if got := in.Stats(); got != want {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
}

// TestIngest runs each case against each store, with a broker of its own:
// an ingest session left behind by another case would hold a share of the
// shared subscription's messages (see testOffline).
func TestIngest(t *testing.T) {
	for _, st := range stores(t) {
		t.Run(st.name, func(t *testing.T) {
			for _, c := range []struct {
				name string
				test func(*testing.T, *mqtttest.Broker, storetest.Store)
			}{
				{"Once", testOnce},
				{"Rejected", testRejected},
				{"Malformed", testMalformed},
				{"Shared", testShared},
				{"Restart", testRestart},
			} {
				t.Run(c.name, func(t *testing.T) { c.test(t, mqtttest.Start(t), st.open(t)) })
			}
		})
	}
}

var seq atomic.Int64

func names() (device, ingestID string) {
	n := seq.Add(1)
	return fmt.Sprintf("dev-%d", n), fmt.Sprintf("city-ingest-test-%d", n)
}

// testOnce publishes a batch, then the same batch again: stored once,
// acked twice with every id.
func testOnce(t *testing.T, b *mqtttest.Broker, s storetest.Store) {
	devName, id := names()
	in := startIngest(t, b, s, id)
	dev := newDevice(t, b, devName)
	p, ids := dev.batch(t, 20)
	for range 2 {
		dev.publish(t, p)
		if got := dev.ack(t); !slices.Equal(got.IDs, ids) {
			t.Errorf("ack = %v, want %v", got.IDs, ids)
		}
	}
	checkStored(t, s, devName, ids)
	checkStats(t, in, ingest.Stats{Messages: 2, Stored: 20, Duplicates: 20, Acks: 2})
}

// testRejected sends a batch with events a box may not send: another
// device's source, no id, a bad type. They are kept as rejections, acked
// when they have an id the box can be told, and counted; the valid ones
// are stored.
func testRejected(t *testing.T, b *mqtttest.Broker, s storetest.Store) {
	devName, id := names()
	in := startIngest(t, b, s, id)
	dev := newDevice(t, b, devName)
	good := []string{uuid.Must(uuid.NewV7()).String(), uuid.Must(uuid.NewV7()).String()}
	foreign, noType := uuid.Must(uuid.NewV7()).String(), uuid.Must(uuid.NewV7()).String()
	other := dev.event(foreign)
	other["source"] = wire.Source("hq", "dev-other")
	bad := dev.event(noType)
	bad["type"] = "entry"
	noID := dev.event("")
	delete(noID, "id")
	dev.publish(t, payload(t, []any{dev.event(good[0]), other, noID, bad, dev.event(good[1])}))

	want := sorted([]string{good[0], foreign, noType, good[1]})
	if got := sorted(dev.ack(t).IDs); !slices.Equal(got, want) {
		t.Errorf("ack = %v, want %v", got, want)
	}
	checkStored(t, s, devName, good)
	rs, err := s.Rejections(context.Background(), devName)
	if err != nil || len(rs) != 3 {
		t.Fatalf("Rejections(%s) = %+v, %v, want 3", devName, rs, err)
	}
	for i, want := range []struct{ id, reason string }{{foreign, "source"}, {"", "id"}, {noType, "type"}} {
		if rs[i].ID != want.id || !strings.Contains(rs[i].Reason, want.reason) {
			t.Errorf("Rejections[%d] = %q, %q, want id %q and a reason about %s", i, rs[i].ID, rs[i].Reason, want.id, want.reason)
		}
	}
	checkStats(t, in, ingest.Stats{Messages: 1, Stored: 2, Rejected: 3, Acks: 1})
	if p := in.problems(); len(p) != 3 || !strings.Contains(p[0], "dev-other") {
		t.Errorf("problems = %q, want the 3 rejections", p)
	}
}

// testMalformed sends payloads that are no batch at all: dropped, counted,
// no ack; ingest goes on.
func testMalformed(t *testing.T, b *mqtttest.Broker, s storetest.Store) {
	devName, id := names()
	in := startIngest(t, b, s, id)
	dev := newDevice(t, b, devName)
	bad := []string{"not json", "[]", "[1, 2]", `{"ids":["x"]}`, "[{\"id\":\"x\"}] trailing", "\xff\xfe"}
	for _, p := range bad {
		dev.publish(t, []byte(p))
	}
	p, ids := dev.batch(t, 3)
	dev.publish(t, p)
	if got := dev.ack(t); !slices.Equal(got.IDs, ids) {
		t.Errorf("ack = %v, want %v", got.IDs, ids)
	}
	dev.noAck(t, 300*time.Millisecond)
	checkStored(t, s, devName, ids)
	checkStats(t, in, ingest.Stats{Messages: uint64(len(bad)) + 1, Malformed: uint64(len(bad)), Stored: 3, Acks: 1})
	if p := in.problems(); len(p) != len(bad) {
		t.Errorf("problems = %q, want %d", p, len(bad))
	}
}

// testShared runs two ingest processes on the shared subscription: each
// takes part of the load, and together they store everything once.
func testShared(t *testing.T, b *mqtttest.Broker, s storetest.Store) {
	devName, id := names()
	in1 := startIngest(t, b, s, id+"-1")
	in2 := startIngestAs(t, b, s, "city-ingest-2", id+"-2")
	dev := newDevice(t, b, devName)
	var all []string
	for range 40 {
		p, ids := dev.batch(t, 10)
		dev.publish(t, p)
		all = append(all, ids...)
	}
	if got := dev.acked(t, len(all)); !slices.Equal(got, sorted(all)) {
		t.Errorf("acked %d ids, want the %d published", len(got), len(all))
	}
	checkStored(t, s, devName, all)
	in1.stop()
	in2.stop()
	s1, s2 := in1.Stats(), in2.Stats()
	if s1.Messages == 0 || s2.Messages == 0 || s1.Messages+s2.Messages != 40 || s1.Stored+s2.Stored != 400 {
		t.Errorf("Stats() = %+v and %+v, want 40 messages and 400 events shared by both", s1, s2)
	}
}

// testRestart stops ingest while the device publishes: the broker keeps
// the messages in ingest's persistent session, and the restarted ingest
// stores them all once.
func testRestart(t *testing.T, b *mqtttest.Broker, s storetest.Store) {
	devName, id := names()
	in := startIngest(t, b, s, id)
	dev := newDevice(t, b, devName)
	p, first := dev.batch(t, 5)
	dev.publish(t, p)
	dev.ack(t)
	in.stop()

	var all []string
	for range 10 {
		p, ids := dev.batch(t, 5)
		dev.publish(t, p)
		all = append(all, ids...)
	}
	dev.noAck(t, 300*time.Millisecond)
	in = startIngest(t, b, s, id)
	if got := dev.acked(t, len(all)); !slices.Equal(got, sorted(all)) {
		t.Errorf("acked %v, want %v", got, sorted(all))
	}
	checkStored(t, s, devName, append(all, first...))
	checkStats(t, in, ingest.Stats{Messages: 10, Stored: 50, Acks: 10})
}

// flaky is a store that fails while down is set.
type flaky struct {
	ingest.Store
	down  atomic.Bool
	saves atomic.Int64
}

var errDown = errors.New("store is down")

func (f *flaky) Save(ctx context.Context, b ingest.Batch) (ingest.Saved, error) {
	f.saves.Add(1)
	if f.down.Load() {
		return ingest.Saved{}, errDown
	}
	return f.Store.Save(ctx, b)
}

// TestStoreDown: while the store fails nothing is acked, neither to the
// box nor to the broker. Ingest stopped then keeps the message in the
// broker's session; started again with the store back, it stores and acks.
func TestStoreDown(t *testing.T) {
	b := mqtttest.Start(t)
	s, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "city.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f := &flaky{Store: s}
	f.down.Store(true)
	devName, id := names()
	in := startIngest(t, b, f, id)
	dev := newDevice(t, b, devName)

	p1, ids1 := dev.batch(t, 5)
	dev.publish(t, p1)
	dev.noAck(t, time.Second)
	if st := in.Stats(); st.StoreErrors < 2 || st.Acks != 0 || st.Stored != 0 {
		t.Errorf("Stats() with the store down = %+v, want retries and no acks", st)
	}
	if p := in.problems(); len(p) == 0 || !strings.Contains(p[0], errDown.Error()) {
		t.Errorf("problems = %q, want the store's error", p)
	}

	// Stopped while retrying: the message was not acknowledged to the
	// broker, so a new ingest gets it again.
	in.stop()
	f.down.Store(false)
	in = startIngest(t, b, f, id)
	if got := dev.ack(t); !slices.Equal(got.IDs, ids1) {
		t.Errorf("ack after restart = %v, want %v", got.IDs, ids1)
	}

	// Down again, then back while ingest runs: it retries until stored.
	f.down.Store(true)
	p2, ids2 := dev.batch(t, 5)
	dev.publish(t, p2)
	dev.noAck(t, 500*time.Millisecond)
	f.down.Store(false)
	if got := dev.ack(t); !slices.Equal(got.IDs, ids2) {
		t.Errorf("ack after the store came back = %v, want %v", got.IDs, ids2)
	}
	checkStored(t, s, devName, append(ids1, ids2...))
}

// TestBrokerRestart: ingest and the device reconnect by themselves after
// the broker restarts, and events flow again.
//
// Mosquitto 2.0.11 does not restore shared subscriptions from its
// persistence file: until ingest has subscribed again, events published
// are dropped (seen here; the box resends them when no ack comes). So the
// device publishes once ingest is back.
func TestBrokerRestart(t *testing.T) {
	b := mqtttest.Start(t)
	s, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "city.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	devName, id := names()
	in := startIngest(t, b, s, id)
	dev := newDevice(t, b, devName)
	p, ids := dev.batch(t, 5)
	dev.publish(t, p)
	dev.ack(t)
	b.Restart(t)
	for _, c := range []chan struct{}{in.connected, dev.connected} {
		select {
		case <-c:
		case <-time.After(20 * time.Second):
			t.Fatal("no reconnection within 20s")
		}
	}
	p, more := dev.batch(t, 5)
	dev.publish(t, p)
	if got := dev.ack(t); !slices.Equal(got.IDs, more) {
		t.Errorf("ack after broker restart = %v, want %v", got.IDs, more)
	}
	checkStored(t, s, devName, append(ids, more...))
}
