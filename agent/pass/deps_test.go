package pass

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The gate's verifier stays on the standard library: no JOSE library (or
// anything else) may creep into its non-test dependencies.
func TestStandardLibraryOnly(t *testing.T) {
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if p != "github.com/roomgate/roomgate/agent/pass" {
			t.Errorf("agent/pass depends on %s, want the standard library only", p)
		}
	}
}
