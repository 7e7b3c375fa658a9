package est

import (
	"bytes"
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode"

	"github.com/roomgate/roomgate/provisioning/claim"
)

// handshakeTimeout bounds the TLS handshake; the caller's context bounds
// the whole exchange.
const handshakeTimeout = 15 * time.Second

// maxDetail bounds how much of a refusal's text is kept: the city's answer
// reaches the technician's screen and the log.
const maxDetail = 200

// Client speaks EST to the city's enrolment server. It trusts exactly the CA
// whose fingerprint the claim carries: the city's server must present that
// CA certificate in its chain, and its own certificate must verify to it for
// the URL's host, before anything (a token above all) is sent.
type Client struct {
	base        *url.URL
	fingerprint string
	plain       *http.Client // without a client certificate
}

// pinError is a handshake the pin refused.
type pinError struct{ detail string }

func (e *pinError) Error() string { return e.detail }

// NewClient makes a client for the enrolment server at baseURL (https) that
// pins the CA with fingerprint caFingerprint (sha256:<hex>).
func NewClient(baseURL, caFingerprint string) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, &Error{Reason: ReasonBadResponse, Detail: fmt.Sprintf("enrolment URL %.80q: want https://host[:port]", baseURL)}
	}
	if !strings.HasPrefix(caFingerprint, "sha256:") || len(caFingerprint) != len("sha256:")+64 {
		return nil, &Error{Reason: ReasonCAMismatch, Detail: "CA fingerprint: want sha256:<64 hex digits>"}
	}
	c := &Client{base: u, fingerprint: strings.ToLower(caFingerprint)}
	c.plain = c.httpClient(nil)
	return c, nil
}

// httpClient is an HTTP client whose TLS accepts only the pinned CA and
// presents cert when it is not nil. Connections are not shared between
// identities: each client certificate gets its own transport.
func (c *Client) httpClient(cert *tls.Certificate) *http.Client {
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS12,
		ServerName: c.base.Hostname(),
		// The pin replaces the system's roots: VerifyConnection checks.
		InsecureSkipVerify: true,
		VerifyConnection:   c.verifyPinned,
	}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:               nil, // a box talks to its city directly
			DialContext:         (&net.Dialer{Timeout: handshakeTimeout}).DialContext,
			TLSClientConfig:     cfg,
			TLSHandshakeTimeout: handshakeTimeout,
			ForceAttemptHTTP2:   false,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// verifyPinned accepts the server when a certificate of its chain is the
// pinned CA and the leaf verifies to that CA for the URL's host.
func (c *Client) verifyPinned(cs tls.ConnectionState) error {
	ca := c.pinned(cs.PeerCertificates)
	if ca == nil {
		return &pinError{fmt.Sprintf("the server's chain has no CA with fingerprint %s", c.fingerprint)}
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	inter := x509.NewCertPool()
	for _, cert := range cs.PeerCertificates[1:] {
		inter.AddCert(cert)
	}
	opts := x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: c.base.Hostname()}
	if _, err := cs.PeerCertificates[0].Verify(opts); err != nil {
		return &pinError{fmt.Sprintf("the server's certificate does not verify to the pinned CA for %s: %v", c.base.Hostname(), err)}
	}
	return nil
}

func (c *Client) pinned(certs []*x509.Certificate) *x509.Certificate {
	for _, cert := range certs {
		if cert.IsCA && claim.Fingerprint(cert.Raw) == c.fingerprint {
			return cert
		}
	}
	return nil
}

// CACerts fetches the city's CA certificates and checks that the pinned CA
// is among them.
func (c *Client) CACerts(ctx context.Context) ([]*x509.Certificate, error) {
	body, err := c.do(ctx, c.plain, http.MethodGet, PathCACerts, nil, nil)
	if err != nil {
		return nil, err
	}
	certs, err := DecodeCertsOnly(body)
	if err != nil {
		return nil, &Error{Reason: ReasonBadResponse, Detail: err.Error()}
	}
	if c.pinned(certs) == nil {
		return nil, &Error{Reason: ReasonCAMismatch, Detail: "cacerts holds no CA with the claim's fingerprint"}
	}
	return certs, nil
}

