package kiosk

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

const (
	sessionCookie = "roomgate_session"
	// sessionIdle ends a session nobody used for this long.
	sessionIdle = 15 * time.Minute
	// maxSessions bounds the sessions kept; the least recently used goes.
	maxSessions = 16
)

type session struct {
	role     string
	csrf     string
	lastSeen time.Time
}

// guard is the PIN check of one role; its lockout is kept by Actions.
type guard struct {
	pin     [sha256.Size]byte
	enabled bool
}

func newGuard(pin string) *guard {
	return &guard{pin: sha256.Sum256([]byte(pin)), enabled: pin != ""}
}

// matches compares in constant time; hashing first hides the PIN's length.
func (g *guard) matches(pin string) bool {
	h := sha256.Sum256([]byte(pin))
	return subtle.ConstantTimeCompare(h[:], g.pin[:]) == 1
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand panics instead)
	return hex.EncodeToString(b)
}

type loginRequest struct {
	Role string `json:"role"`
	PIN  string `json:"pin"`
}

// loginReply is the answer to a login: the CSRF token on success, else
// why not. A wrong PIN or a lockout is an answer, not a failed request, so
// it comes with 200 (Chromium logs every 4xx a page fetches as an error);
// the page turns Error into words.
type loginReply struct {
	Role       string `json:"role,omitempty"`
	CSRF       string `json:"csrf,omitempty"`
	Error      string `json:"error,omitempty"`       // "wrong_pin", "locked", "disabled", "bad_request"
	Left       int    `json:"left,omitempty"`        // tries left before a lockout
	RetryAfter int    `json:"retry_after,omitempty"` // seconds until the lockout ends
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		writeError(w, http.StatusForbidden, "cross_origin", "kiosk: cross-origin request refused")
		return
	}
	var req loginRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1024)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, loginReply{Error: "bad_request"})
		return
	}
	g := s.guards[req.Role]
	if g == nil || !g.enabled {
		writeJSON(w, http.StatusNotFound, loginReply{Error: "disabled"})
		return
	}
	s.loginMu.Lock()
	defer s.loginMu.Unlock()
	now := s.now()
	// A lockout that cannot be read is no reason to let a guess through.
	l, err := s.act.Lockout(r.Context(), req.Role)
	if err != nil {
		http.Error(w, "kiosk: login: "+err.Error(), http.StatusInternalServerError)
		return
	}
	if wait := l.wait(now); wait > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(wait))
		writeJSON(w, http.StatusOK, loginReply{Error: "locked", RetryAfter: wait})
		return
	}
	if !g.matches(req.PIN) {
		l = l.failed(now)
		// A wrong PIN that cannot be kept is refused all the same.
		if err := s.act.LoginFailed(r.Context(), LoginFailure{Role: req.Role, At: now, Lockout: l}); err != nil {
			http.Error(w, "kiosk: login: "+err.Error(), http.StatusInternalServerError)
			return
		}
		if wait := l.wait(now); wait > 0 {
			w.Header().Set("Retry-After", fmt.Sprint(wait))
			writeJSON(w, http.StatusOK, loginReply{Error: "locked", RetryAfter: wait})
			return
		}
		writeJSON(w, http.StatusOK, loginReply{Error: "wrong_pin", Left: l.left()})
		return
	}
	// A login that cannot be put on record does not happen.
	if err := s.act.LoggedIn(r.Context(), Action{Role: req.Role, Action: "login", At: now}); err != nil {
		http.Error(w, "kiosk: login: "+err.Error(), http.StatusInternalServerError)
		return
	}
	token, sess := randomToken(), &session{role: req.Role, csrf: randomToken(), lastSeen: now}
	s.mu.Lock()
	s.pruneSessions(now)
	s.sessions[token] = sess
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	writeJSON(w, http.StatusOK, loginReply{Role: sess.role, CSRF: sess.csrf})
}

// pruneSessions drops idle sessions, then the least recently used while
// there are too many for one more. s.mu is held.
func (s *Server) pruneSessions(now time.Time) {
	for token, sess := range s.sessions {
		if now.Sub(sess.lastSeen) > sessionIdle {
			delete(s.sessions, token)
		}
	}
	for len(s.sessions) >= maxSessions {
		var oldest string
		for token, sess := range s.sessions {
			if oldest == "" || sess.lastSeen.Before(s.sessions[oldest].lastSeen) {
				oldest = token
			}
		}
		delete(s.sessions, oldest)
	}
}

// sessionOf is the live session of the request's cookie, its idle clock
// restarted; nil without one.
func (s *Server) sessionOf(r *http.Request) (string, *session) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return "", nil
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.sessions[c.Value]
	if sess == nil {
		return "", nil
	}
	if now.Sub(sess.lastSeen) > sessionIdle {
		delete(s.sessions, c.Value)
		return "", nil
	}
	sess.lastSeen = now
	return c.Value, sess
}

// sameOrigin reports whether a browser says the request comes from a page
// of this very origin. A request that says nothing is refused too: every
// browser that runs the kiosk sends Origin on a POST.
func sameOrigin(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" {
		return o == "http://"+r.Host || o == "https://"+r.Host
	}
	return r.Header.Get("Sec-Fetch-Site") == "same-origin"
}

// authorized wraps a handler that needs a session of role. State-changing
// handlers (write) also need the session's CSRF token in X-CSRF-Token and
// a same-origin request.
func (s *Server) authorized(role string, write bool, h func(http.ResponseWriter, *http.Request, string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if write && !sameOrigin(r) {
			writeError(w, http.StatusForbidden, "cross_origin", "kiosk: cross-origin request refused")
			return
		}
		token, sess := s.sessionOf(r)
		if sess == nil || (role != "" && sess.role != role) {
			writeError(w, http.StatusForbidden, "signed_out", "kiosk: sign in first")
			return
		}
		if write && subtle.ConstantTimeCompare([]byte(r.Header.Get("X-CSRF-Token")), []byte(sess.csrf)) != 1 {
			writeError(w, http.StatusForbidden, "csrf", "kiosk: missing or wrong CSRF token")
			return
		}
		h(w, r, token)
	}
}

// whoami lets a reloaded page pick up its session (and its CSRF token,
// which only a page of this origin can read).
func (s *Server) whoami(w http.ResponseWriter, r *http.Request) {
	_, sess := s.sessionOf(r)
	if sess == nil {
		writeJSON(w, http.StatusOK, loginReply{})
		return
	}
	writeJSON(w, http.StatusOK, loginReply{Role: sess.role, CSRF: sess.csrf})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, token string) {
	s.mu.Lock()
	sess := s.sessions[token]
	delete(s.sessions, token)
	s.mu.Unlock()
	if sess != nil {
		s.record(r, sess.role, "logout", "")
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	w.WriteHeader(http.StatusNoContent)
}

// record keeps an action through Actions. Only sessions call it, and
// there are none without Actions.
func (s *Server) record(r *http.Request, role, action, detail string) error {
	return s.act.RecordAction(r.Context(), Action{Role: role, Action: action, Detail: detail, At: s.now()})
}
