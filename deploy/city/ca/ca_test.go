package ca

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func initCA(t *testing.T) *CA {
	t.Helper()
	c, err := Init(filepath.Join(t.TempDir(), "ca"))
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	return c
}

func mode(t *testing.T, name string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestInitLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	c, err := Init(dir)
	if err != nil {
		t.Fatalf("Init(%s): %v", dir, err)
	}
	if got, want := c.CertFile(), filepath.Join(dir, "ca.pem"); got != want {
		t.Errorf("CertFile() = %s, want %s", got, want)
	}
	for name, want := range map[string]os.FileMode{"ca.pem": 0o644, "ca.key": 0o600} {
		if got := mode(t, filepath.Join(dir, name)); got != want {
			t.Errorf("mode of %s = %v, want %v", name, got, want)
		}
	}
	if _, err := Init(dir); !errors.Is(err, ErrExists) {
		t.Errorf("Init(%s) again: error = %v, want ErrExists", dir, err)
	}
	loaded, err := Load(dir)
	if err != nil {
		t.Fatalf("Load(%s): %v", dir, err)
	}
	if !loaded.cert.Equal(c.cert) || !loaded.key.Equal(c.key) {
		t.Error("Load returned another CA than Init made")
	}
	if !c.cert.IsCA || c.cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Errorf("CA certificate: IsCA = %v, KeyUsage = %v, want a CA that signs certificates", c.cert.IsCA, c.cert.KeyUsage)
	}
}

