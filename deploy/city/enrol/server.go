package enrol

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/roomgate/roomgate/deploy/city/ca"
	"github.com/roomgate/roomgate/provisioning/est"
)

// Failed-attempt limiting: an address with MaxFailures refusals within
// FailureWindow is refused (rate_limited) until the window since its first
// counted failure has passed.
const (
	MaxFailures   = 10
	FailureWindow = 10 * time.Minute
)

// Server is the enrolment server's http.Handler.
type Server struct {
	ca       *ca.CA
	claims   *Store
	template Template
	log      *slog.Logger
	now      func() time.Time

	mu       sync.Mutex
	failures map[string]*failures // by remote IP
}

type failures struct {
	count int
	since time.Time
}

// NewServer serves the EST endpoints with authority, the claims in claims
// and first configs made from template. log gets one line per answer.
func NewServer(authority *ca.CA, claims *Store, template Template, log *slog.Logger) (*Server, error) {
	if err := template.check(); err != nil {
		return nil, err
	}
	return &Server{ca: authority, claims: claims, template: template, log: log, now: time.Now, failures: map[string]*failures{}}, nil
}

// TLSConfig is the server's TLS: certFile/keyFile (issued by the CA) sent
// with the CA certificate, so a box can pin the CA from its claim, and
// client certificates of the CA accepted (renewal, config).
func (s *Server) TLSConfig(certFile, keyFile string) (*tls.Config, error) {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("enrol: server certificate: %w", err)
	}
	caCert := s.ca.Certificate()
	pair.Certificate = append(pair.Certificate, caCert.Raw)
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{pair},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    pool,
	}, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ip := remoteIP(r)
	if s.limited(ip) {
		s.refuse(w, r, &est.Error{Status: http.StatusTooManyRequests, Reason: est.ReasonRateLimited, Detail: "too many failed attempts from this address; wait and try again"}, "")
		return
	}
	var who string
	var err error
	switch {
	case r.URL.Path == est.PathCACerts && r.Method == http.MethodGet:
		err = s.caCerts(w)
	case r.URL.Path == est.PathSimpleEnroll && r.Method == http.MethodPost:
		who, err = s.simpleEnroll(w, r)
	case r.URL.Path == est.PathSimpleReenroll && r.Method == http.MethodPost:
		who, err = s.simpleReenroll(w, r)
	case r.URL.Path == est.PathConfig && r.Method == http.MethodGet:
		who, err = s.config(w, r)
	case r.URL.Path == est.PathCACerts || r.URL.Path == est.PathSimpleEnroll || r.URL.Path == est.PathSimpleReenroll || r.URL.Path == est.PathConfig:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.refuse(w, r, err, who)
		return
	}
	s.log.Info("enrol: served", "path", r.URL.Path, "device", who, "remote", ip)
}

