package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	roomevent "github.com/roomgate/roomgate/agent/event"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/deploy/city/mqttclient"
)

// Subscription is the shared subscription ingest processes take events
// from: the broker hands each message to one of them.
const Subscription = "$share/ingest/" + wire.Root + "+/" + wire.LeafEvents

// Config configures an Ingester.
type Config struct {
	// MQTT says how to reach the broker. Ingest sets Persistent,
	// Subscriptions and the handlers itself; ClientID must stay the same
	// across restarts so the broker keeps the session.
	MQTT  mqttclient.Config
	Store Store

	// Workers bounds the messages handled at once; 16 when zero.
	Workers int
	// MaxBackoff bounds the wait between attempts to store a message
	// while the store fails; 10s when zero.
	MaxBackoff time.Duration
	// AckTimeout bounds the wait for the broker's PUBACK of an ack; 30s
	// when zero.
	AckTimeout time.Duration
	// Grace is how long Run, when stopping, lets messages in hand finish
	// storing and acking before it cancels them; 5s when zero. A message
	// cut short comes again, costing a duplicate.
	Grace time.Duration

	// OnProblem, when set, hears about every message ingest could not
	// take whole: malformed payloads, rejected events, failures to store
	// or to ack. The caller logs; ingest goes on.
	OnProblem func(error)
	// Observer, when set, hears of every commit and every failed attempt
	// to store; the command's metrics count from it.
	Observer Observer
	// Revoked, when set, says a device's certificates are all revoked
	// (`device revoke`): its messages are dropped unstored and unacked,
	// even those it sent before the broker reloaded its CRL.
	Revoked func(device string) bool
	// OnConnect and OnConnectionLost are passed to the MQTT client.
	OnConnect        func()
	OnConnectionLost func(error)
}

// Observer hears what storing did. It is called from the goroutines
// handling messages, so it must be safe for concurrent use and quick.
type Observer interface {
	// Committed is called once b is stored, with what Save did and how
	// long its commit took.
	Committed(b Batch, s Saved, took time.Duration)
	// StoreFailed is called for each failed attempt to store a batch
	// (the database is down or refused it); ingest retries.
	StoreFailed(b Batch, err error)
}

// Stats are an Ingester's counters since it was made.
type Stats struct {
	Messages    uint64 // messages received
	Malformed   uint64 // messages dropped: not a batch of events on an events topic
	Stored      uint64 // events stored
	Duplicates  uint64 // events that were stored already
	Rejected    uint64 // events kept in rejected_events
	Acks        uint64 // acks published and confirmed by the broker
	StoreErrors uint64 // failed attempts to store a message, retried
	AckErrors   uint64 // acks that failed; the message comes again
	Refused     uint64 // messages dropped: from a revoked device
	Uses        uint64 // use-count messages published to the boxes of a site
}

// Ingester moves events from the broker into a Store. Run it once.
type Ingester struct {
	cfg  Config
	pub  publisher
	work chan struct{} // a slot per message in hand

	mu       sync.Mutex
	closing  bool
	stopping chan struct{} // closed when Run starts to stop: no more retries
	running  sync.WaitGroup

	messages, malformed, stored, duplicates, rejected, acks, storeErrors, ackErrors, refused, uses atomic.Uint64
}

// publisher is what handling a message needs of the MQTT client.
type publisher interface {
	Publish(ctx context.Context, topic string, payload []byte, retained bool) error
}

// New returns an Ingester; Run starts it.
func New(cfg Config) *Ingester {
	if cfg.Workers <= 0 {
		cfg.Workers = 16
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 10 * time.Second
	}
	if cfg.AckTimeout <= 0 {
		cfg.AckTimeout = 30 * time.Second
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 5 * time.Second
	}
	return &Ingester{cfg: cfg, work: make(chan struct{}, cfg.Workers), stopping: make(chan struct{})}
}

// Stats returns the counters.
func (in *Ingester) Stats() Stats {
	return Stats{
		Messages: in.messages.Load(), Malformed: in.malformed.Load(),
		Stored: in.stored.Load(), Duplicates: in.duplicates.Load(), Rejected: in.rejected.Load(),
		Acks: in.acks.Load(), StoreErrors: in.storeErrors.Load(), AckErrors: in.ackErrors.Load(), Refused: in.refused.Load(), Uses: in.uses.Load(),
	}
}

