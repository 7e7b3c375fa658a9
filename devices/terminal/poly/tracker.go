package poly

import (
	"sync"

	"github.com/roomgate/roomgate/devices/terminal"
)

// maxDone bounds the ids of calls remembered as over.
const maxDone = 32

// tracker merges what the two notification streams (callstate's cs: lines
// and notify callstatus) and the polls say about each call into one call,
// so the driver sees each change once. It also decides what one line
// cannot: a call that is over failed if it never connected, and ended if
// it did.
type tracker struct {
	mu   sync.Mutex
	live map[string]*tracked
	done []string // ids of calls over, oldest first: late lines about them are ignored
	seq  uint64   // counts reports, to tell a poll's answer from fresher news
}

type tracked struct {
	call      terminal.Call
	connected bool   // was ever connected
	cause     string // the clearing cause, kept for the end
	updated   uint64 // seq of the last report
}

// apply merges a report into its call and returns the call if it changed.
func (t *tracker) apply(r report) (terminal.Call, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.isDone(r.id) {
		return terminal.Call{}, false
	}
	tc, had := t.live[r.id]
	if !had {
		if r.phase == ending || r.phase == over {
			return terminal.Call{}, false // the end of a call never seen: nothing to end
		}
		tc = &tracked{call: terminal.Call{ID: r.id}}
		if t.live == nil {
			t.live = map[string]*tracked{}
		}
		t.live[r.id] = tc
	}
	t.seq++
	tc.updated = t.seq
	prev := tc.call
	c := &tc.call
	if c.Remote == "" {
		c.Remote = r.remote
	}
	if r.direction != "" {
		c.Incoming = r.direction == "incoming"
	}
	if r.cause != "" {
		tc.cause = r.cause
	}
	switch r.phase {
	case dialling:
		if c.State == "" {
			c.State = terminal.Dialling
		}
	case connected:
		c.State, tc.connected = terminal.Connected, true
	case ending:
		if c.State == "" {
			c.State = terminal.Dialling
		}
	case over:
		c.State, c.Reason = terminal.Failed, tc.cause
		if tc.connected {
			c.State = terminal.Ended
		}
		t.finish(r.id)
	}
	return *c, *c != prev
}

// mark is taken before a poll asks for the calls; sync keeps what was
// reported after it.
func (t *tracker) mark() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.seq
}

// sync takes the full list of live calls a poll found and returns them
// merged. A call the list misses is over (the driver says so), unless a
// line after since reported it: a call dialled while the poll waited for
// the line is newer than the poll's answer.
func (t *tracker) sync(reports []report, since uint64) []terminal.Call {
	seen := map[string]bool{}
	var calls []terminal.Call
	for _, r := range reports {
		if r.phase == ending || r.phase == over || seen[r.id] {
			continue
		}
		seen[r.id] = true
		c, _ := t.apply(r)
		if c.ID != "" {
			calls = append(calls, c)
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for id, tc := range t.live {
		switch {
		case seen[id]:
		case tc.updated > since:
			calls = append(calls, tc.call)
		default:
			t.finish(id)
		}
	}
	return calls
}

// reset forgets every call, for a new session: the terminal may have
// rebooted and number its calls afresh.
func (t *tracker) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.live, t.done = nil, nil
}

func (t *tracker) finish(id string) {
	delete(t.live, id)
	t.done = append(t.done, id)
	if len(t.done) > maxDone {
		t.done = t.done[1:]
	}
}

func (t *tracker) isDone(id string) bool {
	for _, d := range t.done {
		if d == id {
			return true
		}
	}
	return false
}