// SimpleEnroll sends csrDER with the claim's token and returns the
// certificate the city issued for the CSR's key.
func (c *Client) SimpleEnroll(ctx context.Context, device, token string, csrDER []byte) (*x509.Certificate, error) {
	if device == "" || strings.Contains(device, ":") {
		return nil, &Error{Reason: ReasonCSRInvalid, Detail: fmt.Sprintf("device %.70q cannot be a Basic user name", device)}
	}
	auth := func(r *http.Request) { r.SetBasicAuth(device, token) }
	return c.enroll(ctx, c.plain, PathSimpleEnroll, csrDER, auth)
}

// SimpleReenroll renews: current is the box's certificate and key, csrDER a
// request for its new key.
func (c *Client) SimpleReenroll(ctx context.Context, current tls.Certificate, csrDER []byte) (*x509.Certificate, error) {
	hc := c.httpClient(&current)
	defer hc.CloseIdleConnections()
	return c.enroll(ctx, hc, PathSimpleReenroll, csrDER, nil)
}

func (c *Client) enroll(ctx context.Context, hc *http.Client, p string, csrDER []byte, auth func(*http.Request)) (*x509.Certificate, error) {
	csr, err := x509.ParseCertificateRequest(csrDER)
	if err != nil {
		return nil, &Error{Reason: ReasonCSRInvalid, Detail: err.Error()}
	}
	body, err := c.do(ctx, hc, http.MethodPost, p, EncodeCSR(csrDER), func(r *http.Request) {
		r.Header.Set("Content-Type", ContentTypeCSR)
		if auth != nil {
			auth(r)
		}
	})
	if err != nil {
		return nil, err
	}
	certs, err := DecodeCertsOnly(body)
	if err != nil {
		return nil, &Error{Reason: ReasonBadResponse, Detail: err.Error()}
	}
	return c.issuedFor(certs, csr)
}

// issuedFor finds the certificate for csr's key among certs and checks that
// the pinned CA issued it for client authentication.
func (c *Client) issuedFor(certs []*x509.Certificate, csr *x509.CertificateRequest) (*x509.Certificate, error) {
	ca := c.pinned(certs)
	for _, cert := range certs {
		pub, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
		if !ok || !pub.Equal(csr.PublicKey) {
			continue
		}
		if err := c.checkIssued(cert, ca, csr); err != nil {
			return nil, err
		}
		return cert, nil
	}
	return nil, &Error{Reason: ReasonBadResponse, Detail: "no certificate for the request's key in the answer"}
}

func (c *Client) checkIssued(cert, ca *x509.Certificate, csr *x509.CertificateRequest) error {
	if cert.Subject.CommonName != csr.Subject.CommonName {
		return &Error{Reason: ReasonBadResponse, Detail: fmt.Sprintf("issued certificate names %.70q, not %q", cert.Subject.CommonName, csr.Subject.CommonName)}
	}
	if ca == nil {
		return nil // the answer need not repeat the CA: the pinned connection vouches for it
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return &Error{Reason: ReasonBadResponse, Detail: "issued certificate does not verify to the pinned CA: " + err.Error()}
	}
	return nil
}

// Config fetches the box's first config, authenticated by its certificate.
// It checks the shape (device, file names); the box validates the config.
func (c *Client) Config(ctx context.Context, current tls.Certificate) (*Bundle, error) {
	hc := c.httpClient(&current)
	defer hc.CloseIdleConnections()
	body, err := c.do(ctx, hc, http.MethodGet, PathConfig, nil, nil)
	if err != nil {
		return nil, err
	}
	var b Bundle
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return nil, &Error{Reason: ReasonBadResponse, Detail: "config: " + err.Error()}
	}
	if err := b.Check(); err != nil {
		return nil, &Error{Reason: ReasonBadResponse, Detail: err.Error()}
	}
	if leaf, err := leafOf(current); err == nil && leaf.Subject.CommonName != b.Device {
		return nil, &Error{Reason: ReasonBadResponse, Detail: fmt.Sprintf("config is for %.70q, not %q", b.Device, leaf.Subject.CommonName)}
	}
	return &b, nil
}

