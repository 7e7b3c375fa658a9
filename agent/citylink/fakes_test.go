package citylink

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/roomgate/roomgate/agent/citysign"
	"github.com/roomgate/roomgate/agent/event"
	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/agent/wire"
)

const (
	testSite   = "hq"
	testDevice = "gate-7"
)

// testCity signs what the tests send as the city; newTestLink pins its key.
var testCity = citysign.Signer{Key: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)), Kid: "city-ops"}

// signed returns v (a wire.Config, Trust or Command) signed by testCity for
// device, as the city sends it.
func signed(t testing.TB, device string, v any) []byte {
	t.Helper()
	var b []byte
	var err error
	switch v := v.(type) {
	case wire.Config:
		b, err = testCity.Config(device, v, time.Now())
	case wire.Trust:
		b, err = testCity.Trust(device, v, time.Now())
	case wire.Command:
		b, err = testCity.Command(device, v, time.Now(), 0)
	case wire.Visits:
		b, err = testCity.Visits(device, v, time.Now())
	default:
		t.Fatalf("signed(%T)", v)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// memOutbox is an Outbox in memory with the store's semantics.
type memOutbox struct {
	mu         sync.Mutex
	rows       []memRow // seq order
	pendingErr error    // returned by Pending while set
	ackErr     error    // returned by Ack while set
	ackCalls   int
	cmds       map[string]*store.Command
}

type memRow struct {
	ev      store.OutboxEvent
	created time.Time
	acked   time.Time
}

var _ Outbox = (*memOutbox)(nil)
var _ Outbox = (*store.Store)(nil)

// add appends n events whose data carries pad bytes of padding and returns them.
func (m *memOutbox) add(t testing.TB, n, pad int) []store.OutboxEvent {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.OutboxEvent
	for range n {
		env, payload, err := event.New(event.Source(testSite, testDevice), event.TypeEntry, time.Now(), map[string]any{"pad": strings.Repeat("x", pad)})
		if err != nil {
			t.Fatal(err)
		}
		seq := int64(len(m.rows) + 1)
		ev := store.OutboxEvent{Seq: seq, ID: env.ID, Payload: payload}
		m.rows = append(m.rows, memRow{ev: ev, created: time.Now()})
		out = append(out, ev)
	}
	return out
}

func (m *memOutbox) Pending(ctx context.Context, afterSeq int64, maxEvents, maxBytes int) ([]store.OutboxEvent, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pendingErr != nil {
		return nil, m.pendingErr
	}
	var out []store.OutboxEvent
	size := 0
	for _, r := range m.rows {
		if r.ev.Seq <= afterSeq || !r.acked.IsZero() {
			continue
		}
		if len(out) == maxEvents || (len(out) > 0 && size+len(r.ev.Payload) > maxBytes) {
			break
		}
		size += len(r.ev.Payload)
		out = append(out, r.ev)
	}
	return out, nil
}

func (m *memOutbox) Ack(ctx context.Context, ids []string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ackCalls++
	if m.ackErr != nil {
		return 0, m.ackErr
	}
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	n := 0
	for i := range m.rows {
		if want[m.rows[i].ev.ID] && m.rows[i].acked.IsZero() {
			m.rows[i].acked = time.Now()
			n++
		}
	}
	return n, nil
}

func (m *memOutbox) PurgeAcked(ctx context.Context, before time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	kept := m.rows[:0]
	n := 0
	for _, r := range m.rows {
		if !r.acked.IsZero() && r.acked.Before(before) {
			n++
			continue
		}
		kept = append(kept, r)
	}
	m.rows = kept
	return n, nil
}

func (m *memOutbox) Outbox(ctx context.Context) (store.OutboxStats, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var st store.OutboxStats
	for _, r := range m.rows {
		if r.acked.IsZero() {
			if st.Pending == 0 {
				st.Oldest = r.created
			}
			st.Pending++
		}
	}
	return st, nil
}

func (m *memOutbox) StartCommand(ctx context.Context, id, name string, at time.Time) (*store.Command, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.cmds[id]; ok {
		cp := *c
		return &cp, nil
	}
	if m.cmds == nil {
		m.cmds = map[string]*store.Command{}
	}
	m.cmds[id] = &store.Command{ID: id, Name: name, Received: at}
	return nil, nil
}

func (m *memOutbox) FinishCommand(ctx context.Context, id string, result []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.cmds[id]; ok {
		c.Result = result
	}
	return nil
}

func (m *memOutbox) PurgeCommands(ctx context.Context, before time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for id, c := range m.cmds {
		if c.Received.Before(before) {
			delete(m.cmds, id)
			n++
		}
	}
	return n, nil
}

// unacked returns the ids not yet acknowledged.
func (m *memOutbox) unacked() map[string]bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]bool{}
	for _, r := range m.rows {
		if r.acked.IsZero() {
			out[r.ev.ID] = true
		}
	}
	return out
}

// fakePublisher records publishes; its tokens complete at once with err.
type fakePublisher struct {
	mu    sync.Mutex
	msgs  []published
	err   error
	flush func() // publishes what the session queued
}

type published struct {
	topic    string
	retained bool
	payload  []byte
}

