package wire

import (
	"testing"

	"github.com/roomgate/roomgate/internal/golist"
)

// The city side imports this package: it must not drag anything with it.
func TestStandardLibraryOnly(t *testing.T) {
	for _, p := range golist.Deps(t, ".") {
		if !p.Standard && p.ImportPath != "github.com/roomgate/roomgate/agent/wire" {
			t.Errorf("agent/wire depends on %s, want the standard library only", p.ImportPath)
		}
	}
}
