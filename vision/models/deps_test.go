package models

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Without the vision tag nothing may pull in gocv or cgo: this package (so
// config validation can use it), vision/face (only its doc.go), visionbench
// and the gate-only agent all build with CGO_ENABLED=0.
func TestNoOpenCVWithoutTag(t *testing.T) {
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	for _, pkg := range []string{".", "../face", "../cmd/visionbench", "../../agent/cmd/roomgate"} {
		cmd := exec.Command(goTool, "list", "-deps", "-f", `{{.ImportPath}} {{len .CgoFiles}}`, pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			dep, cgo, _ := strings.Cut(line, " ")
			if strings.HasPrefix(dep, "gocv.io/") || cgo != "0" {
				t.Errorf("%s depends on %s (cgo files: %s) without the vision tag", pkg, dep, cgo)
			}
		}
	}
}
