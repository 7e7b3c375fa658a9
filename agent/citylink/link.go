package citylink

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/roomgate/roomgate/agent/citysign"
	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/internal/backoff"
)

// Outbox is the store's side of the link; *store.Store implements it.
type Outbox interface {
	// Pending returns unacknowledged events with seq > afterSeq in seq
	// order, up to maxEvents and maxBytes of payload (at least one).
	Pending(ctx context.Context, afterSeq int64, maxEvents, maxBytes int) ([]store.OutboxEvent, error)
	// Ack marks events as stored by the city, ignoring unknown ids, and
	// returns how many were newly acknowledged.
	Ack(ctx context.Context, ids []string) (int, error)
	// PurgeAcked deletes events acknowledged before the given time.
	PurgeAcked(ctx context.Context, before time.Time) (int, error)
	// Outbox counts the events waiting.
	Outbox(ctx context.Context) (store.OutboxStats, error)

	// StartCommand records that a command is about to run and returns
	// nil, or returns the record of the same id taken before.
	StartCommand(ctx context.Context, id, name string, at time.Time) (*store.Command, error)
	// FinishCommand keeps the result answered to a command.
	FinishCommand(ctx context.Context, id string, result []byte) error
	// PurgeCommands forgets commands received before the given time.
	PurgeCommands(ctx context.Context, before time.Time) (int, error)
}

// Downlink is the agent's side: it applies what the city sends.
type Downlink interface {
	// Config applies a desired config; an error refuses it, and its text
	// is reported in state.
	Config(ctx context.Context, c wire.Config) error
	// Trust applies issuers and revocations, or refuses them.
	Trust(ctx context.Context, t wire.Trust) error
	// Visits replaces the chip ID card visits, or refuses them.
	Visits(ctx context.Context, v wire.Visits) error
	// Meetings replaces the room's schedule, or refuses it.
	Meetings(ctx context.Context, m wire.Schedule) error
	// GalleryManifest and GalleryChunk receive a gallery in parts, in any
	// order and again after every reconnect (they are retained); chunk
	// carries the chunk's exact bytes, which the manifest's sha256s are
	// over. The agent reports its progress in its part of the state.
	GalleryManifest(ctx context.Context, m wire.GalleryManifest) error
	GalleryChunk(ctx context.Context, c wire.GalleryChunk, payload []byte) error
	// Uses raises passes' use counts to the city's counts across the site;
	// an error (the store failed) leaves the message to come again.
	Uses(ctx context.Context, u wire.Uses) error
	// Command runs a command. The link sets the result's ID.
	Command(ctx context.Context, c wire.Command) wire.CommandResult
}

// Ack modes: who tells the box that it may forget an event.
const (
	AckCity   = "city"   // the city, on the ack topic, once it stored the event
	AckPuback = "puback" // the broker's PUBACK (for a city side that sends no acks)
)

// Settings configure a Link. Zero values take the defaults noted.
type Settings struct {
	Broker string      // ssl://host:8883
	TLS    *tls.Config // with the box's client certificate (CN = Device)
	Device string      // the MQTT client id and topic level
	Site   string
	// CityKey checks the city's signature on config, trust and cmd; without
	// it the box takes none of them (agent/citysign).
	CityKey ed25519.PublicKey

	AckMode     string        // AckCity (default) or AckPuback
	BatchEvents int           // events per message: 500
	BatchBytes  int           // bytes per message: 256 KiB, at most wire.MaxEventsSize
	Window      int           // messages waiting for their ack at once, at most: 32
	AckTimeout  time.Duration // the first ack timeout, before an ack was timed: 30s
	Retention   time.Duration // keep acknowledged events this long: 7 days
	BackoffMin  time.Duration // shortest reconnect delay: 1s
	BackoffMax  time.Duration // longest reconnect delay: 2m
	StateEvery  time.Duration // publish state this often: 1m
	OutboxCap   int           // raise the alarm at this many pending events; 0: never

	// The ack timeout then follows the acks' measured round trip within
	// these bounds: 5s and 5m, stretched to AckTimeout if it is outside.
	AckTimeoutMin, AckTimeoutMax time.Duration

	Log *slog.Logger
	// State returns the agent's part of the state (versions, devices, its
	// last error); the link fills in the rest. It is called from the link's
	// goroutine. Nil publishes the link's part only.
	State func() wire.State
}

