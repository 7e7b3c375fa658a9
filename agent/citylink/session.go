package citylink

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/agent/wire"
)

// session is one connection to the broker and what was sent over it.
// Everything but client, cursor and ahead is guarded by Link.mu; cursor
// and ahead belong to the session's goroutine.
type session struct {
	l      *Link
	ctx    context.Context
	client publisher
	sub    subscriber    // the same client, for a self-test's ping; nil in tests without a broker
	done   chan struct{} // closed when the session ends
	wake   chan struct{} // a window slot came free

	inflight map[uint64]*batch
	byID     map[string]uint64 // event id → batch
	nextID   uint64
	pace     *pace
	// ackedThrough is the newest batch (by id, the order of first sending)
	// of which an ack came: an older one still waiting lost its message or
	// its ack. A loss of a batch up to recover was already answered by
	// shrinking the window.
	ackedThrough, recover uint64

	cursor int64               // highest seq read for sending in this session
	ahead  []store.OutboxEvent // the next batch, read while the window was full

	outMu  sync.Mutex
	out    []outgoing    // publishes waiting for the publisher, in order
	queued chan struct{} // out has something
	sendMu sync.Mutex    // held while handing messages to paho, keeping their order
}

// outgoing is one message for the session's publisher.
type outgoing struct {
	topic    string
	retained bool
	payload  []byte
	then     func(error)
}

// publisher is the part of paho's client the sender uses.
type publisher interface {
	Publish(topic string, qos byte, retained bool, payload any) mqtt.Token
}

// batch is one published events message waiting for its ack.
type batch struct {
	id          uint64
	first, last int64               // seq range it was read from
	ids         map[string]struct{} // events not yet acknowledged
	sentAt      time.Time
	resent      bool // sent more than once: its round trip is not a sample
}

func (l *Link) newSession(ctx context.Context) *session {
	return &session{
		l: l, ctx: ctx, done: make(chan struct{}), wake: make(chan struct{}, 1),
		inflight: map[uint64]*batch{}, byID: map[string]uint64{},
		pace:   newPace(l.s.AckTimeout, l.s.AckTimeoutMin, l.s.AckTimeoutMax, l.s.Window),
		queued: make(chan struct{}, 1),
	}
}

// session connects, runs until the connection is lost or ctx ends, and
// reports whether it got connected at all.
func (l *Link) session(ctx context.Context) (connected bool, err error) {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s := l.newSession(sctx)
	lost := make(chan error, 1)
	opts := mqtt.NewClientOptions().
		AddBroker(l.s.Broker).
		SetClientID(l.s.Device).
		SetTLSConfig(l.s.TLS).
		// The broker keeps our subscriptions and queues acks, config and
		// commands while we are away.
		SetCleanSession(false).
		// Our own reconnect loop, with a fresh client each time: paho's
		// resend of its stored messages across reconnects has lost and
		// duplicated messages, and the outbox is the buffer that counts.
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetStore(mqtt.NewMemoryStore()).
		SetResumeSubs(false).
		// Handlers run in their own goroutines, so a slow store or command
		// cannot hold up PUBACKs of our publishes; each message is
		// acknowledged to the broker once dealt with, so one interrupted by
		// a lost connection comes again.
		SetOrderMatters(false).
		SetAutoAckDisabled(true).
		SetKeepAlive(keepAlive).
		SetPingTimeout(10*time.Second).
		SetConnectTimeout(connectTimeout).
		SetWriteTimeout(writeTimeout).
		SetBinaryWill(l.topics.state, wire.Offline(), 1, true).
		// The default handler, not a route per subscription: a persistent
		// session's queued messages arrive right after CONNACK, before our
		// SUBSCRIBE.
		SetDefaultPublishHandler(s.onMessage).
		SetConnectionLostHandler(func(_ mqtt.Client, err error) {
			select {
			case lost <- err:
			default:
			}
		})
	client := mqtt.NewClient(opts)
	s.client, s.sub = client, client
	defer close(s.done)
	go s.publisher()

	if err := wait(sctx, client.Connect(), connectTimeout); err != nil {
		client.Disconnect(0)
		return false, fmt.Errorf("connect %s: %w", l.s.Broker, err)
	}
	defer client.Disconnect(250)
	if err := s.subscribe(client); err != nil {
		return true, err
	}
	l.mu.Lock()
	l.cur = s
	l.lastErr = ""
	l.connects++
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		l.cur = nil
		l.mu.Unlock()
	}()
	l.log.Info("connected", "broker", l.s.Broker, "ack_mode", l.s.AckMode)
	s.publishState()

	tick := time.NewTicker(min(pollEvery, l.s.AckTimeoutMin/2))
	defer tick.Stop()
	stateTick := time.NewTicker(l.s.StateEvery)
	defer stateTick.Stop()
	for {
		s.fill()
		select {
		case <-ctx.Done():
			s.goodbye()
			return true, nil
		case err := <-lost:
			return true, fmt.Errorf("connection lost: %w", err)
		case <-l.notify:
		case <-s.wake:
		case <-tick.C:
			s.resendExpired()
		case <-l.resync:
			s.resync()
		case <-stateTick.C:
			s.publishState()
		case <-l.stateReq:
			s.publishState()
		}
	}
}

