package kiosk

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed web
var web embed.FS

// contentTypes are the types of the page's assets, by extension: fixed
// here so that the host's mime tables cannot change them.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".json": "application/json; charset=utf-8",
	".svg":  "image/svg+xml",
}

// Server is the kiosk's HTTP handler.
type Server struct {
	src    Source
	act    Actions      // nil: no secretary view
	prev   Preview      // nil: no camera preview
	doctor Doctor       // nil: no self-test (EnableDoctor)
	first  *firstScreen // the first screen of a box not provisioned (NewFirstScreen); nil on a provisioned box
	cfg    Config
	guards map[string]*guard
	mux    *http.ServeMux
	now    func() time.Time

	// loginMu makes a login's read, check and write of the role's
	// lockout one step, so two tries at once cannot both pass a lockout.
	loginMu sync.Mutex

	mu        sync.Mutex
	streams   map[*stream]struct{}
	greetings []pushed            // the last few, for pages that connect while they show
	sessions  map[string]*session // by cookie value
}

// Limits of the kiosk's HTTP server: a client slow to send or to read
// holds a connection no longer than these. An event stream sets its own
// write deadline per message instead (streamWriteTimeout).
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 16 << 10
)

// HTTPServer returns an http.Server for s with the limits above.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Handler:           s,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
	}
}

// NewServer returns the handler; it has no side effects until served. act
// and prev may be nil: the views and endpoints that need them then say
// they are not available. Without act no login can be kept on record nor
// its lockout remembered, so both staff views are off.
func NewServer(src Source, act Actions, prev Preview, cfg Config) *Server {
	if cfg.Language != "en" {
		cfg.Language = "vi"
	}
	if cfg.GreetingHold <= 0 {
		cfg.GreetingHold = defaultGreetingHold
	}
	s := newServer(cfg)
	s.src, s.act, s.prev = src, act, prev
	if act == nil {
		for _, g := range s.guards {
			g.enabled = false
		}
	}
	s.mux.HandleFunc("GET /api/status", s.status)
	s.mux.Handle("GET /api/staff/status", s.authorized("", false, s.staffStatus))
	s.mux.HandleFunc("GET /api/preview.jpg", s.preview)
	s.mux.HandleFunc("POST /api/login", s.login)
	s.mux.HandleFunc("GET /api/session", s.whoami)
	s.mux.Handle("POST /api/logout", s.authorized("", true, s.logout))
	s.mux.Handle("GET /api/candidates", s.authorized(RoleSecretary, false, s.candidates))
	s.mux.Handle("POST /api/checkin", s.authorized(RoleSecretary, true, s.checkIn))
	s.mux.Handle("POST /api/call", s.authorized(RoleSecretary, true, s.controlCall))
	// The export is put on record, so it takes the CSRF token like a change.
	s.mux.Handle("GET /api/attendance.csv", s.authorized(RoleSecretary, true, s.attendanceCSV))
	return s
}

// newServer is what every kiosk serves: the page's assets and the event
// stream, behind ServeHTTP's checks.
func newServer(cfg Config) *Server {
	s := &Server{
		cfg:    cfg,
		guards: map[string]*guard{RoleSecretary: newGuard(cfg.SecretaryPIN), RoleTechnician: newGuard(cfg.TechnicianPIN)},
		mux:    http.NewServeMux(), now: time.Now,
		streams: map[*stream]struct{}{}, sessions: map[string]*session{},
	}
	s.mux.Handle("GET /", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { serveAsset(w, r, r.URL.Path) }))
	s.mux.HandleFunc("GET /api/events", s.events)
	return s
}

var assets = http.FileServerFS(must(fs.Sub(web, "web")))

func must(f fs.FS, err error) fs.FS {
	if err != nil {
		panic(err)
	}
	return f
}

// serveAsset serves the embedded file at name with its fixed type.
func serveAsset(w http.ResponseWriter, r *http.Request, name string) {
	if ct, ok := contentTypes[path.Ext(name)]; ok {
		w.Header().Set("Content-Type", ct)
	}
	w.Header().Set("Cache-Control", "no-cache")
	r2 := r.Clone(r.Context())
	r2.URL.Path = name
	assets.ServeHTTP(w, r2)
}

// ServeHTTP refuses requests from other machines (unless the config allows
// them) and those that a web page elsewhere could make through the
// visitor's browser (cross-origin, or DNS rebinding to a foreign host name).
// The Host header alone proves nothing: any client can write "localhost".
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.cfg.AllowRemote && !loopbackPeer(r.RemoteAddr) {
		http.Error(w, "kiosk: only this machine may connect (kiosk.allow_remote is off)", http.StatusForbidden)
		return
	}
	if !localHost(r.Host) && !(s.cfg.AllowRemote && ipHost(r.Host)) {
		http.Error(w, "kiosk: host not allowed", http.StatusForbidden)
		return
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" {
		http.Error(w, "kiosk: cross-origin request refused", http.StatusForbidden)
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' blob:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	w.Header().Set("Referrer-Policy", "no-referrer")
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

// loopbackPeer reports whether the connection comes from this machine.
func loopbackPeer(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ipHost reports whether a Host header names an IP address: a page on a
// rebound DNS name never does, so a remote kiosk may be reached by its
// address.
func ipHost(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	return net.ParseIP(strings.Trim(host, "[]")) != nil
}

// features tell the page which views this kiosk has.
type features struct {
	Language   string `json:"language"` // the default; the visitor may switch
	GreetingMs int64  `json:"greeting_ms"`
	Secretary  bool   `json:"secretary"`
	Technician bool   `json:"technician"`
	Preview    bool   `json:"preview"`
	Doctor     bool   `json:"doctor"`
}

func (s *Server) features() features {
	return features{
		Language:   s.cfg.Language,
		GreetingMs: s.cfg.GreetingHold.Milliseconds(),
		Secretary:  s.guards[RoleSecretary].enabled,
		Technician: s.guards[RoleTechnician].enabled,
		Preview:    s.prev != nil,
		Doctor:     s.doctor != nil,
	}
}

// status is the public board: what anyone at the screen may read.
func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	snap, err := s.src.Snapshot(r.Context())
	if err != nil {
		http.Error(w, "kiosk: status: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	pub := snap.Public()
	pub.Kiosk = s.features()
	writeJSON(w, http.StatusOK, pub)
}

// staffStatus is the whole snapshot, for a secretary's or technician's session.
func (s *Server) staffStatus(w http.ResponseWriter, r *http.Request, _ string) {
	snap, err := s.src.Snapshot(r.Context())
	if err != nil {
		http.Error(w, "kiosk: staff status: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, struct {
		Snapshot
		Kiosk features `json:"kiosk"`
	}{snap, s.features()})
}

func (s *Server) preview(w http.ResponseWriter, r *http.Request) {
	if s.prev == nil {
		http.Error(w, "kiosk: no camera preview on this box", http.StatusNotFound)
		return
	}
	jpeg, at, ok := s.prev.LatestFrame()
	if !ok {
		// Not an error: the camera is starting. The page polls again.
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-At", at.UTC().Format(time.RFC3339Nano))
	w.Header().Set("Content-Length", strconv.Itoa(len(jpeg)))
	w.Write(jpeg)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// writeError answers with a code the page turns into words, and a message
// for logs and people with curl.
func writeError(w http.ResponseWriter, code int, kind, msg string) {
	writeJSON(w, code, struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}{kind, msg})
}
