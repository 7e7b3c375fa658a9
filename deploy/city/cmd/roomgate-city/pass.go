package main

import (
	"crypto/ed25519"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/roomgate/roomgate/agent/pass"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/deploy/city/issuer"
)

const issueHelp = `
Signs a visitor pass and prints it on standard output, and nothing else, so
a script can capture it: TOKEN=$(roomgate-city pass issue ...).
A summary goes to standard error. With -qr the pass is also written as a
QR code PNG to print or send; with -terminal the QR code is drawn on
standard error to be scanned from the screen.

The pass is valid from now (or -nbf) for -valid (8 hours unless told), or
until -exp. Times are RFC 3339, e.g. 2026-03-02T08:00:00+07:00. Boxes
refuse a pass valid for longer than their policy.max_pass_lifetime (a year
unless configured), and so does this command past -max-lifetime.

-aud names a whole site by its id (hq) or one gate as site/gate
(hq/gate-1). A bare gate id is not enough: gate names repeat from site to
site, and a box reads a bare id as a site id.

Example:
  roomgate-city pass issue -key keys/city-2026.key -sub V-1001 \
    -name "Nguyen Van An" -host "Tran Thi Binh" -aud hq/gate-1,hq/gate-2 \
    -valid 4h -qr visitor.png
`

