//go:build vision

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skip2/go-qrcode"

	"github.com/roomgate/roomgate/deploy/city/enrol/enroltest"
	"github.com/roomgate/roomgate/provisioning/claim"
)

// A room's box may have no scanner: a claim held up to its camera (here a
// folder camera playing a photo of the claim's QR code) provisions it.
func TestClaimHeldToTheCameraProvisionsTheBox(t *testing.T) {
	city := enroltest.Start(t, enroltest.Options{Peripherals: map[string]string{claim.KindRoom: "http: {listen: \"127.0.0.1:0\"}\n"}})
	text := city.Claim(t, "room-88", claim.KindRoom, "hq")
	frames, etc, state := t.TempDir(), t.TempDir(), t.TempDir()
	if err := qrcode.WriteFile(text, qrcode.Medium, 640, filepath.Join(frames, "claim.png")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(etc, "roomgate.yaml")
	yaml := fmt.Sprintf("board: generic\nvision:\n  camera: {name: room-cam, kind: folder, path: %q, max_fps: 5}\nhttp: {listen: \"127.0.0.1:0\"}\nprovisioning: {dir: %s/provisioning}\n", frames, state)
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	logs, waitLogN := serveUnprovisioned(t, path)
	waitLogN("claims held to the camera are read", 1, 10*time.Second)
	waitLogN("running on the provisioned config", 1, 30*time.Second)
	waitLogN("msg=ready", 1, 10*time.Second)
	if !strings.Contains(logs.String(), "claim scanned; provisioning\" component=provision scanner=camera") {
		t.Errorf("the claim did not come from the camera:\n%s", logs.String())
	}
}
