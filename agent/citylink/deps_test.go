package citylink

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// paho stays behind this package: no other package of the agent imports it.
func TestOnlyImporterOfPaho(t *testing.T) {
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goTool, "list", "-e", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "github.com/roomgate/roomgate/agent/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, " ")
		if pkg != "github.com/roomgate/roomgate/agent/citylink" && strings.Contains(imports, "github.com/eclipse/paho.mqtt.golang") {
			t.Errorf("%s imports paho; only agent/citylink may", pkg)
		}
	}
}
