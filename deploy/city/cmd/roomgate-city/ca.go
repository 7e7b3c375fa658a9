package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/roomgate/roomgate/deploy/city/ca"
)

var caCommands = []command{
	{"init", "make a new CA for the broker and its clients", (*app).caInit},
	{"server", "issue the broker's server certificate", (*app).caServer},
	{"client", "issue a client certificate for a box or a city service", (*app).caClient},
	{"revoke", "revoke a certificate (lost, stolen or retired box) and write the CRL", (*app).caRevoke},
	{"crl", "write the certificate revocation list again (before it expires)", (*app).caCRL},
}

const day = 24 * time.Hour

// lifetimeFlag adds -days, how long an issued certificate is valid.
func lifetimeFlag(f *flags) *int {
	return f.Int("days", int(ca.MaxLeafLifetime/day), "`DAYS` the certificate is valid, at most 365")
}

// loadFor loads the CA in dir, set to issue certificates valid for days.
func loadFor(dir string, days int) (*ca.CA, error) {
	c, err := ca.Load(dir)
	if err != nil {
		return nil, err
	}
	if err := c.SetLifetime(time.Duration(days) * day); err != nil {
		return nil, err
	}
	return c, nil
}

const caInitHelp = `
Makes a certificate authority (EC P-256) in DIR: ca.pem, the CA certificate,
and ca.key, its secret key (mode 0600). It never overwrites an existing CA.

The broker trusts exactly the clients this CA certifies, and every client
trusts the broker through it. Keep ca.key off the broker and the boxes,
backed up: anyone holding it can make certificates the broker accepts.

Example:
  roomgate-city ca init -dir /etc/roomgate-city/ca
`

func (a *app) caInit(path string, args []string) error {
	f := newFlags(path, "-dir DIR", caInitHelp)
	dir := f.String("dir", "", "`DIR` to create the CA in, required; created if missing")
	pos, err := a.parse(f, args)
	switch {
	case err != nil:
		return err
	case len(pos) > 0:
		return usageError(f, "unexpected argument %q", pos[0])
	case *dir == "":
		return usageError(f, "-dir is required")
	}
	c, err := ca.Init(*dir)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(a.stdout, `Wrote %s (the CA certificate: the broker's cafile, and every box's and city service's)
and %s (secret: keep it safe and off the broker).
Next, the broker's certificate:
  roomgate-city ca server -dir %s -name broker -hosts BROKER_DNS_NAME,BROKER_IP
`, c.CertFile(), filepath.Join(*dir, ca.KeyName), *dir)
	return nil
}

const caServerHelp = `
Issues the broker's server certificate, signed by the CA in DIR, valid for
each host in -hosts (DNS names and IP addresses: every name the boxes and
city services dial). Writes OUT/NAME.pem and OUT/NAME.key; never overwrites.
The certificate is valid for -days, at most a year.

Example:
  roomgate-city ca server -dir /etc/roomgate-city/ca -name broker -hosts mqtt.city.example,203.0.113.10
`

func (a *app) caServer(path string, args []string) error {
	f := newFlags(path, "-dir DIR -hosts HOST,... [-name NAME] [-out OUT]", caServerHelp)
	dir := f.String("dir", "", "`DIR` of the CA, required")
	name := f.String("name", "broker", "`NAME` of the certificate and its files")
	hosts := f.String("hosts", "", "`HOSTS`, required: comma-separated DNS names and IP addresses the broker is reached at")
	out := f.String("out", "", "`OUT` directory for the files; default: the CA's DIR")
	days := lifetimeFlag(f)
	pos, err := a.parse(f, args)
	switch {
	case err != nil:
		return err
	case len(pos) > 0:
		return usageError(f, "unexpected argument %q", pos[0])
	case *dir == "":
		return usageError(f, "-dir is required")
	case strings.TrimSpace(*hosts) == "":
		return usageError(f, "-hosts is required")
	}
	c, err := loadFor(*dir, *days)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if *out == "" {
		*out = *dir
	}
	certFile, keyFile, err := c.IssueServer(*out, *name, strings.Split(*hosts, ","))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(a.stdout, `Wrote %s and %s (secret) for %s.
Install them on the broker as deploy/mosquitto/roomgate.conf expects:
  install -m 0644 %s /etc/mosquitto/certs/ca.pem
  install -m 0644 %s /etc/mosquitto/certs/broker.pem
  install -o mosquitto -g mosquitto -m 0600 %s /etc/mosquitto/certs/broker.key
`, certFile, keyFile, *hosts, c.CertFile(), certFile, keyFile)
	return nil
}

