package provision

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/provisioning/claim"
	"github.com/roomgate/roomgate/provisioning/est"
)

// box is a provisioning directory in a fresh parent, as /var/lib/roomgate's.
func box(t *testing.T) string { return filepath.Join(t.TempDir(), "provisioning") }

// events collects what Run reports, and checks no event carries the token.
type events struct {
	t     *testing.T
	token string
	got   []Event
}

func (e *events) report(ev Event) {
	if b, _ := json.Marshal(ev); e.token != "" && strings.Contains(string(b), e.token) {
		e.t.Errorf("an event carries the token: %s", b)
	}
	e.got = append(e.got, ev)
}

func tokenOf(t *testing.T, text string) string {
	c, err := claim.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	return c.Token
}

// snapshot is every file under dir with its content, to compare before
// and after a failed run.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			out[strings.TrimPrefix(p, dir)] = string(b)
		}
		return nil
	})
	return out
}

func TestRunProvisions(t *testing.T) {
	city := newFakeCity(t)
	dir := box(t)
	text := city.claim("gate-01", time.Now().Add(time.Hour))
	ev := &events{t: t, token: tokenOf(t, text)}
	res, err := Run(context.Background(), text, Options{Dir: dir, Connect: city.connect}, ev.report)
	if err != nil {
		t.Fatal(err)
	}
	if res.Device != "gate-01" || res.Kind != claim.KindGate || res.Site != "hq" || res.Config != filepath.Join(dir, ConfigName) {
		t.Errorf("result %+v", res)
	}
	// Each step starts, then ends ok, in order.
	var seen []string
	for _, e := range ev.got {
		seen = append(seen, e.Step+":"+e.State)
		if e.Title.EN == "" || e.Title.VI == "" {
			t.Errorf("step %s has no title in both languages", e.Step)
		}
	}
	var want []string
	for _, s := range Steps[:len(Steps)-1] {
		want = append(want, s+":"+Running, s+":"+OK)
	}
	want = append(want, StepDone+":"+OK)
	if !slices.Equal(seen, want) {
		t.Errorf("events\n got %v\nwant %v", seen, want)
	}
	// The agent can run on what was written: the config loads from the
	// provisioning directory, the key is the certificate's, files are 0600.
	cfg, err := config.Load(res.Config)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Identity.Device != "gate-01" {
		t.Errorf("identity %+v", cfg.Identity)
	}
	if _, err := cfg.PublicKeys(dir); err != nil {
		t.Errorf("the trust issuers' key files: %v", err)
	}
	pair, err := tlsPair(dir)
	if err != nil {
		t.Fatalf("device.pem and device.key: %v", err)
	}
	if pair.Subject.CommonName != "gate-01" {
		t.Errorf("certificate CN %q", pair.Subject.CommonName)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		info, _ := e.Info()
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s is %v, want 0600", e.Name(), info.Mode().Perm())
		}
	}
	if want := []string{CAName, "city-key.pub", KeyName, CertName, "issuer.pub", ConfigName}; !slices.Equal(names, want) {
		t.Errorf("files %v, want %v", names, want)
	}
	if info, _ := os.Stat(dir); info.Mode().Perm() != 0o700 {
		t.Errorf("the directory is %v, want 0700", info.Mode().Perm())
	}
	if _, err := os.Stat(dirsOf(dir).staging); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the staging directory is left behind: %v", err)
	}
}

// tlsPair checks the written certificate is the written key's.
func tlsPair(dir string) (*x509.Certificate, error) {
	key, err := readKey(filepath.Join(dir, KeyName))
	if err != nil {
		return nil, err
	}
	cert, err := readCert(filepath.Join(dir, CertName))
	if err != nil {
		return nil, err
	}
	if !cert.PublicKey.(*ecdsa.PublicKey).Equal(&key.PublicKey) {
		return nil, errors.New("the certificate is not the key's")
	}
	return cert, nil
}

