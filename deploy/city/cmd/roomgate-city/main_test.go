package main

import (
	"bytes"
	"errors"
	"flag"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/roomgate/roomgate/agent/pass"
	config "github.com/roomgate/roomgate/firmware-config"
)

var testNow = time.Date(2026, 3, 2, 8, 0, 0, 0, time.FixedZone("ICT", 7*3600))

// runAt runs the command as main does, with the clock stopped at now.
func runAt(now time.Time, stdin string, args ...string) (stdout, stderr string, err error) {
	var out, errb bytes.Buffer
	a := &app{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, now: func() time.Time { return now }}
	err = a.dispatch("roomgate-city", topCommands, args)
	return out.String(), errb.String(), err
}

type keyMap map[string]pass.Key

func (k keyMap) Lookup(kid string) (pass.Key, bool) { key, ok := k[kid]; return key, ok }

// keygen runs keygen in a new directory and returns the directory and the
// issuer as a box config would read it from the printed snippet.
func keygen(t *testing.T, kid string) (string, config.Issuer) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "keys")
	out, _, err := runAt(testNow, "", "keygen", "-kid", kid, "-out", dir)
	if err != nil {
		t.Fatalf("keygen -kid %s = %v", kid, err)
	}
	var cfg config.Config
	doc := "trust:\n  issuers:\n" + indent(out, "    ")
	if err := yaml.Unmarshal([]byte(doc), &cfg); err != nil || len(cfg.Trust.Issuers) != 1 {
		t.Fatalf("keygen snippet does not paste into a config (%v):\n%s", err, doc)
	}
	return dir, cfg.Trust.Issuers[0]
}

func indent(s, by string) string {
	return by + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n"+by) + "\n"
}

func TestKeygenIssueVerify(t *testing.T) {
	dir, is := keygen(t, "city-2026")
	keyFile, pubFile := filepath.Join(dir, "city-2026.key"), filepath.Join(dir, "city-2026.pub")

	if is.Kid != "city-2026" || is.Iss != "city" {
		t.Errorf("snippet issuer = %+v, want kid city-2026, iss city", is)
	}
	pub, err := pass.ParsePublicKey([]byte(is.PublicKey))
	if err != nil {
		t.Fatalf("ParsePublicKey(snippet public_key) = %v", err)
	}
	pubPEM, _ := os.ReadFile(pubFile)
	if filePub, err := pass.ParsePublicKey(pubPEM); err != nil || !filePub.Equal(pub) {
		t.Errorf("%s = %x, %v, want the snippet's key %x", pubFile, filePub, err, pub)
	}
	for file, want := range map[string]os.FileMode{keyFile: 0o600, pubFile: 0o644} {
		if st, err := os.Stat(file); err != nil || st.Mode().Perm() != want {
			t.Errorf("stat %s = %v, %v, want mode %v", file, st.Mode(), err, want)
		}
	}

	qrFile := filepath.Join(t.TempDir(), "visitor.png")
	out, stderr, err := runAt(testNow, "", "pass", "issue", "-key", keyFile, "-sub", "V-1001", "-name", "Nguyễn Văn An",
		"-host", "Trần Thị Bình", "-aud", "hq/gate-1, hq", "-valid", "4h", "-uses", "2", "-qr", qrFile, "-terminal")
	if err != nil {
		t.Fatalf("pass issue = %v\n%s", err, stderr)
	}
	token := strings.TrimSuffix(out, "\n")
	if strings.ContainsAny(token, " \n") {
		t.Fatalf("pass issue stdout = %q, want only the token and a newline", out)
	}
	c, kid, err := pass.Verify(token, keyMap{is.Kid: {Public: pub, Issuer: is.Iss}})
	if err != nil || kid != "city-2026" {
		t.Fatalf("Verify(issued pass) = %v, %q", err, kid)
	}
	want := pass.Claims{ID: c.ID, Issuer: "city", Subject: "V-1001", Name: "Nguyễn Văn An", Host: "Trần Thị Bình",
		Audience: []string{"hq/gate-1", "hq"}, Expires: testNow.Add(4 * time.Hour).UTC(), IssuedAt: testNow.UTC(), Uses: 2}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("issued claims = %+v, want %+v", c, want)
	}
	if len(c.ID) != 36 || c.ID[14] != '7' {
		t.Errorf("jti = %q, want a UUIDv7", c.ID)
	}
	if !strings.Contains(stderr, "█") || !strings.Contains(stderr, c.ID) {
		t.Errorf("pass issue stderr lacks the terminal QR code or the summary:\n%s", stderr)
	}
	f, err := os.Open(qrFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil || img.Bounds().Dx() != 512 || img.Bounds().Dy() != 512 {
		t.Errorf("QR PNG = %v, %v, want a 512x512 PNG", img.Bounds(), err)
	}

	// Support staff inspect it, from an argument and from standard input.
	for _, args := range [][]string{{"pass", "inspect", token, "-pub", pubFile}, {"pass", "inspect", "-pub", pubFile, "-"}} {
		out, _, err = runAt(testNow.Add(time.Hour), token+"\n", args...)
		if err != nil || !strings.Contains(out, `"name": "Nguyễn Văn An"`) || !strings.Contains(out, "signature: valid") || !strings.Contains(out, "time window: valid now") {
			t.Errorf("%v = %v, output:\n%s", args[:2], err, out)
		}
	}
	out, _, err = runAt(testNow.Add(5*time.Hour), "", "pass", "inspect", "-pub", pubFile, token)
	if pass.Reason(err) != "expired" || !strings.Contains(out, "time window: REFUSED (expired)") {
		t.Errorf("inspect after exp = %v, output:\n%s", err, out)
	}
	out, _, err = runAt(testNow, "", "pass", "inspect", token)
	if err != nil || !strings.Contains(out, "NOT CHECKED") || !strings.Contains(out, "expires: ") {
		t.Errorf("inspect without -pub = %v, output:\n%s", err, out)
	}

	// Another city key does not verify it.
	otherDir, _ := keygen(t, "city-2026")
	out, _, err = runAt(testNow, "", "pass", "inspect", "-pub", filepath.Join(otherDir, "city-2026.pub"), token)
	if pass.Reason(err) != "bad_signature" || !strings.Contains(out, "REFUSED (bad_signature)") {
		t.Errorf("inspect with another key = %v, want bad_signature; output:\n%s", err, out)
	}
}

