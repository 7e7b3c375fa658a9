package main

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
		{[]string{"ca", "sign"}, `unknown command "sign"`},
	} {
		_, _, err := runAt(testNow, "", tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s = %v, want an error containing %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}
}
