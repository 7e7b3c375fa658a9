package kiosk

import (
	"context"
	"embed"
	"encoding/json"
	"io/fs"
	"net"
	"net/http"
	"sync"
	"time"
)

// Snapshot is what the status page shows.
type Snapshot struct {
	Site    string    `json:"site"`
	Gate    string    `json:"gate"`
	Device  string    `json:"device"`
	Version string    `json:"version"`
	Started time.Time `json:"started"`
	Devices []Device  `json:"devices"`
	Entries []Entry   `json:"entries"`
	Outbox  Outbox    `json:"outbox"`
	Link    *Link     `json:"link,omitempty"` // nil when the box keeps its records to itself
	// Recognitions are the face engine's latest decisions, newest first;
	// nil on a box without a camera.
	Recognitions []Recognition `json:"recognitions"`
}

// Recognition is one face the camera named, or could not.
type Recognition struct {
	At      time.Time `json:"at"`
	Person  string    `json:"person,omitempty"`
	Name    string    `json:"name,omitempty"`
	Score   float32   `json:"score"`
	Margin  float32   `json:"margin"`
	Unknown bool      `json:"unknown,omitempty"`
	Reason  string    `json:"reason,omitempty"` // why an unknown face was not named
}

// Link is the connection to the city's broker.
type Link struct {
	Connected bool   `json:"connected"`
	LastError string `json:"last_error,omitempty"`
	Sent      int64  `json:"sent"`
	Acked     int64  `json:"acked"`
	Resent    int64  `json:"resent"`
	Refused   int64  `json:"refused"`
	InFlight  int    `json:"in_flight"`
	Alarm     bool   `json:"alarm"` // the outbox reached its cap; nothing is dropped
}

// Device is one device's health.
type Device struct {
	Name   string    `json:"name"`
	Kind   string    `json:"kind"`
	OK     bool      `json:"ok"`
	Detail string    `json:"detail"`
	Since  time.Time `json:"since,omitzero"`
}

// Entry is one scan at the gate as the page lists it.
type Entry struct {
	At      time.Time `json:"at"`
	Scanner string    `json:"scanner"`
	Method  string    `json:"method"`
	Granted bool      `json:"granted"`
	Reason  string    `json:"reason,omitempty"`
	Detail  string    `json:"detail,omitempty"`
	Name    string    `json:"name,omitempty"`
	Host    string    `json:"host,omitempty"`
	PassID  string    `json:"pass_id,omitempty"`
}

// Outbox is the backlog waiting for the city.
type Outbox struct {
	Pending int       `json:"pending"`
	Oldest  time.Time `json:"oldest,omitzero"`
}

// Source gives the current snapshot.
type Source interface {
	Snapshot(ctx context.Context) (Snapshot, error)
}

//go:embed web
var web embed.FS

// Server is the kiosk's HTTP handler.
type Server struct {
	src Source
	mux *http.ServeMux

	mu      sync.Mutex
	waiters map[chan struct{}]struct{}
}

// NewServer returns the handler; it has no side effects until served.
func NewServer(src Source) *Server {
	s := &Server{src: src, mux: http.NewServeMux(), waiters: map[chan struct{}]struct{}{}}
	assets, _ := fs.Sub(web, "web")
	s.mux.Handle("GET /", http.FileServerFS(assets))
	s.mux.HandleFunc("GET /api/status", s.status)
	s.mux.HandleFunc("GET /api/events", s.events)
	return s
}

// ServeHTTP refuses requests that a web page elsewhere could make through the
// visitor's browser (cross-origin, or DNS rebinding to a foreign host name).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !localHost(r.Host) {
		http.Error(w, "kiosk: host not allowed", http.StatusForbidden)
		return
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" {
		http.Error(w, "kiosk: cross-origin request refused", http.StatusForbidden)
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'self'")
	s.mux.ServeHTTP(w, r)
}

func localHost(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Notify tells live pages that something changed.
func (s *Server) Notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.waiters {
		select {
		case c <- struct{}{}:
		default: // already pending
		}
	}
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	snap, err := s.src.Snapshot(r.Context())
	if err != nil {
		http.Error(w, "kiosk: status: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(snap)
}

// events streams a "change" event whenever Notify is called, and a comment
// every 15 s so idle proxies and the browser keep the stream open.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "kiosk: streaming unsupported", http.StatusInternalServerError)
		return
	}
	c := make(chan struct{}, 1)
	s.mu.Lock()
	s.waiters[c] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.waiters, c)
		s.mu.Unlock()
	}()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte("retry: 2000\n\n"))
	flusher.Flush()
	keepalive := time.NewTicker(15 * time.Second)
	defer keepalive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-c:
			w.Write([]byte("event: change\ndata: {}\n\n"))
		case <-keepalive.C:
			w.Write([]byte(": keepalive\n\n"))
		}
		flusher.Flush()
	}
}