const caClientHelp = `
Issues a client certificate signed by the CA in DIR. Its CN is the MQTT
username the broker's ACL checks: a box's device id, or city-ingest (stores
events, sends acks) or city-ops (sends config, trust, meetings, galleries and
commands). CNs are lowercase letters, digits and '-', at most 63, starting
with a letter or digit. Writes OUT/CN.pem and OUT/CN.key; never overwrites.
The certificate is valid for -days, at most a year: a box needs a new one
every year. The broker makes the CN the client id, so a certificate serves
one connection at a time: every box, city process and operator has its own.

Example:
  roomgate-city ca client -dir /etc/roomgate-city/ca -cn hq-gate-1 -out ./hq-gate-1
`

func (a *app) caClient(path string, args []string) error {
	f := newFlags(path, "-dir DIR -cn CN [-out OUT]", caClientHelp)
	dir := f.String("dir", "", "`DIR` of the CA, required")
	cn := f.String("cn", "", "`CN`, required: the device id, city-ingest or city-ops")
	out := f.String("out", "", "`OUT` directory for the files; default: the CA's DIR")
	days := lifetimeFlag(f)
	pos, err := a.parse(f, args)
	switch {
	case err != nil:
		return err
	case len(pos) > 0:
		return usageError(f, "unexpected argument %q", pos[0])
	case *dir == "":
		return usageError(f, "-dir is required")
	case *cn == "":
		return usageError(f, "-cn is required")
	}
	c, err := loadFor(*dir, *days)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if *out == "" {
		*out = *dir
	}
	certFile, keyFile, err := c.IssueClient(*out, *cn)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(a.stdout, "Wrote %s and %s (secret) for %s.\n", certFile, keyFile, *cn)
	switch *cn {
	case "city-ingest", "city-ops":
		fmt.Fprintf(a.stdout, "Give them, with %s, to the city's %s service: the broker knows it by this name.\n", c.CertFile(), *cn)
	default:
		fmt.Fprintf(a.stdout, "Put them, with %s, on the box whose device id is %s: it connects with that client id and may use only roomgate/v1/dev/%s/.\n", c.CertFile(), *cn, *cn)
	}
	return nil
}

const caRevokeHelp = `
Revokes a certificate the CA in DIR issued, by its file (-cert) or its
serial number (-serial, hexadecimal as openssl x509 -serial prints it), and
writes DIR/crl.pem again. Revoking twice is harmless. The broker reads its
CRL when it starts: install crl.pem as its crlfile and restart it.

Example:
  roomgate-city ca revoke -dir /etc/roomgate-city/ca -cert ./hq-gate-1/hq-gate-1.pem
`

func (a *app) caRevoke(path string, args []string) error {
	f := newFlags(path, "-dir DIR -cert FILE|-serial HEX", caRevokeHelp)
	dir := f.String("dir", "", "`DIR` of the CA, required")
	cert := f.String("cert", "", "`FILE`: the certificate to revoke")
	serial := f.String("serial", "", "`HEX`: the serial number of the certificate to revoke")
	pos, err := a.parse(f, args)
	switch {
	case err != nil:
		return err
	case len(pos) > 0:
		return usageError(f, "unexpected argument %q", pos[0])
	case *dir == "":
		return usageError(f, "-dir is required")
	case (*cert == "") == (*serial == ""):
		return usageError(f, "give one of -cert and -serial")
	}
	c, err := ca.Load(*dir)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var r ca.Revoked
	if *cert != "" {
		r, err = c.RevokeCert(*cert, a.now())
	} else {
		r, err = c.RevokeSerial(*serial, a.now())
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(a.stdout, `Revoked serial %x %s(since %s).
Wrote %s: install it as the broker's crlfile and restart the broker.
`, r.Serial, cnNote(r.CN), r.At.UTC().Format(time.RFC3339), c.CRLFile())
	return nil
}

func cnNote(cn string) string {
	if cn == "" {
		return ""
	}
	return "(CN " + cn + ") "
}

const caCRLHelp = `
Writes DIR/crl.pem again, listing every certificate revoked so far, valid
for -days. The broker refuses every client once its CRL has expired: write
it again well before then (monthly, say) and install it on the broker.

Example:
  roomgate-city ca crl -dir /etc/roomgate-city/ca
`

func (a *app) caCRL(path string, args []string) error {
	f := newFlags(path, "-dir DIR [-days DAYS]", caCRLHelp)
	dir := f.String("dir", "", "`DIR` of the CA, required")
	days := f.Int("days", int(ca.CRLLifetime/day), "`DAYS` until the CRL expires")
	pos, err := a.parse(f, args)
	switch {
	case err != nil:
		return err
	case len(pos) > 0:
		return usageError(f, "unexpected argument %q", pos[0])
	case *dir == "":
		return usageError(f, "-dir is required")
	case *days < 1:
		return usageError(f, "-days must be at least 1")
	}
	c, err := ca.Load(*dir)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	file, err := c.WriteCRL(time.Duration(*days) * day)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(a.stdout, "Wrote %s, valid for %d days: install it as the broker's crlfile and restart the broker.\n", file, *days)
	return nil
}