func TestIssueWindow(t *testing.T) {
	dir, is := keygen(t, "k1")
	pub, _ := pass.ParsePublicKey([]byte(is.PublicKey))
	base := []string{"pass", "issue", "-key", filepath.Join(dir, "k1.key"), "-sub", "V", "-name", "N", "-host", "H", "-aud", "g"}
	tests := []struct {
		args     []string
		nbf, exp time.Time
	}{
		{nil, time.Time{}, testNow.Add(8 * time.Hour)},
		{[]string{"-valid", "30m"}, time.Time{}, testNow.Add(30 * time.Minute)},
		{[]string{"-nbf", "2026-03-03T08:00:00+07:00"}, time.Date(2026, 3, 3, 1, 0, 0, 0, time.UTC), time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)},
		{[]string{"-nbf", "2026-03-03T08:00:00+07:00", "-exp", "2026-03-03T12:00:00+07:00"}, time.Date(2026, 3, 3, 1, 0, 0, 0, time.UTC), time.Date(2026, 3, 3, 5, 0, 0, 0, time.UTC)},
		{[]string{"-exp", "2026-03-02T17:00:00+07:00"}, time.Time{}, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		out, _, err := runAt(testNow, "", append(base, tt.args...)...)
		if err != nil {
			t.Errorf("pass issue %v = %v", tt.args, err)
			continue
		}
		c, _, err := pass.Verify(strings.TrimSpace(out), keyMap{"k1": {Public: pub}})
		if err != nil || !c.NotBefore.Equal(tt.nbf) || !c.Expires.Equal(tt.exp) {
			t.Errorf("pass issue %v = nbf %v, exp %v, %v; want %v, %v", tt.args, c.NotBefore, c.Expires, err, tt.nbf, tt.exp)
		}
	}
}

func TestKeygenRefusesOverwrite(t *testing.T) {
	dir, _ := keygen(t, "city-2026")
	keyFile := filepath.Join(dir, "city-2026.key")
	before, _ := os.ReadFile(keyFile)
	if _, _, err := runAt(testNow, "", "keygen", "-kid", "city-2026", "-out", dir); err == nil || !strings.Contains(err.Error(), "refusing to overwrite") {
		t.Errorf("second keygen = %v, want refusing to overwrite", err)
	}
	if after, _ := os.ReadFile(keyFile); !bytes.Equal(before, after) {
		t.Error("second keygen changed the key file")
	}

	// A stray .pub alone is enough to refuse, and leaves no .key behind.
	dir = t.TempDir()
	os.WriteFile(filepath.Join(dir, "k2.pub"), []byte("x"), 0o644)
	if _, _, err := runAt(testNow, "", "keygen", "-kid", "k2", "-out", dir); err == nil {
		t.Error("keygen over an existing .pub = nil error, want refusal")
	}
	if _, err := os.Stat(filepath.Join(dir, "k2.key")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("keygen over an existing .pub left a key: %v", err)
	}
}