func (s *session) subscribe(client mqtt.Client) error {
	t := s.l.topics
	tok := client.SubscribeMultiple(map[string]byte{t.ack: 1, t.config: 1, t.trust: 1, t.meetings: 1, t.gallery: 1, t.cmd: 1, t.uses: 1, t.visits: 1}, nil)
	if err := wait(s.ctx, tok, connectTimeout); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	for topic, code := range tok.(*mqtt.SubscribeToken).Result() {
		if code == 0x80 {
			return fmt.Errorf("subscribe: broker refused %s", topic)
		}
	}
	return nil
}

// wait waits for a paho token, ctx or the timeout.
func wait(ctx context.Context, tok mqtt.Token, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return errors.New("timed out")
	}
}

// goodbye says offline before a clean disconnect, which sends no will.
func (s *session) goodbye() {
	done := make(chan error, 1)
	s.publish(s.l.topics.state, true, wire.Offline(), func(err error) { done <- err })
	t := time.NewTimer(2 * time.Second)
	defer t.Stop()
	select {
	case err := <-done:
		if err != nil {
			s.l.log.Warn("cannot publish offline state", "err", err)
		}
	case <-t.C:
		s.l.log.Warn("cannot publish offline state", "err", "timed out")
	}
}

// publishState publishes the retained state without waiting for the broker.
func (s *session) publishState() {
	payload, err := json.Marshal(s.l.state())
	if err != nil {
		s.l.log.Error("cannot encode state", "err", err)
		return
	}
	s.publish(s.l.topics.state, true, payload, nil)
}

// publish queues a message for the publisher, to go out at QoS 1 in the
// order queued; then (if set) gets the outcome, unless the session ended
// first.
func (s *session) publish(topic string, retained bool, payload []byte, then func(error)) {
	s.outMu.Lock()
	s.out = append(s.out, outgoing{topic, retained, payload, then})
	s.outMu.Unlock()
	poke(s.queued)
}

// publisher hands queued messages to paho. It runs apart from the
// session's loop because paho's Publish can block for the whole write
// timeout while a lost connection is being torn down, and the loop must
// still see the loss and its context's end.
func (s *session) publisher() {
	for {
		select {
		case <-s.queued:
			s.publishQueued()
		case <-s.done:
			return
		}
	}
}

// publishQueued hands paho every message queued so far.
func (s *session) publishQueued() {
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	s.outMu.Lock()
	queued := s.out
	s.out = nil
	s.outMu.Unlock()
	for _, m := range queued {
		tok := s.client.Publish(m.topic, 1, m.retained, m.payload)
		go s.outcome(m, tok)
	}
}

// outcome waits for a publish to complete and reports it.
func (s *session) outcome(m outgoing, tok mqtt.Token) {
	select {
	case <-tok.Done():
		err := tok.Error()
		if err != nil && s.ctx.Err() == nil {
			s.l.log.Warn("publish failed", "topic", m.topic, "err", err)
		}
		if m.then != nil {
			m.then(err)
		}
	case <-s.done:
	}
}

