package agent

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/agent/gallerysync/gallerysynctest"
	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/agent/wire"
	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/internal/mqtttest"
	"github.com/roomgate/roomgate/internal/socat"
)

// boxModel is the recognizer the test box runs: the config's default
// (dlib's), whose templates the research model's never match.
var boxModel = func() string {
	c, err := config.Parse("default.yaml", []byte("identity: {site: s, gate: g, device: d}\nboard: sim\n"))
	if err != nil {
		panic(err)
	}
	return c.Vision.RecognizerName
}()

// researchModel is MobileFaceNet's template name, the model the box does
// not run.
const researchModel = "mobilefacenet-insightface-y1"

func (o *ops) publishChunk(t *testing.T, index int, payload []byte) {
	t.Helper()
	if err := o.c.Publish(context.Background(), wire.GalleryChunkTopic("test-box", index), payload, true); err != nil {
		t.Fatal(err)
	}
}

// cityPeople lists the people the city gave the box, as the face engine
// loads them from its store, with their template counts.
func cityPeople(t *testing.T, dir string) map[string]int {
	t.Helper()
	st, err := store.Open(filepath.Join(dir, "roomgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ps, err := st.People(context.Background(), boxModel)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, p := range ps {
		if p.Source == "city" {
			out[p.ID] = p.Templates
		}
	}
	return out
}

func TestGalleryThroughBroker(t *testing.T) {
	c := &city{broker: mqtttest.Start(t)}
	o := startOps(t, c.broker)
	dir := t.TempDir()
	startAgent(t, c.boxConfig(t, dir, socat.Pair(t, dir).Device, newIssuer(t)))
	// Its state names its recognizer, which the city's galleries must be of.
	o.waitState(t, "the box online, saying its model", func(st wire.State) bool {
		return st.Online && st.Link.Connected && st.Versions.Model == boxModel
	})

	g := gallerysynctest.New(t, 1, boxModel, 25, 10)
	for i, p := range g.Chunks {
		o.publishChunk(t, i, p)
	}
	o.publish(t, wire.LeafGalleryManifest, true, g.Manifest)
	o.waitState(t, "gallery v1 applied", func(st wire.State) bool {
		return st.Versions.Gallery == 1 && st.Gallery == wire.GallerySync{Version: 1, Model: boxModel, Received: 3, Total: 3, Applied: true}
	})
	people := cityPeople(t, dir)
	if len(people) != 25 || people["city-000"] != 2 || people["city-024"] != 2 {
		t.Errorf("the city's people in the store = %v, want 25 with 2 templates each", people)
	}

	// A gallery for another model is refused with the reason and the
	// remedy, and the gallery in force stays as it was.
	other := gallerysynctest.New(t, 2, researchModel, 5, 5)
	for i, p := range other.Chunks {
		o.publishChunk(t, i, p)
	}
	o.publish(t, wire.LeafGalleryManifest, true, other.Manifest)
	o.waitState(t, "the wrong model refused", func(st wire.State) bool {
		return st.Gallery.Version == 2 && !st.Gallery.Applied && st.Versions.Gallery == 1 &&
			st.Gallery.Error == "gallery v2 is for model "+researchModel+"; this box runs "+boxModel+": templates of two models never match, "+
				"so enrol the city's photos again with the box's model (roomgate-city publish gallery with the box's config) and publish that"
	})
	if people := cityPeople(t, dir); len(people) != 25 || people["city-000"] != 2 || people["city-024"] != 2 {
		t.Errorf("the city's people after the refused gallery = %v, want v1's 25 with 2 templates each", people)
	}

	// A corrupted chunk is refused; the right one completes the gallery.
	v3 := gallerysynctest.New(t, 3, boxModel, 12, 4)
	o.publish(t, wire.LeafGalleryManifest, true, v3.Manifest)
	o.publishChunk(t, 0, v3.Chunks[0])
	o.publishChunk(t, 1, []byte(strings.Replace(string(v3.Chunks[1]), "Đại biểu", "Dai bieu", 1)))
	o.waitState(t, "the corrupted chunk refused", func(st wire.State) bool {
		return st.Gallery.Version == 3 && st.Gallery.Received == 1 && strings.Contains(st.Gallery.Error, "gallery chunk 1 of v3: sha256")
	})
	for i, p := range v3.Chunks[1:] {
		o.publishChunk(t, 1+i, p)
	}
	o.waitState(t, "gallery v3 applied", func(st wire.State) bool {
		return st.Versions.Gallery == 3 && st.Gallery.Applied && st.Gallery.Error == ""
	})
	if people := cityPeople(t, dir); len(people) != 12 || people["city-011"] != 2 || people["city-024"] != 0 {
		t.Errorf("the city's people after v3 = %v, want v3's 12 only", people)
	}
}

// A gallery interrupted by the box stopping resumes where it was: the
// chunks staged before are not staged again.
func TestGalleryResumesAfterRestart(t *testing.T) {
	c := &city{broker: mqtttest.Start(t)}
	o := startOps(t, c.broker)
	dir := t.TempDir()
	cfg := c.boxConfig(t, dir, socat.Pair(t, dir).Device, newIssuer(t))
	ra := startAgent(t, cfg)
	o.waitState(t, "the box online", func(st wire.State) bool { return st.Online && st.Link.Connected })

	g := gallerysynctest.New(t, 4, boxModel, 50, 10)
	o.publish(t, wire.LeafGalleryManifest, true, g.Manifest)
	for i, p := range g.Chunks[:3] {
		o.publishChunk(t, i, p)
	}
	o.waitState(t, "3 of 5 chunks", func(st wire.State) bool { return st.Gallery.Received == 3 && st.Gallery.Total == 5 })
	ra.shutdown(t)
	first := ra.logBuf.String()

	for i, p := range g.Chunks[3:] {
		o.publishChunk(t, 3+i, p)
	}
	ra = startAgent(t, cfg)
	o.waitState(t, "gallery v4 applied after the restart", func(st wire.State) bool { return st.Versions.Gallery == 4 && st.Gallery.Applied })
	if people := cityPeople(t, dir); len(people) != 50 {
		t.Errorf("the city's people = %d, want 50", len(people))
	}
	logs := first + ra.logBuf.String()
	for i := range g.Chunks {
		// Staged before or after the manifest: handlers run concurrently.
		staged := regexp.MustCompile(fmt.Sprintf(`msg="city gallery chunk staged[^"]*" component=gallery version=4 index=%d\b`, i))
		if n := len(staged.FindAllString(logs, -1)); n != 1 {
			t.Errorf("chunk %d staged %d times, want once", i, n)
		}
	}
}
