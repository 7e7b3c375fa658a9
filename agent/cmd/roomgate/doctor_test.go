package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent"
	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/internal/socat"
	"github.com/roomgate/roomgate/provisioning/doctor"
)

// doctorConfig is a box with a scanner on a pty and no city link: every
// check passes but the city's, a warning.
func doctorConfig(t *testing.T, listen string) string {
	t.Helper()
	dir := t.TempDir()
	link := socat.Pair(t, dir)
	path := filepath.Join(dir, "roomgate.yaml")
	yaml := fmt.Sprintf(`identity: {site: test-site, gate: test-gate, device: test-box}
board: sim
scanners:
  - {name: front, type: serial, path: %q, baud: 9600, terminator: any}
policy: {clock_source: trusted}
store: {path: roomgate.db}
http: {listen: %q}
`, link.Device, listen)
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// runCmd runs `roomgate command args...` and returns its exit code and
// output; an error other than an exit code fails the test.
func runCmd(t *testing.T, command string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(append([]string{command}, args...), &out, &errOut)
	var ec exitCode
	switch {
	case err == nil:
	case errors.As(err, &ec):
		code = int(ec)
	default:
		t.Fatalf("roomgate %s %v = %v\n%s", command, args, err, errOut.String())
	}
	return code, out.String(), errOut.String()
}

// TestDoctorCommandStandalone: with no agent, the command tests the devices
// itself; warnings only exit 2; -json is the report; -lang vi speaks
// Vietnamese.
func TestDoctorCommandStandalone(t *testing.T) {
	path := doctorConfig(t, "")
	code, out, stderr := runCmd(t, "doctor", "-config", path)
	if code != doctor.ExitWarnings || !strings.Contains(stderr, "no agent is running") {
		t.Errorf("doctor = exit %d, stderr %q; want exit 2 and a word that no agent runs", code, stderr)
	}
	for _, want := range []string{"ok       scanner:front", "warning  city", "→ Provision the box", "6 checks in"} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCmd(t, "doctor", "-config", path, "-json")
	var rep doctor.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != doctor.ExitWarnings || len(rep.Results) != 6 {
		t.Errorf("doctor -json = exit %d, %d results, %v:\n%s", code, len(rep.Results), err, out)
	}
	if _, out, _ = runCmd(t, "doctor", "-config", path, "-lang", "vi"); !strings.Contains(out, "máy quét đã kết nối") {
		t.Errorf("doctor -lang vi is not in Vietnamese:\n%s", out)
	}
	var o, e bytes.Buffer
	if err := run([]string{"doctor", "-config", path, "-lang", "fr"}, &o, &e); !errors.Is(err, errUsage) {
		t.Errorf("doctor -lang fr = %v, want a usage error", err)
	}
}

// TestDoctorCommandAsksTheAgent: with the agent running, the command asks
// it over its loopback server, with the token it left beside the store.
func TestDoctorCommandAsksTheAgent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listen := ln.Addr().String()
	ln.Close()
	path := doctorConfig(t, listen)
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan net.Addr, 1)
	go func() {
		done <- agent.Run(ctx, cfg, agent.Options{ConfigPath: path, ConfigDir: filepath.Dir(path), Log: slog.New(slog.DiscardHandler), Ready: func(a net.Addr) { ready <- a }})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("agent.Run = %v", err)
		}
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("agent stopped: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("agent not ready in 10 s")
	}
	code, out, stderr := runCmd(t, "doctor", "-config", path)
	if code != doctor.ExitWarnings || strings.Contains(stderr, "no agent") || !strings.Contains(out, "ok       scanner:front") {
		t.Errorf("doctor with the agent running = exit %d, stderr %q:\n%s", code, stderr, out)
	}

	// A token that is not the agent's is refused, and said so.
	if err := os.WriteFile(agent.DoctorTokenPath(cfg, filepath.Dir(path)), []byte("stale"), 0o600); err != nil {
		t.Fatal(err)
	}
	var o, e bytes.Buffer
	if err := run([]string{"doctor", "-config", path}, &o, &e); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("doctor with a stale token = %v, want the agent's refusal", err)
	}
}

// TestDoctorOnAPackagedBox: the package's config names no box; the doctor
// says the box must be provisioned first, then checks the provisioned one.
func TestDoctorOnAPackagedBox(t *testing.T) {
	own := doctorConfig(t, "")
	etc := t.TempDir()
	path := filepath.Join(etc, "roomgate.yaml")
	if err := os.WriteFile(path, []byte("board: generic\nprovisioning: {dir: "+filepath.Join(etc, "provisioning")+"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var o, e bytes.Buffer
	if err := run([]string{"doctor", "-config", path}, &o, &e); err == nil || !strings.Contains(err.Error(), "not provisioned yet") {
		t.Fatalf("doctor on an unprovisioned box = %v, want it to say so", err)
	}
	// Provisioned: the directory holds the box's own config, as provisioning writes it.
	if err := os.Symlink(filepath.Dir(own), filepath.Join(etc, "provisioning")); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runCmd(t, "doctor", "-config", path); code != doctor.ExitWarnings || !strings.Contains(out, "ok       scanner:front") {
		t.Errorf("doctor on the provisioned box = exit %d:\n%s", code, out)
	}
}
