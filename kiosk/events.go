package kiosk

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// streamBuffer is how many pushed events a page may fall behind before
// further ones are dropped for it: the agent never waits for a browser.
const streamBuffer = 64

// maxStreams bounds the pages streaming at once: a kiosk has one or two,
// and each stream holds a goroutine and a buffer.
const maxStreams = 16

// streamWriteTimeout is how long one message may take to reach a page; a
// page that reads nothing for this long is dropped and frees its slot.
const streamWriteTimeout = 10 * time.Second

// defaultGreetingHold is how long a greeting card stays when the config
// does not say.
const defaultGreetingHold = 6 * time.Second

// maxReplayedGreetings bounds what a page that connects is sent again: the
// page shows no more cards than this at once.
const maxReplayedGreetings = 4

// pushed is an encoded event and when it was pushed.
type pushed struct {
	msg []byte
	at  time.Time
}

// stream is one open page's event stream.
type stream struct {
	events chan []byte   // encoded SSE messages
	change chan struct{} // a pending "change"; coalesced
}

// Notify tells live pages that something changed; they refetch the status.
func (s *Server) Notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for st := range s.streams {
		select {
		case st.change <- struct{}{}:
		default: // already pending
		}
	}
}

// Push sends every live page an event named kind with v as its JSON data
// ("greeting", "notice", "gate", "faces"). The stream needs no session, so
// v must hold only what the room sees anyway: a greeting's card, a gate's
// verdict and reason code, the names on the camera's face boxes. A page too slow to keep up
// misses events rather than holding up the caller. Greetings are also sent
// to pages that connect while they still show, so a kiosk that reloads, or
// opens just after someone checked in, greets them too.
func (s *Server) Push(kind string, v any) {
	if kind == "" || strings.ContainsAny(kind, "\r\n") {
		return
	}
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	msg := make([]byte, 0, len(kind)+len(data)+16)
	msg = append(msg, "event: "...)
	msg = append(msg, kind...)
	msg = append(msg, "\ndata: "...)
	msg = append(msg, data...) // JSON from Marshal has no raw newlines
	msg = append(msg, "\n\n"...)
	s.mu.Lock()
	defer s.mu.Unlock()
	if kind == "greeting" {
		s.greetings = append(s.showing(), pushed{msg: msg, at: s.now()})
		if n := len(s.greetings); n > maxReplayedGreetings {
			s.greetings = s.greetings[n-maxReplayedGreetings:]
		}
	}
	for st := range s.streams {
		select {
		case st.events <- msg:
		default: // this page is behind; its next "change" catches it up
		}
	}
}

// showing is the greetings still on screen, oldest first; s.mu is held.
func (s *Server) showing() []pushed {
	now := s.now()
	i := 0
	for i < len(s.greetings) && now.Sub(s.greetings[i].at) >= s.cfg.GreetingHold {
		i++
	}
	return s.greetings[i:]
}

// events streams pushed events and "change", and a comment every 15 s so
// idle proxies and the browser keep the stream open.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "kiosk: streaming unsupported", http.StatusInternalServerError)
		return
	}
	st := &stream{events: make(chan []byte, streamBuffer), change: make(chan struct{}, 1)}
	s.mu.Lock()
	if len(s.streams) >= maxStreams {
		s.mu.Unlock()
		w.Header().Set("Retry-After", "5")
		http.Error(w, "kiosk: too many open event streams", http.StatusServiceUnavailable)
		return
	}
	for _, g := range s.showing() {
		st.events <- g.msg // fits: maxReplayedGreetings < streamBuffer
	}
	s.streams[st] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.streams, st)
		s.mu.Unlock()
	}()
	// The server's WriteTimeout would end the stream; each message gets
	// its own deadline instead. Servers without deadlines (tests'
	// recorders) just do not support it.
	rc := http.NewResponseController(w)
	write := func(msg []byte) error {
		rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		_, err := w.Write(msg)
		return err
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	if write([]byte("retry: 2000\n\n")) != nil {
		return
	}
	flusher.Flush()
	keepalive := time.NewTicker(15 * time.Second)
	defer keepalive.Stop()
	for {
		var err error
		// Pending pushed events go before a "change": the page refetches on
		// a change, best after it has what was pushed before it.
		select {
		case msg := <-st.events:
			if err := write(msg); err != nil {
				return
			}
			flusher.Flush()
			continue
		default:
		}
		select {
		case <-r.Context().Done():
			return
		case msg := <-st.events:
			err = write(msg)
		case <-st.change:
			err = write([]byte("event: change\ndata: {}\n\n"))
		case <-keepalive.C:
			err = write([]byte(": keepalive\n\n"))
		}
		if err != nil {
			return
		}
		flusher.Flush()
	}
}
