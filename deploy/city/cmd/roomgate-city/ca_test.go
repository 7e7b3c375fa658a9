package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The files the ca commands write complete a mutual TLS handshake, the way
// the broker and a box use them.
func TestCAHandshake(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	boxDir := filepath.Join(t.TempDir(), "box")
	for _, args := range [][]string{
		{"ca", "init", "-dir", dir},
		{"ca", "server", "-dir", dir, "-hosts", "localhost, 127.0.0.1"},
		{"ca", "client", "-dir", dir, "-cn", "hq-gate-1", "-out", boxDir},
		{"ca", "client", "-dir", dir, "-cn", "city-ingest"},
	} {
		out, _, err := runAt(testNow, "", args...)
		if err != nil {
			t.Fatalf("%s = %v", strings.Join(args, " "), err)
		}
		if !strings.Contains(out, "Wrote ") {
			t.Errorf("%s printed %q, want the files it wrote", strings.Join(args, " "), out)
		}
	}

	caPEM, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	server, err := tls.LoadX509KeyPair(filepath.Join(dir, "broker.pem"), filepath.Join(dir, "broker.key"))
	if err != nil {
		t.Fatal(err)
	}
	box, err := tls.LoadX509KeyPair(filepath.Join(boxDir, "hq-gate-1.pem"), filepath.Join(boxDir, "hq-gate-1.key"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{server}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	peer := make(chan string, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			peer <- err.Error()
			return
		}
		defer c.Close()
		tc := c.(*tls.Conn)
		if err := tc.Handshake(); err != nil {
			peer <- err.Error()
			return
		}
		peer <- tc.ConnectionState().PeerCertificates[0].Subject.CommonName
	}()
	c, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{box}})
	if err != nil {
		t.Fatalf("handshake with the issued certificates: %v", err)
	}
	defer c.Close()
	if got := <-peer; got != "hq-gate-1" {
		t.Errorf("server saw client %q, want hq-gate-1", got)
	}
}

func TestCAErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	if _, _, err := runAt(testNow, "", "ca", "init", "-dir", dir); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"ca", "init"}, "-dir is required"},
		{[]string{"ca", "init", "-dir", dir}, "file exists"},
		{[]string{"ca", "server", "-dir", dir}, "-hosts is required"},
		{[]string{"ca", "server", "-dir", dir, "-hosts", "bad host"}, "neither an IP address nor a DNS name"},
		{[]string{"ca", "server", "-dir", t.TempDir(), "-hosts", "localhost"}, "no such file"},
		{[]string{"ca", "client", "-dir", dir}, "-cn is required"},
		{[]string{"ca", "client", "-dir", dir, "-cn", "Gate_1"}, `client name "Gate_1"`},
		{[]string{"ca", "client", "-dir", dir, "-cn", "gate-1", "extra"}, `unexpected argument "extra"`},
		{[]string{"ca", "client", "-dir", dir, "-cn", "gate-2", "-days", "366"}, "at most 8760h0m0s (one year)"},
		{[]string{"ca", "client", "-dir", dir, "-cn", "gate-2", "-days", "3650"}, "at most 8760h0m0s (one year)"},
		{[]string{"ca", "server", "-dir", dir, "-hosts", "localhost", "-days", "0"}, "want more than 0"},
		{[]string{"ca", "revoke", "-dir", dir}, "give one of -cert and -serial"},
		{[]string{"ca", "revoke", "-dir", dir, "-cert", "a.pem", "-serial", "1f"}, "give one of -cert and -serial"},
		{[]string{"ca", "revoke", "-dir", dir, "-serial", "not-hex"}, "want a positive hexadecimal number"},
		{[]string{"ca", "revoke", "-dir", dir, "-cert", filepath.Join(dir, "ca.pem")}, "is a CA certificate"},
		{[]string{"ca", "crl", "-dir", dir, "-days", "0"}, "-days must be at least 1"},
		{[]string{"ca", "sign"}, `unknown command "sign"`},
	} {
		_, _, err := runAt(testNow, "", tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s = %v, want an error containing %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}
}

// Certificates last a year at most; a revoked one is in the CRL that ca
// revoke and ca crl write.
func TestCALifetimeAndRevocation(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	for _, args := range [][]string{
		{"ca", "init", "-dir", dir},
		{"ca", "client", "-dir", dir, "-cn", "hq-gate-1"},
		{"ca", "client", "-dir", dir, "-cn", "hq-gate-2", "-days", "90"},
		{"ca", "revoke", "-dir", dir, "-cert", filepath.Join(dir, "hq-gate-1.pem")},
		{"ca", "crl", "-dir", dir, "-days", "30"},
	} {
		if _, _, err := runAt(testNow, "", args...); err != nil {
			t.Fatalf("%s = %v", strings.Join(args, " "), err)
		}
	}
	leaf := func(name string) *x509.Certificate {
		pair, err := tls.LoadX509KeyPair(filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key"))
		if err != nil {
			t.Fatal(err)
		}
		return pair.Leaf
	}
	one, two := leaf("hq-gate-1"), leaf("hq-gate-2")
	if d := one.NotAfter.Sub(one.NotBefore); d != 365*24*time.Hour {
		t.Errorf("hq-gate-1 valid for %v, want a year by default", d)
	}
	if d := two.NotAfter.Sub(two.NotBefore); d != 90*24*time.Hour {
		t.Errorf("hq-gate-2 with -days 90 valid for %v", d)
	}
	data, err := os.ReadFile(filepath.Join(dir, "crl.pem"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatal("crl.pem: no PEM block")
	}
	crl, err := x509.ParseRevocationList(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(crl.RevokedCertificateEntries); n != 1 || crl.RevokedCertificateEntries[0].SerialNumber.Cmp(one.SerialNumber) != 0 {
		t.Errorf("CRL lists %d certificates, want hq-gate-1's serial only", n)
	}
	if d := time.Until(crl.NextUpdate); d < 29*24*time.Hour || d > 31*24*time.Hour {
		t.Errorf("CRL with -days 30 next updated in %v", d)
	}
}
