//go:build vision

package agent

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/internal/socat"
	"github.com/roomgate/roomgate/vision/models"
)

// A box configured with dlib's converted model whose file is altered or cut
// short runs as a QR-only gate: the camera's status says why (the sha256
// check names the file), and scans are still decided.
func TestAlteredDlibModelLeavesAQROnlyGate(t *testing.T) {
	dir, err := models.Dir()
	if err != nil {
		t.Fatal(err)
	}
	orig, err := os.ReadFile(models.DlibResNetV1.Path(dir))
	if err != nil {
		t.Skipf("%v (make models builds it)", err)
	}
	for _, c := range []struct {
		name string
		edit func([]byte) []byte
	}{
		{"tampered", func(b []byte) []byte { b = append([]byte(nil), b...); b[len(b)/2] ^= 1; return b }},
		{"truncated", func(b []byte) []byte { return b[:len(b)/2] }},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, models.DlibResNetV1.File), c.edit(orig), 0o644); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, "door.avi"), nil, 0o644)
			link := socat.Pair(t, dir)
			path := writeConfig(t, dir, link.Device, "fail-secure", newIssuer(t))
			appendConfig(t, path, fmt.Sprintf("vision:\n  camera: {name: door-cam, kind: file, path: door.avi}\n"+
				"  recognizer_model: %s\n  recognizer_name: dlib-resnet-v1\n  recognizer_input: 150\n  sha256: %s\n",
				models.DlibResNetV1.File, models.DlibResNetV1.SHA256))
			ra := startAgent(t, path)
			var cam string
			for _, d := range ra.status(t).Devices {
				if d.Kind == "camera" && !d.OK {
					cam = d.Detail
				}
			}
			if !strings.Contains(cam, models.DlibResNetV1.File) || !strings.Contains(cam, "sha256 mismatch") {
				t.Errorf("camera device detail %q, want the model's sha256 mismatch named", cam)
			}
			if e := scanUntilSeen(t, ra, link, "hello", 0)[0]; e.Reason != "garbage" {
				t.Errorf("the gate with the face engine off: %+v, want it still deciding scans", e)
			}
		})
	}
}
