package pass

import (
	"testing"

	"github.com/roomgate/roomgate/internal/golist"
)

// The gate's verifier stays on the standard library: no JOSE library (or
// anything else) may creep into its non-test dependencies.
func TestStandardLibraryOnly(t *testing.T) {
	for _, p := range golist.Deps(t, ".") {
		if !p.Standard && p.ImportPath != "github.com/roomgate/roomgate/agent/pass" {
			t.Errorf("agent/pass depends on %s, want the standard library only", p.ImportPath)
		}
	}
}