func TestLoadRejects(t *testing.T) {
	a, b := initCA(t), initCA(t)
	mixed := t.TempDir()
	copyFile(t, a.CertFile(), filepath.Join(mixed, CertName))
	copyFile(t, filepath.Join(b.dir, KeyName), filepath.Join(mixed, KeyName))

	leafDir := t.TempDir()
	cert, key, err := a.IssueClient(leafDir, "dev-a")
	if err != nil {
		t.Fatal(err)
	}
	notCA := t.TempDir()
	copyFile(t, cert, filepath.Join(notCA, CertName))
	copyFile(t, key, filepath.Join(notCA, KeyName))

	garbage := t.TempDir()
	os.WriteFile(filepath.Join(garbage, CertName), []byte("not pem"), 0o644)
	copyFile(t, filepath.Join(a.dir, KeyName), filepath.Join(garbage, KeyName))

	for _, tc := range []struct{ name, dir, want string }{
		{"missing", t.TempDir(), "no such file"},
		{"key of another CA", mixed, "does not belong"},
		{"leaf certificate", notCA, "not a CA"},
		{"not PEM", garbage, "no PEM CERTIFICATE"},
	} {
		_, err := Load(tc.dir)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Load(%s) error = %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// verify checks certFile against the CA for usage and, if host is set, that
// host; it also checks that keyFile belongs to certFile.
func verify(t *testing.T, c *CA, certFile, keyFile, host string, usage x509.ExtKeyUsage) (*x509.Certificate, error) {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatalf("LoadX509KeyPair(%s, %s): %v", certFile, keyFile, err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(c.cert)
	_, err = pair.Leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: host, KeyUsages: []x509.ExtKeyUsage{usage}})
	return pair.Leaf, err
}

func TestIssueServer(t *testing.T) {
	c := initCA(t)
	dir := t.TempDir()
	certFile, keyFile, err := c.IssueServer(dir, "broker", []string{"localhost", "127.0.0.1", "mqtt.city.example", "::1"})
	if err != nil {
		t.Fatalf("IssueServer: %v", err)
	}
	if certFile != filepath.Join(dir, "broker.pem") || keyFile != filepath.Join(dir, "broker.key") {
		t.Errorf("IssueServer files = %s, %s, want broker.pem, broker.key in %s", certFile, keyFile, dir)
	}
	if got := mode(t, keyFile); got != 0o600 {
		t.Errorf("mode of %s = %v, want 0600", keyFile, got)
	}
	for _, tc := range []struct {
		host string
		ok   bool
	}{
		{"localhost", true}, {"127.0.0.1", true}, {"mqtt.city.example", true}, {"::1", true},
		{"other.example", false}, {"10.0.0.1", false},
	} {
		_, err := verify(t, c, certFile, keyFile, tc.host, x509.ExtKeyUsageServerAuth)
		if (err == nil) != tc.ok {
			t.Errorf("verify server certificate for %s: error = %v, want ok %v", tc.host, err, tc.ok)
		}
	}
	if _, err := verify(t, c, certFile, keyFile, "", x509.ExtKeyUsageClientAuth); err == nil {
		t.Error("server certificate verifies for client auth, want refused")
	}
	if _, _, err := c.IssueServer(dir, "broker", []string{"localhost"}); !errors.Is(err, ErrExists) {
		t.Errorf("IssueServer again: error = %v, want ErrExists", err)
	}
}

func TestIssueServerRejects(t *testing.T) {
	c := initCA(t)
	for _, tc := range []struct {
		name  string
		hosts []string
	}{
		{"broker", nil},
		{"broker", []string{""}},
		{"broker", []string{"bad host"}},
		{"broker", []string{"a..b"}},
		{"broker", []string{"-a.example"}},
		{"../broker", []string{"localhost"}},
		{"Broker", []string{"localhost"}},
	} {
		dir := t.TempDir()
		if _, _, err := c.IssueServer(dir, tc.name, tc.hosts); err == nil {
			t.Errorf("IssueServer(%q, %q) error = nil, want an error", tc.name, tc.hosts)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("IssueServer(%q, %q) left %d files", tc.name, tc.hosts, len(entries))
		}
	}
}

func TestIssueClient(t *testing.T) {
	c := initCA(t)
	dir := t.TempDir()
	for _, cn := range []string{"dev-a", "city-ingest", "0", strings.Repeat("a", 63)} {
		certFile, keyFile, err := c.IssueClient(dir, cn)
		if err != nil {
			t.Fatalf("IssueClient(%q): %v", cn, err)
		}
		leaf, err := verify(t, c, certFile, keyFile, "", x509.ExtKeyUsageClientAuth)
		if err != nil {
			t.Errorf("verify client certificate %q: %v", cn, err)
		}
		if leaf.Subject.CommonName != cn {
			t.Errorf("IssueClient(%q) CN = %q, want %q", cn, leaf.Subject.CommonName, cn)
		}
		if _, err := verify(t, c, certFile, keyFile, "", x509.ExtKeyUsageServerAuth); err == nil {
			t.Errorf("client certificate %q verifies for server auth, want refused", cn)
		}
	}
	if _, _, err := c.IssueClient(dir, "dev-a"); !errors.Is(err, ErrExists) {
		t.Errorf("IssueClient(dev-a) again: error = %v, want ErrExists", err)
	}
	for _, cn := range []string{"", "Dev-A", "-dev", "dev_a", "dev a", "a/b", "..", "+", "#", strings.Repeat("a", 64)} {
		if _, _, err := c.IssueClient(dir, cn); err == nil || errors.Is(err, ErrExists) {
			t.Errorf("IssueClient(%q) error = %v, want a refused name", cn, err)
		}
	}
}

// A certificate issued by a loaded CA verifies against the CA that Init made.
func TestIssueAfterLoad(t *testing.T) {
	c := initCA(t)
	loaded, err := Load(c.dir)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, err := loaded.IssueClient(t.TempDir(), "dev-a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verify(t, c, certFile, keyFile, "", x509.ExtKeyUsageClientAuth); err != nil {
		t.Errorf("verify certificate of the loaded CA: %v", err)
	}
}

// Certificates the CA issues last at most a year; the CA itself longer.
func TestLifetime(t *testing.T) {
	c := initCA(t)
	dir := t.TempDir()
	certFile, keyFile, err := c.IssueClient(dir, "dev-a")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := verify(t, c, certFile, keyFile, "", x509.ExtKeyUsageClientAuth)
	if err != nil {
		t.Fatal(err)
	}
	if got := leaf.NotAfter.Sub(leaf.NotBefore); got > MaxLeafLifetime {
		t.Errorf("client certificate valid for %v, want at most %v", got, MaxLeafLifetime)
	}
	if got := c.cert.NotAfter.Sub(c.cert.NotBefore); got <= MaxLeafLifetime {
		t.Errorf("CA valid for %v, want longer than its certificates", got)
	}
	for _, d := range []time.Duration{0, -time.Hour, MaxLeafLifetime + time.Second, 10 * 365 * 24 * time.Hour} {
		if err := c.SetLifetime(d); err == nil {
			t.Errorf("SetLifetime(%v) = nil, want refused", d)
		}
	}
	if err := c.SetLifetime(30 * 24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, err = c.IssueServer(dir, "broker", []string{"localhost"})
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ = verify(t, c, certFile, keyFile, "localhost", x509.ExtKeyUsageServerAuth)
	if got := leaf.NotAfter.Sub(leaf.NotBefore); got != 30*24*time.Hour {
		t.Errorf("server certificate after SetLifetime(30 days) valid for %v", got)
	}
}

func readCRL(t *testing.T, c *CA) *x509.RevocationList {
	t.Helper()
	data, err := os.ReadFile(c.CRLFile())
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "X509 CRL" {
		t.Fatalf("%s: no PEM X509 CRL block", c.CRLFile())
	}
	crl, err := x509.ParseRevocationList(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if err := crl.CheckSignatureFrom(c.cert); err != nil {
		t.Fatalf("CRL signature: %v", err)
	}
	return crl
}

func TestRevoke(t *testing.T) {
	c := initCA(t)
	if crl := readCRL(t, c); len(crl.RevokedCertificateEntries) != 0 || !crl.NextUpdate.After(time.Now().Add(300*24*time.Hour)) {
		t.Errorf("CRL of a new CA: %d entries, next update %v; want none, in about a year", len(crl.RevokedCertificateEntries), crl.NextUpdate)
	}
	dir := t.TempDir()
	certA, _, err := c.IssueClient(dir, "dev-a")
	if err != nil {
		t.Fatal(err)
	}
	certB, _, err := c.IssueClient(dir, "dev-b")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	ra, err := c.RevokeCert(certA, at)
	if err != nil || ra.CN != "dev-a" {
		t.Fatalf("RevokeCert(dev-a) = %+v, %v", ra, err)
	}
	if again, err := c.RevokeCert(certA, at.Add(time.Hour)); err != nil || !again.At.Equal(at) {
		t.Errorf("RevokeCert(dev-a) again = %+v, %v; want the first revocation", again, err)
	}
	leafB, err := readCert(certB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.RevokeSerial(strings.ToUpper(leafB.SerialNumber.Text(16)), at); err != nil {
		t.Fatal(err)
	}
	// A CA loaded afresh keeps the list.
	loaded, err := Load(c.dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := loaded.WriteCRL(CRLLifetime); err != nil {
		t.Fatal(err)
	}
	crl := readCRL(t, c)
	got := map[string]bool{}
	for _, e := range crl.RevokedCertificateEntries {
		got[e.SerialNumber.Text(16)] = true
	}
	if len(got) != 2 || !got[ra.Serial.Text(16)] || !got[leafB.SerialNumber.Text(16)] {
		t.Errorf("CRL lists %v, want dev-a's and dev-b's serials", got)
	}

	other := initCA(t)
	foreign, _, err := other.IssueClient(t.TempDir(), "dev-c")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"certificate of another CA", func() error { _, err := c.RevokeCert(foreign, at); return err }()},
		{"the CA itself", func() error { _, err := c.RevokeCert(c.CertFile(), at); return err }()},
		{"serial not hex", func() error { _, err := c.RevokeSerial("xyz", at); return err }()},
		{"serial zero", func() error { _, err := c.RevokeSerial("0", at); return err }()},
	} {
		if tc.err == nil {
			t.Errorf("revoke %s: error = nil, want refused", tc.name)
		}
	}
}

// A device is revoked once every certificate the record has of it is; a
// device with a certificate still good, or one the record does not know,
// is not. Revocations sees a revocation made after it first read.
func TestRevokedDevices(t *testing.T) {
	c := initCA(t)
	dir := t.TempDir()
	for _, cn := range []string{"room-1", "room-1", "gate-2"} {
		if _, _, err := c.IssueClient(filepath.Join(dir, cn+fmt.Sprint(time.Now().UnixNano())), cn); err != nil {
			t.Fatal(err)
		}
	}
	watch, err := WatchRevocations(c.dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	if watch.Revoked("room-1") || watch.Revoked("gate-2") {
		t.Fatal("a device is revoked before any revocation")
	}
	issued, err := c.Issued()
	if err != nil {
		t.Fatal(err)
	}
	// One of room-1's two certificates revoked: room-1 still has a good one.
	for _, i := range issued {
		if i.CN == "room-1" {
			if _, err := c.RevokeSerial(i.Serial, time.Now()); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	if got, err := RevokedDevices(c.dir); err != nil || len(got) != 0 {
		t.Errorf("RevokedDevices with one of room-1's two revoked = %v, %v; want none", got, err)
	}
	if _, err := c.RevokeDevice("room-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	if got, err := RevokedDevices(c.dir); err != nil || !got["room-1"] || got["gate-2"] || got["unknown"] {
		t.Errorf("RevokedDevices = %v, %v; want room-1 only", got, err)
	}
	if !watch.Revoked("room-1") || watch.Revoked("gate-2") {
		t.Error("Revocations did not see room-1's revocation")
	}
}
