package cisco

import "github.com/roomgate/roomgate/devices/terminal"

// feedback follows the terminal's lines — notifications and the replies
// to the poll alike — and turns them into call changes. It remembers what
// a line alone cannot say: whether a call was ever connected (so that its
// end is Ended, not Failed) and why it ended.
//
// A call's end comes as two blocks in no promised order: the ghost
// ("*s Call 3 (ghost=True):") and the CallDisconnect event with the
// cause. A ghost whose cause is already known ends the call at once;
// otherwise the end waits for the cause until the next block of another
// kind is over (at the latest the poll's reply), and goes out without one.
type feedback struct {
	calls  map[string]*seen  // calls known live, by id
	causes map[string]string // causes that came before their ghost
	gone   []string          // ghosts waiting for their cause

	block  Kind              // the kind of the block being read: Ghost, Event or another
	event  map[string]string // the CallDisconnect being read
	inCall bool              // event is a CallDisconnect
}

type seen struct {
	remote    string
	incoming  bool
	connected bool // ever: its end is Ended
}

// Bounds on what a terminal's lines can make the box remember.
const (
	maxTracked     = 64
	maxEventFields = 32
)

func (f *feedback) line(l Line) []terminal.Call {
	switch l.Kind {
	case CallStatus:
		f.block = CallStatus
		return f.status(l)
	case Ghost:
		f.block = Ghost
		return f.ghost(l.Call)
	case Event:
		if f.block != Event {
			f.block, f.event, f.inCall = Event, map[string]string{}, l.Name == "CallDisconnect"
		}
		if f.inCall && len(f.event) < maxEventFields {
			f.event[l.Key] = l.Value
		}
	case End:
		return f.end()
	case Blank, OK, Error, ResultID:
	default:
		f.block = l.Kind
	}
	return nil
}

func (f *feedback) status(l Line) []terminal.Call {
	s := f.calls[l.Call]
	if s == nil {
		if len(f.calls) >= maxTracked {
			return nil
		}
		if f.calls == nil {
			f.calls = map[string]*seen{}
		}
		s = &seen{}
		f.calls[l.Call] = s
	}
	switch l.Key {
	case "RemoteNumber":
		s.remote = clean(l.Value)
	case "Direction":
		s.incoming = l.Value == "Incoming"
	case "Status":
		st, live := state(l.Value)
		if !live {
			return nil
		}
		if st == terminal.Connected {
			s.connected = true
		}
		return []terminal.Call{{ID: l.Call, Remote: s.remote, State: st, Incoming: s.incoming}}
	}
	return nil
}

func (f *feedback) ghost(id string) []terminal.Call {
	if _, ok := f.calls[id]; !ok {
		return nil // never seen live: nothing to end
	}
	if cause, ok := f.causes[id]; ok {
		delete(f.causes, id)
		return f.final(id, cause)
	}
	for _, g := range f.gone {
		if g == id {
			return nil
		}
	}
	f.gone = append(f.gone, id)
	return nil
}

func (f *feedback) end() []terminal.Call {
	block := f.block
	f.block = End
	switch block {
	case Ghost:
		return nil // its cause may come next
	case Event:
		if !f.inCall {
			break
		}
		id := f.event["CallId"]
		cause := causeWords(f.event)
		f.event, f.inCall = nil, false
		for i, g := range f.gone {
			if g == id {
				f.gone = append(f.gone[:i], f.gone[i+1:]...)
				return f.final(id, cause)
			}
		}
		if _, live := f.calls[id]; live && len(f.causes) < maxTracked {
			if f.causes == nil {
				f.causes = map[string]string{}
			}
			f.causes[id] = cause
		}
		return nil
	}
	// Any other block: the ghosts waiting for a cause go without one.
	var out []terminal.Call
	for _, id := range f.gone {
		out = append(out, f.final(id, "")...)
	}
	f.gone = nil
	return out
}

func (f *feedback) final(id, cause string) []terminal.Call {
	s, ok := f.calls[id]
	if !ok {
		return nil
	}
	delete(f.calls, id)
	st := terminal.Failed
	if s.connected {
		st = terminal.Ended
	}
	return []terminal.Call{{ID: id, Remote: s.remote, State: st, Incoming: s.incoming, Reason: cause}}
}

// causeWords is a CallDisconnect's cause as the box keeps it:
// "RemoteBusy: Busy Here".
func causeWords(ev map[string]string) string {
	t, s := clean(ev["CauseType"]), clean(ev["CauseString"])
	switch {
	case t == "":
		return s
	case s == "":
		return t
	}
	return clean(t + ": " + s)
}

// keep forgets the calls not in live, the ids of an "xStatus Call" reply:
// they ended while no one was listening, and the driver ends them itself.
func (f *feedback) keep(live map[string]bool) {
	for id := range f.calls {
		if !live[id] {
			delete(f.calls, id)
			delete(f.causes, id)
		}
	}
}

// restart forgets the block being read: a new connection starts clean.
func (f *feedback) restart() {
	f.block, f.event, f.inCall, f.gone = End, nil, false, nil
}

// state of a tracked call, for a poll that finds it Disconnecting.
func (f *feedback) last(id string) (connected, known bool) {
	s, ok := f.calls[id]
	if !ok {
		return false, false
	}
	return s.connected, true
}