func TestBadInvocations(t *testing.T) {
	dir, _ := keygen(t, "k1")
	key, pub := filepath.Join(dir, "k1.key"), filepath.Join(dir, "k1.pub")
	issue := func(extra ...string) []string {
		args := []string{"pass", "issue", "-key", key, "-sub", "V", "-name", "N", "-host", "H", "-aud", "g"}
		return append(args, extra...)
	}
	tests := []struct {
		args []string
		want string
	}{
		{nil, "missing command"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"keygen"}, "-kid is required"},
		{[]string{"keygen", "-kid", "../etc/passwd"}, "only letters"},
		{[]string{"keygen", "-kid", "k", "-iss", ""}, "-iss must not be empty"},
		{[]string{"keygen", "-kid", "k", "extra"}, `unexpected argument "extra"`},
		{[]string{"keygen", "-bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"pass"}, "missing command"},
		{[]string{"pass", "revoke"}, `unknown command "revoke"`},
		{[]string{"pass", "issue"}, "-key is required"},
		{[]string{"pass", "issue", "-key", key, "-name", "N", "-host", "H", "-aud", "g"}, "-sub is required"},
		{[]string{"pass", "issue", "-key", key, "-sub", "V", "-host", "H", "-aud", "g"}, "-name is required"},
		{[]string{"pass", "issue", "-key", key, "-sub", "V", "-name", " ", "-host", "H", "-aud", "g"}, "-name is required"},
		{[]string{"pass", "issue", "-key", key, "-sub", "V", "-name", "N", "-aud", "g"}, "-host is required"},
		{[]string{"pass", "issue", "-key", key, "-sub", "V", "-name", "N", "-host", "H"}, "-aud is required"},
		{issue("-aud", "a,,b"), "empty gate id"},
		{issue("-aud", "main gate"), `-aud "main gate": want a site id`},
		{issue("-aud", "hq/"), `-aud "hq/": want a site id`},
		{issue("-aud", "hq/a/b"), `-aud "hq/a/b": want a site id`},
		{issue("-aud", "HQ"), `-aud "HQ": want a site id`},
		{issue("-valid", "8761h"), "lifetime too long"},
		{issue("-valid", "48h", "-max-lifetime", "24h"), "lifetime too long"},
		{issue("-uses", "0"), "-uses 0"},
		{issue("-uses", "x"), "invalid value"},
		{issue("-valid", "0s"), "must be positive"},
		{issue("-valid", "-1h"), "must be positive"},
		{issue("-valid", "2h", "-exp", "2026-03-02T12:00:00+07:00"), "not both"},
		{issue("-exp", "2026-03-02T07:00:00+07:00"), "before it starts"},
		{issue("-nbf", "2026-03-01T08:00:00+07:00", "-exp", "2026-03-02T07:00:00+07:00"), "already be expired"},
		{issue("-exp", "tomorrow"), "-exp: parsing time"},
		{issue("-nbf", "2026-03-02 08:00"), "-nbf: parsing time"},
		{issue("-nbf", "2026-03-05T08:00:00Z", "-exp", "2026-03-04T08:00:00Z"), "before it starts"},
		{issue("-jti", strings.Repeat("j", 129)), "jti is 129 bytes"},
		{issue("-name", strings.Repeat("n", 2000)), "limit 2048"},
		{issue("extra"), `unexpected argument "extra"`},
		{[]string{"pass", "issue", "-key", pub, "-kid", "k1", "-sub", "V", "-name", "N", "-host", "H", "-aud", "g"}, `PEM block "PUBLIC KEY"`},
		{[]string{"pass", "issue", "-key", pub, "-sub", "V", "-name", "N", "-host", "H", "-aud", "g"}, "-kid is required when"},
		{[]string{"pass", "issue", "-key", filepath.Join(dir, "none.key"), "-sub", "V", "-name", "N", "-host", "H", "-aud", "g"}, "no such file"},
		{[]string{"pass", "inspect"}, "want one TOKEN"},
		{[]string{"pass", "inspect", "a.b.c", "d.e.f"}, "got 2 arguments"},
		{[]string{"pass", "inspect", "not-a-pass"}, "1 segments"},
		{[]string{"pass", "inspect", "e30.!!.x"}, "decode claims: not base64url"},
		{[]string{"pass", "inspect", "-pub", filepath.Join(dir, "none.pub"), "e30.e30.x"}, "no such file"},
	}
	for _, tt := range tests {
		out, _, err := runAt(testNow, "", tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run(%q) = %v, want error containing %q", tt.args, err, tt.want)
		}
		if strings.HasPrefix(strings.Join(tt.args, " "), "pass issue") && out != "" {
			t.Errorf("run(%q) printed %q on stdout with an error", tt.args, out)
		}
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{
		{"-h"}, {"help"}, {"events", "-h"}, {"keygen", "-h"}, {"pass", "-h"}, {"pass", "issue", "-h"}, {"pass", "inspect", "--help"},
	} {
		out, _, err := runAt(testNow, "", args...)
		if !errors.Is(err, flag.ErrHelp) || !strings.HasPrefix(out, "Usage: roomgate-city") {
			t.Errorf("run(%q) = %v, output %.60q; want flag.ErrHelp and usage on stdout", args, err, out)
		}
	}
	out, _, _ := runAt(testNow, "", "pass", "issue", "-h")
	for _, want := range []string{"-aud", "-valid", "-qr", "-terminal", "Example:"} {
		if !strings.Contains(out, want) {
			t.Errorf("pass issue -h lacks %q:\n%s", want, out)
		}
	}
	out, _, _ = runAt(testNow, "", "events", "-h")
	for _, want := range []string{"-db", "-device", "-type", "-n", "-json", "Example:"} {
		if !strings.Contains(out, want) {
			t.Errorf("events -h lacks %q:\n%s", want, out)
		}
	}
}

// run is what main calls; check it is wired to the same table.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-h"}, strings.NewReader(""), &out, &out); !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "keygen") {
		t.Errorf("run(-h) = %v, %q", err, out.String())
	}
}
