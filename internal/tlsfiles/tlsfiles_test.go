package tlsfiles

import (
	"bytes"
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/deploy/city/ca"
)

func TestClient(t *testing.T) {
	dir := t.TempDir()
	authority, err := ca.Init(dir)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, err := authority.IssueClient(dir, "box-1")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Client(authority.CertFile(), certFile, keyFile)
	if err != nil || len(cfg.Certificates) != 1 || cfg.RootCAs == nil {
		t.Fatalf("Client() = %+v, %v; want one certificate and the CA pool", cfg, err)
	}
	junk := filepath.Join(dir, "junk.pem")
	os.WriteFile(junk, []byte("not a certificate"), 0o600)
	for _, tc := range []struct{ ca, cert, key, want string }{
		{filepath.Join(dir, "missing.pem"), certFile, keyFile, "CA"},
		{junk, certFile, keyFile, "no PEM certificate"},
		{authority.CertFile(), junk, keyFile, "client certificate"},
		{authority.CertFile(), certFile, junk, "client certificate"},
	} {
		if _, err := Client(tc.ca, tc.cert, tc.key); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Client(%s, %s, %s) = %v, want an error about %s", tc.ca, tc.cert, tc.key, err, tc.want)
		}
	}
}

// A certificate renewed on disk is presented at the next handshake without
// building the config again; a pair that cannot be read keeps the last one.
func TestClientPresentsRenewedCertificate(t *testing.T) {
	dir := t.TempDir()
	authority, err := ca.Init(dir)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, err := authority.IssueClient(filepath.Join(dir, "first"), "box-1")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Client(authority.CertFile(), certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	presented := func() []byte {
		t.Helper()
		cert, err := cfg.GetClientCertificate(&tls.CertificateRequestInfo{})
		if err != nil || cert == nil || len(cert.Certificate) == 0 {
			t.Fatalf("GetClientCertificate = %v, %v", cert, err)
		}
		return cert.Certificate[0]
	}
	first := presented()
	renewedCert, renewedKey, err := authority.IssueClient(filepath.Join(dir, "renewed"), "box-1")
	if err != nil {
		t.Fatal(err)
	}
	for from, to := range map[string]string{renewedCert: certFile, renewedKey: keyFile} {
		if err := os.Rename(from, to); err != nil {
			t.Fatal(err)
		}
	}
	renewed := presented()
	if bytes.Equal(first, renewed) {
		t.Fatal("the renewed certificate on disk was not presented")
	}
	if err := os.WriteFile(certFile, []byte("half written"), 0o600); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(presented(), renewed) {
		t.Error("an unreadable pair replaced the last good one")
	}
}
