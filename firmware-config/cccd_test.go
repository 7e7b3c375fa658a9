package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An unsigned chip ID card QR alone opened the door (issue 12, item 6): a
// config may take cards only where the face at the camera can be checked,
// which needs the face engine (the vision build) and a camera.
func TestAllowCCCDNeedsFaceEngineAndCamera(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "gate.mp4"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	parse := func(extra string) error {
		_, err := Parse(filepath.Join(dir, "t.yaml"), []byte(minimal+extra))
		return err
	}
	const camera = "vision:\n  camera: {kind: file, path: gate.mp4}\n"
	noCamera := parse("policy:\n  allow_cccd: true\n")
	withCamera := parse("policy:\n  allow_cccd: true\n" + camera)
	if !faceEngineBuilt {
		for _, err := range []error{noCamera, withCamera} {
			if err == nil || !strings.Contains(err.Error(), "policy.allow_cccd") || !strings.Contains(err.Error(), "needs the vision build of roomgate") {
				t.Errorf("allow_cccd in a build without the face engine: %v, want a refusal naming the vision build", err)
			}
		}
	} else {
		if noCamera == nil || !strings.Contains(noCamera.Error(), "needs a camera at the gate (vision.camera)") {
			t.Errorf("allow_cccd without a camera: %v, want a refusal naming vision.camera", noCamera)
		}
		if withCamera != nil {
			t.Errorf("allow_cccd with a camera in the vision build: %v, want it accepted", withCamera)
		}
	}
	if err := parse("policy:\n  allow_cccd: false\n  cccd_face: {threshold: 0.1, within: 2m}\n"); err == nil ||
		!strings.Contains(err.Error(), "policy.cccd_face.threshold: 0.1 is out of range") || !strings.Contains(err.Error(), "policy.cccd_face.within: 2m is out of range") {
		t.Errorf("cccd_face out of range: %v, want both refused", err)
	}
}

// An example turned chip ID cards on (issue 12, item 6): none may.
func TestExamplesTakeNoIDCards(t *testing.T) {
	for _, name := range examples(t) {
		c, err := Load(name)
		if err != nil {
			t.Fatalf("Load(%q) = %v", name, err)
		}
		if c.Policy.AllowCCCD {
			t.Errorf("%s: policy.allow_cccd is on; every example keeps it off", name)
		}
	}
}
