package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/roomgate/roomgate/deploy/city/ca"
	"github.com/roomgate/roomgate/deploy/city/enrol"
	"github.com/roomgate/roomgate/deploy/city/issuer"
	"github.com/roomgate/roomgate/provisioning/claim"
)

var claimCommands = []command{
	{"create", "make a one-time claim that provisions a box, as a QR code and text", (*app).claimCreate},
}

var deviceCommands = []command{
	{"revoke", "revoke every certificate of a box, so the broker and ingest refuse it", (*app).deviceRevoke},
}

// enrolServerName is the enrolment server's certificate in the CA's
// directory (enrol.pem, enrol.key).
const enrolServerName = "enrol"

// parseValid reads a lifetime such as 7d, 36h or 90m.
func parseValid(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("%q: want a whole number of days", s)
		}
		return time.Duration(n) * day, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q: want a positive duration such as 7d or 12h", s)
	}
	return d, nil
}

const claimCreateHelp = `
Makes a one-time claim for a box: the technician scans its QR code with the
box's scanner or camera, or runs "roomgate provision CLAIM" on the box. The
claim carries the enrolment server's address (-url), the fingerprint of the
city CA in -ca-dir (the box trusts only that CA), the device id, and a token
of 128 random bits. The city keeps the token only hashed, in DIR/claims.json;
it works once (for the key of the first box that redeems it), expires after
-valid, and only for -device. A new claim for a device cancels its unused
earlier ones.

The QR code is drawn on standard output with the claim's text; -png writes
it as an image too (mode 0600: the claim is a secret until the box used it).

Example:
  roomgate-city claim create -dir /etc/roomgate-city/enrol -ca-dir /etc/roomgate-city/ca \
    -url https://enrol.city.example:8443 -device room-201 -kind room -site quan-1 \
    -gate phong-hop-201 -valid 7d -png room-201-claim.png
`

