package gate

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/pass"
	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/devices/scanner"
)

type fakeDoor struct {
	notReady      error
	grants, denys int
}

func (d *fakeDoor) Ready() error { return d.notReady }
func (d *fakeDoor) Grant() error { d.grants++; return nil }
func (d *fakeDoor) Deny() error  { d.denys++; return nil }

type fakeClock struct{ synced bool }

func (c fakeClock) Synced() bool   { return c.synced }
func (c fakeClock) String() string { return "fake" }

var now = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

type fixture struct {
	gate  *Gate
	store *store.Store
	door  *fakeDoor
	priv  ed25519.PrivateKey
	other ed25519.PrivateKey
}

func newFixture(t *testing.T, p Policy, clockSynced bool) *fixture {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "gate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	pub, priv, _ := ed25519.GenerateKey(nil)
	_, other, _ := ed25519.GenerateKey(nil)
	ctx := context.Background()
	if err := st.ReplaceTrust(ctx, "config", []store.Issuer{{Kid: "city-1", Iss: "city", PublicKey: pub}}, nil); err != nil {
		t.Fatal(err)
	}
	if p.Site == "" {
		p.Site, p.Gate, p.Device = "hq", "main-gate", "box-1"
	}
	door := &fakeDoor{}
	g := New(st, door, fakeClock{clockSynced}, p)
	g.now = func() time.Time { return now }
	if err := g.ReloadTrust(ctx); err != nil {
		t.Fatal(err)
	}
	return &fixture{gate: g, store: st, door: door, priv: priv, other: other}
}

func validClaims() pass.Claims {
	return pass.Claims{ID: "pass-1", Issuer: "city", Subject: "V-1", Name: "Nguyễn Văn An", Host: "Phòng Hành chính",
		Audience: []string{"hq/main-gate"}, NotBefore: now.Add(-time.Hour), Expires: now.Add(time.Hour), Uses: 1}
}