// Run connects to the broker and ingests until ctx ends, then lets the
// messages in hand finish (those waiting for a failed store stop at once,
// unacknowledged) and disconnects. It returns an error only if it could
// not connect.
func (in *Ingester) Run(ctx context.Context) error {
	// Messages are handled under work, which outlives ctx by the grace
	// period, so a clean stop does not cut an ack short.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	mc := in.cfg.MQTT
	mc.Persistent = true
	mc.Subscriptions = []string{Subscription}
	mc.OnConnect, mc.OnConnectionLost = in.cfg.OnConnect, in.cfg.OnConnectionLost
	mc.OnMessage = func(m mqttclient.Message) {
		in.mu.Lock()
		if in.closing {
			// Not acknowledged: it stays in the session for next time.
			in.mu.Unlock()
			return
		}
		in.running.Add(1)
		in.mu.Unlock()
		defer in.running.Done()
		if in.handle(work, m.Topic, m.Payload) {
			m.Ack()
		}
	}
	client, err := mqttclient.New(mc)
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	in.pub = client
	if err := client.Connect(ctx); err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	<-ctx.Done()
	in.mu.Lock()
	in.closing = true
	close(in.stopping)
	in.mu.Unlock()
	finished := make(chan struct{})
	go func() { in.running.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(in.cfg.Grace):
		cancelWork()
		<-finished
	}
	client.Close()
	return nil
}

func (in *Ingester) problem(err error) {
	if in.cfg.OnProblem != nil {
		in.cfg.OnProblem(err)
	}
}

// handle deals with one message and reports whether the broker may forget
// it: yes once it is stored and acked, or if it is malformed (storing it
// will never succeed); no if ctx ended first or the ack failed.
func (in *Ingester) handle(ctx context.Context, topic string, payload []byte) bool {
	select {
	case in.work <- struct{}{}:
		defer func() { <-in.work }()
	case <-in.stopping:
		return false
	case <-ctx.Done():
		return false
	}
	in.messages.Add(1)
	device, leaf, err := wire.ParseTopic(topic)
	if err == nil && leaf != wire.LeafEvents {
		err = fmt.Errorf("topic %.100q is not an events topic", topic)
	}
	if err != nil {
		in.malformed.Add(1)
		in.problem(fmt.Errorf("ingest: dropped a message: %w", err))
		return true
	}
	if in.cfg.Revoked != nil && in.cfg.Revoked(device) {
		in.refused.Add(1)
		in.problem(fmt.Errorf("ingest: refused a message of %d bytes from %s: its certificates are revoked", len(payload), device))
		return true
	}
	b, ids, err := Decode(device, payload)
	if err != nil {
		// No ids to ack: the box will resend, and a box that keeps
		// sending garbage shows in the malformed count and the log.
		in.malformed.Add(1)
		in.problem(fmt.Errorf("ingest: dropped a message from %s: %w", device, err))
		return true
	}
	for _, r := range b.Rejected {
		in.problem(fmt.Errorf("ingest: rejected event %.64q from %s: %s", r.ID, device, r.Reason))
	}
	saved, err := in.save(ctx, b)
	if err != nil {
		return false
	}
	in.stored.Add(uint64(saved.Stored))
	in.duplicates.Add(uint64(saved.Duplicates))
	in.rejected.Add(uint64(saved.Rejected))
	if len(ids) == 0 {
		return true
	}
	actx, cancel := context.WithTimeout(ctx, in.cfg.AckTimeout)
	defer cancel()
	// Before the ack: if sharing fails, the box resends and the counts
	// are worked out again.
	if err := in.shareUses(actx, b); err != nil {
		in.problem(fmt.Errorf("%w (stored; the message will come again)", err))
		return false
	}
	for _, p := range AckPayloads(ids) {
		if err := in.pub.Publish(actx, wire.Topic(device, wire.LeafAck), p, false); err != nil {
			in.ackErrors.Add(1)
			in.problem(fmt.Errorf("ingest: ack to %s: %w (stored; the message will come again)", device, err))
			return false
		}
		in.acks.Add(1)
	}
	return true
}

