package agent

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/event"
	"github.com/roomgate/roomgate/agent/pass"
	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/internal/logbuf"
	"github.com/roomgate/roomgate/internal/socat"
)

// siteBox is one box of the test site, with its scanner and its store.
type siteBox struct {
	name  string
	agent *runningAgent
	link  *socat.Link
	store *store.Store
}

func (c *city) startSiteBox(t *testing.T, gate, device string, is issuer) *siteBox {
	t.Helper()
	dir := t.TempDir()
	link := socat.Pair(t, dir)
	path := c.boxConfigAt(t, dir, link.Device, gate, device, is)
	// The test uses a pass again within seconds, which anti-passback would refuse.
	yaml, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(yaml), "indicator: 100ms}", "indicator: 100ms, anti_passback: 0s}", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	ra := startAgent(t, path)
	return &siteBox{name: device, agent: ra, link: link, store: openBoxStore(t, dir)}
}

// scan writes text to the box's scanner once and returns the entry the
// gate kept for it.
func (b *siteBox) scan(t *testing.T, text string) store.Entry {
	t.Helper()
	ctx := context.Background()
	before, err := b.store.LatestEntries(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	b.link.Write([]byte(text + "\r"))
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		latest, err := b.store.LatestEntries(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(latest) == 1 && (len(before) == 0 || latest[0].ID != before[0].ID) {
			return latest[0]
		}
	}
	t.Fatalf("%s: no entry for the scan in 10 s; log:\n%s", b.name, b.agent.logBuf)
	return store.Entry{}
}

// ready scans garbage until the scanner reads, and waits until the city
// has the box's entry: the city then knows the box as one of the site's.
func (b *siteBox) ready(t *testing.T, c *city) {
	t.Helper()
	ctx := context.Background()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if n, _ := b.store.LatestEntries(ctx, 1); len(n) == 0 {
			b.link.Write([]byte("not a pass\r"))
		} else if ids, err := c.db.IDs(ctx, event.Source("test-site", b.name)); err == nil && len(ids) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not ready in 20 s; log:\n%s", b.name, b.agent.logBuf)
		}
	}
}

// heard waits until the box has raised use counts from the city n times.
func (b *siteBox) heard(t *testing.T, c *city, n int) {
	t.Helper()
	const line = `msg="use counts from the city" component=gate passes=1 raised=1`
	for deadline := time.Now().Add(30 * time.Second); strings.Count(b.agent.logBuf.String(), line) < n; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s raised use counts from the city fewer than %d times in 30 s; log:\n%s\nbroker log:\n%s",
				b.name, n, logbuf.Tail(b.agent.logBuf.String(), 20), logbuf.Tail(c.broker.Log(), 20))
		}
	}
}

// TestOneTimePassOncePerSite: a one-time pass for a site lets its holder
// in at one of the site's boxes, and the city tells the other box, which
// then refuses it as used up (issue 12, item 5). Real Mosquitto with the
// shipped ACL, real ingest and PostgreSQL, two real agents.
func TestOneTimePassOncePerSite(t *testing.T) {
	c := newCity(t)
	stopIngest := c.startIngest(t)
	is := newIssuer(t)
	a := c.startSiteBox(t, "gate-a", "box-a", is)
	b := c.startSiteBox(t, "gate-b", "box-b", is)
	a.ready(t, c)
	b.ready(t, c)

	token := is.pass(t, "one-time", "test-site")
	if e := a.scan(t, token); !e.Granted {
		t.Fatalf("box-a: first use = %q (%s), want granted", e.Reason, e.Detail)
	}
	b.heard(t, c, 1)
	if e := b.scan(t, token); e.Granted || e.Reason != "used_up" {
		t.Errorf("box-b: the pass used at box-a = granted %v %q (%s), want used_up", e.Granted, e.Reason, e.Detail)
	}
	if e := a.scan(t, token); e.Granted || e.Reason != "used_up" {
		t.Errorf("box-a: second use = granted %v %q, want used_up", e.Granted, e.Reason)
	}

	// The window: while the city is away each box goes by its own count,
	// and a pass of three uses lets its holder in once at each box. Once
	// the city is back both boxes learn that it was used twice, so after
	// a third use at box-a box-b has none left.
	stopIngest()
	c3 := pass.Claims{ID: "three-uses", Issuer: "city", Subject: "V-3", Name: "Lê Văn C", Host: "Văn phòng",
		Audience: []string{"test-site"}, NotBefore: time.Now().Add(-time.Hour), Expires: time.Now().Add(time.Hour), Uses: 3}
	three, err := pass.Sign(c3, is.kid, is.priv)
	if err != nil {
		t.Fatal(err)
	}
	for _, box := range []*siteBox{a, b} {
		if e := box.scan(t, three); !e.Granted {
			t.Fatalf("%s offline: first use = %q (%s), want granted", box.name, e.Reason, e.Detail)
		}
	}
	c.startIngest(t)
	a.heard(t, c, 1)
	b.heard(t, c, 2)
	if e := a.scan(t, three); !e.Granted {
		t.Fatalf("box-a: third use = %q (%s), want granted", e.Reason, e.Detail)
	}
	b.heard(t, c, 3)
	if e := b.scan(t, three); e.Granted || e.Reason != "used_up" {
		t.Errorf("box-b: fourth use = granted %v %q (%s), want used_up", e.Granted, e.Reason, e.Detail)
	}
}