func (f *fixture) sign(t *testing.T, c pass.Claims) string {
	t.Helper()
	tok, err := pass.Sign(c, "city-1", f.priv)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (f *fixture) scan(t *testing.T, text string) store.Entry {
	t.Helper()
	e, err := f.gate.Handle(context.Background(), "front", scanner.Line{Text: text, At: now})
	if err != nil {
		t.Fatalf("Handle(%.40q) error: %v", text, err)
	}
	return e
}

func TestGrantKeepsEntryAndOpensDoor(t *testing.T) {
	f := newFixture(t, Policy{ClockSkew: time.Minute}, true)
	e := f.scan(t, f.sign(t, validClaims()))
	if !e.Granted || e.Reason != "" || e.PassID != "pass-1" || e.Name != "Nguyễn Văn An" || e.Method != MethodPass || !e.ClockTrusted {
		t.Fatalf("Handle(valid) = %+v, want granted pass-1", e)
	}
	if f.door.grants != 1 || f.door.denys != 0 {
		t.Errorf("door grants/denies = %d/%d, want 1/0", f.door.grants, f.door.denys)
	}
	// The outbox holds the CloudEvent of this entry.
	ids, _ := f.store.EntryIDs(context.Background())
	if !ids[e.ID] {
		t.Fatalf("entry %s has no outbox row: %v", e.ID, ids)
	}
}

func TestEntryEventFollowsContract(t *testing.T) {
	f := newFixture(t, Policy{}, true)
	e := f.scan(t, f.sign(t, validClaims()))
	_, payload, err := f.gate.withEvent(e)
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		SpecVersion, ID, Source, Type, DataContentType string
		Time                                           time.Time
		Data                                           map[string]any
	}
	if err := json.Unmarshal(payload.Payload, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.SpecVersion != "1.0" || ev.Source != "roomgate://hq/box-1" || ev.Type != "vn.roomgate.entry.v1" || ev.Data["decision"] != "granted" || ev.Data["pass_id"] != "pass-1" {
		t.Errorf("event = %+v, want a granted vn.roomgate.entry.v1 from roomgate://hq/box-1", ev)
	}
}

// TestDenials covers every reason a scan is refused: the relay stays shut,
// the red indicator is shown, and a denial with that reason is kept.
func TestDenials(t *testing.T) {
	tests := []struct {
		name   string
		policy Policy
		synced bool
		setup  func(t *testing.T, f *fixture)
		text   func(t *testing.T, f *fixture) string
		reason string
	}{
		{name: "garbage text", text: func(*testing.T, *fixture) string { return "hello world" }, reason: ReasonGarbage},
		{name: "malformed pass", text: func(*testing.T, *fixture) string { return "eyJhbGciOiJFZERTQSJ9.@@@.xyz" }, reason: "malformed"},
		{name: "too large", text: func(*testing.T, *fixture) string { return strings.Repeat("a", 3000) + ".b.c" }, reason: "too_large"},
		{name: "algorithm none", text: func(t *testing.T, f *fixture) string {
			parts := strings.Split(f.sign(t, validClaims()), ".")
			return b64(`{"alg":"none","kid":"city-1"}`) + "." + parts[1] + "." + parts[2]
		}, reason: "bad_algorithm"},
		{name: "algorithm HS256", text: func(t *testing.T, f *fixture) string {
			parts := strings.Split(f.sign(t, validClaims()), ".")
			return b64(`{"alg":"HS256","kid":"city-1"}`) + "." + parts[1] + "." + parts[2]
		}, reason: "bad_algorithm"},
		{name: "unknown issuer", text: func(t *testing.T, f *fixture) string {
			tok, _ := pass.Sign(validClaims(), "someone-else", f.other)
			return tok
		}, reason: "unknown_issuer"},
		{name: "forged", text: func(t *testing.T, f *fixture) string {
			tok, _ := pass.Sign(validClaims(), "city-1", f.other)
			return tok
		}, reason: "bad_signature"},
		{name: "tampered", text: func(t *testing.T, f *fixture) string {
			parts := strings.Split(f.sign(t, validClaims()), ".")
			c := validClaims()
			c.Uses = 100
			forged := strings.Split(f.sign(t, c), ".")
			return parts[0] + "." + forged[1] + "." + parts[2]
		}, reason: "bad_signature"},
		{name: "expired", policy: Policy{ClockSkew: time.Minute}, synced: true, text: func(t *testing.T, f *fixture) string {
			c := validClaims()
			c.Expires = now.Add(-61 * time.Second)
			return f.sign(t, c)
		}, reason: "expired"},
		{name: "not yet valid", policy: Policy{ClockSkew: time.Minute}, synced: true, text: func(t *testing.T, f *fixture) string {
			c := validClaims()
			c.NotBefore = now.Add(61 * time.Second)
			return f.sign(t, c)
		}, reason: "not_yet_valid"},
		{name: "lifetime too long", text: func(t *testing.T, f *fixture) string {
			c := validClaims()
			c.NotBefore, c.Expires = time.Time{}, time.Unix(1e10, 0) // year 2286
			return f.sign(t, c)
		}, reason: "lifetime_too_long"},
		{name: "lifetime from nbf too long", policy: Policy{MaxPassLifetime: 24 * time.Hour}, text: func(t *testing.T, f *fixture) string {
			c := validClaims()
			c.NotBefore, c.Expires = now.Add(-time.Hour), now.Add(23*time.Hour+time.Second)
			return f.sign(t, c)
		}, reason: "lifetime_too_long"},
		{name: "revoked", setup: func(t *testing.T, f *fixture) {
			if err := f.store.ReplaceTrust(context.Background(), "city", nil, []string{"pass-1"}); err != nil {
				t.Fatal(err)
			}
		}, text: func(t *testing.T, f *fixture) string { return f.sign(t, validClaims()) }, reason: ReasonRevoked},
		{name: "used up", setup: func(t *testing.T, f *fixture) {
			if e := f.scan(t, f.sign(t, validClaims())); !e.Granted {
				t.Fatalf("first use denied: %+v", e)
			}
		}, text: func(t *testing.T, f *fixture) string { return f.sign(t, validClaims()) }, reason: ReasonUsedUp},
		{name: "anti-passback", policy: Policy{AntiPassback: 30 * time.Second}, setup: func(t *testing.T, f *fixture) {
			c := validClaims()
			c.Uses = 5
			if e := f.scan(t, f.sign(t, c)); !e.Granted {
				t.Fatalf("first use denied: %+v", e)
			}
		}, text: func(t *testing.T, f *fixture) string { c := validClaims(); c.Uses = 5; return f.sign(t, c) }, reason: ReasonPassback},
		{name: "wrong gate", text: func(t *testing.T, f *fixture) string {
			c := validClaims()
			c.Audience = []string{"hq/back-gate", "other-site"}
			return f.sign(t, c)
		}, reason: ReasonWrongGate},
		// A one-time pass for "main-gate" opened the main-gate of every
		// site (issue 12, item 5): a bare id is a site id.
		{name: "bare gate id", text: func(t *testing.T, f *fixture) string {
			c := validClaims()
			c.Audience = []string{"main-gate"}
			return f.sign(t, c)
		}, reason: ReasonWrongGate},
		{name: "same gate of another site", text: func(t *testing.T, f *fixture) string {
			c := validClaims()
			c.Audience = []string{"annex/main-gate"}
			return f.sign(t, c)
		}, reason: ReasonWrongGate},
		{name: "clock not synced", synced: false, text: func(t *testing.T, f *fixture) string { return f.sign(t, validClaims()) }, reason: ReasonClockUnsynced},
		{name: "door unavailable", setup: func(t *testing.T, f *fixture) { f.door.notReady = errors.New("door: gpiochip0 missing") },
			text: func(t *testing.T, f *fixture) string { return f.sign(t, validClaims()) }, reason: ReasonDoorUnavailable},
		{name: "ID card not allowed", text: func(*testing.T, *fixture) string { return cccd }, reason: ReasonCCCDNotAllowed},
		{name: "ID card without visit", policy: Policy{AllowCCCD: true}, text: func(*testing.T, *fixture) string { return cccd }, reason: ReasonNoVisit},
		{name: "ID card visit for another gate", policy: Policy{AllowCCCD: true}, setup: func(t *testing.T, f *fixture) {
			addVisit(t, f, store.Visit{ID: "v1", Gates: []string{"back-gate"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), Uses: 1})
		}, text: func(*testing.T, *fixture) string { return cccd }, reason: ReasonWrongGate},
		{name: "ID card visit over", policy: Policy{AllowCCCD: true}, setup: func(t *testing.T, f *fixture) {
			addVisit(t, f, store.Visit{ID: "v1", Gates: []string{"hq"}, NotBefore: now.Add(-3 * time.Hour), NotAfter: now.Add(-2 * time.Hour), Uses: 1})
		}, text: func(*testing.T, *fixture) string { return cccd }, reason: "expired"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synced := tc.synced || tc.reason != ReasonClockUnsynced
			f := newFixture(t, tc.policy, synced)
			if tc.setup != nil {
				tc.setup(t, f)
			}
			grantsBefore := f.door.grants
			e := f.scan(t, tc.text(t, f))
			if e.Granted || e.Reason != tc.reason {
				t.Fatalf("Handle() = granted %v reason %q (%s), want denied %q", e.Granted, e.Reason, e.Detail, tc.reason)
			}
			if f.door.grants != grantsBefore || f.door.denys == 0 {
				t.Errorf("door grants %d→%d, denies %d; want relay shut and red shown", grantsBefore, f.door.grants, f.door.denys)
			}
			latest, err := f.store.LatestEntries(context.Background(), 1)
			if err != nil || len(latest) != 1 || latest[0].ID != e.ID || latest[0].Reason != tc.reason {
				t.Errorf("kept entry = %+v, %v; want the denial %q", latest, err, tc.reason)
			}
		})
	}
}