// A second provisioning (the box moved to another gate) replaces the first
// whole: nothing of the old one stays.
func TestRunReplacesPrevious(t *testing.T) {
	city := newFakeCity(t)
	dir := box(t)
	city.render = func(b *est.Bundle, _ string) { b.Files["old-only.pub"] = string(city.issuer) }
	if _, err := Run(context.Background(), city.claim("gate-01", time.Now().Add(time.Hour)), Options{Dir: dir, Connect: city.connect}, nil); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(filepath.Join(dir, KeyName))
	city.render = nil
	if _, err := Run(context.Background(), city.claim("gate-02", time.Now().Add(time.Hour)), Options{Dir: dir, Connect: city.connect}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "old-only.pub")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file of the previous provisioning is left: %v", err)
	}
	second, _ := os.ReadFile(filepath.Join(dir, KeyName))
	if string(first) == string(second) {
		t.Error("the second provisioning kept the first one's key")
	}
	if cfg, err := config.Load(filepath.Join(dir, ConfigName)); err != nil || cfg.Identity.Device != "gate-02" {
		t.Errorf("after the second provisioning: %v, %+v", err, cfg)
	}
}

// provisioned sets up a box provisioned as gate-00, whose files a failed
// run must leave as they are.
func provisioned(t *testing.T, city *fakeCity) (dir string, before map[string]string) {
	t.Helper()
	dir = box(t)
	if _, err := Run(context.Background(), city.claim("gate-00", time.Now().Add(time.Hour)), Options{Dir: dir, Connect: city.connect}, nil); err != nil {
		t.Fatal(err)
	}
	return dir, snapshot(t, dir)
}

// Each refusal ends the run at its step with its reason and remedy, in both
// languages, and leaves the previous provisioning as it was.
func TestRunRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, method, reason, step string
	}{
		{"token used", "SimpleEnroll", est.ReasonTokenUsed, StepEnrol},
		{"token expired", "SimpleEnroll", est.ReasonTokenExpired, StepEnrol},
		{"device mismatch", "SimpleEnroll", est.ReasonDeviceMismatch, StepEnrol},
		{"unauthorized", "SimpleEnroll", est.ReasonUnauthorized, StepEnrol},
		{"rate limited", "SimpleEnroll", est.ReasonRateLimited, StepEnrol},
		{"csr invalid", "SimpleEnroll", est.ReasonCSRInvalid, StepEnrol},
		{"server error", "SimpleEnroll", est.ReasonServer, StepEnrol},
		{"ca mismatch", "CACerts", est.ReasonCAMismatch, StepCA},
		{"unreachable", "CACerts", est.ReasonUnreachable, StepCA},
		{"bad response", "Config", est.ReasonBadResponse, StepConfig},
		{"revoked", "Config", est.ReasonRevoked, StepConfig},
		{"a newer city's reason", "Config", "something_new", StepConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			city := newFakeCity(t)
			dir, before := provisioned(t, city)
			city.fail[tc.method] = &est.Error{Status: 403, Reason: tc.reason, Detail: "refused by the test"}
			ev := &events{t: t}
			_, err := Run(context.Background(), city.claim("gate-01", time.Now().Add(time.Hour)), Options{Dir: dir, Connect: city.connect}, ev.report)
			checkFailure(t, err, ev, tc.step, tc.reason)
			if after := snapshot(t, dir); !mapsEqual(before, after) {
				t.Error("the previous provisioning changed")
			}
		})
	}
}

