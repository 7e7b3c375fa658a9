package gallery

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The gallery builds into the gate-only agent: no cgo, no database and no
// import of agent/ (dependencies point inward, the store feeds a Source).
func TestDependencies(t *testing.T) {
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	cmd := exec.Command(goTool, "list", "-deps", "-f", `{{.ImportPath}} {{len .CgoFiles}}`, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, cgo, _ := strings.Cut(line, " ")
		if strings.HasPrefix(pkg, "github.com/roomgate/roomgate/agent") || strings.HasPrefix(pkg, "modernc.org/") || cgo != "0" {
			t.Errorf("gallery depends on %s (cgo files: %s)", pkg, cgo)
		}
	}
}
