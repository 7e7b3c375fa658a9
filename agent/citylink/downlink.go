package citylink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/roomgate/roomgate/agent/citysign"
	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/agent/wire"
)

// cmdEntry is a command being run; a redelivery of its id meanwhile waits
// for it and gets the same result.
type cmdEntry struct {
	done   chan struct{}
	result wire.CommandResult
}

// onMessage handles every message from the broker, in a goroutine of its
// own. It acknowledges the message to the broker once it is dealt with
// (refused counts as dealt with: a bad message does not get better), or
// leaves it for redelivery when the store failed.
func (s *session) onMessage(_ mqtt.Client, m mqtt.Message) {
	if s.l.handle(s, m.Topic(), m.Payload()) {
		m.Ack()
	}
}

// handle deals with one downlink message and reports whether it may be
// acknowledged to the broker.
func (l *Link) handle(s *session, topic string, payload []byte) bool {
	device, leaf, err := wire.ParseTopic(topic)
	if err == nil && device != l.s.Device {
		err = fmt.Errorf("message for device %q", device)
	}
	if err != nil {
		l.refuse(topic, err)
		return true
	}
	if _, ok := wire.GalleryChunkIndex(leaf); ok {
		return l.galleryChunk(s, topic, payload)
	}
	switch leaf {
	case wire.LeafAck:
		a, err := wire.DecodeAck(payload)
		if err != nil {
			l.refuse(topic, err)
			return true
		}
		return l.ackIDs(s.ctx, a.IDs) == nil
	case wire.LeafConfig:
		c, err := l.verify.Config(payload)
		if err != nil {
			l.refuseMalformed(wire.LeafConfig, topic, err)
			return true
		}
		l.apply(s, wire.LeafConfig, c.Version, payload, func(ctx context.Context) error { return l.dl.Config(ctx, c) })
		return true
	case wire.LeafTrust:
		t, err := l.verify.Trust(payload)
		if err != nil {
			l.refuseMalformed(wire.LeafTrust, topic, err)
			return true
		}
		l.apply(s, wire.LeafTrust, t.Version, payload, func(ctx context.Context) error { return l.dl.Trust(ctx, t) })
		return true
	case wire.LeafVisits:
		v, err := l.verify.Visits(payload)
		if err != nil {
			l.refuseMalformed(wire.LeafVisits, topic, err)
			return true
		}
		l.apply(s, wire.LeafVisits, v.Version, payload, func(ctx context.Context) error { return l.dl.Visits(ctx, v) })
		return true
	case wire.LeafMeetings:
		m, err := wire.DecodeSchedule(payload)
		if err != nil {
			l.refuseMalformed(wire.LeafMeetings, topic, err)
			return true
		}
		l.apply(s, wire.LeafMeetings, m.Version, payload, func(ctx context.Context) error { return l.dl.Meetings(ctx, m) })
		return true
	case wire.LeafGalleryManifest:
		if len(payload) == 0 {
			return true // the city cleared it
		}
		m, err := wire.DecodeGalleryManifest(payload)
		if err == nil {
			err = l.dl.GalleryManifest(s.ctx, m)
		}
		l.gallery(s, topic, err)
		return true
	case wire.LeafCmd:
		return l.command(s, payload)
	case wire.LeafUses:
		return l.uses(s, topic, payload)
	default:
		l.refuse(topic, fmt.Errorf("the box does not subscribe to %s", leaf))
		return true
	}
}

// uses hands the city's use counts to the agent. Counts for another site
// are refused: a box shares counts with its own site's boxes only. A
// store failure leaves the message unacknowledged, to come again.
func (l *Link) uses(s *session, topic string, payload []byte) bool {
	u, err := wire.DecodeUses(payload)
	if err == nil && u.Site != l.s.Site {
		err = fmt.Errorf("use counts for site %q, this box is at %q", u.Site, l.s.Site)
	}
	if err != nil {
		l.refuse(topic, err)
		return true
	}
	if err := l.dl.Uses(s.ctx, u); err != nil {
		if s.ctx.Err() == nil {
			l.log.Error("use counts not kept; they come again", "err", err)
		}
		return false
	}
	return true
}

// galleryChunk hands a chunk to the agent.
func (l *Link) galleryChunk(s *session, topic string, payload []byte) bool {
	if len(payload) == 0 {
		return true // the city cleared a chunk an older, larger gallery left
	}
	c, err := wire.DecodeGalleryChunk(payload)
	if err == nil {
		err = l.dl.GalleryChunk(s.ctx, c, payload)
	}
	l.gallery(s, topic, err)
	return true
}

// gallery deals with the outcome of a gallery message: the agent reports
// its progress and refusals in its part of the state, and a refused part
// does not get better, so it is acknowledged either way.
func (l *Link) gallery(s *session, topic string, err error) {
	switch {
	case err == nil:
	case s.ctx.Err() != nil:
		return // shutting down: it comes again, retained
	default:
		l.refuse(topic, err)
	}
	l.StateChanged()
}

// refuseMalformed refuses a config, trust, visits or schedule that does not
// decode, and reports it in state as the outcome of the last one sent.
func (l *Link) refuseMalformed(kind, topic string, err error) {
	l.refuse(topic, err)
	l.mu.Lock()
	l.applied[kind] = wire.Applied{Error: err.Error()}
	l.mu.Unlock()
	l.StateChanged()
}

