package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/citysign"
	"github.com/roomgate/roomgate/agent/pass"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/deploy/city/mqttclient"
	"github.com/roomgate/roomgate/internal/logbuf"
	"github.com/roomgate/roomgate/internal/mqtttest"
	"github.com/roomgate/roomgate/internal/socat"
)

// boxYAML is a config for box test-box whose store is in stateDir; extra is
// appended (a sync section).
func boxYAML(t *testing.T, scanner, stateDir, pulse, extra string) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`identity: {site: test-site, gate: test-gate, device: test-box}
board: sim
scanners:
  - {name: front, type: serial, path: %q, baud: 9600, terminator: any}
policy: {pulse: %s, safe_state: fail-secure, clock_source: trusted}
trust:
  issuers:
    - {kid: city-1, iss: city, public_key: %s}
store: {path: %q}
http: {listen: "127.0.0.1:0"}
%s`, scanner, pulse, base64.RawURLEncoding.EncodeToString(pub), filepath.Join(stateDir, "roomgate.db"), extra)
}

// The city's config in the state directory wins over the local one when
// it is valid and names this box; otherwise the local one runs and the log
// says why.
func TestLoadConfigPrefersTheCity(t *testing.T) {
	etc, state := t.TempDir(), t.TempDir()
	path := filepath.Join(etc, "roomgate.yaml")
	local := boxYAML(t, "/dev/ttyUSB0", state, "3s", "")
	if err := os.WriteFile(path, []byte(local), 0o600); err != nil {
		t.Fatal(err)
	}
	cityPath := filepath.Join(state, cityConfigName)
	for _, tc := range []struct {
		name, city string // city "" means no file
		pulse      time.Duration
		warning    string
	}{
		{"no city config", "", 3 * time.Second, ""},
		{"valid city config", strings.Replace(local, "pulse: 3s", "pulse: 5s", 1), 5 * time.Second, ""},
		{"broken YAML", "identity: [", 3 * time.Second, "city-config.yaml:1"},
		{"invalid", strings.Replace(local, "pulse: 3s", "pulse: -1s", 1), 3 * time.Second, "policy.pulse"},
		{"another box", strings.Replace(local, "device: test-box", "device: other-box", 1), 3 * time.Second, "identity"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(cityPath)
			if tc.city != "" {
				if err := os.WriteFile(cityPath, []byte(tc.city), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			var logged bytes.Buffer
			cfg, local, gotPath, err := loadConfig(path, slog.New(slog.NewTextHandler(&logged, nil)))
			if err != nil {
				t.Fatalf("loadConfig = %v", err)
			}
			if gotPath != cityPath {
				t.Errorf("city config path = %s, want %s (beside the store)", gotPath, cityPath)
			}
			if got := cfg.Policy.Pulse.D(); got != tc.pulse {
				t.Errorf("pulse = %v, want %v", got, tc.pulse)
			}
			if got := local.Policy.Pulse.D(); got != 3*time.Second {
				t.Errorf("local config's pulse = %v, want 3s", got)
			}
			if tc.warning != "" && (!strings.Contains(logged.String(), "set aside") || !strings.Contains(logged.String(), tc.warning)) {
				t.Errorf("log = %q, want the city's config set aside naming %q", logged.String(), tc.warning)
			}
			if tc.warning == "" && strings.Contains(logged.String(), "level=WARN") {
				t.Errorf("log = %q, want no warning", logged.String())
			}
		})
	}
	if err := os.WriteFile(path, []byte("identity: ["), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := loadConfig(path, slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))); err == nil {
		t.Error("loadConfig(broken local config) = nil, want an error")
	}
}

// sandbox is the shell run under `unshare -m`: the shipped unit's
// ProtectSystem=strict with ReadWritePaths=$STATE. Every mount but /proc,
// /sys and /dev (the unit leaves those to other settings) is made read-only
// in a private mount namespace; $STATE is bind-mounted onto itself first, so
// it alone stays writable. It then proves the sandbox holds and runs the
// agent in it.
const sandbox = `set -eu
mount --bind "$STATE" "$STATE"
findmnt -rno TARGET | while read -r m; do
	case "$m" in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*|"$STATE") continue ;; esac
	mount -o remount,bind,ro "$m" 2>/dev/null || mount -o remount,ro "$m"
done
if touch "$ETC/probe" 2>/dev/null; then echo "sandbox: $ETC is writable" >&2; exit 97; fi
touch "$STATE/probe"
exec "$BIN" agent --config "$ETC/roomgate.yaml"
`

// sandboxedAgent runs the real binary in the sandbox until the test ends.
type sandboxedAgent struct {
	cmd  *exec.Cmd
	log  *logbuf.Buffer
	done chan error
}

func startSandboxed(t *testing.T, bin, etc, state string) *sandboxedAgent {
	t.Helper()
	a := &sandboxedAgent{log: &logbuf.Buffer{}, done: make(chan error, 1)}
	a.cmd = exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c", sandbox)
	a.cmd.Env = append(os.Environ(), "BIN="+bin, "ETC="+etc, "STATE="+state)
	a.cmd.Stdout, a.cmd.Stderr = a.log, a.log
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { a.done <- a.cmd.Wait() }()
	t.Cleanup(func() { a.stop(t) })
	return a
}