func leafOf(cert tls.Certificate) (*x509.Certificate, error) {
	if cert.Leaf != nil {
		return cert.Leaf, nil
	}
	if len(cert.Certificate) == 0 {
		return nil, errors.New("no certificate")
	}
	return x509.ParseCertificate(cert.Certificate[0])
}

// reservedFiles are written by enrolment, never by a bundle.
var reservedFiles = map[string]bool{"roomgate.yaml": true, "device.key": true, "device.pem": true, "ca.pem": true}

// Check refuses a bundle that names no device or config, or a file whose
// name is not plain or is one enrolment writes itself.
func (b *Bundle) Check() error {
	if b.Device == "" || b.Config == "" {
		return errors.New("config: device or config missing")
	}
	for name := range b.Files {
		if name == "" || name != path.Base(name) || strings.ContainsAny(name, `/\`) || name == "." || name == ".." || strings.HasPrefix(name, ".") || reservedFiles[name] {
			return fmt.Errorf("config: file name %.70q: want a plain name other than roomgate.yaml, device.key, device.pem, ca.pem", name)
		}
	}
	return nil
}

// do sends one request and returns the 200 answer's body, or the refusal
// as an *Error.
func (c *Client) do(ctx context.Context, hc *http.Client, method, p string, body []byte, prepare func(*http.Request)) ([]byte, error) {
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + p
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, &Error{Reason: ReasonUnreachable, Detail: err.Error()}
	}
	if prepare != nil {
		prepare(req)
	}
	resp, err := hc.Do(req)
	if err != nil {
		var pin *pinError
		if errors.As(err, &pin) {
			return nil, &Error{Reason: ReasonCAMismatch, Detail: pin.detail}
		}
		return nil, &Error{Reason: ReasonUnreachable, Detail: err.Error()}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		return nil, &Error{Status: resp.StatusCode, Reason: ReasonUnreachable, Detail: "reading the answer: " + err.Error()}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, refusal(resp.StatusCode, data)
	}
	if len(data) > MaxBody {
		return nil, &Error{Status: resp.StatusCode, Reason: ReasonBadResponse, Detail: fmt.Sprintf("answer longer than %d bytes", MaxBody)}
	}
	return data, nil
}

// knownReasons are the refusals the city may give.
var knownReasons = map[string]bool{
	ReasonUnauthorized: true, ReasonTokenExpired: true, ReasonTokenUsed: true, ReasonDeviceMismatch: true,
	ReasonCSRInvalid: true, ReasonRevoked: true, ReasonRateLimited: true, ReasonServer: true,
}

// refusal reads a non-200 answer: its first word is the reason when it is
// one the city gives; otherwise the status decides.
func refusal(status int, body []byte) *Error {
	text := printable(string(body))
	word, rest, _ := strings.Cut(text, " ")
	if knownReasons[word] {
		return &Error{Status: status, Reason: word, Detail: strings.TrimSpace(rest)}
	}
	reason := ReasonBadResponse
	switch {
	case status == http.StatusUnauthorized:
		reason = ReasonUnauthorized
	case status == http.StatusTooManyRequests:
		reason = ReasonRateLimited
	case status >= 500:
		reason = ReasonServer
	}
	return &Error{Status: status, Reason: reason, Detail: text}
}

// printable keeps the first maxDetail printable runes of s on one line: it
// is the city's text, shown to a person and logged.
func printable(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range strings.TrimSpace(s) {
		if n == maxDetail {
			break
		}
		if !unicode.IsPrint(r) {
			r = ' '
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