func (p *fakePublisher) Publish(topic string, qos byte, retained bool, payload any) mqtt.Token {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.msgs = append(p.msgs, published{topic, retained, payload.([]byte)})
	return doneToken{p.err}
}

// take returns and forgets what was published on topic.
func (p *fakePublisher) take(topic string) []published {
	p.flush()
	p.mu.Lock()
	defer p.mu.Unlock()
	var out, rest []published
	for _, m := range p.msgs {
		if m.topic == topic {
			out = append(out, m)
		} else {
			rest = append(rest, m)
		}
	}
	p.msgs = rest
	return out
}

// doneToken is a completed paho token.
type doneToken struct{ err error }

var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (t doneToken) Wait() bool                     { return true }
func (t doneToken) WaitTimeout(time.Duration) bool { return true }
func (t doneToken) Done() <-chan struct{}          { return closed }
func (t doneToken) Error() error                   { return t.err }

// fakeDownlink records what the city sent and refuses what it is told to.
type fakeDownlink struct {
	mu          sync.Mutex
	configs     []wire.Config
	trusts      []wire.Trust
	visits      []wire.Visits
	commands    []wire.Command
	uses        []wire.Uses
	failUses    bool // Uses fails as a broken store would
	schedules   []wire.Schedule
	manifest    wire.GalleryManifest
	chunks      map[int][]byte // of the manifest's version, by index
	refuseBelow int64          // configs with a version below this are refused
}

func (d *fakeDownlink) Config(ctx context.Context, c wire.Config) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.configs = append(d.configs, c)
	if c.Version < d.refuseBelow {
		return fmt.Errorf("config: version %d is too old for this box", c.Version)
	}
	if strings.Contains(c.YAML, "bogus") {
		return errors.New("config: sync.window: want a positive number")
	}
	return nil
}

func (d *fakeDownlink) Trust(ctx context.Context, t wire.Trust) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.trusts = append(d.trusts, t)
	return nil
}

func (d *fakeDownlink) Visits(ctx context.Context, v wire.Visits) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.visits = append(d.visits, v)
	return nil
}

func (d *fakeDownlink) Meetings(ctx context.Context, m wire.Schedule) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.schedules = append(d.schedules, m)
	for _, mt := range m.Meetings {
		if mt.Room != "" && mt.Room != "P.301" {
			return fmt.Errorf("meeting %s is in room %s, not this one", mt.ID, mt.Room)
		}
	}
	return nil
}

// GalleryManifest and GalleryChunk keep a gallery's chunks as the agent
// would: those that come before their manifest are kept unchecked, those
// after it are checked against it.
func (d *fakeDownlink) GalleryManifest(ctx context.Context, m wire.GalleryManifest) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.manifest = m
	return nil
}

func (d *fakeDownlink) GalleryChunk(ctx context.Context, c wire.GalleryChunk, payload []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if c.Version == d.manifest.Version {
		if err := d.manifest.Check(c, payload); err != nil {
			return err
		}
	}
	if d.chunks == nil {
		d.chunks = map[int][]byte{}
	}
	d.chunks[c.Index] = payload
	return nil
}

// gallery is the fake's progress, as the agent reports it in state.
func (d *fakeDownlink) gallery() wire.GallerySync {
	d.mu.Lock()
	defer d.mu.Unlock()
	g := wire.GallerySync{Version: d.manifest.Version, Model: d.manifest.Model, Total: d.manifest.Chunks}
	for _, p := range d.chunks {
		if c, err := wire.DecodeGalleryChunk(p); err == nil && d.manifest.Check(c, p) == nil {
			g.Received++
		}
	}
	g.Applied = g.Version > 0 && g.Received == g.Total
	return g
}

func (d *fakeDownlink) Command(ctx context.Context, c wire.Command) wire.CommandResult {
	d.mu.Lock()
	d.commands = append(d.commands, c)
	d.mu.Unlock()
	switch c.Name {
	case wire.CmdPing:
		return wire.CommandResult{OK: true, Result: map[string]any{"pong": true}}
	case wire.CmdOpenDoor:
		return wire.CommandResult{Error: "door: not configured"}
	}
	return wire.CommandResult{OK: true}
}

func (d *fakeDownlink) counts() (configs, trusts, commands int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.configs), len(d.trusts), len(d.commands)
}

// testLog returns a logger that keeps the link's lines and shows them if
// the test fails; lines written after the test ended are kept harmlessly.
func testLog(t testing.TB) (*slog.Logger, *logBuffer) {
	buf := &logBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("citylink log:\n%s", buf)
		}
	})
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

type logBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var tlsConfigForTests tls.Config

func (d *fakeDownlink) Uses(ctx context.Context, u wire.Uses) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.failUses {
		return errors.New("store: disk I/O error")
	}
	d.uses = append(d.uses, u)
	return nil
}

// fakeClock is the link's clock in a test: it moves only when told.
type fakeClock struct{ ns atomic.Int64 }

// useFakeClock makes l send and time acks by a fake clock.
func useFakeClock(l *Link) *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC).UnixNano())
	l.now = c.now
	return c
}

func (c *fakeClock) now() time.Time { return time.Unix(0, c.ns.Load()) }

func (c *fakeClock) add(d time.Duration) { c.ns.Add(int64(d)) }
