package agent

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/gate"
	"github.com/roomgate/roomgate/agent/pass"
	"github.com/roomgate/roomgate/internal/metricstest"
	"github.com/roomgate/roomgate/internal/socat"
)

// metricsURL is where the agent said it serves its metrics.
func (ra *runningAgent) metricsURL(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`msg="metrics served" component=metrics addr=(\S+)`).FindStringSubmatch(ra.logBuf.String())
	if m == nil {
		t.Fatalf("the agent did not say where it serves metrics; log:\n%s", ra.logBuf)
	}
	return "http://" + m[1] + "/metrics"
}

// waitMetric scrapes until name (with labels) reaches a value ok accepts.
func waitMetric(t *testing.T, url, name string, ok func(float64) bool, labels ...string) float64 {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		v, found := metricstest.Scrape(t, url).Value(name, labels...)
		if found && ok(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s%v = %v (present %v) after 30 s", name, labels, v, found)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestMetricsEndToEnd: passes scanned on a real pty are counted with their
// reason, the outbox grows while the real broker is down and drains to 0
// once the city acknowledges, and no label carries who scanned.
func TestMetricsEndToEnd(t *testing.T) {
	c := newCity(t)
	c.startIngest(t)
	dir := t.TempDir()
	link := socat.Pair(t, dir)
	is := newIssuer(t)
	cfg := c.boxConfig(t, dir, link.Device, is)
	appendConfig(t, cfg, "metrics: {listen: \"127.0.0.1:0\"}\n")
	ra := startAgent(t, cfg)
	url := ra.metricsURL(t)
	if strings.HasSuffix(url, ra.addr.String()+"/metrics") {
		t.Fatalf("metrics on the kiosk's address %s", ra.addr)
	}

	const name, subject, passID = "Nguyễn Thị Thu Hương", "S-7731-metrics", "pass-7f3a9c-metrics"
	tok, err := pass.Sign(pass.Claims{ID: passID, Issuer: "city", Subject: subject, Name: name, Host: "Phòng Tiếp dân",
		Audience: []string{"test-site/test-gate"}, NotBefore: time.Now().Add(-time.Hour), Expires: time.Now().Add(time.Hour), Uses: 1}, is.kid, is.priv)
	if err != nil {
		t.Fatal(err)
	}
	scanUntilSeen(t, ra, link, tok, 0)
	link.Write([]byte(is.pass(t, "p-other", "test-site/other-gate") + "\r"))
	ra.waitEntries(t, 2)

	m := metricstest.Scrape(t, url)
	if v, _ := m.Value("roomgate_gate_decisions_total", "result=granted", "reason=none"); v != 1 {
		t.Errorf("granted decisions = %v, want 1", v)
	}
	if v, _ := m.Value("roomgate_gate_decisions_total", "result=denied", "reason=wrong_gate"); v != 1 {
		t.Errorf("wrong_gate denials = %v, want 1", v)
	}
	if v, _ := m.Value("roomgate_gate_scan_to_door_seconds"); v != 2 {
		t.Errorf("scan→door observations = %v, want 2", v)
	}
	for _, fam := range []string{"roomgate_box_info", "roomgate_store_bytes", "process_resident_memory_bytes", "go_goroutines"} {
		if _, ok := m.Value(fam); !ok {
			t.Errorf("%s missing from the scrape", fam)
		}
	}
	if v, _ := m.Value("roomgate_store_bytes"); v <= 0 {
		t.Errorf("roomgate_store_bytes = %v, want the database's size", v)
	}
	for _, v := range m.LabelValues() {
		for _, personal := range []string{name, subject, passID, "Phòng Tiếp dân"} {
			if strings.Contains(v, personal) {
				t.Errorf("a label value %q carries %q", v, personal)
			}
		}
	}
	waitMetric(t, url, "roomgate_outbox_events", func(v float64) bool { return v == 0 })
	acked := waitMetric(t, url, "roomgate_link_acked_events_total", func(v float64) bool { return v >= 2 })

	c.broker.Stop(t)
	waitMetric(t, url, "roomgate_link_connected", func(v float64) bool { return v == 0 })
	before := len(ra.status(t).Entries)
	for i := range 5 {
		link.Write([]byte("garbage-while-offline\r"))
		ra.waitEntries(t, before+i+1)
	}
	waitMetric(t, url, "roomgate_outbox_events", func(v float64) bool { return v >= 5 })
	if age := waitMetric(t, url, "roomgate_outbox_oldest_age_seconds", func(v float64) bool { return v > 0 }); age > 60 {
		t.Errorf("oldest waiting record is %v s old, want the seconds since the broker stopped", age)
	}

	c.broker.Restart(t)
	waitMetric(t, url, "roomgate_outbox_events", func(v float64) bool { return v == 0 })
	waitMetric(t, url, "roomgate_link_acked_events_total", func(v float64) bool { return v >= acked+5 })
	m = metricstest.Scrape(t, url)
	if v, _ := m.Value("roomgate_link_connects_total"); v < 2 {
		t.Errorf("connects = %v, want at least 2 (a reconnect after the restart)", v)
	}
	if v, _ := m.Value("roomgate_gate_decisions_total", "result=denied", "reason=garbage"); v != 5 {
		t.Errorf("garbage denials = %v, want 5", v)
	}
	reasons := map[string]bool{}
	for _, mm := range m["roomgate_gate_decisions_total"].GetMetric() {
		for _, l := range mm.GetLabel() {
			if l.GetName() == "reason" {
				reasons[l.GetValue()] = true
			}
		}
	}
	for r := range reasons {
		if r != "none" && r != "other" && !slices.Contains(gate.Reasons(), r) {
			t.Errorf("reason label %q is not a gate reason code", r)
		}
	}
}