// Defaults.
const (
	defaultBatchEvents = 500
	defaultBatchBytes  = 256 << 10
	defaultWindow      = 32
	defaultAckTimeout  = 30 * time.Second
	defaultRetention   = 7 * 24 * time.Hour
	defaultBackoffMin  = time.Second
	defaultBackoffMax  = 2 * time.Minute
	defaultStateEvery  = time.Minute

	defaultAckTimeoutMin = 5 * time.Second
	defaultAckTimeoutMax = 5 * time.Minute
)

// Timings that need no setting.
const (
	pollEvery      = time.Second      // look for new records even without Notify
	statsEvery     = 5 * time.Second  // count the backlog (a full scan of the outbox)
	purgeEvery     = time.Hour        // delete acknowledged events past retention
	connectTimeout = 15 * time.Second // TLS handshake, CONNECT and SUBSCRIBE
	writeTimeout   = time.Minute      // a 1 MiB batch over a slow cellular link
	keepAlive      = 30 * time.Second
	stableAfter    = time.Minute // a connection this old resets the backoff
	// Command ids are kept longer than any command lives: a redelivery
	// after that is refused as expired anyway.
	commandKeep = wire.MaxDeletionLifetime + 24*time.Hour
)

// Status is the link as the agent and its status page see it.
type Status struct {
	Connected bool
	LastError string // the last connection or store problem; empty once connected again
	Sent      int64  // events published, resends included
	Acked     int64  // events newly acknowledged
	Resent    int64  // events published again
	Refused   int64  // downlink messages refused (malformed, or refused by the agent)
	Connects  int64  // connections made to the broker; each after the first is a reconnect
	InFlight  int    // events published and not yet acknowledged
	Pending   int    // events waiting in the outbox, as last counted
	Oldest    time.Time
	Alarm     bool // Pending reached OutboxCap; nothing is dropped

	// The sender's pace now: messages it may keep waiting for acks, and
	// how long one may wait before it is resent.
	Window     int
	AckTimeout time.Duration
}

// Link is the store-and-forward link to the city.
type Link struct {
	s      Settings
	ob     Outbox
	dl     Downlink
	verify *citysign.Verifier
	log    *slog.Logger
	topics topics
	now    func() time.Time // when batches are sent and acked; tests set it

	notify   chan struct{} // new records committed
	acks     chan ackReq   // to ackLoop
	stateReq chan struct{} // something in the state changed
	resync   chan struct{} // the city asked for everything unacknowledged again

	downMu sync.Mutex // one config, trust or schedule applied at a time, in version order

	mu          sync.Mutex
	cur         *session // nil while offline
	lastErr     string
	sent        int64
	acked       int64
	resent      int64
	refused     int64
	connects    int64
	maxSentSeq  int64 // highest seq ever published: anything at or below is a resend
	stats       store.OutboxStats
	alarm       bool
	applied     map[string]wire.Applied // by leaf: config, trust, meetings
	refusal     string                  // the last config, trust or schedule the agent refused, for state's last_error
	refusalKind string                  // its leaf, so that applying the next one clears it
	seen        map[string]seenMsg
	cmds        map[string]*cmdEntry // commands running now, by id
}

// seenMsg is the last config, trust or schedule handled: a retained message comes
// again on every reconnect and must not be applied twice.
type seenMsg struct {
	version int64
	payload string
}

type topics struct {
	events, ack, state, config, trust, meetings, gallery, cmd, cmdResult, uses, visits string
}