func TestScannerRejectIsGarbage(t *testing.T) {
	f := newFixture(t, Policy{}, true)
	e, err := f.gate.Handle(context.Background(), "front", scanner.Line{Reject: "line longer than 2048 bytes", At: now})
	if err != nil || e.Granted || e.Reason != ReasonGarbage || e.Detail != "line longer than 2048 bytes" {
		t.Errorf("Handle(reject) = %+v, %v; want garbage denial with the scanner's reason", e, err)
	}
}

func TestPassbackWindowEnds(t *testing.T) {
	f := newFixture(t, Policy{AntiPassback: 30 * time.Second}, true)
	c := validClaims()
	c.Uses = 2
	tok := f.sign(t, c)
	if e := f.scan(t, tok); !e.Granted {
		t.Fatalf("first scan = %+v", e)
	}
	f.gate.now = func() time.Time { return now.Add(31 * time.Second) }
	if e := f.scan(t, tok); !e.Granted {
		t.Errorf("scan after the passback window = %s (%s), want granted", e.Reason, e.Detail)
	}
	if e := f.scan(t, tok); e.Granted || e.Reason != ReasonUsedUp {
		t.Errorf("third scan of a 2-use pass = granted %v %q, want used_up", e.Granted, e.Reason)
	}
}

func TestSkewAllowsEdges(t *testing.T) {
	f := newFixture(t, Policy{ClockSkew: time.Minute}, true)
	c := validClaims()
	c.Expires = now.Add(-59 * time.Second)
	if e := f.scan(t, f.sign(t, c)); !e.Granted {
		t.Errorf("pass expired 59 s ago with 60 s skew = %s, want granted", e.Reason)
	}
}

