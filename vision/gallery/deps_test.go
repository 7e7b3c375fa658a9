package gallery

import (
	"strings"
	"testing"

	"github.com/roomgate/roomgate/internal/golist"
)

// The gallery builds into the gate-only agent: no cgo, no database and no
// import of agent/ (dependencies point inward, the store feeds a Source).
func TestDependencies(t *testing.T) {
	for _, p := range golist.Deps(t, ".") {
		if strings.HasPrefix(p.ImportPath, "github.com/roomgate/roomgate/agent") || strings.HasPrefix(p.ImportPath, "modernc.org/") || len(p.CgoFiles) > 0 {
			t.Errorf("gallery depends on %s (cgo files: %d)", p.ImportPath, len(p.CgoFiles))
		}
	}
}