// New checks the settings and returns a link; Run runs it.
func New(s Settings, ob Outbox, dl Downlink) (*Link, error) {
	if s.Broker == "" {
		return nil, errors.New("citylink: no broker")
	}
	if !wire.ValidName(s.Device) || !wire.ValidName(s.Site) {
		return nil, fmt.Errorf("citylink: device %q or site %q is not a valid name", s.Device, s.Site)
	}
	if s.TLS == nil {
		return nil, errors.New("citylink: no TLS config (the broker requires a client certificate)")
	}
	switch s.AckMode {
	case "":
		s.AckMode = AckCity
	case AckCity, AckPuback:
	default:
		return nil, fmt.Errorf("citylink: ack mode %q, want %s or %s", s.AckMode, AckCity, AckPuback)
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&s.BatchEvents, defaultBatchEvents)
	def(&s.BatchBytes, defaultBatchBytes)
	def(&s.Window, defaultWindow)
	defDur(&s.AckTimeout, defaultAckTimeout)
	defDur(&s.AckTimeoutMin, defaultAckTimeoutMin)
	defDur(&s.AckTimeoutMax, defaultAckTimeoutMax)
	defDur(&s.Retention, defaultRetention)
	defDur(&s.BackoffMin, defaultBackoffMin)
	defDur(&s.BackoffMax, defaultBackoffMax)
	defDur(&s.StateEvery, defaultStateEvery)
	s.BatchEvents = min(s.BatchEvents, wire.MaxBatchEvents, wire.MaxAckIDs)
	s.BatchBytes = min(s.BatchBytes, wire.MaxEventsSize)
	s.BackoffMax = max(s.BackoffMax, s.BackoffMin)
	// A first timeout outside the bounds was meant: they stretch to it.
	s.AckTimeoutMin = min(s.AckTimeoutMin, s.AckTimeout)
	s.AckTimeoutMax = max(s.AckTimeoutMax, s.AckTimeoutMin, s.AckTimeout)
	if s.Log == nil {
		s.Log = slog.Default()
	}
	t := func(leaf string) string { return wire.Topic(s.Device, leaf) }
	return &Link{
		s: s, ob: ob, dl: dl, verify: citysign.NewVerifier(s.CityKey, s.Device),
		log: s.Log.With("component", "citylink"), now: time.Now,
		topics: topics{
			events: t(wire.LeafEvents), ack: t(wire.LeafAck), state: t(wire.LeafState), config: t(wire.LeafConfig),
			trust: t(wire.LeafTrust), meetings: t(wire.LeafMeetings), gallery: t(wire.LeafGallery + "/#"),
			cmd: t(wire.LeafCmd), cmdResult: t(wire.LeafCmdResult), uses: t(wire.LeafUses), visits: t(wire.LeafVisits),
		},
		notify:   make(chan struct{}, 1),
		acks:     make(chan ackReq, 64),
		stateReq: make(chan struct{}, 1),
		resync:   make(chan struct{}, 1),
		seen:     map[string]seenMsg{},
		applied:  map[string]wire.Applied{},
		cmds:     map[string]*cmdEntry{},
	}, nil
}

// String names the link for logs.
func (l *Link) String() string { return "citylink " + l.s.Device + "@" + l.s.Broker }

// Notify tells the link that new records were committed: it sends them
// soon. It never blocks.
func (l *Link) Notify() { poke(l.notify) }

// StateChanged asks the link to publish the state soon (a device came or
// went). It never blocks.
func (l *Link) StateChanged() { poke(l.stateReq) }

// Resync resends now, from the outbox, every event still waiting for its
// ack, and publishes the state. It never blocks.
func (l *Link) Resync() { poke(l.resync) }

func poke(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Status returns the link's current status.
func (l *Link) Status() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := Status{
		Connected: l.cur != nil, LastError: l.lastErr,
		Sent: l.sent, Acked: l.acked, Resent: l.resent, Refused: l.refused, Connects: l.connects,
		Pending: l.stats.Pending, Oldest: l.stats.Oldest, Alarm: l.alarm,
	}
	if l.cur != nil {
		st.InFlight = len(l.cur.byID)
		st.Window, st.AckTimeout = l.cur.pace.limit(), l.cur.pace.timeout()
	}
	return st
}

