package citysign

import (
	"slices"
	"testing"

	"github.com/roomgate/roomgate/internal/golist"
)

// The city side imports this package: it stays on the standard library,
// agent/pass and agent/wire.
var allowed = []string{
	"github.com/roomgate/roomgate/agent/citysign",
	"github.com/roomgate/roomgate/agent/pass",
	"github.com/roomgate/roomgate/agent/wire",
}

func TestDependencies(t *testing.T) {
	for _, p := range golist.Deps(t, ".") {
		if !p.Standard && !slices.Contains(allowed, p.ImportPath) {
			t.Errorf("agent/citysign depends on %s", p.ImportPath)
		}
	}
}
