package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/internal/mqtttest"
)

// checkGallery reads the device's retained gallery and checks it as a box
// would: the manifest's sha256s over the chunks' exact bytes, its counts,
// and no chunk beyond its last. It returns the manifest and the people.
func checkGallery(t *testing.T, b *mqtttest.Broker, device string) (wire.GalleryManifest, []wire.GalleryPerson) {
	t.Helper()
	got := retained(t, b, device, wire.LeafGallery+"/#")
	m, err := wire.DecodeGalleryManifest(got[wire.Topic(device, wire.LeafGalleryManifest)])
	if err != nil {
		t.Fatalf("%s: retained manifest: %v", device, err)
	}
	whole := sha256.New()
	var people []wire.GalleryPerson
	templates := 0
	for i := range m.Chunks {
		p := got[wire.GalleryChunkTopic(device, i)]
		c, err := wire.DecodeGalleryChunk(p)
		if err != nil || c.Index != i || c.Version != m.Version {
			t.Fatalf("%s: chunk %d = %+v, %v, want index %d of version %d", device, i, c, err, i, m.Version)
		}
		if sum := sha256.Sum256(p); hex.EncodeToString(sum[:]) != m.ChunkSHA256[i] {
			t.Errorf("%s: chunk %d sha256 %x, manifest says %s", device, i, sum, m.ChunkSHA256[i])
		}
		whole.Write(p)
		people = append(people, c.People...)
		for _, gp := range c.People {
			templates += len(gp.Templates)
			for _, v := range gp.Templates {
				if len(v) != 4*m.Dim {
					t.Errorf("%s: template of %s: %d bytes, want %d", device, gp.ID, len(v), 4*m.Dim)
				}
			}
		}
	}
	if sum := hex.EncodeToString(whole.Sum(nil)); sum != m.SHA256 {
		t.Errorf("%s: sha256 of the chunks %s, manifest says %s", device, sum, m.SHA256)
	}
	if len(people) != m.Count || templates != m.Templates {
		t.Errorf("%s: chunks hold %d people, %d templates; manifest says %d, %d", device, len(people), templates, m.Count, m.Templates)
	}
	for topic, p := range got {
		if _, i, ok := chunkIndex(topic); ok && i >= m.Chunks {
			t.Errorf("%s: chunk %d (%d bytes) retained beyond the manifest's %d", device, i, len(p), m.Chunks)
		}
	}
	return m, people
}

func fakeEnrolment(model string, people int) enrolment {
	e := enrolment{model: model}
	for i := range people {
		id := fmt.Sprintf("P-%02d", i)
		e.people = append(e.people, galleryPerson{ID: id, Name: "Người " + id, Unit: "Sở",
			Templates: [][]byte{bytes.Repeat([]byte{byte(i)}, 512), bytes.Repeat([]byte{byte(i + 1)}, 512)}})
		e.photos = append(e.photos, photoResult{Path: id + ".jpg", Person: id, Accepted: true})
	}
	return e
}

// A smaller gallery after a larger one leaves none of its chunks behind.
func TestSendGallery(t *testing.T) {
	b := mqtttest.Start(t)
	cert, key := b.ClientCert(t, "city-ops")
	url, ca := b.URL, b.CAFile
	broker := brokerFlags{url: &url, ca: &ca, cert: &cert, key: &key}
	model, err := galleryModel("") // the default recognizer's
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		version   int64
		people    int
		perChunk  int
		wantChunk int
		wantOut   string
	}{
		{1, 5, 1, 5, "dev-a: gallery version 1, 5 people, 10 templates, 5 chunks, model " + model},
		{2, 5, 2, 3, "; cleared 2 old chunks\n"},
		{3, 1, 200, 1, "; cleared 2 old chunks\n"},
	} {
		g, err := buildGallery(fakeEnrolment(model, c.people), c.version, c.perChunk)
		if err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		a := &app{stdout: &out, stderr: &errb}
		if err := a.sendGallery(context.Background(), broker, []string{"dev-a", "dev-b"}, g); err != nil {
			t.Fatalf("sendGallery(v%d) = %v; %s", c.version, err, errb.String())
		}
		if !strings.Contains(out.String(), c.wantOut) || strings.Contains(errb.String(), "warning") {
			t.Errorf("sendGallery(v%d) printed %q, stderr %q, want %q in it and no warning", c.version, out.String(), errb.String(), c.wantOut)
		}
		for _, d := range []string{"dev-a", "dev-b"} {
			m, people := checkGallery(t, b, d)
			if m.Version != c.version || m.Chunks != c.wantChunk || len(people) != c.people || m.Dim != 128 || m.Model != model {
				t.Errorf("%s after v%d: manifest %+v, %d people, want %d chunks, %d people, dim 128", d, c.version, m, len(people), c.wantChunk, c.people)
			}
		}
	}
}

func TestPublishGalleryErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-csv", "people.csv"}, "-device is required"},
		{[]string{"-device", "dev-a"}, "-csv is required"},
		{[]string{"-device", "dev-a", "-csv", "people.csv", "-chunk-people", "0"}, "-chunk-people 0"},
	} {
		_, _, err := runAt(testNow, "", append([]string{"publish", "gallery"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("publish gallery %q = %v, want an error with %q", c.args, err, c.want)
		}
	}
}
