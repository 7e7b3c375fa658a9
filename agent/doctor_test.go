package agent

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/wire"
	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/internal/mqtttest"
	"github.com/roomgate/roomgate/internal/socat"
	"github.com/roomgate/roomgate/kiosk"
	"github.com/roomgate/roomgate/provisioning/doctor"
)

// doctorBox writes the config of a box with a scanner on a pty, the
// simulated Poly and a link to a real broker.
func doctorBox(t *testing.T, c *city) (cfgPath string, link *socat.Link) {
	t.Helper()
	dir := t.TempDir()
	link = socat.Pair(t, dir)
	cfgPath = c.boxConfig(t, dir, link.Device, newIssuer(t))
	appendConfig(t, cfgPath, "terminal: {name: room-poly, kind: poly, sim: true}\n")
	return cfgPath, link
}

// postDoctor asks the agent for a self-test with the local token and
// calls onEvent with each event of the stream.
func postDoctor(t *testing.T, ra *runningAgent, token string, asked []string, onEvent func(doctor.Event)) (int, doctor.Report) {
	t.Helper()
	body, _ := json.Marshal(map[string][]string{"interactive": asked})
	req, _ := http.NewRequest("POST", "http://"+ra.addr.String()+"/api/doctor", bytes.NewReader(body))
	if token != "" {
		req.Header.Set(kiosk.DoctorTokenHeader, token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, doctor.Report{}
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var ev doctor.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("doctor stream line %q: %v", sc.Text(), err)
		}
		onEvent(ev)
		if ev.Report != nil {
			return resp.StatusCode, *ev.Report
		}
	}
	t.Fatalf("doctor stream ended without a report: %v", sc.Err())
	return 0, doctor.Report{}
}

// verdicts maps each check to its verdict.
func verdicts(rep doctor.Report) map[string]doctor.Verdict {
	out := map[string]doctor.Verdict{}
	for _, r := range rep.Results {
		out[r.Check] = r.Verdict
	}
	return out
}