func TestUnsyncedClockAllowedIsFlagged(t *testing.T) {
	f := newFixture(t, Policy{AllowUnsyncedClock: true}, false)
	c := validClaims()
	// The box's clock may be a day off: the window cannot be judged.
	c.NotBefore, c.Expires = now.Add(-25*time.Hour), now.Add(-24*time.Hour)
	e := f.scan(t, f.sign(t, c))
	if !e.Granted || e.ClockTrusted {
		t.Errorf("Handle() with untrusted clock allowed = granted %v trusted %v, want granted and flagged", e.Granted, e.ClockTrusted)
	}
	// Signature, use counts and revocation still apply.
	if e := f.scan(t, f.sign(t, c)); e.Granted || e.Reason != ReasonUsedUp {
		t.Errorf("second scan = %v %q, want used_up", e.Granted, e.Reason)
	}
}

// A box whose clock has not synced (a Pi boots in 1970) and that policy
// lets admit still refuses passes too long by their own dates, and cannot
// judge the others.
func TestLifetimeWithUnsyncedClock(t *testing.T) {
	f := newFixture(t, Policy{AllowUnsyncedClock: true}, false)
	f.gate.now = func() time.Time { return time.Unix(0, 0) }
	c := validClaims()
	c.NotBefore, c.Expires = time.Time{}, now.Add(time.Hour)
	if e := f.scan(t, f.sign(t, c)); !e.Granted || e.ClockTrusted {
		t.Errorf("pass without nbf or iat, clock in 1970 = granted %v %q, want granted and flagged", e.Granted, e.Reason)
	}
	c.ID, c.NotBefore, c.Expires = "pass-2", now, now.Add(2*365*24*time.Hour)
	if e := f.scan(t, f.sign(t, c)); e.Granted || e.Reason != "lifetime_too_long" {
		t.Errorf("two-year pass, clock in 1970 = granted %v %q, want lifetime_too_long", e.Granted, e.Reason)
	}
}

