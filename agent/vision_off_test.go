//go:build !vision

package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/internal/socat"
)

// A box configured with a camera but built without the face engine is a
// QR-only box that says why.
func TestCameraWithoutFaceEngine(t *testing.T) {
	dir := t.TempDir()
	link := socat.Pair(t, dir)
	path := writeConfig(t, dir, link.Device, "fail-secure", newIssuer(t))
	os.WriteFile(filepath.Join(dir, "door.avi"), nil, 0o644)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("vision:\n  camera: {name: door-cam, kind: file, path: door.avi}\n")
	f.Close()
	ra := startAgent(t, path)
	var cam string
	for _, d := range ra.status(t).Devices {
		if d.Kind == "camera" && !d.OK {
			cam = d.Detail
		}
	}
	if !strings.Contains(cam, "without the face engine") {
		t.Errorf("camera device detail %q, want it to say the face engine is not built in", cam)
	}
	if e := scanUntilSeen(t, ra, link, "hello", 0)[0]; e.Reason != "garbage" {
		t.Errorf("the gate without the face engine: %+v, want it still deciding scans", e)
	}
}