func (a *app) passIssue(path string, args []string) error {
	f := newFlags(path, "-key FILE -sub ID -name NAME -host HOST -aud SITE[/GATE][,...] [flags]", issueHelp)
	keyFile := f.String("key", "", "secret key `FILE` (KID.key from keygen), required")
	kid := f.String("kid", "", "key id `KID` (default: the key file's name without .key)")
	iss := f.String("iss", "city", "`ISSUER` name, as given to keygen -iss")
	sub := f.String("sub", "", "visitor `ID`, required (e.g. the visit registration number)")
	name := f.String("name", "", "visitor's `NAME` shown at the gate, required")
	host := f.String("host", "", "`HOST`: person or office visited, required")
	aud := f.String("aud", "", "`SITE[/GATE][,...]`: comma-separated sites (site id) and gates (site/gate) the pass opens, required")
	valid := f.Duration("valid", 8*time.Hour, "how long the pass is valid, from now or -nbf")
	nbf := f.String("nbf", "", "valid from `TIME` (RFC 3339); default now")
	exp := f.String("exp", "", "valid until `TIME` (RFC 3339); instead of -valid")
	uses := f.Int("uses", 1, "`N` entries allowed; 1 makes a one-time pass")
	maxLife := f.Duration("max-lifetime", pass.DefaultMaxLifetime, "refuse a pass valid longer than this (the boxes' policy.max_pass_lifetime)")
	jti := f.String("jti", "", "pass `ID` (default: a new random UUIDv7)")
	qrFile := f.String("qr", "", "also write the pass as a QR code PNG to `FILE.png`")
	terminal := f.Bool("terminal", false, "also draw the QR code on standard error")
	pos, err := a.parse(f, args)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	f.Visit(func(fl *flag.Flag) { set[fl.Name] = true })

	switch {
	case len(pos) > 0:
		return usageError(f, "unexpected argument %q", pos[0])
	case *keyFile == "":
		return usageError(f, "-key is required")
	}
	for _, req := range []struct{ flag, val string }{{"sub", *sub}, {"name", *name}, {"host", *host}, {"aud", *aud}, {"iss", *iss}} {
		if strings.TrimSpace(req.val) == "" {
			return usageError(f, "-%s is required and must not be blank", req.flag)
		}
	}
	if *kid == "" {
		if !strings.HasSuffix(*keyFile, ".key") {
			return usageError(f, "-kid is required when the key file is not named KID.key")
		}
		*kid = strings.TrimSuffix(filepath.Base(*keyFile), ".key")
	}
	if err := issuer.CheckKid(*kid); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var audience []string
	for _, g := range strings.Split(*aud, ",") {
		if g = strings.TrimSpace(g); g == "" {
			return usageError(f, "-aud %q has an empty gate id", *aud)
		}
		site, gate, qualified := strings.Cut(g, "/")
		if !wire.ValidName(site) || qualified && !wire.ValidName(gate) {
			return usageError(f, "-aud %q: want a site id (hq) or a gate qualified by its site (hq/gate-1)", g)
		}
		audience = append(audience, g)
	}
	if *uses < 1 || *uses > pass.MaxUses {
		return usageError(f, "-uses %d: want 1 to %d", *uses, pass.MaxUses)
	}

	now := a.now()
	start := now
	var c pass.Claims
	if *nbf != "" {
		if start, err = time.Parse(time.RFC3339, *nbf); err != nil {
			return usageError(f, "-nbf: %v", err)
		}
		c.NotBefore = start
	}
	switch {
	case *exp != "" && set["valid"]:
		return usageError(f, "give -valid or -exp, not both")
	case *exp != "":
		if c.Expires, err = time.Parse(time.RFC3339, *exp); err != nil {
			return usageError(f, "-exp: %v", err)
		}
	case *valid <= 0:
		return usageError(f, "-valid %s must be positive", *valid)
	default:
		c.Expires = start.Add(*valid)
	}
	if !c.Expires.After(start) {
		return usageError(f, "the pass would expire (%s) before it starts (%s)", c.Expires.Format(time.RFC3339), start.Format(time.RFC3339))
	}
	if !c.Expires.After(now) {
		return usageError(f, "the pass would already be expired (%s)", c.Expires.Format(time.RFC3339))
	}
	if err := c.CheckLifetime(now, *maxLife); err != nil {
		return usageError(f, "%v; boxes would refuse it", err)
	}

	if *jti == "" {
		if *jti, err = issuer.NewPassID(); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	priv, err := issuer.LoadPrivateKey(*keyFile)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	// iat dates the pass for a box whose clock cannot be trusted.
	c.ID, c.Issuer, c.Subject, c.Name, c.Host, c.Audience, c.Uses, c.IssuedAt = *jti, *iss, *sub, *name, *host, audience, *uses, now
	token, err := pass.Sign(c, *kid, priv)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}

	if *qrFile != "" {
		if err := issuer.WriteQRPNG(*qrFile, token); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	if *terminal {
		qr, err := issuer.QRText(token)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		fmt.Fprint(a.stderr, qr)
	}
	fmt.Fprintf(a.stderr, "Pass %s for %s (%s) visiting %s, gates %s, %d use(s), valid %s to %s, %d bytes.\n",
		c.ID, c.Subject, c.Name, c.Host, strings.Join(audience, ","), c.Uses,
		start.Format(time.RFC3339), c.Expires.Format(time.RFC3339), len(token))
	if *qrFile != "" {
		fmt.Fprintf(a.stderr, "QR code written to %s.\n", *qrFile)
	}
	fmt.Fprintln(a.stdout, token)
	return nil
}

const inspectHelp = `
Shows the header and claims of a pass, to answer "why does the gate refuse
this pass?". Without -pub nothing is verified: anyone can write any claims,
so do not trust what is shown until the signature is checked. With -pub FILE
(KID.pub from keygen, or a file holding the base64url public key) the
signature, claims and time window are checked as a gate checks them, except
for the expected issuer, gate ids, revocation and use counts, which only a
box knows; the command fails if the pass would be refused.

TOKEN may be "-" to read the pass from standard input.

Example:
  roomgate-city pass inspect -pub keys/city-2026.pub eyJhbGciOi...
`

// oneKey trusts one public key under whatever kid the pass names.
type oneKey ed25519.PublicKey

func (k oneKey) Lookup(string) (pass.Key, bool) { return pass.Key{Public: ed25519.PublicKey(k)}, true }

func (a *app) passInspect(path string, args []string) error {
	f := newFlags(path, "[-pub FILE] TOKEN", inspectHelp)
	pubFile := f.String("pub", "", "public key `FILE` (KID.pub) to verify the signature with")
	pos, err := a.parse(f, args)
	switch {
	case err != nil:
		return err
	case len(pos) != 1:
		return usageError(f, "want one TOKEN (or - for standard input), got %d arguments", len(pos))
	}
	token := pos[0]
	if token == "-" {
		b, err := io.ReadAll(io.LimitReader(a.stdin, 64<<10))
		if err != nil {
			return fmt.Errorf("%s: read standard input: %w", path, err)
		}
		token = string(b)
	}
	token = strings.TrimSpace(token)

	d, err := issuer.Decode(token)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(a.stdout, "header:\n%s\nclaims:\n%s\n", d.Header, d.Claims)
	a.printTimes(d.Claims)

	if *pubFile == "" {
		fmt.Fprintln(a.stdout, "signature: NOT CHECKED (give -pub FILE to check it)")
		return nil
	}
	pub, err := issuer.LoadPublicKey(*pubFile)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	c, kid, err := pass.Verify(token, oneKey(pub))
	if err != nil {
		fmt.Fprintf(a.stdout, "signature: REFUSED (%s)\n", pass.Reason(err))
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(a.stdout, "signature: valid, signed by %s as kid %q\n", *pubFile, kid)
	if err := c.InWindow(a.now(), 0); err != nil {
		fmt.Fprintf(a.stdout, "time window: REFUSED (%s)\n", pass.Reason(err))
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintln(a.stdout, "time window: valid now")
	return nil
}

// printTimes shows nbf and exp as dates, read leniently: the pass is not
// verified yet and may be wrong in any way.
func (a *app) printTimes(claims []byte) {
	var m map[string]any
	if json.Unmarshal(claims, &m) != nil {
		return
	}
	for _, x := range []struct{ label, name string }{{"not before", "nbf"}, {"expires", "exp"}} {
		if sec, ok := m[x.name].(float64); ok {
			at := time.Unix(int64(sec), 0)
			fmt.Fprintf(a.stdout, "%s: %s (%s)\n", x.label, at.Format(time.RFC3339), relative(at.Sub(a.now())))
		}
	}
}

func relative(d time.Duration) string {
	d = d.Round(time.Second)
	if d < 0 {
		return (-d).String() + " ago"
	}
	return "in " + d.String()
}