// maxPayload is what Pending may return so that the joined batch, with its
// brackets and commas, stays within BatchBytes.
func (s *session) maxPayload() int {
	return max(1, s.l.s.BatchBytes-s.l.s.BatchEvents-1)
}

// fill publishes batches until the window is full or the outbox has no
// more, and then reads the next batch ahead so it is ready when a slot
// frees.
func (s *session) fill() {
	l := s.l
	for s.ctx.Err() == nil {
		if s.ahead == nil {
			evs, err := l.ob.Pending(s.ctx, s.cursor, l.s.BatchEvents, s.maxPayload())
			if err != nil {
				if s.ctx.Err() == nil {
					l.log.Error("cannot read the outbox", "err", err)
					l.setErr(err)
				}
				return
			}
			if len(evs) == 0 {
				return
			}
			s.ahead = evs
			s.cursor = evs[len(evs)-1].Seq
		}
		l.mu.Lock()
		full := len(s.inflight) >= s.pace.limit()
		l.mu.Unlock()
		if full {
			return
		}
		evs := s.ahead
		s.ahead = nil
		b := &batch{first: evs[0].Seq, last: evs[len(evs)-1].Seq}
		l.mu.Lock()
		s.nextID++
		b.id = s.nextID
		s.inflight[b.id] = b
		l.mu.Unlock()
		s.send(b, evs)
	}
}

// send publishes evs as batch b, which must be in the window.
func (s *session) send(b *batch, evs []store.OutboxEvent) {
	l := s.l
	l.mu.Lock()
	b.ids = make(map[string]struct{}, len(evs))
	for _, ev := range evs {
		b.ids[ev.ID] = struct{}{}
		s.byID[ev.ID] = b.id
		if ev.Seq <= l.maxSentSeq {
			l.resent++
		}
	}
	b.sentAt = l.now()
	l.sent += int64(len(evs))
	l.maxSentSeq = max(l.maxSentSeq, b.last)
	l.mu.Unlock()

	var then func(error)
	if l.s.AckMode == AckPuback {
		ids := make([]string, len(evs))
		for i, ev := range evs {
			ids[i] = ev.ID
		}
		then = func(err error) {
			if err == nil {
				s.l.ackIDs(s.ctx, ids)
			}
		}
	}
	s.publish(l.topics.events, false, join(evs), then)
}

// join makes the events message: the stored CloudEvents as a JSON array,
// byte for byte.
func join(evs []store.OutboxEvent) []byte {
	n := 1 + len(evs)
	for _, ev := range evs {
		n += len(ev.Payload)
	}
	out := make([]byte, 0, n)
	out = append(out, '[')
	for i, ev := range evs {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, ev.Payload...)
	}
	return append(out, ']')
}

// resendExpired publishes again what is left of the batches whose ack is
// overdue. One sent before a batch the city has acknowledged lost its
// message or its ack: it goes again. Otherwise the city may only be slow:
// the oldest batch alone goes again once its ack is overdue, as a probe,
// and the pace waits twice as long before the next.
func (s *session) resendExpired() {
	l := s.l
	now := l.now()
	var due []*batch
	var probe *batch
	l.mu.Lock()
	timeout := s.pace.timeout()
	var lostThrough uint64
	for _, b := range s.inflight {
		if probe == nil || b.id < probe.id {
			probe = b
		}
		if now.Sub(b.sentAt) >= timeout && b.id < s.ackedThrough {
			due = append(due, b)
			lostThrough = max(lostThrough, b.id)
		}
	}
	switch {
	case lostThrough > s.recover:
		s.pace.lost()
		s.recover = s.nextID
	case len(due) == 0 && probe != nil && now.Sub(probe.sentAt) >= timeout:
		due = append(due, probe)
		s.pace.expired()
		s.recover = s.nextID
	}
	l.mu.Unlock()
	s.resend(due, now)
}