func (l *Link) refuse(topic string, err error) {
	l.mu.Lock()
	l.refused++
	l.mu.Unlock()
	l.log.Warn("downlink message refused", "topic", topic, "err", err)
}

// apply hands a config, trust or schedule to the agent once per version
// and payload, newest last, and reports the outcome in state.
func (l *Link) apply(s *session, kind string, version int64, payload []byte, fn func(context.Context) error) {
	l.downMu.Lock()
	defer l.downMu.Unlock()
	l.mu.Lock()
	seen, ok := l.seen[kind]
	l.mu.Unlock()
	switch {
	case ok && version == seen.version && string(payload) == seen.payload:
		return // the retained message again, after a reconnect
	case ok && version < seen.version:
		l.log.Warn("older version ignored", "kind", kind, "version", version, "current", seen.version)
		return
	}
	err := fn(s.ctx)
	if err != nil && s.ctx.Err() != nil {
		return // shutting down: it comes again, retained
	}
	res := wire.Applied{Version: version, Applied: err == nil}
	l.mu.Lock()
	l.seen[kind] = seenMsg{version: version, payload: string(payload)}
	if err != nil {
		res.Error = err.Error()
		l.refused++
		l.refusal = fmt.Sprintf("%s version %d refused: %v", kind, version, err)
		l.refusalKind = kind
	} else if l.refusalKind == kind {
		l.refusal, l.refusalKind = "", ""
	}
	l.applied[kind] = res
	l.mu.Unlock()
	if err != nil {
		l.log.Warn("refused by the agent", "kind", kind, "version", version, "err", err)
	} else {
		l.log.Info("applied", "kind", kind, "version", version)
	}
	l.StateChanged()
}

// command runs a signed command once per id, within its time window, and
// publishes its result. A redelivered id, even after a restart, gets the
// first answer again and does not run. Only verified ids are kept, so a
// forged message cannot claim the id of a command still to come.
func (l *Link) command(s *session, payload []byte) bool {
	c, err := l.verify.Command(payload)
	if err != nil && !errors.Is(err, wire.ErrUnknownCommand) {
		l.refuse(l.topics.cmd, err)
		unsigned := errors.Is(err, citysign.ErrUnsigned) || errors.Is(err, citysign.ErrNoKey)
		if plain, perr := wire.DecodeCommand(payload); perr == nil && unsigned {
			// Tell the operator why, rather than leave them waiting.
			return s.result(wire.CommandResult{ID: plain.ID, Error: err.Error()})
		}
		return true
	}
	l.mu.Lock()
	e, dup := l.cmds[c.ID]
	if !dup {
		e = &cmdEntry{done: make(chan struct{})}
		l.cmds[c.ID] = e
	}
	l.mu.Unlock()
	if dup {
		select {
		case <-e.done:
		case <-s.ctx.Done():
			return false
		}
		if e.result.ID == "" {
			return false // the store failed: both come again
		}
		l.log.Info("command redelivered; answering again without running it", "id", c.ID, "name", c.Name)
		return s.result(e.result)
	}
	defer func() {
		l.mu.Lock()
		delete(l.cmds, c.ID)
		l.mu.Unlock()
		close(e.done)
	}()
	prev, serr := l.ob.StartCommand(s.ctx, c.ID, c.Name, time.Now())
	switch {
	case serr != nil:
		l.log.Error("command not run: the store failed; it comes again", "id", c.ID, "err", serr)
		return false
	case prev != nil:
		e.result = earlierResult(prev)
		l.log.Info("command redelivered; answering again without running it", "id", c.ID, "name", c.Name)
		return s.result(e.result)
	}
	var res wire.CommandResult
	if err == nil {
		err = c.CheckTime(time.Now())
	}
	if err != nil {
		l.refuse(l.topics.cmd, err)
		res = wire.CommandResult{Error: err.Error()}
	} else {
		res = l.dl.Command(s.ctx, c)
		l.log.Info("command run", "id", c.ID, "name", c.Name, "ok", res.OK, "err", res.Error)
	}
	res.ID = c.ID
	e.result = res
	if b, merr := json.Marshal(res); merr != nil {
		l.log.Error("command result does not encode", "id", c.ID, "err", merr)
	} else if ferr := l.ob.FinishCommand(s.ctx, c.ID, b); ferr != nil {
		// It ran and is recorded as started: a redelivery is not run again.
		l.log.Error("command result not kept", "id", c.ID, "err", ferr)
	}
	return s.result(res)
}

// earlierResult is the answer kept for a command taken before.
func earlierResult(prev *store.Command) wire.CommandResult {
	var r wire.CommandResult
	if prev.Result == nil || json.Unmarshal(prev.Result, &r) != nil || r.ID != prev.ID {
		// Taken, and the box stopped before it answered: it may have run.
		return wire.CommandResult{ID: prev.ID, Error: "command taken at " + prev.Received.UTC().Format(time.RFC3339) + " and interrupted; not run again"}
	}
	return r
}

// result publishes a command result and waits for the broker to take it,
// so that a lost result makes the command come again (and be answered
// from the store).
func (s *session) result(r wire.CommandResult) bool {
	payload, err := json.Marshal(r)
	if err != nil {
		payload, _ = json.Marshal(wire.CommandResult{ID: r.ID, Error: "result does not encode: " + err.Error()})
	}
	done := make(chan error, 1)
	s.publish(s.l.topics.cmdResult, false, payload, func(err error) { done <- err })
	select {
	case err := <-done:
		return err == nil
	case <-s.done:
		return false
	}
}
