// Package enroltest runs the city's enrolment server (deploy/city/enrol) on
// 127.0.0.1 over real TLS for tests of the box's provisioning and renewal.
package enroltest

import (
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/roomgate/roomgate/deploy/city/ca"
	"github.com/roomgate/roomgate/deploy/city/enrol"
	"github.com/roomgate/roomgate/deploy/city/issuer"
	"github.com/roomgate/roomgate/provisioning/claim"
)

// City is a running enrolment server with its CA and claims.
type City struct {
	URL    string
	CA     *ca.CA
	Claims *enrol.Store
	// IssuerKey is the pass issuer every box it provisions trusts
	// (kid "passes-2026", iss "city").
	IssuerKey issuer.KeyFiles
}

// Options of Start; the zero value is a city of its own with a year's
// certificates and a broker at ssl://127.0.0.1:8883.
type Options struct {
	CADir    string        // an existing CA (a test broker's, mqtttest's CADir), else a new one
	Broker   string        // the first configs' sync.broker
	Lifetime time.Duration // of the certificates it issues; the CA's default when zero
	// Peripherals are YAML sections by kind for the first configs
	// (Template.AddPeripherals), such as a gate's scanner on a test pty.
	Peripherals map[string]string
}

// Start runs the server until the test ends.
func Start(t testing.TB, opts Options) *City {
	t.Helper()
	dir := t.TempDir()
	var authority *ca.CA
	var err error
	if opts.CADir != "" {
		authority, err = ca.Load(opts.CADir)
	} else {
		authority, err = ca.Init(filepath.Join(dir, "ca"))
	}
	if err != nil {
		t.Fatal(err)
	}
	if opts.Lifetime > 0 {
		if err := authority.SetLifetime(opts.Lifetime); err != nil {
			t.Fatal(err)
		}
	}
	if opts.Broker == "" {
		opts.Broker = "ssl://127.0.0.1:8883"
	}
	certFile, keyFile, err := authority.IssueServer(dir, "enrol", []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	claims, err := enrol.OpenStore(filepath.Join(dir, "enrol"))
	if err != nil {
		t.Fatal(err)
	}
	_, cityKey, err := issuer.GenerateKey(dir, "city-ops")
	if err != nil {
		t.Fatal(err)
	}
	_, passes, err := issuer.GenerateKey(dir, "passes-2026")
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := enrol.LoadTemplate(opts.Broker, cityKey.Public, []string{"passes-2026=city:" + passes.Public})
	if err != nil {
		t.Fatal(err)
	}
	for kind, text := range opts.Peripherals {
		file := filepath.Join(dir, kind+".yaml")
		if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := tmpl.AddPeripherals(kind, file); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tmpl.URL = "https://" + ln.Addr().String()
	srv, err := enrol.NewServer(authority, claims, tmpl, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := srv.TLSConfig(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv, TLSConfig: cfg, ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(tls.NewListener(ln, cfg))
	t.Cleanup(func() { hs.Close() })
	return &City{URL: tmpl.URL, CA: authority, Claims: claims, IssuerKey: passes}
}

// Claim makes a claim for device at site, valid for an hour, as `roomgate-city
// claim create` does, and returns its text.
func (c *City) Claim(t testing.TB, device, kind, site string) string {
	t.Helper()
	token, err := claim.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	exp := now.Add(time.Hour)
	if err := c.Claims.Add(enrol.Claim{Device: device, Kind: kind, Site: site, Name: device, Board: "sim", TokenHash: claim.HashToken(token), Created: now, Expires: exp}); err != nil {
		t.Fatal(err)
	}
	text, err := claim.Claim{URL: c.URL, CA: claim.Fingerprint(c.CA.Certificate().Raw), Device: device, Kind: kind, Site: site, Token: token, Expires: exp.Unix()}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return text
}
