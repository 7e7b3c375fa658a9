package agent

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/pass"
	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/devices/door"
	"github.com/roomgate/roomgate/devices/door/doortest"
	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/internal/logbuf"
	"github.com/roomgate/roomgate/internal/socat"
	"github.com/roomgate/roomgate/kiosk"
)

type issuer struct {
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey
	kid  string
}

func newIssuer(t testing.TB) issuer {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return issuer{pub, priv, "city-1"}
}

func (is issuer) pass(t *testing.T, id string, aud string) string {
	t.Helper()
	now := time.Now()
	tok, err := pass.Sign(pass.Claims{ID: id, Issuer: "city", Subject: "V-1", Name: "Trần Thị Bích", Host: "Văn phòng UBND",
		Audience: []string{aud}, NotBefore: now.Add(-time.Hour), Expires: now.Add(time.Hour), Uses: 1}, is.kid, is.priv)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// testTechnicianPIN opens the staff status, where tests read the box's
// entries, devices and outbox.
const testTechnicianPIN = "135790"

// writeConfig writes a box config for tests and returns its path.
func writeConfig(t testing.TB, dir, scannerPath, safeState string, is issuer) string {
	t.Helper()
	yaml := fmt.Sprintf(`identity: {site: test-site, gate: test-gate, device: test-box}
board: sim
scanners:
  - {name: front, type: serial, path: %q, baud: 9600, terminator: any}
policy: {pulse: 200ms, safe_state: %s, clock_source: trusted, indicator: 100ms}
trust:
  issuers:
    - {kid: %s, iss: city, public_key: %s}
store: {path: roomgate.db}
http: {listen: "127.0.0.1:0"}
kiosk: {technician_pin: "%s"}
`, scannerPath, safeState, is.kid, base64.RawURLEncoding.EncodeToString(is.pub), testTechnicianPIN)
	path := filepath.Join(dir, "roomgate.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// appendConfig adds yaml at the end of the config file at path.
func appendConfig(t *testing.T, path, yaml string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(yaml); err != nil {
		t.Fatal(err)
	}
}

type runningAgent struct {
	lines   *doortest.Lines
	addr    net.Addr
	stop    context.CancelFunc
	done    chan error
	logBuf  *logbuf.Buffer
	session *http.Cookie // the technician's, once status logged in
}

func startAgent(t testing.TB, configPath string) *runningAgent {
	t.Helper()
	cfg, err := config.Load(configPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ra := &runningAgent{lines: &doortest.Lines{}, stop: cancel, done: make(chan error, 1), logBuf: &logbuf.Buffer{}}
	ready := make(chan net.Addr, 1)
	go func() {
		ra.done <- Run(ctx, cfg, Options{
			ConfigPath: configPath,
			ConfigDir:  filepath.Dir(configPath),
			Version:    "test",
			Log:        slog.New(slog.NewTextHandler(ra.logBuf, nil)),
			Ready:      func(a net.Addr) { ready <- a },
			Lines: func(onInput func(config.Role, bool, time.Time)) (door.Lines, error) {
				ra.lines.OnInput = onInput
				return ra.lines, nil
			},
			CityConfigPath: filepath.Join(filepath.Dir(configPath), "city-config.yaml"),
		})
	}()
	select {
	case ra.addr = <-ready:
	case err := <-ra.done:
		t.Fatalf("agent stopped before ready: %v\n%s", err, ra.logBuf)
	case <-time.After(10 * time.Second):
		t.Fatal("agent not ready in 10 s")
	}
	t.Cleanup(func() { ra.shutdown(t) })
	return ra
}

func (ra *runningAgent) shutdown(t testing.TB) {
	ra.stop()
	select {
	case err, ok := <-ra.done:
		if ok && err != nil {
			t.Errorf("Run() = %v, want nil after cancel", err)
		}
		if ok {
			close(ra.done)
		}
	case <-time.After(10 * time.Second):
		t.Error("agent did not stop within 10 s")
	}
}

// status is the kiosk's staff status, read in a technician's session.
func (ra *runningAgent) status(t testing.TB) kiosk.Snapshot {
	t.Helper()
	base := "http://" + ra.addr.String()
	if ra.session == nil {
		req, _ := http.NewRequest("POST", base+"/api/login", strings.NewReader(`{"role":"technician","pin":"`+testTechnicianPIN+`"}`))
		req.Header.Set("Origin", base)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for _, c := range resp.Cookies() {
			if c.Value != "" {
				ra.session = c
			}
		}
		if ra.session == nil {
			t.Fatalf("technician login = %d, no session", resp.StatusCode)
		}
	}
	req, _ := http.NewRequest("GET", base+"/api/staff/status", nil)
	req.AddCookie(ra.session)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/staff/status = %d", resp.StatusCode)
	}
	var snap kiosk.Snapshot
	if err := json.NewDecoder(resp.Body).Decode(&snap); err != nil {
		t.Fatal(err)
	}
	return snap
}

// waitEntries polls the status page until it lists n entries.
func (ra *runningAgent) waitEntries(t *testing.T, n int) []kiosk.Entry {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if snap := ra.status(t); len(snap.Entries) >= n {
			return snap.Entries
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("fewer than %d entries after 10 s; log:\n%s", n, ra.logBuf)
	return nil
}

// scanUntilSeen writes a line until the status page shows one more entry:
// the serial driver opens the port shortly after ready and drops what came before.
func scanUntilSeen(t *testing.T, ra *runningAgent, link *socat.Link, text string, before int) []kiosk.Entry {
	t.Helper()
	for range 50 {
		link.Write([]byte(text + "\r\n"))
		deadline := time.Now().Add(200 * time.Millisecond)
		for time.Now().Before(deadline) {
			if snap := ra.status(t); len(snap.Entries) > before {
				return snap.Entries
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	t.Fatalf("scan never reached the gate; log:\n%s", ra.logBuf)
	return nil
}

func TestAgentGateEndToEnd(t *testing.T) {
	dir := t.TempDir()
	link := socat.Pair(t, dir)
	is := newIssuer(t)
	ra := startAgent(t, writeConfig(t, dir, link.Device, "fail-secure", is))

	entries := scanUntilSeen(t, ra, link, is.pass(t, "p-1", "test-site/test-gate"), 0)
	if e := entries[0]; !e.Granted || e.Name != "Trần Thị Bích" || e.Scanner != "front" {
		t.Fatalf("first entry = %+v, want granted to Trần Thị Bích on front", e)
	}
	if !relayWentOn(ra.lines) || !ra.lines.Value(config.RoleGreenLED) {
		t.Errorf("after a grant: relay changes %v, green %v; want relay pulsed and green lit", ra.lines.Changes(), ra.lines.Value(config.RoleGreenLED))
	}

	link.Write([]byte(is.pass(t, "p-2", "test-site/other-gate") + "\r"))
	link.Write([]byte("\x00\xff\x1b[2Jgarbage\r"))
	entries = ra.waitEntries(t, 3)
	if entries[0].Reason != "garbage" || entries[1].Reason != "wrong_gate" {
		t.Errorf("latest entries = %+v, want garbage then wrong_gate denials", entries[:2])
	}
	if !ra.lines.Value(config.RoleRedLED) {
		t.Error("red LED off after a denial")
	}
	snap := ra.status(t)
	if snap.Outbox.Pending < 3 {
		t.Errorf("outbox pending = %d, want every entry waiting for the city", snap.Outbox.Pending)
	}
	healthy := map[string]bool{}
	for _, d := range snap.Devices {
		healthy[d.Name] = d.OK
	}
	if !healthy["door"] || !healthy["front"] {
		t.Errorf("devices = %+v, want door and front healthy", snap.Devices)
	}
}

func relayWentOn(l *doortest.Lines) bool {
	for _, c := range l.Changes() {
		if c.Role == config.RoleRelay && c.On {
			return true
		}
	}
	return false
}

// TestRelaySafeStateOnStop stops the agent in the middle of a grant pulse:
// the relay must end in the configured safe state and stay there.
func TestRelaySafeStateOnStop(t *testing.T) {
	for _, tc := range []struct {
		safeState string
		wantRelay bool
	}{{"fail-secure", false}, {"fail-safe", true}} {
		t.Run(tc.safeState, func(t *testing.T) {
			dir := t.TempDir()
			link := socat.Pair(t, dir)
			is := newIssuer(t)
			ra := startAgent(t, writeConfig(t, dir, link.Device, tc.safeState, is))
			scanUntilSeen(t, ra, link, is.pass(t, "p-1", "test-site/test-gate"), 0)
			ra.shutdown(t)
			if got := ra.lines.Value(config.RoleRelay); got != tc.wantRelay {
				t.Errorf("relay after stop = %v, want %v (%s)", got, tc.wantRelay, tc.safeState)
			}
			time.Sleep(300 * time.Millisecond) // past the pulse: nothing may re-energise it
			if got := ra.lines.Value(config.RoleRelay); got != tc.wantRelay {
				t.Errorf("relay 300 ms after stop = %v, want %v", got, tc.wantRelay)
			}
			if !ra.lines.Closed() {
				t.Error("door lines not released after stop")
			}
		})
	}
}

// TestDoorEventsAreKept drives the door contact without a grant: a forced-open
// alarm is recorded with its outbox row.
func TestDoorEventsAreKept(t *testing.T) {
	dir := t.TempDir()
	link := socat.Pair(t, dir)
	is := newIssuer(t)
	ra := startAgent(t, writeConfig(t, dir, link.Device, "fail-secure", is))
	ra.lines.Drive(config.RoleDoorSensor, true)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(ra.logBuf.String(), "kind=forced_open") {
		if time.Now().After(deadline) {
			t.Fatalf("no forced_open door event kept; log:\n%s", ra.logBuf)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if snap := ra.status(t); snap.Outbox.Pending != 1 {
		t.Errorf("outbox pending = %d, want the alarm waiting for the city", snap.Outbox.Pending)
	}
}

// TestKill9LosesNoCommittedEntry runs the real binary, streams scans into it
// and kills it with SIGKILL at random moments: every entry it reported as kept
// must be in the store, with its outbox row, and the database must be intact.
func TestKill9LosesNoCommittedEntry(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the agent binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "roomgate")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/roomgate/roomgate/agent/cmd/roomgate").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	link := socat.Pair(t, dir)
	is := newIssuer(t)
	cfgPath := writeConfig(t, dir, link.Device, "fail-secure", is)
	keptLine := regexp.MustCompile(`msg="entry kept" component=gate id=(\S+)`)

	reported := map[string]bool{}
	const rounds = 8
	scans := 0
	for round := range rounds {
		cmd := exec.Command(bin, "agent", "--config", cfgPath)
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ids := make(chan string, 1024)
		readDone := make(chan struct{})
		go func() {
			defer close(readDone)
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				if m := keptLine.FindStringSubmatch(sc.Text()); m != nil {
					ids <- m[1]
				}
			}
		}()
		killAt := time.Now().Add(time.Duration(300+rand.IntN(700)) * time.Millisecond)
		for time.Now().Before(killAt) {
			link.Write([]byte(is.pass(t, fmt.Sprintf("r%d-%d", round, scans), "test-site/test-gate") + "\r"))
			scans++
			time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond)
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		<-readDone
		close(ids)
		for id := range ids {
			reported[id] = true
		}
	}
	if len(reported) == 0 {
		t.Fatal("no entry was reported kept: the test proves nothing")
	}
	st, err := store.Open(filepath.Join(dir, "roomgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.IntegrityCheck(context.Background()); err != nil {
		t.Fatal(err)
	}
	kept, err := st.EntryIDs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for id := range reported {
		inOutbox, ok := kept[id]
		if !ok || !inOutbox {
			t.Errorf("entry %s was reported kept but is missing (in store %v, outbox row %v)", id, ok, inOutbox)
		}
	}
	t.Logf("%d rounds, %d scans written, %d entries reported kept, %d in store", rounds, scans, len(reported), len(kept))
}

// A box configured with the research-only recogniser runs, and its log says
// plainly that it may not be deployed at a city site.
func TestResearchModelWarnedInTheLog(t *testing.T) {
	dir := t.TempDir()
	path := writeConfig(t, dir, socat.Pair(t, dir).Device, "fail-secure", newIssuer(t))
	appendConfig(t, path, "vision: {recognizer: mobilefacenet_y1}\n")
	ra := startAgent(t, path)
	if log := ra.logBuf.String(); !strings.Contains(log, "config: vision.recognizer: mobilefacenet_y1 is licensed for non-commercial research only") ||
		!strings.Contains(log, "it must not be deployed at a city site") {
		t.Errorf("the agent's log does not warn of the research model:\n%s", log)
	}
}
