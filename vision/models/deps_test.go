package models

import (
	"strings"
	"testing"

	"github.com/roomgate/roomgate/internal/golist"
)

// Without the vision tag nothing may pull in gocv or cgo: this package (so
// config validation can use it), vision/face (only its doc.go), visionbench
// and the gate-only agent all build with CGO_ENABLED=0.
func TestNoOpenCVWithoutTag(t *testing.T) {
	for _, pkg := range []string{".", "../face", "../cmd/visionbench", "../../agent/cmd/roomgate"} {
		for _, p := range golist.Deps(t, pkg) {
			if strings.HasPrefix(p.ImportPath, "gocv.io/") || len(p.CgoFiles) > 0 {
				t.Errorf("%s depends on %s (cgo files: %d) without the vision tag", pkg, p.ImportPath, len(p.CgoFiles))
			}
		}
	}
}
