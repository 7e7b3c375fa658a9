package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/deploy/city/issuer"
	"github.com/roomgate/roomgate/deploy/city/mqttclient"
	"github.com/roomgate/roomgate/internal/mqtttest"
	"github.com/roomgate/roomgate/provisioning/claim"
	"github.com/roomgate/roomgate/provisioning/est"
)

// startEnrol runs `roomgate-city enrol` on the broker's CA and returns its URL.
func startEnrol(t *testing.T, b *mqtttest.Broker, dir string) string {
	t.Helper()
	_, cityKey, err := issuer.GenerateKey(dir, "city-ops")
	if err != nil {
		t.Fatal(err)
	}
	_, passes, err := issuer.GenerateKey(dir, "passes-2026")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	orig := signalContext
	signalContext = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run([]string{"enrol", "-listen", "127.0.0.1:0", "-hosts", "127.0.0.1", "-dir", filepath.Join(dir, "enrol"),
			"-ca-dir", b.CADir(), "-broker", b.URL, "-city-key", cityKey.Public, "-issuer", "passes-2026=city:" + passes.Public}, nil, pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("enrol: %v", err)
		}
		signalContext = orig
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	go io.Copy(io.Discard, pr)
	if err != nil {
		t.Fatalf("enrol printed %q: %v", line, err)
	}
	addr, _, _ := strings.Cut(strings.TrimPrefix(line, "Serving enrolment on "), " ")
	return addr
}

// A claim made by `claim create` enrols a box through `enrol`; the box
// connects to the real broker with its certificate until `device revoke`
// and a broker reload (SIGHUP) shut it out.
func TestClaimEnrolRevoke(t *testing.T) {
	b := mqtttest.Start(t)
	dir := t.TempDir()
	url := startEnrol(t, b, dir)

	png := filepath.Join(dir, "claim.png")
	out := runOK(t, "claim", "create", "-dir", filepath.Join(dir, "enrol"), "-ca-dir", b.CADir(), "-url", url,
		"-device", "room-201", "-kind", "room", "-site", "quan-1", "-gate", "phong-201", "-valid", "7d", "-png", png)
	var text string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, claim.Prefix) {
			text = line
		}
	}
	cl, err := claim.Parse(text)
	if err != nil {
		t.Fatalf("claim create printed no claim: %v\n%s", err, out)
	}
	if fi, err := os.Stat(png); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("claim PNG: %v, %v; want mode 0600", fi, err)
	}
	if d := time.Until(time.Unix(cl.Expires, 0)); d < 7*24*time.Hour-time.Minute || d > 7*24*time.Hour {
		t.Errorf("claim expires in %v, want 7 days", d)
	}
	claims, _ := os.ReadFile(filepath.Join(dir, "enrol", "claims.json"))
	if strings.Contains(string(claims), cl.Token) {
		t.Error("claims.json holds the token itself")
	}

	client, err := est.NewClient(cl.URL, cl.CA)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	csr, _ := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cl.Device}}, key)
	cert, err := client.SimpleEnroll(context.Background(), cl.Device, cl.Token, csr)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "device.pem"), filepath.Join(dir, "device.key")
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	if err := connectBox(b, certFile, keyFile); err != nil {
		t.Fatalf("the enrolled box cannot connect: %v", err)
	}
	first, err := client.Config(context.Background(), tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(first.Config, "url: "+url+"\n") {
		t.Errorf("the first config does not send the box to %s to renew:\n%s", url, first.Config)
	}

	out = runOK(t, "device", "revoke", "-ca-dir", b.CADir(), "room-201")
	if !strings.Contains(out, "Revoked serial "+cert.SerialNumber.Text(16)) {
		t.Errorf("device revoke printed:\n%s", out)
	}
	b.Reload(t)
	if err := connectBox(b, certFile, keyFile); err == nil {
		t.Error("the revoked box connected after the broker reloaded its CRL")
	}
	other, otherKey := b.ClientCert(t, "room-202")
	if err := connectBox(b, other, otherKey); err != nil {
		t.Errorf("a box not revoked cannot connect: %v", err)
	}
	_, err = client.SimpleReenroll(context.Background(), tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key}, csr)
	if est.ReasonOf(err) != est.ReasonRevoked {
		t.Errorf("renewal of a revoked box: %v, want %s", err, est.ReasonRevoked)
	}
}

func connectBox(b *mqtttest.Broker, certFile, keyFile string) error {
	c, err := mqttclient.New(mqttclient.Config{Broker: b.URL, CAFile: b.CAFile, CertFile: certFile, KeyFile: keyFile, OnMessage: func(m mqttclient.Message) { m.Ack() }})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = c.Connect(ctx)
	c.Close()
	return err
}

func runOK(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := runAt(time.Now(), "", args...)
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, errOut)
	}
	return out
}
