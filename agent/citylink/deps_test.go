package citylink

import (
	"slices"
	"testing"

	"github.com/roomgate/roomgate/internal/golist"
)

// paho stays behind this package: no other package of the agent imports it.
func TestOnlyImporterOfPaho(t *testing.T) {
	for _, p := range golist.List(t, "github.com/roomgate/roomgate/agent/...") {
		if p.ImportPath != "github.com/roomgate/roomgate/agent/citylink" && slices.Contains(p.Imports, "github.com/eclipse/paho.mqtt.golang") {
			t.Errorf("%s imports paho; only agent/citylink may", p.ImportPath)
		}
	}
}
