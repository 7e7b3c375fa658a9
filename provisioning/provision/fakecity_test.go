package provision

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/roomgate/roomgate/provisioning/claim"
	"github.com/roomgate/roomgate/provisioning/est"
)

// fakeCity is the enrolment server in memory, with the contract's token
// rules: a token binds to its device and, at its first enrolment, to the
// CSR's key; that key may enrol again, another gets token_used.
type fakeCity struct {
	t      *testing.T
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	issuer []byte // the pass issuer's public key file
	city   []byte // the city's signing key file

	mu      sync.Mutex
	tokens  map[string]string // token hash → device
	bound   map[string][]byte // token hash → the first enrolled key (PKIX DER)
	enrols  int
	fail    map[string]error                                               // by method: CACerts, SimpleEnroll, Config
	render  func(b *est.Bundle, device string)                             // changes the bundle the city sends
	mangle  func(tmpl *x509.Certificate, pub any) (*x509.Certificate, any) // changes the certificate it issues
	extraCA []*x509.Certificate                                            // sent before the pinned CA
}

func newFakeCity(t *testing.T) *fakeCity {
	t.Helper()
	key, err := newKey()
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test city CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	return &fakeCity{t: t, ca: ca, caKey: key, issuer: edPub(t), city: edPub(t),
		tokens: map[string]string{}, bound: map[string][]byte{}, fail: map[string]error{}}
}

func edPub(t *testing.T) []byte {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(pub)
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// claim makes a claim for device at the city, as `claim create` would.
func (f *fakeCity) claim(device string, exp time.Time) string {
	tok, err := claim.NewToken()
	if err != nil {
		f.t.Fatal(err)
	}
	f.mu.Lock()
	f.tokens[claim.HashToken(tok)] = device
	f.mu.Unlock()
	text, err := claim.Claim{URL: "https://city.test:8443", CA: claim.Fingerprint(f.ca.Raw), Device: device, Kind: claim.KindGate,
		Site: "hq", Token: tok, Expires: exp.Unix()}.Encode()
	if err != nil {
		f.t.Fatal(err)
	}
	return text
}

// connect is the Connect of a box that reaches this city.
func (f *fakeCity) connect(url, fp string) (City, error) {
	if fp != claim.Fingerprint(f.ca.Raw) {
		return nil, &est.Error{Reason: est.ReasonCAMismatch, Detail: "pin"}
	}
	return f, nil
}

func (f *fakeCity) failing(method string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fail[method]
}

func (f *fakeCity) CACerts(ctx context.Context) ([]*x509.Certificate, error) {
	if err := f.failing("CACerts"); err != nil {
		return nil, err
	}
	return append(append([]*x509.Certificate{}, f.extraCA...), f.ca), ctx.Err()
}

func (f *fakeCity) SimpleEnroll(ctx context.Context, device, token string, csrDER []byte) (*x509.Certificate, error) {
	if err := f.failing("SimpleEnroll"); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, &est.Error{Reason: est.ReasonUnreachable, Detail: err.Error()}
	}
	csr, err := x509.ParseCertificateRequest(csrDER)
	if err != nil || csr.CheckSignature() != nil || csr.Subject.CommonName != device {
		return nil, &est.Error{Status: 400, Reason: est.ReasonCSRInvalid, Detail: fmt.Sprint(err)}
	}
	pub, _ := x509.MarshalPKIXPublicKey(csr.PublicKey)
	f.mu.Lock()
	defer f.mu.Unlock()
	h := claim.HashToken(token)
	switch dev, ok := f.tokens[h]; {
	case !ok:
		return nil, &est.Error{Status: 401, Reason: est.ReasonUnauthorized}
	case dev != device:
		return nil, &est.Error{Status: 403, Reason: est.ReasonDeviceMismatch}
	case f.bound[h] != nil && string(f.bound[h]) != string(pub):
		return nil, &est.Error{Status: 403, Reason: est.ReasonTokenUsed}
	}
	f.bound[h] = pub
	f.enrols++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(int64(100 + f.enrols)), Subject: pkix.Name{CommonName: device},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(12 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	var certPub any = csr.PublicKey
	if f.mangle != nil {
		tmpl, certPub = f.mangle(tmpl, certPub)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, f.ca, certPub, f.caKey)
	if err != nil {
		f.t.Fatal(err)
	}
	return x509.ParseCertificate(der)
}

func (f *fakeCity) Config(ctx context.Context, current tls.Certificate) (*est.Bundle, error) {
	if err := f.failing("Config"); err != nil {
		return nil, err
	}
	if current.Leaf == nil || current.PrivateKey == nil {
		return nil, &est.Error{Status: 401, Reason: est.ReasonUnauthorized, Detail: "no client certificate"}
	}
	device := current.Leaf.Subject.CommonName
	b := &est.Bundle{Device: device, Kind: claim.KindGate, Site: "hq", Config: gateConfig(device, f.t.TempDir()),
		Files: map[string]string{"issuer.pub": string(f.issuer), "city-key.pub": string(f.city)}}
	if f.render != nil {
		f.render(b, device)
	}
	return b, ctx.Err()
}

// gateConfig is the city's template for a gate, as the packaging test's
// by-hand provisioning writes it.
func gateConfig(device, state string) string {
	return `identity: {site: hq, gate: main-gate, device: ` + device + `}
board: sim
policy: {pulse: 1s, safe_state: fail-secure, clock_source: trusted}
trust:
  issuers:
    - {kid: city, iss: city, key_file: issuer.pub}
store:
  path: ` + state + `/roomgate.db
sync:
  broker: ssl://127.0.0.1:8883
  ca_file: ca.pem
  cert_file: device.pem
  key_file: device.key
  city_key: city-key.pub
`
}
