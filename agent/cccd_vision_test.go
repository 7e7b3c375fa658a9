//go:build vision

package agent

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/roomgate/roomgate/agent/store"
	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/internal/shared"
	"github.com/roomgate/roomgate/internal/socat"
	"github.com/roomgate/roomgate/kiosk"
)

// cardOf is a chip ID card QR's text for number, as the scanner reads it.
func cardOf(number string) string {
	return number + "|123456789|Nguyen Van Khach|01011990|Nam|12 Tran Phu, Ha Noi|01012021"
}

// cccdBox starts an agent that takes ID cards, with its camera playing
// video and a visit registered for each card number with the template of
// the photo named, and returns it with its scanner's pty.
func cccdBox(t *testing.T, video string, visits map[string]string) (*runningAgent, *socat.Link) {
	t.Helper()
	dir := t.TempDir()
	link := socat.Pair(t, dir)
	path := writeConfig(t, dir, link.Device, "fail-secure", newIssuer(t))
	appendConfig(t, path, "vision:\n  camera: {name: gate-cam, kind: file, path: "+video+", max_fps: 10}\n")
	// writeConfig's policy is one flow mapping: the card settings join it.
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	yaml := strings.Replace(string(b), "indicator: 100ms}", "indicator: 100ms, allow_cccd: true, cccd_face: {within: 3s}}", 1)
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(dir, "roomgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for number, photo := range visits {
		model, vec := embedPhoto(t, cfg, dir, photo)
		v := store.Visit{ID: "visit-" + number, IDNumber: number, Name: "Khách " + number, Host: "Sở Nội vụ", Gates: []string{"test-site/test-gate"},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), Uses: 1, Model: model, Template: vec}
		if err := st.AddVisit(context.Background(), v); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	ra := startAgent(t, path)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(ra.logBuf.String(), "scanner connected") {
		if time.Now().After(deadline) {
			t.Fatalf("the scanner did not connect in 10 s; log:\n%s", ra.logBuf)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return ra, link
}

// scanCard writes a card once (a card scanned again would be another
// face check) and waits for its entry.
func scanCard(t *testing.T, ra *runningAgent, link *socat.Link, number string) kiosk.Entry {
	t.Helper()
	before := len(ra.status(t).Entries)
	link.Write([]byte(cardOf(number) + "\r\n"))
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if snap := ra.status(t); len(snap.Entries) > before {
			return snap.Entries[0]
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no entry for card %s in 20 s; log:\n%s", number, ra.logBuf)
	return kiosk.Entry{}
}

// TestVisionCCCDFaceCheck: a chip ID card opens the door for a registered
// visit only when the face at the camera is the visitor's, matched against
// a template made from another photo of them (issue 12, item 6).
func TestVisionCCCDFaceCheck(t *testing.T) {
	faces := shared.Need(t, "datasets/known_faces_small")
	t.Run("the visitor and an impostor", func(t *testing.T) {
		dir := t.TempDir()
		video := filepath.Join(dir, "gate.avi")
		sampleVideo(t, filepath.Join(faces, "obama", "obama2.jpg"), video)
		const visitor, other = "001099000001", "001099000002"
		ra, link := cccdBox(t, video, map[string]string{
			visitor: filepath.Join(faces, "obama", "obama.jpg"),
			other:   filepath.Join(faces, "biden", "biden.jpg"),
		})
		// Biden's card held up while Obama stands at the camera.
		e := scanCard(t, ra, link, other)
		t.Logf("another person's card: %s (%s)", e.Reason, e.Detail)
		if e.Granted || e.Reason != "face_mismatch" || e.Method != "cccd" || relayOpened(ra) {
			t.Errorf("another person's card = %+v, relay opened %v; want face_mismatch and the door shut", e, relayOpened(ra))
		}
		e = scanCard(t, ra, link, visitor)
		if !e.Granted || e.PassID != "visit-"+visitor || e.Method != "cccd" || !relayOpened(ra) {
			t.Fatalf("the visitor's own card = %+v, want granted for visit-%s; log:\n%s", e, visitor, ra.logBuf)
		}
		for _, secret := range []string{"Nguyen Van Khach", "12 Tran Phu"} {
			if strings.Contains(ra.logBuf.String(), secret) {
				t.Errorf("the log holds the card's %q", secret)
			}
		}
	})
	t.Run("nobody at the camera", func(t *testing.T) {
		dir := t.TempDir()
		video := filepath.Join(dir, "empty.avi")
		wall := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(120, 130, 125, 0), 480, 640, gocv.MatTypeCV8UC3)
		defer wall.Close()
		writeVideo(t, wall, video)
		const visitor = "001099000003"
		ra, link := cccdBox(t, video, map[string]string{visitor: filepath.Join(faces, "obama", "obama.jpg")})
		if e := scanCard(t, ra, link, visitor); e.Granted || e.Reason != "no_face" {
			t.Errorf("a card with nobody at the camera = %+v, want no_face", e)
		}
	})
}

// relayOpened reports whether the door's relay was ever driven open.
func relayOpened(ra *runningAgent) bool {
	for _, c := range ra.lines.Changes() {
		if c.Role == config.RoleRelay && c.On {
			return true
		}
	}
	return false
}