func TestTrustReloadTakesEffectOnNextScan(t *testing.T) {
	f := newFixture(t, Policy{}, true)
	pub2, priv2, _ := ed25519.GenerateKey(nil)
	tok, _ := pass.Sign(validClaims(), "city-2", priv2)
	if e := f.scan(t, tok); e.Reason != "unknown_issuer" {
		t.Fatalf("before reload = %q, want unknown_issuer", e.Reason)
	}
	ctx := context.Background()
	if err := f.store.ReplaceTrust(ctx, "city", []store.Issuer{{Kid: "city-2", Iss: "city", PublicKey: pub2}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.gate.ReloadTrust(ctx); err != nil {
		t.Fatal(err)
	}
	if e := f.scan(t, tok); !e.Granted {
		t.Errorf("after reload = %q (%s), want granted", e.Reason, e.Detail)
	}
}

const cccd = "001099012345|123456789|Nguyen Van Binh|01011990|Nam|12 Tran Phu, Ha Noi|01012021"

func addVisit(t *testing.T, f *fixture, v store.Visit) {
	t.Helper()
	v.IDNumber, v.Name, v.Host = "001099012345", "Nguyễn Văn Bình", "Sở Nội vụ"
	if err := f.store.AddVisit(context.Background(), v); err != nil {
		t.Fatal(err)
	}
}

func TestCCCDVisitGranted(t *testing.T) {
	f := newFixture(t, Policy{AllowCCCD: true, FaceThreshold: 0.4}, true)
	f.gate.UseFaceCheck(&fakeFaces{res: FaceResult{Faces: 3, Best: 0.7}})
	addVisit(t, f, store.Visit{ID: "v1", Gates: []string{"hq/main-gate"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), Uses: 1, Model: "m1", Template: face1})
	e := f.scan(t, cccd)
	if !e.Granted || e.Method != MethodCCCD || e.Name != "Nguyễn Văn Bình" || e.PassID != "v1" || e.Subject != "001099012345" {
		t.Fatalf("Handle(cccd) = %+v, want granted visit v1", e)
	}
	if e := f.scan(t, cccd); e.Granted || e.Reason != ReasonUsedUp {
		t.Errorf("second scan = %v %q, want used_up", e.Granted, e.Reason)
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// A gate that takes no ID cards keeps the denial but nothing of the card:
// not its number, name or any other field, nor its hash (issue 12, item 6).
func TestCCCDNotAllowedKeepsNoPersonalData(t *testing.T) {
	f := newFixture(t, Policy{}, true)
	e := f.scan(t, cccd)
	if e.Granted || e.Reason != ReasonCCCDNotAllowed || e.Method != MethodCCCD {
		t.Fatalf("Handle(cccd) = %+v, want a cccd_not_allowed denial", e)
	}
	ctx := context.Background()
	kept, err := f.store.LatestEntries(ctx, 1)
	if err != nil || len(kept) != 1 {
		t.Fatalf("LatestEntries = %v, %v", kept, err)
	}
	if k := kept[0]; k.Subject != "" || k.Name != "" || k.ScanSHA256 != "" || k.PassID != "" {
		t.Errorf("kept entry = %+v, want no subject, name, pass id or scan hash", k)
	}
	pending, err := f.store.Pending(ctx, 0, 10, 1<<20)
	if err != nil || len(pending) != 1 {
		t.Fatalf("Pending = %d events, %v; want the denial's", len(pending), err)
	}
	sum := sha256.Sum256([]byte(cccd))
	card := strings.Split(cccd, "|") // number, old number, name, birth date, sex, address, issue date
	for _, field := range []string{card[0], card[1], card[2], card[3], card[5], hex.EncodeToString(sum[:])} {
		if strings.Contains(string(pending[0].Payload), field) || strings.Contains(fmt.Sprintf("%+v", kept[0]), field) {
			t.Errorf("the kept denial holds the card's %q:\n%s", field, pending[0].Payload)
		}
	}
}

// Use counts the city counted at the site's other boxes count here too,
// and never lower what this box counted (issue 12, item 5).
func TestSiteUseCounts(t *testing.T) {
	f := newFixture(t, Policy{}, true)
	ctx := context.Background()
	merge := func(counts map[string]int, wantRaised int) {
		t.Helper()
		if n, err := f.store.MergePassUses(ctx, counts); err != nil || n != wantRaised {
			t.Fatalf("MergePassUses(%v) = %d, %v, want %d raised", counts, n, err, wantRaised)
		}
	}
	// A one-time pass used at another gate of the site is used up here.
	merge(map[string]int{"pass-1": 1}, 1)
	merge(map[string]int{"pass-1": 1}, 0)
	if e := f.scan(t, f.sign(t, validClaims())); e.Granted || e.Reason != ReasonUsedUp {
		t.Errorf("one-time pass used elsewhere = granted %v %q, want used_up", e.Granted, e.Reason)
	}
	// A two-use pass used once elsewhere lets in once more, and a late,
	// lower count does not give back the use.
	c := validClaims()
	c.ID, c.Uses = "pass-2", 2
	tok := f.sign(t, c)
	merge(map[string]int{"pass-2": 1}, 1)
	if e := f.scan(t, tok); !e.Granted {
		t.Fatalf("two-use pass used once elsewhere = %q (%s), want granted", e.Reason, e.Detail)
	}
	merge(map[string]int{"pass-2": 1}, 0)
	if e := f.scan(t, tok); e.Granted || e.Reason != ReasonUsedUp {
		t.Errorf("two-use pass used twice = granted %v %q, want used_up", e.Granted, e.Reason)
	}
}