// checkFailure checks the run failed at step for reason, and said so last
// with the reason's remedy.
func checkFailure(t *testing.T, err error, ev *events, step, reason string) {
	t.Helper()
	var pe *Error
	if !errors.As(err, &pe) || pe.Step != step || pe.Reason != reason {
		t.Fatalf("err = %v, want %s at step %s", err, reason, step)
	}
	last := ev.got[len(ev.got)-1]
	if last.State != Failed || last.Step != step || last.Reason != reason || last.Remedy == nil || *last.Remedy != Remedy(reason) {
		t.Errorf("last event %+v", last)
	}
	if last.Remedy.EN == "" || last.Remedy.VI == "" || last.Remedy.EN == last.Remedy.VI {
		t.Errorf("remedy not in both languages: %+v", last.Remedy)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// The remedies a technician reads for the city's most common refusals.
func TestRemedies(t *testing.T) {
	for reason, want := range map[string][2]string{
		est.ReasonTokenUsed:   {"already used: ask city IT for a new claim", "Mã đã được dùng: xin phòng CNTT thành phố tạo mã mới"},
		est.ReasonCAMismatch:  {"not the city's", "không phải của thành phố"},
		est.ReasonUnreachable: {"check the network cable, DNS and the enrolment address", "kiểm tra cáp mạng, DNS"},
		ReasonConfigInvalid:   {"the previous provisioning is kept", "cấp phép trước đó được giữ nguyên"},
		"from_a_newer_city":   {"(from_a_newer_city)", "(from_a_newer_city)"},
	} {
		r := Remedy(reason)
		if !strings.Contains(r.EN, want[0]) || !strings.Contains(r.VI, want[1]) {
			t.Errorf("Remedy(%s) = %+v", reason, r)
		}
	}
	// Every reason of the contract has its own remedy.
	for _, reason := range []string{est.ReasonUnauthorized, est.ReasonTokenExpired, est.ReasonTokenUsed, est.ReasonDeviceMismatch, est.ReasonCSRInvalid,
		est.ReasonRevoked, est.ReasonRateLimited, est.ReasonCAMismatch, est.ReasonUnreachable, est.ReasonServer, est.ReasonBadResponse} {
		if _, ok := remedies[reason]; !ok {
			t.Errorf("no remedy for %s", reason)
		}
	}
}

// What the city sends is checked before the box takes it: a config that
// does not validate or names another box, hostile file names, a
// certificate for another key or name, without client-auth, or from
// another CA. Nothing is written, the previous provisioning stays, and a
// file name never reaches outside the staging directory.
func TestRunRefusesWhatTheCitySends(t *testing.T) {
	for _, tc := range []struct {
		name   string
		render func(b *est.Bundle, device string)
		mangle func(f *fakeCity) func(*x509.Certificate, any) (*x509.Certificate, any)
		reason string
	}{
		{name: "config does not validate", reason: ReasonConfigInvalid,
			render: func(b *est.Bundle, _ string) {
				b.Config = strings.Replace(b.Config, "safe_state: fail-secure", "safe_state: sometimes", 1)
			}},
		{name: "config names another device", reason: ReasonConfigInvalid,
			render: func(b *est.Bundle, d string) {
				b.Config = strings.Replace(b.Config, "device: "+d, "device: gate-99", 1)
			}},
		{name: "config uses another certificate", reason: ReasonConfigInvalid,
			render: func(b *est.Bundle, _ string) {
				b.Config = strings.Replace(b.Config, "cert_file: device.pem", "cert_file: other.pem", 1)
				b.Files["other.pem"] = "x"
			}},
		{name: "bundle for another device", reason: ReasonConfigInvalid, render: func(b *est.Bundle, _ string) { b.Device = "gate-99" }},
		{name: "bundle of another kind", reason: ReasonConfigInvalid, render: func(b *est.Bundle, _ string) { b.Kind = claim.KindRoom }},
		{name: "file name climbs out", reason: ReasonConfigInvalid, render: func(b *est.Bundle, _ string) { b.Files["../escaped"] = "x" }},
		{name: "file name is provisioning's key", reason: ReasonConfigInvalid, render: func(b *est.Bundle, _ string) { b.Files[KeyName] = "x" }},
		{name: "file name hidden", reason: ReasonConfigInvalid, render: func(b *est.Bundle, _ string) { b.Files[markerName] = "x" }},
		{name: "empty config", reason: ReasonConfigInvalid, render: func(b *est.Bundle, _ string) { b.Config = "" }},
		{name: "certificate for another key", reason: ReasonCertInvalid, mangle: func(*fakeCity) func(*x509.Certificate, any) (*x509.Certificate, any) {
			return func(c *x509.Certificate, _ any) (*x509.Certificate, any) {
				k, _ := newKey()
				return c, &k.PublicKey
			}
		}},
		{name: "certificate for another name", reason: ReasonCertInvalid, mangle: func(*fakeCity) func(*x509.Certificate, any) (*x509.Certificate, any) {
			return func(c *x509.Certificate, p any) (*x509.Certificate, any) {
				c.Subject.CommonName = "gate-99"
				return c, p
			}
		}},
		{name: "certificate for servers only", reason: ReasonCertInvalid, mangle: func(*fakeCity) func(*x509.Certificate, any) (*x509.Certificate, any) {
			return func(c *x509.Certificate, p any) (*x509.Certificate, any) {
				c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
				return c, p
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			city := newFakeCity(t)
			dir, before := provisioned(t, city)
			city.render = tc.render
			if tc.mangle != nil {
				city.mangle = tc.mangle(city)
			}
			ev := &events{t: t}
			_, err := Run(context.Background(), city.claim("gate-01", time.Now().Add(time.Hour)), Options{Dir: dir, Connect: city.connect}, ev.report)
			checkFailure(t, err, ev, StepValidate, tc.reason)
			if after := snapshot(t, dir); !mapsEqual(before, after) {
				t.Error("the previous provisioning changed")
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "escaped")); !errors.Is(err, os.ErrNotExist) {
				t.Error("a file was written outside the staging directory")
			}
		})
	}
}

// A CA list without the claim's CA is refused even when the client let it
// through, and a claim that is not one never reaches the city.
func TestRunRefusesBeforeTheCity(t *testing.T) {
	city := newFakeCity(t)
	dir := box(t)
	// A server with only its own CA (a man in the middle), let through
	// by the client.
	other := newFakeCity(t)
	ev := &events{t: t}
	text := city.claim("gate-01", time.Now().Add(time.Hour))
	_, err := Run(context.Background(), text, Options{Dir: dir, Connect: func(string, string) (City, error) { return other, nil }}, ev.report)
	checkFailure(t, err, ev, StepCA, est.ReasonCAMismatch)
	if other.enrols != 0 {
		t.Error("the token went to a server with the wrong CA")
	}

	dir = box(t)
	for _, text := range []string{"", "garbage", "RGCLAIM1:!!!", claim.Prefix + strings.Repeat("A", claim.MaxSize)} {
		ev := &events{t: t}
		_, err := Run(context.Background(), text, Options{Dir: dir, Connect: city.connect}, ev.report)
		checkFailure(t, err, ev, StepClaim, ReasonClaimInvalid)
	}
	if entries, _ := os.ReadDir(filepath.Dir(dir)); len(entries) != 0 {
		t.Errorf("a claim that is not one left files: %v", entries)
	}
}

// An expired claim by the box's clock is a warning: the box's clock may be
// wrong before provisioning, and the city decides.
func TestRunExpiredClaimWarns(t *testing.T) {
	city := newFakeCity(t)
	text := city.claim("gate-01", time.Now().Add(time.Hour))
	ev := &events{t: t}
	_, err := Run(context.Background(), text, Options{Dir: box(t), Connect: city.connect, Now: func() time.Time { return time.Now().Add(48 * time.Hour) }}, ev.report)
	if err != nil {
		t.Fatal(err)
	}
	if e := ev.got[1]; e.Step != StepClaim || e.State != Warning || e.Reason != ReasonClaimExpired || e.Remedy == nil {
		t.Errorf("the claim step ended %+v, want a warning", e)
	}
}

// A box stopped at any step (power cut, agent stopped, Ctrl-C) leaves the
// previous provisioning whole, and a second run with the same claim
// succeeds: after enrolment the city has bound the token to the box's key,
// so the rerun must use the same key.
func TestRunInterruptedAtEachStep(t *testing.T) {
	for _, step := range Steps[:len(Steps)-1] {
		t.Run(step, func(t *testing.T) {
			city := newFakeCity(t)
			dir, before := provisioned(t, city)
			text := city.claim("gate-01", time.Now().Add(time.Hour))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ev := &events{t: t}
			_, err := Run(ctx, text, Options{Dir: dir, Connect: city.connect}, func(e Event) {
				ev.report(e)
				if e.Step == step && e.State == OK {
					cancel() // stopped just after the step, before the next
				}
			})
			if step == StepWrite {
				// Stopped after the swap: the new provisioning is whole.
				if err != nil {
					t.Fatal(err)
				}
				if _, err := tlsPair(dir); err != nil {
					t.Fatal(err)
				}
				return
			}
			var pe *Error
			if !errors.As(err, &pe) || pe.Reason != ReasonStopped {
				t.Fatalf("err = %v, want stopped", err)
			}
			if after := snapshot(t, dir); !mapsEqual(before, after) {
				t.Fatal("an interrupted run changed the provisioning")
			}
			if _, err := Run(context.Background(), text, Options{Dir: dir, Connect: city.connect}, nil); err != nil {
				t.Fatalf("the rerun: %v", err)
			}
			if cfg, err := config.Load(filepath.Join(dir, ConfigName)); err != nil || cfg.Identity.Device != "gate-01" {
				t.Fatalf("after the rerun: %v", err)
			}
			if _, err := tlsPair(dir); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A fresh key after enrolment would be refused: the staged key of another
// claim is not taken, and one claim's key is not reused for another.
func TestRunKeyBelongsToItsClaim(t *testing.T) {
	city := newFakeCity(t)
	dir := box(t)
	first := city.claim("gate-01", time.Now().Add(time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	Run(ctx, first, Options{Dir: dir, Connect: city.connect}, func(e Event) {
		if e.Step == StepEnrol && e.State == OK {
			cancel()
		}
	})
	staged, err := os.ReadFile(filepath.Join(dirsOf(dir).staging, KeyName))
	if err != nil {
		t.Fatal(err)
	}
	ev := &events{t: t}
	if _, err := Run(context.Background(), city.claim("gate-01", time.Now().Add(time.Hour)), Options{Dir: dir, Connect: city.connect}, ev.report); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, KeyName)); string(got) == string(staged) {
		t.Error("another claim's staged key was used")
	}
	if strings.Contains(ev.got[3].Detail, "interrupted") {
		t.Errorf("the key step says it reused a key: %+v", ev.got[3])
	}
}

// Two provisionings at once (the agent's and one by hand): the second is
// told the box is busy.
func TestRunBusy(t *testing.T) {
	city := newFakeCity(t)
	dir := box(t)
	unlock, err := lock(dirsOf(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ev := &events{t: t}
	_, err = Run(context.Background(), city.claim("gate-01", time.Now().Add(time.Hour)), Options{Dir: dir, Connect: city.connect}, ev.report)
	checkFailure(t, err, ev, StepKey, ReasonBusy)
}

// Run as root for the service's user, the files are that user's.
func TestRunOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chown needs root")
	}
	city := newFakeCity(t)
	dir := box(t)
	owner := &Owner{UID: 65534, GID: 65534}
	if _, err := Run(context.Background(), city.claim("gate-01", time.Now().Add(time.Hour)), Options{Dir: dir, Connect: city.connect, Owner: owner}, nil); err != nil {
		t.Fatal(err)
	}
	for _, p := range append([]string{dir}, mustGlob(t, dir+"/*")...) {
		var st = statOwner(t, p)
		if st != *owner {
			t.Errorf("%s is owned by %+v", p, st)
		}
	}
}

func mustGlob(t *testing.T, pattern string) []string {
	m, err := filepath.Glob(pattern)
	if err != nil || len(m) == 0 {
		t.Fatalf("glob %s: %v %v", pattern, m, err)
	}
	return m
}