// resend publishes again, read afresh from the outbox, what is left of
// each batch, oldest first as the city would have had them.
func (s *session) resend(due []*batch, now time.Time) {
	l := s.l
	slices.SortFunc(due, func(a, b *batch) int { return cmp.Compare(a.first, b.first) })
	for _, b := range due {
		evs, err := l.ob.Pending(s.ctx, b.first-1, l.s.BatchEvents, s.maxPayload())
		if err != nil {
			if s.ctx.Err() == nil {
				l.log.Error("cannot read the outbox", "err", err)
				l.setErr(err)
			}
			return
		}
		for len(evs) > 0 && evs[len(evs)-1].Seq > b.last {
			evs = evs[:len(evs)-1]
		}
		l.mu.Lock()
		_, still := s.inflight[b.id]
		if still {
			for id := range b.ids {
				delete(s.byID, id)
			}
			if len(evs) == 0 {
				delete(s.inflight, b.id)
			}
			b.resent = true
		}
		l.mu.Unlock()
		if !still || len(evs) == 0 {
			poke(s.wake)
			continue
		}
		l.log.Info("resending unacknowledged events", "events", len(evs), "first_seq", evs[0].Seq, "waited", now.Sub(b.sentAt).Round(time.Millisecond))
		s.send(b, evs)
	}
}

// resync resends at once what is left of every batch in flight, and the
// state: the city asked, perhaps after losing what it had received.
func (s *session) resync() {
	s.l.mu.Lock()
	due := make([]*batch, 0, len(s.inflight))
	for _, b := range s.inflight {
		due = append(due, b)
	}
	s.l.mu.Unlock()
	s.resend(due, s.l.now())
	s.publishState()
}

// ackReq is a handler's request to record acks, answered once committed.
type ackReq struct {
	ids  []string
	done chan error
}

// ackIDs forgets events the city (or the broker) acknowledged, once the
// store has recorded it. Requests from concurrent handlers are committed
// together by ackLoop: one transaction instead of a queue of writers
// sleeping on SQLite's busy handler.
func (l *Link) ackIDs(ctx context.Context, ids []string) error {
	req := ackReq{ids: ids, done: make(chan error, 1)}
	select {
	case l.acks <- req:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// maxAckGroup bounds the ids committed in one transaction.
const maxAckGroup = 20_000

// ackLoop commits ack requests, grouping those that queued up meanwhile.
func (l *Link) ackLoop(ctx context.Context) {
	for {
		var group []ackReq
		select {
		case <-ctx.Done():
			return
		case req := <-l.acks:
			group = append(group, req)
		}
		n := len(group[0].ids)
	more:
		for n < maxAckGroup {
			select {
			case req := <-l.acks:
				group = append(group, req)
				n += len(req.ids)
			default:
				break more
			}
		}
		ids := group[0].ids
		if len(group) > 1 {
			ids = make([]string, 0, n)
			for _, req := range group {
				ids = append(ids, req.ids...)
			}
		}
		err := l.commitAcks(ctx, ids)
		for _, req := range group {
			req.done <- err
		}
	}
}

// commitAcks records acks in the store and frees what they complete.
func (l *Link) commitAcks(ctx context.Context, ids []string) error {
	n, err := l.ob.Ack(ctx, ids)
	if err != nil {
		if ctx.Err() == nil {
			l.log.Error("cannot record acks", "err", err, "ids", len(ids))
			l.setErr(err)
		}
		return err
	}
	l.mu.Lock()
	l.acked += int64(n)
	s := l.cur
	freed := false
	if s != nil {
		now := l.now()
		for _, id := range ids {
			bid, ok := s.byID[id]
			if !ok {
				continue
			}
			delete(s.byID, id)
			s.ackedThrough = max(s.ackedThrough, bid)
			if b := s.inflight[bid]; b != nil {
				delete(b.ids, id)
				if len(b.ids) == 0 {
					delete(s.inflight, bid)
					s.pace.acked(now.Sub(b.sentAt), !b.resent)
					freed = true
				}
			}
		}
	}
	l.mu.Unlock()
	if freed {
		poke(s.wake)
	}
	return nil
}
