package tlsfiles

import (
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
