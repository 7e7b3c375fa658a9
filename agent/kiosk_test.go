package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/event"
	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/internal/socat"
)

// sseEvent is one server-sent event of the kiosk's stream.
type sseEvent struct {
	kind string
	data map[string]any
}

// kioskEvents reads the kiosk's event stream into a channel until the test ends.
func kioskEvents(t *testing.T, ra *runningAgent) <-chan sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+ra.addr.String()+"/api/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan sseEvent, 256)
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		var kind string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				kind = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && kind != "" && kind != "change" && kind != "faces":
				ev := sseEvent{kind: kind}
				json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.data)
				select {
				case out <- ev:
				default:
				}
			case line == "":
				kind = ""
			}
		}
	}()
	return out
}

// TestKioskPublicViewHidesTheGate: a visitor's scan reaches the public
// stream as a verdict and a reason code, and the public status shows
// nothing of it; the staff status has the whole entry.
func TestKioskPublicViewHidesTheGate(t *testing.T) {
	dir := t.TempDir()
	link := socat.Pair(t, dir)
	is := newIssuer(t)
	ra := startAgent(t, writeConfig(t, dir, link.Device, "fail-secure", is))
	events := kioskEvents(t, ra)
	entries := scanUntilSeen(t, ra, link, is.pass(t, "p-visitor", "test-site/test-gate"), 0)
	if e := entries[0]; !e.Granted || e.Name != "Trần Thị Bích" || e.PassID != "p-visitor" {
		t.Fatalf("staff status entry = %+v, want the granted visitor with name and pass id", e)
	}
	timeout := time.After(10 * time.Second)
	for gate := false; !gate; {
		select {
		case ev := <-events:
			if ev.kind != "gate" {
				continue
			}
			gate = true
			var keys []string
			for k := range ev.data {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if want := []string{"at", "granted", "method"}; !slices.Equal(keys, want) || ev.data["granted"] != true {
				t.Errorf("public gate event %v, want only %q", ev.data, want)
			}
		case <-timeout:
			t.Fatal("no gate event on the public stream in 10 s")
		}
	}
	resp, err := http.Get("http://" + ra.addr.String() + "/api/status")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, secret := range []string{"Trần Thị Bích", "p-visitor", "entries", "devices", "outbox", "front"} {
		if strings.Contains(string(body), secret) {
			t.Errorf("public status shows %q: %s", secret, body)
		}
	}
}

// kioskLogin tries a PIN at the kiosk and returns its answer.
func kioskLogin(t *testing.T, ra *runningAgent, role, pin string) map[string]any {
	t.Helper()
	base := "http://" + ra.addr.String()
	req, _ := http.NewRequest("POST", base+"/api/login", strings.NewReader(`{"role":"`+role+`","pin":"`+pin+`"}`))
	req.Header.Set("Origin", base)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var reply map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil {
		t.Fatalf("login as %s = %d: %v", role, resp.StatusCode, err)
	}
	return reply
}

// TestKioskLoginFailuresAreKeptAndSent: each wrong PIN is an event for
// the city with the role and the count (never the PIN), and a lockout
// holds across a restart of the agent.
func TestKioskLoginFailuresAreKeptAndSent(t *testing.T) {
	dir := t.TempDir()
	link := socat.Pair(t, dir)
	path := writeConfig(t, dir, link.Device, "fail-secure", newIssuer(t))
	ra := startAgent(t, path)
	const wrong = "975312"
	for i := 1; i <= 5; i++ {
		reply := kioskLogin(t, ra, "technician", wrong)
		if want := map[bool]string{true: "locked", false: "wrong_pin"}[i == 5]; reply["error"] != want {
			t.Fatalf("wrong PIN #%d = %v, want %s", i, reply, want)
		}
	}
	ra.shutdown(t)

	st, err := store.Open(filepath.Join(dir, "roomgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	pending, err := st.Pending(context.Background(), 0, 100, 1<<20)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	var counts []float64
	for _, ev := range pending {
		if strings.Contains(string(ev.Payload), wrong) {
			t.Errorf("event %s carries the PIN typed: %s", ev.ID, ev.Payload)
		}
		var env struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal(ev.Payload, &env); err != nil {
			t.Fatal(err)
		}
		if env.Type != event.TypeLoginFailed {
			continue
		}
		if env.Data["role"] != "technician" {
			t.Errorf("login failure %v, want role technician", env.Data)
		}
		counts = append(counts, env.Data["failures"].(float64))
		if _, locked := env.Data["locked_until"]; locked != (len(counts) == 5) {
			t.Errorf("login failure %v: locked_until only on the fifth", env.Data)
		}
	}
	if !slices.Equal(counts, []float64{1, 2, 3, 4, 5}) {
		t.Errorf("login failure events counted %v, want 1..5", counts)
	}

	ra = startAgent(t, path)
	if reply := kioskLogin(t, ra, "technician", testTechnicianPIN); reply["error"] != "locked" || reply["retry_after"].(float64) <= 0 {
		t.Errorf("right PIN after a restart within the lockout = %v, want locked", reply)
	}
}