// Run keeps the link up until ctx ends; network trouble only delays it.
// It returns nil when ctx ends.
func (l *Link) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); l.ackLoop(ctx) }()
	go func() { defer wg.Done(); l.every(ctx, statsEvery, l.refreshStats) }()
	go func() { defer wg.Done(); l.every(ctx, purgeEvery, l.purge) }()
	defer wg.Wait()

	attempt := 0
	for ctx.Err() == nil {
		start := time.Now()
		connected, err := l.session(ctx)
		if ctx.Err() != nil {
			break
		}
		if connected && time.Since(start) >= stableAfter {
			attempt = 0
		}
		delay := backoff.Delay(attempt, l.s.BackoffMin, l.s.BackoffMax, rand.Int64N)
		attempt++
		l.setErr(err)
		if connected {
			l.log.Warn("connection lost; reconnecting", "broker", l.s.Broker, "err", err, "in", delay)
		} else {
			l.log.Warn("cannot connect; retrying", "broker", l.s.Broker, "err", err, "in", delay, "attempt", attempt)
		}
		select {
		case <-ctx.Done():
		case <-time.After(delay):
		}
	}
	return nil
}

// every runs fn now and then every d until ctx ends.
func (l *Link) every(ctx context.Context, d time.Duration, fn func(context.Context)) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		fn(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (l *Link) setErr(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil {
		l.lastErr = ""
	} else {
		l.lastErr = err.Error()
	}
}

// refreshStats counts the backlog and raises or clears the alarm.
func (l *Link) refreshStats(ctx context.Context) {
	st, err := l.ob.Outbox(ctx)
	if err != nil {
		if ctx.Err() == nil {
			l.log.Error("cannot count the outbox", "err", err)
		}
		return
	}
	l.mu.Lock()
	was := l.alarm
	l.stats = st
	l.alarm = l.s.OutboxCap > 0 && st.Pending >= l.s.OutboxCap
	now := l.alarm
	l.mu.Unlock()
	switch {
	case now && !was:
		l.log.Warn("outbox alarm: records are piling up; none is dropped", "pending", st.Pending, "cap", l.s.OutboxCap, "oldest", st.Oldest)
		l.StateChanged()
	case was && !now:
		l.log.Info("outbox alarm cleared", "pending", st.Pending, "cap", l.s.OutboxCap)
		l.StateChanged()
	}
}

func (l *Link) purge(ctx context.Context) {
	n, err := l.ob.PurgeAcked(ctx, time.Now().Add(-l.s.Retention))
	switch {
	case err != nil && ctx.Err() == nil:
		l.log.Error("cannot purge acknowledged events", "err", err)
	case n > 0:
		l.log.Info("purged acknowledged events", "count", n, "retention", l.s.Retention)
	}
	n, err = l.ob.PurgeCommands(ctx, time.Now().Add(-commandKeep))
	switch {
	case err != nil && ctx.Err() == nil:
		l.log.Error("cannot purge old command ids", "err", err)
	case n > 0:
		l.log.Info("purged old command ids", "count", n)
	}
}

// state is what the box publishes on its state topic.
func (l *Link) state() wire.State {
	var s wire.State
	if l.s.State != nil {
		s = l.s.State()
	}
	st := l.Status()
	l.mu.Lock()
	s.Config, s.Trust, s.Schedule = l.applied[wire.LeafConfig], l.applied[wire.LeafTrust], l.applied[wire.LeafMeetings]
	s.Visits = l.applied[wire.LeafVisits]
	if s.LastError == "" {
		s.LastError = l.refusal
	}
	l.mu.Unlock()
	s.Online = true
	s.Time = time.Now().UTC()
	s.Outbox = wire.OutboxState{Pending: st.Pending, Oldest: st.Oldest.UTC(), Alarm: st.Alarm}
	if st.Oldest.IsZero() {
		s.Outbox.Oldest = time.Time{}
	}
	s.Link = wire.LinkState{Connected: st.Connected, LastError: st.LastError, Sent: st.Sent, Acked: st.Acked, Resent: st.Resent, Refused: st.Refused}
	return s
}