// save stores b, retrying with backoff while the store fails, until ctx
// ends or Run stops.
func (in *Ingester) save(ctx context.Context, b Batch) (Saved, error) {
	wait := 100 * time.Millisecond
	for {
		start := time.Now()
		saved, err := in.cfg.Store.Save(ctx, b)
		if err == nil {
			if in.cfg.Observer != nil {
				in.cfg.Observer.Committed(b, saved, time.Since(start))
			}
			return saved, nil
		}
		if ctx.Err() != nil {
			return Saved{}, ctx.Err()
		}
		in.storeErrors.Add(1)
		if in.cfg.Observer != nil {
			in.cfg.Observer.StoreFailed(b, err)
		}
		in.problem(fmt.Errorf("ingest: storing %d events from %s, retrying in %v: %w", len(b.Events), b.Device, wait, err))
		select {
		case <-time.After(wait):
		case <-in.stopping:
			return Saved{}, errors.New("ingest: stopping")
		case <-ctx.Done():
			return Saved{}, ctx.Err()
		}
		wait = min(2*wait, in.cfg.MaxBackoff)
	}
}

// Decode turns an events payload from device into a batch and the ids to
// acknowledge: those of every event, valid or rejected, that the box can
// be told about. It fails only if the payload is not a batch at all.
func Decode(device string, payload []byte) (Batch, []string, error) {
	raws, err := wire.DecodeEvents(payload)
	if err != nil {
		return Batch{}, nil, err
	}
	b := Batch{Device: device, Events: make([]Event, 0, len(raws))}
	ids := make([]string, 0, len(raws))
	for _, raw := range raws {
		e, err := wire.DecodeEvent(raw, device)
		if err == nil {
			err = checkData(e)
		}
		if err != nil {
			id := looseID(raw)
			b.Rejected = append(b.Rejected, Rejection{ID: id, Reason: err.Error(), Raw: raw})
			if ackable(id) {
				ids = append(ids, id)
			}
			continue
		}
		b.Events = append(b.Events, Event{Source: e.Source, ID: e.ID, Type: e.Type, Time: e.Time, Data: e.Data})
		ids = append(ids, e.ID)
	}
	return b, ids, nil
}

// checkData checks the data of the event types the city reads field by
// field (roomgate-city bridges reads call records); the data of other
// types is kept as sent. A record the box cannot make valid by resending
// it is rejected, and kept with the reason, rather than stored to be
// misread later.
func checkData(e wire.Event) error {
	if e.Type != roomevent.TypeCall {
		return nil
	}
	c, err := wire.DecodeCall(e.Data)
	if err != nil {
		return fmt.Errorf("event %s: %w", e.ID, err)
	}
	if src := wire.Source(c.Site, c.Device); src != e.Source {
		return fmt.Errorf("event %s: call of %s in an event from %s", e.ID, src, e.Source)
	}
	return nil
}

// looseID returns the id an invalid event claims, if it has a string one.
func looseID(raw []byte) string {
	var v struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	return v.ID
}

// ackable reports whether id passes the box's ack decoder; one id it
// refuses would cost the whole ack.
func ackable(id string) bool {
	p, err := json.Marshal(wire.Ack{IDs: []string{id}})
	if err != nil {
		return false
	}
	_, err = wire.DecodeAck(p)
	return err == nil
}

// AckPayloads encodes ids as acks, split so each fits the box's limits
// (10,000 ids of 64 bytes would not fit one ack's 512 KiB).
func AckPayloads(ids []string) [][]byte {
	var out [][]byte
	for len(ids) > 0 {
		n, size := 0, len(`{"ids":[]}`)
		for n < len(ids) && n < wire.MaxAckIDs {
			q, _ := json.Marshal(ids[n])
			if n > 0 && size+len(q)+1 > wire.MaxAckSize {
				break
			}
			size += len(q) + 1
			n++
		}
		p, _ := json.Marshal(wire.Ack{IDs: ids[:n]}) // strings always encode
		out = append(out, p)
		ids = ids[n:]
	}
	return out
}
