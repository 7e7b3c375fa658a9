//go:build vision

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/deploy/city/mqttclient"
	"github.com/roomgate/roomgate/internal/mqtttest"
	"github.com/roomgate/roomgate/internal/shared"
)

// A visit's template is computed from a photo as a box would, and each box
// reads the signed, retained list of its visits.
func TestVisitAddAndRemove(t *testing.T) {
	knownFaces := shared.Need(t, "datasets/known_faces_small")
	photo := filepath.Join(knownFaces, "obama", "obama.jpg")
	b := mqtttest.Start(t)
	keyFile, verifier := signKey(t)
	register := filepath.Join(t.TempDir(), "visits.json")
	add := func(id, devices, photo string) (string, error) {
		out, stderr, err := runAt(testNow, "", append([]string{"visit", "add", "-sign-key", keyFile, "-visits", register, "-device", devices,
			"-id", id, "-id-number", "001099012345", "-name", "Nguyễn Văn An", "-host", "Sở Nội vụ", "-gate", "hq/main-gate",
			"-from", "2026-03-02T08:00:00+07:00", "-until", "2026-03-02T17:00:00+07:00", "-photo", photo}, brokerArgs(t, b, "city-ops")...)...)
		if err == nil && !strings.Contains(stderr, "computing the face template") {
			t.Errorf("visit add said nothing while the face engine ran: %q", stderr)
		}
		return out, err
	}
	model, err := galleryModel("") // the default recognizer's
	if err != nil {
		t.Fatal(err)
	}
	out, err := add("V-1", "dev-a,dev-b", photo)
	if err != nil {
		t.Fatalf("visit add = %v", err)
	}
	if !strings.Contains(out, "dev-a: visits version") || !strings.Contains(out, "face template of "+model) {
		t.Errorf("visit add printed %q", out)
	}
	if _, err := add("V-2", "dev-a", filepath.Join(knownFaces, "biden", "biden.jpg")); err != nil {
		t.Fatalf("second visit add = %v", err)
	}
	if _, err := add("V-3", "dev-a", filepath.Join(knownFaces, "_groups", "two_people.jpg")); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("visit add of a photo of two people = %v, want it refused with the reason", err)
	}
	if fi, err := os.Stat(register); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("register %v, %v; want mode 0600", fi, err)
	}
	read := func(dev string) wire.Visits {
		got := make(chan wire.Visits, 1)
		box := fakeBox(t, b, dev, []string{wire.LeafVisits}, func(_ *mqttclient.Client, m mqttclient.Message) {
			vs, err := verifier(dev).Visits(m.Payload)
			if err != nil {
				t.Errorf("%s: Visits() = %v", dev, err)
			}
			got <- vs
		})
		defer box.Close() // the next read connects as dev again
		select {
		case vs := <-got:
			return vs
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no retained visits message", dev)
		}
		return wire.Visits{}
	}
	a, bv := read("dev-a"), read("dev-b")
	if len(a.Visits) != 2 || len(bv.Visits) != 1 || bv.Visits[0].ID != "V-1" || len(a.Visits[0].Template) != 4*128 || a.Visits[0].Model != model {
		t.Fatalf("dev-a got %d visits, dev-b %d (%+v); want V-1 and V-2, and V-1 with a 128-d template", len(a.Visits), len(bv.Visits), bv.Visits)
	}
	if _, _, err := runAt(testNow, "", append([]string{"visit", "remove", "-sign-key", keyFile, "-visits", register, "-id", "V-1"}, brokerArgs(t, b, "city-ops")...)...); err != nil {
		t.Fatalf("visit remove = %v", err)
	}
	if a, bv := read("dev-a"), read("dev-b"); len(a.Visits) != 1 || a.Visits[0].ID != "V-2" || len(bv.Visits) != 0 {
		t.Errorf("after removing V-1: dev-a %d visits, dev-b %d; want V-2 only, and none", len(a.Visits), len(bv.Visits))
	}
}
