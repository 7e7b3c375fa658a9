package enrol

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomgate/roomgate/deploy/city/ca"
	"github.com/roomgate/roomgate/deploy/city/issuer"
	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/provisioning/claim"
	"github.com/roomgate/roomgate/provisioning/est"
)

// city is a running enrolment server on 127.0.0.1 with its CA and claims.
type city struct {
	url         string
	fingerprint string
	ca          *ca.CA
	claims      *Store
	server      *Server
	dir         string
}

func startCity(t *testing.T) *city {
	t.Helper()
	dir := t.TempDir()
	authority, err := ca.Init(filepath.Join(dir, "ca"))
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, err := authority.IssueServer(filepath.Join(dir, "ca"), "enrol", []string{"127.0.0.1", "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	claims, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(authority, claims, testTemplate(t, dir), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return &city{url: serveTLS(t, srv, srv, certFile, keyFile), fingerprint: claim.Fingerprint(authority.Certificate().Raw), ca: authority, claims: claims, server: srv, dir: dir}
}

// serveTLS serves h on a free port of 127.0.0.1 with srv's TLS config.
func serveTLS(t *testing.T, srv *Server, h http.Handler, certFile, keyFile string) string {
	t.Helper()
	cfg, err := srv.TLSConfig(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: h, TLSConfig: cfg, ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go hs.Serve(tls.NewListener(ln, cfg))
	t.Cleanup(func() { hs.Close() })
	return "https://" + ln.Addr().String()
}

func testTemplate(t *testing.T, dir string) Template {
	t.Helper()
	_, cityKey, err := issuer.GenerateKey(dir, "city-ops")
	if err != nil {
		t.Fatal(err)
	}
	_, passes, err := issuer.GenerateKey(dir, "passes-2026")
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := LoadTemplate("ssl://mqtt.city.example:8883", cityKey.Public, []string{"passes-2026=city:" + passes.Public})
	if err != nil {
		t.Fatal(err)
	}
	tmpl.URL = testEnrolURL
	gate := filepath.Join(dir, "gate.yaml")
	if err := os.WriteFile(gate, []byte(testGatePeripherals), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := tmpl.AddPeripherals(claim.KindGate, gate); err != nil {
		t.Fatal(err)
	}
	return tmpl
}

const (
	testEnrolURL        = "https://enrol.city.example:8443"
	testGatePeripherals = "scanners:\n  - {name: front, type: serial, path: /dev/serial/by-id/usb-city-standard-scanner}\n"
)

// addClaim stores a claim for device valid for valid and returns its token.
func (c *city) addClaim(t *testing.T, device, kind string, valid time.Duration) string {
	t.Helper()
	token, err := claim.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := c.claims.Add(Claim{Device: device, Kind: kind, Site: "quan-1", Name: "room-201", Board: "rpi4", TokenHash: claim.HashToken(token), Created: now.Add(-time.Hour), Expires: now.Add(valid)}); err != nil {
		t.Fatal(err)
	}
	return token
}

func (c *city) client(t *testing.T) *est.Client {
	t.Helper()
	cl, err := est.NewClient(c.url, c.fingerprint)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func newCSR(t *testing.T, cn string) (*ecdsa.PrivateKey, []byte) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return key, csrWith(t, cn, key)
}

func csrWith(t *testing.T, cn string, key crypto.Signer) []byte {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func pair(cert *x509.Certificate, key crypto.Signer) tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}
}

func wantReason(t *testing.T, what string, err error, reason string) {
	t.Helper()
	if got := est.ReasonOf(err); got != reason {
		t.Errorf("%s: %v (reason %q), want reason %q", what, err, got, reason)
	}
}

func TestEnrolRenewConfig(t *testing.T) {
	c := startCity(t)
	token := c.addClaim(t, "room-201", claim.KindRoom, 7*24*time.Hour)
	cl := c.client(t)
	ctx := context.Background()

	cas, err := cl.CACerts(ctx)
	if err != nil || len(cas) != 1 || !cas[0].Equal(c.ca.Certificate()) {
		t.Fatalf("CACerts = %v, %v; want the city CA", cas, err)
	}
	key, csr := newCSR(t, "room-201")
	cert, err := cl.SimpleEnroll(ctx, "room-201", token, csr)
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != "room-201" || !key.PublicKey.Equal(cert.PublicKey) {
		t.Fatalf("enrolled certificate CN %q for another key", cert.Subject.CommonName)
	}
	bundle, err := cl.Config(ctx, pair(cert, key))
	if err != nil {
		t.Fatal(err)
	}
	if bundle.Device != "room-201" || bundle.Kind != claim.KindRoom || bundle.Site != "quan-1" || !strings.Contains(bundle.Config, "device: room-201") || bundle.Files[CityKeyFile] == "" {
		t.Errorf("bundle = %+v", bundle)
	}
	issued, _ := c.ca.Issued()
	if len(issued) != 1 || issued[0].CN != "room-201" {
		t.Errorf("issued record = %v, want room-201's certificate", issued)
	}

	newKey, newCSR := newCSR(t, "room-201")
	renewed, err := cl.SimpleReenroll(ctx, pair(cert, key), newCSR)
	if err != nil {
		t.Fatal(err)
	}
	if !newKey.PublicKey.Equal(renewed.PublicKey) || renewed.SerialNumber.Cmp(cert.SerialNumber) == 0 {
		t.Error("renewal did not certify the new key")
	}
	if _, err := cl.Config(ctx, pair(renewed, newKey)); err != nil {
		t.Errorf("config with the renewed certificate: %v", err)
	}
	// Renewal on the same key is refused: the box makes a fresh one.
	_, err = cl.SimpleReenroll(ctx, pair(renewed, newKey), csrWith(t, "room-201", newKey))
	wantReason(t, "renewal on the same key", err, est.ReasonCSRInvalid)
	// Renewal needs the certificate: without one there is no identity.
	_, err = cl.SimpleReenroll(ctx, tls.Certificate{}, newCSR)
	wantReason(t, "renewal without certificate", err, est.ReasonUnauthorized)
}

func TestEnrolRefusals(t *testing.T) {
	c := startCity(t)
	cl := c.client(t)
	ctx := context.Background()
	token := c.addClaim(t, "room-201", claim.KindRoom, time.Hour)
	otherToken := c.addClaim(t, "gate-1", claim.KindGate, time.Hour)
	expired := c.addClaim(t, "room-301", claim.KindRoom, -time.Minute)
	stranger, _ := claim.NewToken()

	_, csr := newCSR(t, "room-201")
	_, err := cl.SimpleEnroll(ctx, "room-201", stranger, csr)
	wantReason(t, "wrong token", err, est.ReasonUnauthorized)
	_, err = cl.SimpleEnroll(ctx, "room-999", stranger, csrWith(t, "room-999", mustKey(t)))
	wantReason(t, "unknown device", err, est.ReasonUnauthorized)
	_, err = cl.SimpleEnroll(ctx, "room-201", otherToken, csr)
	wantReason(t, "other device's token", err, est.ReasonDeviceMismatch)
	_, err = cl.SimpleEnroll(ctx, "room-301", expired, csrWith(t, "room-301", mustKey(t)))
	wantReason(t, "expired token", err, est.ReasonTokenExpired)
	_, err = cl.SimpleEnroll(ctx, "room-201", token, csrWith(t, "room-202", mustKey(t)))
	wantReason(t, "CSR for another CN", err, est.ReasonCSRInvalid)

	key, csr := newCSR(t, "room-201")
	first, err := cl.SimpleEnroll(ctx, "room-201", token, csr)
	if err != nil {
		t.Fatal(err)
	}
	_, err = cl.SimpleEnroll(ctx, "room-201", token, csrWith(t, "room-201", mustKey(t)))
	wantReason(t, "used token, another key", err, est.ReasonTokenUsed)
	again, err := cl.SimpleEnroll(ctx, "room-201", token, csrWith(t, "room-201", key))
	if err != nil || !again.PublicKey.(*ecdsa.PublicKey).Equal(first.PublicKey) {
		t.Errorf("same key with its token again = %v; want a certificate (a box retrying after power loss)", err)
	}
}

func mustKey(t *testing.T) *ecdsa.PrivateKey {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// rawPost posts body to the enrol endpoint over a TLS connection that
// trusts the city CA, as a hostile client would, and returns status and text.
func (c *city) rawPost(t *testing.T, user, token, contentType string, body []byte) (int, string) {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(c.ca.Certificate())
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer hc.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodPost, c.url+est.PathSimpleEnroll, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if user != "" {
		req.SetBasicAuth(user, token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}
	return resp.StatusCode, string(text)
}

func TestEnrolBadRequests(t *testing.T) {
	c := startCity(t)
	token := c.addClaim(t, "room-201", claim.KindRoom, time.Hour)
	_, good := newCSR(t, "room-201")
	tampered := append([]byte(nil), good...)
	tampered[len(tampered)-3] ^= 0xff
	huge := bytes.Repeat([]byte("QUFB"), est.MaxBody)
	for name, tc := range map[string]struct {
		user, ct string
		body     []byte
		status   int
		reason   string
	}{
		"no auth":       {"", est.ContentTypeCSR, est.EncodeCSR(good), 401, est.ReasonUnauthorized},
		"bad signature": {"room-201", est.ContentTypeCSR, est.EncodeCSR(tampered), 400, est.ReasonCSRInvalid},
		"garbage":       {"room-201", est.ContentTypeCSR, []byte("%%% not base64 %%%"), 400, est.ReasonCSRInvalid},
		"not a CSR":     {"room-201", est.ContentTypeCSR, est.EncodeCSR([]byte("hello, city")), 400, est.ReasonCSRInvalid},
		"oversized":     {"room-201", est.ContentTypeCSR, huge, 400, est.ReasonCSRInvalid},
		"wrong type":    {"room-201", "application/json", est.EncodeCSR(good), 400, est.ReasonCSRInvalid},
	} {
		status, text := c.rawPost(t, tc.user, token, tc.ct, tc.body)
		if status != tc.status || !strings.HasPrefix(text, tc.reason+" ") {
			t.Errorf("%s: %d %q, want %d %s", name, status, text, tc.status, tc.reason)
		}
	}
	// None of them used the claim: the good request still works.
	if status, text := c.rawPost(t, "room-201", token, est.ContentTypeCSR, est.EncodeCSR(good)); status != 200 {
		t.Errorf("good request after the bad ones: %d %q", status, text)
	}
}

func TestEnrolRateLimited(t *testing.T) {
	c := startCity(t)
	cl := c.client(t)
	stranger, _ := claim.NewToken()
	_, csr := newCSR(t, "room-201")
	for range MaxFailures {
		cl.SimpleEnroll(context.Background(), "room-201", stranger, csr)
	}
	token := c.addClaim(t, "room-201", claim.KindRoom, time.Hour)
	_, err := cl.SimpleEnroll(context.Background(), "room-201", token, csr)
	wantReason(t, "after too many failures", err, est.ReasonRateLimited)
	c.server.now = func() time.Time { return time.Now().Add(FailureWindow) }
	if _, err := cl.SimpleEnroll(context.Background(), "room-201", token, csr); err != nil {
		t.Errorf("after the window: %v", err)
	}
}

// A server whose CA is not the claim's never sees the token.
func TestClientRefusesUnpinnedCA(t *testing.T) {
	c := startCity(t)
	token := c.addClaim(t, "room-201", claim.KindRoom, time.Hour)
	impostor := startCity(t)
	var mu sync.Mutex
	var seen []string
	spy := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		impostor.server.ServeHTTP(w, r)
	})
	certFile, keyFile := filepath.Join(impostor.dir, "ca", "enrol.pem"), filepath.Join(impostor.dir, "ca", "enrol.key")
	url := serveTLS(t, impostor.server, spy, certFile, keyFile)
	cl, err := est.NewClient(url, c.fingerprint) // the real city's pin
	if err != nil {
		t.Fatal(err)
	}
	_, csr := newCSR(t, "room-201")
	_, err = cl.SimpleEnroll(context.Background(), "room-201", token, csr)
	wantReason(t, "enrol at an impostor", err, est.ReasonCAMismatch)
	_, err = cl.CACerts(context.Background())
	wantReason(t, "cacerts at an impostor", err, est.ReasonCAMismatch)
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 0 {
		t.Errorf("the impostor saw %d requests (Authorization %q); want none", len(seen), seen)
	}
	// The pin also holds the host: the city's own certificate for another name.
	cl, _ = est.NewClient(strings.Replace(c.url, "127.0.0.1", "127.0.0.2", 1), c.fingerprint)
	_, err = cl.CACerts(context.Background())
	if r := est.ReasonOf(err); r != est.ReasonCAMismatch && r != est.ReasonUnreachable {
		t.Errorf("city certificate for another host: %v", err)
	}
}

func TestConcurrentRedeemOneWinner(t *testing.T) {
	c := startCity(t)
	token := c.addClaim(t, "room-201", claim.KindRoom, time.Hour)
	const boxes = 8
	var wg sync.WaitGroup
	errs := make([]error, boxes)
	for i := range boxes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, csr := newCSR(t, "room-201")
			_, errs[i] = c.client(t).SimpleEnroll(context.Background(), "room-201", token, csr)
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch est.ReasonOf(err) {
		case "":
			won++
		case est.ReasonTokenUsed:
		default:
			t.Errorf("a racing box got %v, want token_used", err)
		}
	}
	if won != 1 {
		t.Errorf("%d boxes won the token, want exactly 1", won)
	}
}

func TestRevokedCannotRenew(t *testing.T) {
	c := startCity(t)
	token := c.addClaim(t, "room-201", claim.KindRoom, time.Hour)
	cl := c.client(t)
	key, csr := newCSR(t, "room-201")
	cert, err := cl.SimpleEnroll(context.Background(), "room-201", token, csr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ca.RevokeDevice("room-201", time.Now()); err != nil {
		t.Fatal(err)
	}
	_, renewCSR := newCSR(t, "room-201")
	_, err = cl.SimpleReenroll(context.Background(), pair(cert, key), renewCSR)
	wantReason(t, "revoked renewal", err, est.ReasonRevoked)
	_, err = cl.Config(context.Background(), pair(cert, key))
	wantReason(t, "revoked config", err, est.ReasonRevoked)
}

// The first config, written as the box writes it, is one the box's own
// config loader accepts, for a room and for a gate.
func TestBundleValidates(t *testing.T) {
	c := startCity(t)
	for _, kind := range []string{claim.KindRoom, claim.KindGate} {
		device := kind + "-7"
		token := c.addClaim(t, device, kind, time.Hour)
		cl := c.client(t)
		key, csr := newCSR(t, device)
		cert, err := cl.SimpleEnroll(context.Background(), device, token, csr)
		if err != nil {
			t.Fatal(err)
		}
		b, err := cl.Config(context.Background(), pair(cert, key))
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
		files := map[string][]byte{
			"roomgate.yaml": []byte(b.Config),
			CAFile:          pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.ca.Certificate().Raw}),
			CertFile:        pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}),
			KeyFile:         pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		}
		for name, content := range b.Files {
			files[name] = []byte(content)
		}
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(dir, name), content, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		cfg, err := config.Load(filepath.Join(dir, "roomgate.yaml"))
		if err != nil {
			t.Errorf("%s: the box would refuse its first config: %v\n%s", kind, err, b.Config)
			continue
		}
		if cfg.Provisioning.URL != testEnrolURL {
			t.Errorf("%s: renews at %q, want %q", kind, cfg.Provisioning.URL, testEnrolURL)
		}
		scanners := len(cfg.Scanners)
		if kind == claim.KindGate && (scanners != 1 || cfg.Scanners[0].Path != "/dev/serial/by-id/usb-city-standard-scanner") {
			t.Errorf("gate: scanners %+v, want the city's standard scanner", cfg.Scanners)
		}
		if kind == claim.KindRoom && scanners != 0 {
			t.Errorf("room: scanners %+v, want the gate's peripherals kept to gates", cfg.Scanners)
		}
	}
}

// A peripherals file sets hardware sections only: never the identity, the
// link, the trust or the store the city renders, and only for a kind.
func TestAddPeripheralsRefuses(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	scanners := write("ok.yaml", testGatePeripherals)
	for _, tt := range []struct{ name, kind, file, want string }{
		{"sync", claim.KindGate, write("sync.yaml", "sync: {broker: ssl://evil.example:8883}\n"), "first config's own section"},
		{"store", claim.KindRoom, write("store.yaml", "store: {path: roomgate.db}\n"), "first config's own section"},
		{"identity", claim.KindGate, write("identity.yaml", "identity: {device: other}\n"), "first config's own section"},
		{"not a mapping", claim.KindGate, write("list.yaml", "- scanners\n"), "not a YAML mapping"},
		{"kind", "kiosk", scanners, "want room or gate"},
		{"missing", claim.KindGate, filepath.Join(dir, "none.yaml"), "no such file"},
	} {
		var tmpl Template
		if err := tmpl.AddPeripherals(tt.kind, tt.file); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: AddPeripherals = %v, want an error saying %q", tt.name, err, tt.want)
		}
	}
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
