//go:build vision

package main

import (
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/internal/mqtttest"
)

// The demo's three people, computed as a box would, and a photo without a
// face left out with its reason.
func TestPublishGalleryDemo(t *testing.T) {
	b := mqtttest.Start(t)
	media, err := filepath.Abs("../../../demo/media")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	wall := filepath.Join(dir, "wall.jpg")
	f, err := os.Create(wall)
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewGray(image.Rect(0, 0, 320, 240))
	for i := range img.Pix {
		img.Pix[i] = color.Gray{Y: uint8(100 + i%7)}.Y
	}
	if err := jpeg.Encode(f, img, nil); err != nil {
		t.Fatal(err)
	}
	f.Close()
	csv, err := os.ReadFile(filepath.Join(media, "people.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.ReplaceAll(string(csv), ",enrol/", ","+filepath.Join(media, "enrol")+"/")
	rows += "P-wall,Bức tường,Không ai," + wall + "\n"
	people := writeFile(t, dir, "people.csv", rows)

	out, stderr, err := runAt(testNow, "", append([]string{"publish", "gallery", "-device", "dev-a", "-csv", people, "-version", "4"}, brokerArgs(t, b, "city-ops")...)...)
	if err != nil {
		t.Fatalf("publish gallery = %v\n%s%s", err, out, stderr)
	}
	for _, want := range []string{"REFUSED PHOTO", "wall.jpg", "P-wall", "no_face", "4 photos: 3 accepted, 1 refused; gallery of 3 people, 3 templates",
		"not in the gallery, no photo accepted: P-wall", "dev-a: gallery version 4, 3 people, 3 templates, 1 chunks"} {
		if !strings.Contains(out, want) {
			t.Errorf("publish gallery printed\n%s\nwant %q in it", out, want)
		}
	}
	if !strings.Contains(stderr, "photos 4/4\n") {
		t.Errorf("publish gallery progress on stderr = %q, want a line per photo", stderr)
	}
	m, got := checkGallery(t, b, "dev-a")
	var ids []string
	for _, p := range got {
		ids = append(ids, p.ID)
	}
	if m.Version != 4 || m.Dim != 128 || strings.Join(ids, ",") != "P-kit,P-obama,P-rose" {
		t.Errorf("retained gallery: manifest %+v, people %v, want version 4, dim 128, P-kit,P-obama,P-rose", m, ids)
	}
}