// refuse answers err: an *est.Error with its status and reason, anything
// else as the city's own failure. Client refusals count against the
// address.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, err error, who string) {
	var e *est.Error
	if !errors.As(err, &e) {
		s.log.Error("enrol: failed", "path", r.URL.Path, "device", who, "remote", remoteIP(r), "err", err)
		e = &est.Error{Status: http.StatusInternalServerError, Reason: est.ReasonServer, Detail: "the city failed; try again later"}
	} else {
		s.log.Warn("enrol: refused", "path", r.URL.Path, "device", who, "remote", remoteIP(r), "reason", e.Reason, "detail", e.Detail)
	}
	if e.Status >= 400 && e.Status < 500 && e.Reason != est.ReasonRateLimited {
		s.fail(remoteIP(r))
	}
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="roomgate enrolment"`)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(e.Status)
	fmt.Fprintf(w, "%s %s\n", e.Reason, e.Detail)
}

func (s *Server) caCerts(w http.ResponseWriter) error {
	body, err := est.EncodeCertsOnly(s.ca.Certificate())
	if err != nil {
		return err
	}
	writeCertsOnly(w, body)
	return nil
}

func writeCertsOnly(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", est.ContentTypeCertsOnly)
	w.Header().Set("Content-Transfer-Encoding", "base64")
	w.Write(body)
}

func (s *Server) simpleEnroll(w http.ResponseWriter, r *http.Request) (string, error) {
	device, token, ok := r.BasicAuth()
	if !ok || device == "" || token == "" {
		return "", &est.Error{Status: http.StatusUnauthorized, Reason: est.ReasonUnauthorized, Detail: "give the device id and the claim's token (HTTP Basic)"}
	}
	if !namePattern.MatchString(device) {
		return "", &est.Error{Status: http.StatusUnauthorized, Reason: est.ReasonUnauthorized, Detail: "no such claim"}
	}
	der, csr, err := readCSR(r, device)
	if err != nil {
		return device, err
	}
	keyHash, err := KeyHash(csr.PublicKey)
	if err != nil {
		return device, &est.Error{Status: http.StatusBadRequest, Reason: est.ReasonCSRInvalid, Detail: err.Error()}
	}
	if _, err := s.claims.Redeem(device, token, keyHash, s.now()); err != nil {
		return device, err
	}
	return device, s.issue(w, device, der)
}

func (s *Server) simpleReenroll(w http.ResponseWriter, r *http.Request) (string, error) {
	current, err := s.clientCert(r)
	if err != nil {
		return "", err
	}
	device := current.Subject.CommonName
	der, csr, err := readCSR(r, device)
	if err != nil {
		return device, err
	}
	if pub, ok := current.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); ok && pub.Equal(csr.PublicKey) {
		return device, &est.Error{Status: http.StatusBadRequest, Reason: est.ReasonCSRInvalid, Detail: "renewal needs a new key"}
	}
	return device, s.issue(w, device, der)
}

func (s *Server) issue(w http.ResponseWriter, device string, der []byte) error {
	cert, err := s.ca.SignCSR(device, der)
	if errors.Is(err, ca.ErrCSR) {
		return &est.Error{Status: http.StatusBadRequest, Reason: est.ReasonCSRInvalid, Detail: err.Error()}
	}
	if err != nil {
		return err
	}
	body, err := est.EncodeCertsOnly(cert, s.ca.Certificate())
	if err != nil {
		return err
	}
	s.log.Info("enrol: issued", "device", device, "serial", fmt.Sprintf("%x", cert.SerialNumber), "not_after", cert.NotAfter.UTC().Format(time.RFC3339))
	writeCertsOnly(w, body)
	return nil
}

func (s *Server) config(w http.ResponseWriter, r *http.Request) (string, error) {
	current, err := s.clientCert(r)
	if err != nil {
		return "", err
	}
	device := current.Subject.CommonName
	c, ok, err := s.claims.Enrolled(device)
	if err != nil {
		return device, err
	}
	if !ok {
		return device, &est.Error{Status: http.StatusForbidden, Reason: est.ReasonUnauthorized, Detail: "no claim was redeemed for this device"}
	}
	b, err := s.template.Render(c)
	if err != nil {
		return device, err
	}
	w.Header().Set("Content-Type", est.ContentTypeConfig)
	return device, json.NewEncoder(w).Encode(b)
}

// clientCert is the request's verified client certificate, if the CA has
// not revoked it.
func (s *Server) clientCert(r *http.Request) (*x509.Certificate, error) {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return nil, &est.Error{Status: http.StatusUnauthorized, Reason: est.ReasonUnauthorized, Detail: "present the box's certificate"}
	}
	cert := r.TLS.VerifiedChains[0][0]
	revoked, err := s.ca.IsRevoked(cert)
	if err != nil {
		return nil, err
	}
	if revoked {
		return nil, &est.Error{Status: http.StatusForbidden, Reason: est.ReasonRevoked, Detail: "the city revoked this certificate"}
	}
	return cert, nil
}

// readCSR reads a base64 CSR body of at most est.MaxBody bytes whose
// signature holds and whose CN is device.
func readCSR(r *http.Request, device string) ([]byte, *x509.CertificateRequest, error) {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, est.ContentTypeCSR) {
		return nil, nil, &est.Error{Status: http.StatusBadRequest, Reason: est.ReasonCSRInvalid, Detail: fmt.Sprintf("Content-Type %.60q: want %s", ct, est.ContentTypeCSR)}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, est.MaxBody+1))
	if err != nil {
		return nil, nil, &est.Error{Status: http.StatusBadRequest, Reason: est.ReasonCSRInvalid, Detail: "reading the request: " + err.Error()}
	}
	der, csr, err := est.DecodeCSR(body)
	if err != nil {
		return nil, nil, &est.Error{Status: http.StatusBadRequest, Reason: est.ReasonCSRInvalid, Detail: err.Error()}
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, nil, &est.Error{Status: http.StatusBadRequest, Reason: est.ReasonCSRInvalid, Detail: "the request's signature does not hold"}
	}
	if err := ca.AllowedKey(csr.PublicKey); err != nil {
		return nil, nil, &est.Error{Status: http.StatusBadRequest, Reason: est.ReasonCSRInvalid, Detail: err.Error()}
	}
	if csr.Subject.CommonName != device {
		return nil, nil, &est.Error{Status: http.StatusBadRequest, Reason: est.ReasonCSRInvalid, Detail: fmt.Sprintf("the request's CN %.70q is not %s", csr.Subject.CommonName, device)}
	}
	return der, csr, nil
}

func (s *Server) limited(ip string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.failures[ip]
	if f == nil {
		return false
	}
	if s.now().Sub(f.since) >= FailureWindow {
		delete(s.failures, ip)
		return false
	}
	return f.count >= MaxFailures
}

func (s *Server) fail(ip string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	// Forget addresses whose window passed, so the map stays small.
	for k, f := range s.failures {
		if now.Sub(f.since) >= FailureWindow {
			delete(s.failures, k)
		}
	}
	if f := s.failures[ip]; f != nil {
		f.count++
		return
	}
	s.failures[ip] = &failures{count: 1, since: now}
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