// TestDoctorOverTheRunningAgent: the command's request reaches the agent's
// devices; the technician scans, the door opens and the exit button is
// pressed when asked; a test scan never reaches the gate; the city sees
// the summary in state, and its self_test command runs the checks again.
func TestDoctorOverTheRunningAgent(t *testing.T) {
	c := &city{broker: mqtttest.Start(t)}
	o := startOps(t, c.broker)
	cfgPath, link := doctorBox(t, c)
	ra := startAgent(t, cfgPath)
	o.waitState(t, "the box online", func(st wire.State) bool { return st.Online && st.Link.Connected })
	token, err := os.ReadFile(filepath.Join(filepath.Dir(cfgPath), DoctorTokenName))
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(filepath.Dir(cfgPath), DoctorTokenName)); fi.Mode().Perm() != 0o600 {
		t.Errorf("doctor token mode %v, want 0600", fi.Mode().Perm())
	}
	if code, _ := postDoctor(t, ra, "wrong", nil, nil); code != http.StatusForbidden {
		t.Errorf("doctor with a wrong token = %d, want 403", code)
	}
	if code, _ := postDoctor(t, ra, "", nil, nil); code != http.StatusForbidden {
		t.Errorf("doctor without a token or session = %d, want 403", code)
	}

	// The technician acts once each interactive check has said what to do,
	// and keeps at it until the check answers, as a person would.
	var acting sync.WaitGroup
	var stop chan struct{} // closed when the check being acted on answers
	act := func(stop <-chan struct{}, first, every time.Duration, f func()) {
		acting.Add(1)
		go func() {
			defer acting.Done()
			for wait := first; ; wait = every {
				select {
				case <-stop:
					return
				case <-time.After(wait):
				}
				f()
			}
		}()
	}
	asked := []string{"scan:front", "door-loop", "exit-button"}
	var prompts []string
	_, rep := postDoctor(t, ra, string(token), asked, func(ev doctor.Event) {
		if ev.Result != nil && stop != nil {
			close(stop)
			stop = nil
		}
		if ev.Prompt == nil {
			return
		}
		prompts = append(prompts, ev.Running)
		stop = make(chan struct{})
		switch ev.Running {
		case "scan:front":
			// A person reads the prompt before scanning, and scans again only
			// when nothing happened for a while: a scan before the check
			// listens, or after it answered, is an ordinary scan at the gate.
			act(stop, 300*time.Millisecond, 2*time.Second, func() { link.Write([]byte("TEST-SCAN\r")) })
		case "door-loop":
			// The technician's hand is on the door: it opens within the
			// 200 ms pulse, once per release (a 300 ms look missed it).
			released := false
			act(stop, 0, 5*time.Millisecond, func() {
				on := ra.lines.Value(config.RoleRelay)
				if on && !released {
					ra.lines.Drive(config.RoleDoorSensor, true)
					time.Sleep(20 * time.Millisecond)
					ra.lines.Drive(config.RoleDoorSensor, false)
				}
				released = on
			})
		case "exit-button":
			act(stop, 300*time.Millisecond, 2*time.Second, func() {
				ra.lines.Drive(config.RoleExitButton, true)
				time.Sleep(20 * time.Millisecond)
				ra.lines.Drive(config.RoleExitButton, false)
			})
		}
	})
	acting.Wait()
	if !slices.Equal(prompts, asked) {
		t.Errorf("prompts for %v, want %v", prompts, asked)
	}
	want := map[string]doctor.Verdict{"scanner:front": doctor.OK, "scan:front": doctor.OK, "door": doctor.OK, "door-loop": doctor.OK,
		"exit-button": doctor.OK, "terminal:room-poly": doctor.OK, "city": doctor.OK, "clock": doctor.OK, "disk": doctor.OK, "memory": doctor.OK}
	if got := verdicts(rep); !mapsEqual(got, want) {
		t.Errorf("doctor = %v, want %v\n%+v", got, want, rep.Results)
	}
	if n := len(ra.status(t).Entries); n != 0 {
		t.Errorf("the test scan made %d entries at the gate, want none", n)
	}
	if !strings.Contains(ra.logBuf.String(), "kind="+KindTestPulse) {
		t.Error("the technician's door pulse is not kept as a door event")
	}
	st := o.waitState(t, "the self-test in state", func(st wire.State) bool { return st.Doctor != nil && st.Doctor.OK == len(want) })
	if st.Doctor.Failures != 0 || len(st.Doctor.Failing) != 0 {
		t.Errorf("state's doctor = %+v, want all ok", st.Doctor)
	}

	r := o.command(t, wire.Command{ID: "c-self-test", Name: wire.CmdSelfTest})
	var got wire.DoctorState
	if raw, _ := r.Result.(json.RawMessage); !r.OK || json.Unmarshal(raw, &got) != nil {
		t.Fatalf("self_test = %+v, want ok with a summary", r)
	}
	// Without a technician the interactive checks do not run.
	if got.OK != len(want)-len(asked) || got.Failures != 0 || !got.Time.After(st.Doctor.Time) {
		t.Errorf("self_test summary = %+v, want %d ok and a newer time than %v", got, len(want)-len(asked), st.Doctor.Time)
	}
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestDoctorStandalone: with no agent running, the doctor opens the
// scanner's pty, the simulated Poly and its own connection to the broker;
// an unplugged scanner and a stopped broker are failures with remedies.
func TestDoctorStandalone(t *testing.T) {
	c := &city{broker: mqtttest.Start(t)}
	cfgPath, link := doctorBox(t, c)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{ConfigPath: cfgPath, ConfigDir: filepath.Dir(cfgPath)}
	ctx := context.Background()
	scanned := make(chan struct{})
	go func() {
		for {
			select {
			case <-scanned:
				return
			case <-time.After(300 * time.Millisecond):
				link.Write([]byte("TEST-SCAN\r"))
			}
		}
	}()
	rep, err := Doctor(ctx, cfg, opts, []string{"scan:front"}, nil)
	close(scanned)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]doctor.Verdict{"scanner:front": doctor.OK, "scan:front": doctor.OK, "door": doctor.OK,
		"terminal:room-poly": doctor.OK, "city": doctor.OK, "clock": doctor.OK, "disk": doctor.OK, "memory": doctor.OK}
	if got := verdicts(rep); !mapsEqual(got, want) {
		t.Errorf("standalone doctor = %v, want %v\n%+v", got, want, rep.Results)
	}

	link.Unplug()
	c.broker.Stop(t)
	rep, err = Doctor(ctx, cfg, opts, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		switch r.Check {
		case "scanner:front", "city":
			if r.Verdict != doctor.Failure || r.Remedy == nil || r.Detail == "" {
				t.Errorf("%s with its device gone = %+v, want a failure with detail and remedy", r.Check, r)
			}
		}
	}
	if rep.ExitCode() != doctor.ExitFailure {
		t.Errorf("ExitCode = %d, want %d", rep.ExitCode(), doctor.ExitFailure)
	}
}
