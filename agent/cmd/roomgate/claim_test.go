package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/pass"
	"github.com/roomgate/roomgate/deploy/city/enrol/enroltest"
	"github.com/roomgate/roomgate/deploy/city/issuer"
	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/internal/logbuf"
	"github.com/roomgate/roomgate/internal/mqtttest"
	"github.com/roomgate/roomgate/provisioning/claim"
)

// A packaged box, unprovisioned, is provisioned by a claim scanned on its
// own scanner against the city's real enrolment server; it then runs as the
// gate the city named, connects to the real broker (TLS, ACL) with the
// certificate it made, renews that certificate with the city (due at once:
// a short lifetime), and takes a visitor's pass on the same scanner.
func TestClaimScannedProvisionsTheBox(t *testing.T) {
	b := mqtttest.Start(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listen := ln.Addr().String()
	ln.Close()
	path, link := packagedConfig(t, listen)
	ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	kiosk := ln.Addr().String()
	ln.Close()
	// The city's standard gate: the scanner on the test's pty, the kiosk on
	// a free port, and a clock the test machine's kernel may not call synced.
	standardGate := fmt.Sprintf("scanners:\n  - {name: front, type: serial, path: %q, terminator: cr}\nhttp: {listen: %q}\npolicy: {clock_source: trusted}\n", link.Device, kiosk)
	// The CA backdates certificates by an hour: this one is due for
	// renewal from the start and valid for two more minutes.
	city := enroltest.Start(t, enroltest.Options{CADir: b.CADir(), Broker: b.URL, Lifetime: time.Hour + 2*time.Minute,
		Peripherals: map[string]string{claim.KindGate: standardGate}})

	logs, waitLogN := serveUnprovisioned(t, path)
	waitLogN("scanner connected", 1, 10*time.Second)

	text := city.Claim(t, "gate-77", claim.KindGate, "hq")
	start := time.Now()
	link.Write([]byte(text + "\r"))
	waitLogN("running on the provisioned config", 1, 20*time.Second)
	provisioned := time.Since(start)
	waitLogN("msg=connected", 1, 20*time.Second)
	connected := time.Since(start)
	t.Logf("claim scanned → provisioned %v, → connected to the broker %v", provisioned.Round(time.Millisecond), connected.Round(time.Millisecond))
	if strings.Contains(logs.String(), text) {
		t.Error("the log holds the claim")
	}

	// Provisioning it again while it runs (on its own kiosk port, not the
	// package's) is refused with what to do.
	var out, errOut bytes.Buffer
	if err := run([]string{"provision", "-config", path, text}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "stop it first") {
		t.Errorf("roomgate provision on the running provisioned box = %v\n%s%s", err, out.String(), errOut.String())
	}

	local, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(local.Provisioning.Dir, "device.pem"), filepath.Join(local.Provisioning.Dir, "device.key")
	waitLogN("the box's certificate was renewed", 1, 20*time.Second)
	renewed, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatalf("the renewed pair: %v", err)
	}
	if !strings.Contains(logs.String(), "serial="+renewed.Leaf.SerialNumber.Text(16)) || renewed.Leaf.Subject.CommonName != "gate-77" {
		t.Errorf("device.pem holds %v serial %x, not the renewed certificate the log names", renewed.Leaf.Subject, renewed.Leaf.SerialNumber)
	}

	priv, err := issuer.LoadPrivateKey(city.IssuerKey.Private)
	if err != nil {
		t.Fatal(err)
	}
	token, err := pass.Sign(pass.Claims{ID: "P-claim-1", Issuer: "city", Subject: "V-1", Audience: []string{"hq/gate-77"}, Expires: time.Now().Add(time.Hour)}, "passes-2026", priv)
	if err != nil {
		t.Fatal(err)
	}
	waitLogN("scanner connected", 2, 10*time.Second)
	link.Write([]byte(token + "\r"))
	waitLogN("granted=true", 1, 10*time.Second)
}

// serveUnprovisioned runs the agent command's loop on the package-like
// config at path until the test ends; waitLogN waits for the n-th log line
// with want.
func serveUnprovisioned(t *testing.T, path string) (logs *logbuf.Buffer, waitLogN func(want string, n int, within time.Duration)) {
	t.Helper()
	logs = &logbuf.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, path, log) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return logs, func(want string, n int, within time.Duration) {
		t.Helper()
		for deadline := time.Now().Add(within); strings.Count(logs.String(), want) < n; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("not %d %q in the log within %v:\n%s", n, want, within, logs.String())
			}
		}
	}
}
