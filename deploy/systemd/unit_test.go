package systemd

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const unit = "roomgate.service"

func parseUnit(t *testing.T, name string) map[string][]string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := Service(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return s
}

// The benchmarks run the agent in the unit's environment; glibc's arena
// limit is measured there (agent's BenchmarkVisionAgentMemory).
func TestAgentEnvironment(t *testing.T) {
	env, err := AgentEnvironment()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(env, func(e string) bool { return strings.HasPrefix(e, "MALLOC_ARENA_MAX=") }) {
		t.Errorf("the agent's environment %q sets no MALLOC_ARENA_MAX", env)
	}
}

func TestUnitHardening(t *testing.T) {
	got := parseUnit(t, unit)
	for key, want := range map[string][]string{
		"User":                    {"roomgate"},
		"UMask":                   {"0077"},
		"StateDirectory":          {"roomgate"},
		"StateDirectoryMode":      {"0700"},
		"ProtectSystem":           {"strict"},
		"ReadWritePaths":          {"/var/lib/roomgate"},
		"NoNewPrivileges":         {"yes"},
		"CapabilityBoundingSet":   {""},
		"AmbientCapabilities":     {""},
		"RestrictAddressFamilies": {"AF_UNIX AF_INET AF_INET6"},
		"SystemCallFilter":        {"@system-service", "~@privileged @resources"},
		"SystemCallArchitectures": {"native"},
		"LockPersonality":         {"yes"},
		"MemoryDenyWriteExecute":  {"yes"},
		"ProtectKernelTunables":   {"yes"},
		"ProtectKernelModules":    {"yes"},
		"ProtectKernelLogs":       {"yes"},
		"ProtectControlGroups":    {"yes"},
		"RestrictNamespaces":      {"yes"},
		"RestrictRealtime":        {"yes"},
		"DevicePolicy":            {"closed"},
	} {
		if !slices.Equal(got[key], want) {
			t.Errorf("%s: %s = %q, want %q", unit, key, got[key], want)
		}
	}
	// Only the device classes the agent drives; never block devices, memory
	// or everything.
	for _, d := range got["DeviceAllow"] {
		class, _, _ := strings.Cut(d, " ")
		if !slices.Contains([]string{"char-gpiochip", "char-ttyUSB", "char-ttyACM", "char-ttyAMA", "char-input", "char-video4linux"}, class) {
			t.Errorf("%s: DeviceAllow=%s, want only GPIO, serial, input and video classes", unit, d)
		}
	}
	if len(got["DeviceAllow"]) == 0 {
		t.Errorf("%s: no DeviceAllow, want the GPIO, serial, input and video classes", unit)
	}
}

// systemd's own judgement of the sandbox: the agent's unit scored 8.5
// ("EXPOSED") before it was hardened, 1.5 after; the kiosk screen's 2.5
// (Chromium needs its JIT and its sandbox's namespaces).
func TestUnitExposure(t *testing.T) {
	bin, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatal("systemd-analyze not found: apt-get install systemd")
	}
	for _, u := range []struct {
		name      string
		threshold string // tenths
	}{{unit, "20"}, {"roomgate-kiosk.service", "25"}} {
		out, err := exec.Command(bin, "security", "--offline=true", "--threshold="+u.threshold, u.name).CombinedOutput()
		if err != nil {
			t.Errorf("systemd-analyze security --threshold=%s %s: %v\n%s", u.threshold, u.name, err, out)
		}
	}
}
