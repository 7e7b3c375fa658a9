package wire

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The city side imports this package: it must not drag anything with it.
func TestStandardLibraryOnly(t *testing.T) {
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if p != "github.com/roomgate/roomgate/agent/wire" {
			t.Errorf("agent/wire depends on %s, want the standard library only", p)
		}
	}
}
