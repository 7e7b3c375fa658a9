//go:build vision

package main

import (
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/agent/wire"
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

	// dev-a says it runs the default recognizer, the gallery's.
	model, err := galleryModel("")
	if err != nil {
		t.Fatal(err)
	}
	boxState(t, b, "dev-a", model)
	out, stderr, err := runAt(testNow, "", append([]string{"publish", "gallery", "-device", "dev-a", "-csv", people, "-version", "4"}, brokerArgs(t, b, "city-ops")...)...)
	if err != nil {
		t.Fatalf("publish gallery = %v\n%s%s", err, out, stderr)
	}
	if strings.Contains(stderr, "offline") {
		t.Errorf("publish gallery did not read dev-a's state: %q", stderr)
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
	if m.Version != 4 || m.Dim != 128 || m.Model != model || strings.Join(ids, ",") != "P-kit,P-obama,P-rose" {
		t.Errorf("retained gallery: manifest %+v, people %v, want version 4, dim 128, model %s, P-kit,P-obama,P-rose", m, ids, model)
	}
}

// boxState retains the state of an online box that runs model, as the
// box publishes it, and disconnects (the broker takes the CN for the client
// id, so a reader with the box's certificate would take its place).
func boxState(t *testing.T, b *mqtttest.Broker, device, model string) {
	t.Helper()
	state, err := json.Marshal(wire.State{Online: true, Versions: wire.Versions{Software: "test", Model: model}})
	if err != nil {
		t.Fatal(err)
	}
	box := fakeBox(t, b, device, nil, nil)
	if err := box.Publish(context.Background(), wire.Topic(device, wire.LeafState), state, true); err != nil {
		t.Fatal(err)
	}
	box.Close()
}

// A gallery computed with another recognizer than an online box runs is
// refused before any photo is enrolled, with what to do, and nothing is
// published; both ways between dlib's model and MobileFaceNet.
func TestPublishGalleryRefusesAnotherModel(t *testing.T) {
	b := mqtttest.Start(t)
	dir := t.TempDir()
	research := writeFile(t, dir, "research.yaml", "identity: {site: city, gate: city, device: city}\nboard: sim\nvision: {recognizer: mobilefacenet_y1}\n")
	people := writeFile(t, dir, "people.csv", "id,name,unit,photo\nP-1,Người Một,Sở,p1.jpg\n")
	dlib, err := galleryModel("")
	if err != nil {
		t.Fatal(err)
	}
	mobile, err := galleryModel(research)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, box, gallery string
		config             []string
	}{
		{"a MobileFaceNet box, the default dlib gallery", mobile, dlib, nil},
		{"a dlib box, a MobileFaceNet gallery", dlib, mobile, []string{"-config", research}},
	} {
		t.Run(c.name, func(t *testing.T) {
			boxState(t, b, "dev-a", c.box)
			args := append([]string{"publish", "gallery", "-device", "dev-a", "-csv", people}, c.config...)
			out, stderr, err := runAt(testNow, "", append(args, brokerArgs(t, b, "city-ops")...)...)
			want := "dev-a runs " + c.box + ", and this gallery's templates would be of " + c.gallery + ": templates of two models never match, so nothing is published. " +
				"Enrol the city's photos with the boxes' model: run again with -config naming those boxes' config"
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("publish gallery = %v\n%s%s\nwant the refusal %q", err, out, stderr, want)
			}
			if strings.Contains(stderr, "photos") {
				t.Errorf("publish gallery enrolled photos before refusing: %q", stderr)
			}
			if got := retained(t, b, "dev-a", wire.LeafGallery+"/#"); len(got) != 0 {
				t.Errorf("a refused gallery left %d retained messages", len(got))
			}
		})
	}
}