func (a *sandboxedAgent) stop(t *testing.T) {
	if a.cmd.ProcessState != nil || a.done == nil {
		return
	}
	a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.done:
	case <-time.After(10 * time.Second):
		a.cmd.Process.Kill()
		<-a.done
		t.Error("the agent did not stop within 10 s of SIGTERM")
	}
	a.done = nil
}

// A config the city sends through a real broker is written to the state
// directory and applied by the real binary running in the unit's sandbox,
// whose config directory is read-only; a broken one there is set aside and
// the box runs on its local config.
func TestCityConfigUnderSandbox(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("unshare -m needs root (CI runs as root)")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Fatal("unshare not found: apt-get install util-linux")
	}
	tmp := t.TempDir()
	etc, state, devDir := filepath.Join(tmp, "etc"), filepath.Join(tmp, "state"), filepath.Join(tmp, "dev")
	for _, d := range []string{etc, state, devDir} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(tmp, "roomgate")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	b := mqtttest.Start(t)
	certFile, keyFile := b.ClientCert(t, "test-box")
	link := socat.Pair(t, devDir)
	// The box takes a config only when the city's key signed it for this box.
	cityOps := citysign.Signer{Key: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize)), Kid: "city-ops"}
	cityPub, err := pass.MarshalPublicKeyPEM(cityOps.Key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	cityKey := filepath.Join(etc, "city-ops.pub")
	if err := os.WriteFile(cityKey, cityPub, 0o644); err != nil {
		t.Fatal(err)
	}
	syncYAML := fmt.Sprintf("sync: {broker: %q, ca_file: %q, cert_file: %q, key_file: %q, city_key: %q, backoff_min: 100ms, backoff_max: 1s, state_every: 1s}\n",
		b.URL, b.CAFile, certFile, keyFile, cityKey)
	local := boxYAML(t, link.Device, state, "200ms", syncYAML)
	if err := os.WriteFile(filepath.Join(etc, "roomgate.yaml"), []byte(local), 0o600); err != nil {
		t.Fatal(err)
	}

	states := make(chan wire.State, 256)
	opsCert, opsKey := b.ClientCert(t, "city-ops")
	ops, err := mqttclient.New(mqttclient.Config{Broker: b.URL, CAFile: b.CAFile, CertFile: opsCert, KeyFile: opsKey,
		Subscriptions: []string{wire.Topic("test-box", wire.LeafState)},
		OnMessage: func(m mqttclient.Message) {
			m.Ack()
			if st, err := wire.DecodeState(m.Payload); err == nil {
				states <- st
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := ops.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ops.Close)
	a := startSandboxed(t, bin, etc, state)
	waitState := func(what string, ok func(wire.State) bool) wire.State {
		t.Helper()
		timeout := time.After(30 * time.Second)
		for {
			select {
			case st := <-states:
				if ok(st) {
					return st
				}
			case err := <-a.done:
				t.Fatalf("the agent exited (%v) waiting for %s:\n%s", err, what, a.log.String())
			case <-timeout:
				t.Fatalf("no state with %s within 30 s:\n%s", what, a.log.String())
			}
		}
	}
	waitState("the box online", func(st wire.State) bool { return st.Online && st.Versions.Config == 0 })

	next := strings.Replace(local, "pulse: 200ms", "pulse: 300ms", 1)
	payload, err := cityOps.Config("test-box", wire.Config{Version: 1, YAML: next}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := ops.Publish(context.Background(), wire.Topic("test-box", wire.LeafConfig), payload, true); err != nil {
		t.Fatal(err)
	}
	st := waitState("config v1 answered", func(st wire.State) bool {
		return st.Config.Version == 1 && (st.Config.Error != "" || st.Versions.Config == 1)
	})
	if st.Config.Error != "" {
		t.Fatalf("config v1 refused under the sandbox: %s", st.Config.Error)
	}
	if got, err := os.ReadFile(filepath.Join(state, cityConfigName)); err != nil || string(got) != next {
		t.Fatalf("%s = %q, %v; want config v1", cityConfigName, got, err)
	}
	if got, _ := os.ReadFile(filepath.Join(etc, "roomgate.yaml")); string(got) != local {
		t.Error("the local config changed")
	}
	if !strings.Contains(a.log.String(), "running on the city's config") {
		t.Errorf("the agent did not reload on the city's config:\n%s", a.log.String())
	}

	// A city config that no longer validates (damaged on disk, or refused by
	// a newer agent) is set aside at the next start: the box runs on its
	// local config (its config version back to 0) and so takes the city's
	// retained config again.
	a.stop(t)
	if err := os.WriteFile(filepath.Join(state, cityConfigName), []byte("identity: ["), 0o600); err != nil {
		t.Fatal(err)
	}
	a = startSandboxed(t, bin, etc, state)
	waitState("config v1 in force again", func(st wire.State) bool {
		return st.Online && st.Versions.Config == 1 && strings.Contains(a.log.String(), "running on the city's config")
	})
	log := a.log.String()
	aside, running := strings.Index(log, "the city's config is set aside"), strings.Index(log, "running on the city's config")
	if aside < 0 || running < aside {
		t.Errorf("a broken city config: want it set aside, then the retained one applied again:\n%s", log)
	}
	if got, err := os.ReadFile(filepath.Join(state, cityConfigName)); err != nil || string(got) != next {
		t.Errorf("%s after the retained config came again = %q, %v; want config v1", cityConfigName, got, err)
	}
}