func (a *app) claimCreate(path string, args []string) error {
	f := newFlags(path, "-dir DIR -ca-dir DIR -url URL -device D -kind room|gate -site S [flags]", claimCreateHelp)
	dir := f.String("dir", "", "`DIR` of the enrolment server (claims.json), required")
	caDir := f.String("ca-dir", "", "`DIR` of the city CA, required")
	enrolURL := f.String("url", "", "`URL` of the enrolment server, https://host:port, required")
	device := f.String("device", "", "`D`: the device id, required")
	kind := f.String("kind", "", "room or gate, required")
	site := f.String("site", "", "`S`: the site id, required")
	gate := f.String("gate", "", "`NAME`: the gate's or room's id in the box's config; default: the device id")
	board := f.String("board", "rpi4", "`BOARD` profile of the box: rpi4, rpi5, generic or sim")
	valid := f.String("valid", "7d", "how long the claim works: `7d`, 12h, ...")
	png := f.String("png", "", "also write the QR code to `FILE.png` (mode 0600)")
	pos, err := a.parse(f, args)
	switch {
	case err != nil:
		return err
	case len(pos) > 0:
		return usageError(f, "unexpected argument %q", pos[0])
	case *dir == "" || *caDir == "" || *enrolURL == "" || *device == "" || *kind == "" || *site == "":
		return usageError(f, "-dir, -ca-dir, -url, -device, -kind and -site are required")
	}
	lifetime, err := parseValid(*valid)
	if err != nil {
		return usageError(f, "-valid %v", err)
	}
	if *gate == "" {
		*gate = *device
	}
	authority, err := ca.Load(*caDir)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	token, err := claim.NewToken()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	now := a.now()
	cl := claim.Claim{URL: strings.TrimSuffix(*enrolURL, "/"), CA: claim.Fingerprint(authority.Certificate().Raw), Device: *device, Kind: *kind, Site: *site, Token: token, Expires: now.Add(lifetime).Unix()}
	text, err := cl.Encode()
	if err != nil {
		return usageError(f, "%v", err)
	}
	store, err := enrol.OpenStore(*dir)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	rec := enrol.Claim{Device: *device, Kind: *kind, Site: *site, Name: *gate, Board: *board, TokenHash: claim.HashToken(token), Created: now, Expires: time.Unix(cl.Expires, 0)}
	if err := store.Add(rec); err != nil {
		return usageError(f, "%v", err)
	}
	if *png != "" {
		if err := issuer.WriteQRPNG(*png, text); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	qr, err := issuer.QRText(text)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(a.stdout, "%s\n%s\n\nClaim for %s (%s at %s), valid until %s, once.\n", qr, text, *device, *kind, *site, time.Unix(cl.Expires, 0).UTC().Format(time.RFC3339))
	if *png != "" {
		fmt.Fprintf(a.stdout, "QR code written to %s: keep it private until the box is provisioned.\n", *png)
	}
	return nil
}

const enrolHelp = `
Serves enrolment over HTTPS (EST, RFC 7030, at /.well-known/est/): boxes
redeem the claims of "claim create" for a certificate from the CA in -ca-dir,
renew it with it (simplereenroll), and fetch their first config, made from
-broker, -city-key and the -issuer list (each kid=iss:keyfile, the pass
issuers' public keys), the claim's identity, kind and board, the -url boxes
renew at, and the -peripherals of the city's standard room or gate (a YAML
file of hardware sections: scanners, vision, terminal, gpio; the identity,
sync, trust, store and provisioning sections are the server's own).

The server's certificate is CA-DIR/enrol.pem, issued for -hosts on first
start if missing; it must name the host in the claims' -url. Refusals are
logged with the device, address and reason, never the token; an address
with ten failures in ten minutes is refused for the rest of them.
Runs until SIGINT or SIGTERM.

Example:
  roomgate-city enrol -listen :8443 -hosts enrol.city.example -dir /etc/roomgate-city/enrol \
    -ca-dir /etc/roomgate-city/ca -broker ssl://mqtt.city.example:8883 \
    -city-key keys/city-ops.pub -issuer city-passes-2026=city:keys/city-passes-2026.pub \
    -peripherals gate=/etc/roomgate-city/standard-gate.yaml
`

// issuerList is a repeatable flag: -issuer, -peripherals.
type issuerList []string

func (l *issuerList) String() string     { return strings.Join(*l, ",") }
func (l *issuerList) Set(v string) error { *l = append(*l, v); return nil }

func (a *app) enrol(path string, args []string) error {
	f := newFlags(path, "-dir DIR -ca-dir DIR -broker URL -city-key FILE -issuer KID=ISS:FILE [flags]", enrolHelp)
	listen := f.String("listen", ":8443", "`ADDRESS` to listen on")
	hosts := f.String("hosts", "", "`HOSTS` the server's certificate names when it is issued (comma-separated DNS names and IPs); default: this machine's host name")
	dir := f.String("dir", "", "`DIR` of the claims (claims.json), required")
	caDir := f.String("ca-dir", "", "`DIR` of the city CA, required")
	broker := f.String("broker", "", "`URL` of the broker in the boxes' config, ssl://host:8883, required")
	cityKey := f.String("city-key", "", "`FILE`: the city-ops public key the boxes check signed messages with, required")
	var issuers, peripherals issuerList
	f.Var(&issuers, "issuer", "`KID=ISS:FILE`: a pass issuer the boxes trust (repeat for each), at least one")
	f.Var(&peripherals, "peripherals", "`KIND=FILE`: YAML sections of the city's standard room or gate (scanners, vision, terminal, gpio...) for its first config (repeat per kind)")
	publicURL := f.String("url", "", "`URL` boxes renew their certificates at, https://host:port; default: https://<first of -hosts>:<port of -listen>")
	pos, err := a.parse(f, args)
	switch {
	case err != nil:
		return err
	case len(pos) > 0:
		return usageError(f, "unexpected argument %q", pos[0])
	case *dir == "" || *caDir == "" || *broker == "" || *cityKey == "" || len(issuers) == 0:
		return usageError(f, "-dir, -ca-dir, -broker, -city-key and -issuer are required")
	}
	authority, err := ca.Load(*caDir)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer ln.Close()
	template, err := enrol.LoadTemplate(*broker, *cityKey, issuers)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, spec := range peripherals {
		kind, file, ok := strings.Cut(spec, "=")
		if !ok {
			return usageError(f, "-peripherals %q: want room=FILE or gate=FILE", spec)
		}
		if err := template.AddPeripherals(kind, file); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	if template.URL, err = renewalURL(*publicURL, *hosts, ln.Addr()); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	store, err := enrol.OpenStore(*dir)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	log := slog.New(slog.NewTextHandler(a.stderr, nil)).With("component", "enrol")
	srv, err := enrol.NewServer(authority, store, template, log)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	certFile, keyFile, err := enrolCert(authority, *caDir, *hosts)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	tlsCfg, err := srv.TLSConfig(certFile, keyFile)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	hs := &http.Server{Handler: srv, TLSConfig: tlsCfg, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	ctx, stop := signalContext()
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
	}()
	log.Info("enrol: serving", "address", ln.Addr().String(), "ca", claim.Fingerprint(authority.Certificate().Raw))
	fmt.Fprintf(a.stdout, "Serving enrolment on https://%s (CA %s)\n", ln.Addr(), claim.Fingerprint(authority.Certificate().Raw))
	if err := hs.ServeTLS(ln, "", ""); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// renewalURL is where boxes renew: given, or the first host the server's
// certificate names at the port it listens on.
func renewalURL(given, hosts string, listening net.Addr) (string, error) {
	if given != "" {
		return given, nil
	}
	_, port, err := net.SplitHostPort(listening.String())
	if err != nil {
		return "", err
	}
	host, _, _ := strings.Cut(hosts, ",")
	if host == "" {
		if host, err = os.Hostname(); err != nil {
			return "", err
		}
	}
	return "https://" + net.JoinHostPort(host, port), nil
}

// enrolCert is the server's certificate in the CA's directory, issued for
// hosts (or this machine's name) when it is missing.
func enrolCert(authority *ca.CA, caDir, hosts string) (certFile, keyFile string, err error) {
	certFile, keyFile = filepath.Join(caDir, enrolServerName+".pem"), filepath.Join(caDir, enrolServerName+".key")
	if _, err := os.Stat(certFile); !errors.Is(err, fs.ErrNotExist) {
		return certFile, keyFile, err
	}
	if hosts == "" {
		name, err := os.Hostname()
		if err != nil {
			return "", "", err
		}
		hosts = name
	}
	return authority.IssueServer(caDir, enrolServerName, strings.Split(hosts, ","))
}

const deviceRevokeHelp = `
Revokes every certificate the CA in -ca-dir issued to DEVICE (by "ca
client" or by enrolment, as CA-DIR/issued.json records them) and writes
CA-DIR/crl.pem again. Then install crl.pem as the broker's crlfile and
reload Mosquitto (systemctl reload mosquitto, a SIGHUP: Mosquitto 2.0 reads
the crlfile again then, tested; a restart works too). Until then the box
can still connect; an ingest given this CA's directory (ingest -ca-dir)
refuses what it sends at once, one without stores it (it trusts the topic,
which the broker's ACL ties to the certificate's CN). The enrolment server
refuses its renewal and config at once. To bring the box back, make it a new
claim.

Example:
  roomgate-city device revoke -ca-dir /etc/roomgate-city/ca room-201
`

func (a *app) deviceRevoke(path string, args []string) error {
	f := newFlags(path, "-ca-dir DIR DEVICE", deviceRevokeHelp)
	caDir := f.String("ca-dir", "", "`DIR` of the city CA, required")
	pos, err := a.parse(f, args)
	switch {
	case err != nil:
		return err
	case len(pos) != 1:
		return usageError(f, "give one DEVICE")
	case *caDir == "":
		return usageError(f, "-ca-dir is required")
	}
	authority, err := ca.Load(*caDir)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	revoked, err := authority.RevokeDevice(pos[0], a.now())
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, r := range revoked {
		fmt.Fprintf(a.stdout, "Revoked serial %x (CN %s) since %s.\n", r.Serial, r.CN, r.At.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(a.stdout, "Wrote %s: install it as the broker's crlfile and reload the broker (systemctl reload mosquitto).\n", authority.CRLFile())
	return nil
}
