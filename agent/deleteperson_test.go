package agent

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/facekit"
	"github.com/roomgate/roomgate/agent/gallerysync/gallerysynctest"
	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/internal/mqtttest"
	"github.com/roomgate/roomgate/internal/socat"
	"github.com/roomgate/roomgate/vision/gallery"
)

// deletePerson sends delete_person and returns the box's answer, its
// result decoded.
func (o *ops) deletePerson(t *testing.T, id, personID string) (wire.CommandResult, map[string]any) {
	t.Helper()
	r := o.command(t, wire.Command{ID: id, Name: wire.CmdDeletePerson, Args: json.RawMessage(`{"person_id":"` + personID + `"}`)})
	var res map[string]any
	if raw, ok := r.Result.(json.RawMessage); ok {
		if err := json.Unmarshal(raw, &res); err != nil {
			t.Fatal(err)
		}
	}
	return r, res
}

// matches is whom the gallery the face engine would load from the store
// names for probe, with their best scores.
func matches(t *testing.T, dir string, probe []float32) map[string]float32 {
	t.Helper()
	st, err := store.Open(filepath.Join(dir, "roomgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g, err := facekit.LoadGallery(context.Background(), st, boxModel, len(probe), gallery.Float32)
	if err != nil {
		t.Fatal(err)
	}
	top, err := g.Top(boxModel, probe, g.Len())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float32{}
	for _, m := range top {
		out[m.Person] = max(out[m.Person], m.Score)
	}
	return out
}

// TestDeletePersonFromGalleryThroughBroker: the city deletes a person of
// its gallery and one enrolled on the box; both go with their templates,
// a gallery on its way that names one of them is withdrawn, and asking
// again removes nothing more.
func TestDeletePersonFromGalleryThroughBroker(t *testing.T) {
	c := &city{broker: mqtttest.Start(t)}
	o := startOps(t, c.broker)
	dir := t.TempDir()
	cfg := c.boxConfig(t, dir, socat.Pair(t, dir).Device, newIssuer(t))

	// Enrolled on the box before it starts, as roomgate enroll would.
	local := []float32{0, 0, 0, 0, 0, 0, 0.6, 0.8}
	st, err := store.Open(filepath.Join(dir, "roomgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddTemplates(context.Background(), store.Person{ID: "P-local", Name: "Người địa phương", Source: "local"},
		[]store.Template{{Model: boxModel, Vec: gallery.Encode(local), EnrolledAt: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	startAgent(t, cfg)
	o.waitState(t, "the box online", func(st wire.State) bool { return st.Online && st.Link.Connected })
	v1 := gallerysynctest.New(t, 1, boxModel, 3, 3)
	o.publishChunk(t, 0, v1.Chunks[0])
	o.publish(t, wire.LeafGalleryManifest, true, v1.Manifest)
	o.waitState(t, "gallery v1 applied", func(st wire.State) bool { return st.Versions.Gallery == 1 && st.Gallery.Applied })
	// city-001's templates are the unit vectors e1 and e2 (gallerysynctest.New).
	e2 := []float32{0, 0, 1, 0, 0, 0, 0, 0}
	if m := matches(t, dir, e2); m["city-001"] < 0.99 || m["P-local"] > 0.01 {
		t.Fatalf("before: e2 matches %v, want city-001", m)
	}
	if m := matches(t, dir, local); m["P-local"] < 0.99 {
		t.Fatalf("before: P-local's face matches %v, want P-local", m)
	}

	// v2, one person a chunk, is on its way: city-001's chunk has come.
	v2 := gallerysynctest.New(t, 2, boxModel, 3, 1)
	o.publish(t, wire.LeafGalleryManifest, true, v2.Manifest)
	o.publishChunk(t, 1, v2.Chunks[1])
	o.waitState(t, "v2 half received", func(st wire.State) bool { return st.Gallery.Version == 2 && st.Gallery.Received == 1 })

	r, res := o.deletePerson(t, "del-1", "city-001")
	if !r.OK || res["found"] != true || res["source"] != "city" || res["templates"] != 2.0 || res["withdrawn_gallery"] != 2.0 || res["staged_chunks"] != 1.0 {
		t.Errorf("delete_person city-001 = %+v %v, want ok: found, city, 2 templates, v2 withdrawn with its 1 chunk", r, res)
	}
	r, res = o.deletePerson(t, "del-2", "P-local")
	if !r.OK || res["found"] != true || res["source"] != "local" || res["templates"] != 1.0 || res["withdrawn_gallery"] != 0.0 {
		t.Errorf("delete_person P-local = %+v %v, want ok: found, local, 1 template, no gallery withdrawn", r, res)
	}
	r, res = o.deletePerson(t, "del-3", "city-001")
	if !r.OK || res["found"] != false || res["templates"] != 0.0 {
		t.Errorf("delete_person city-001 again = %+v %v, want ok with nothing removed", r, res)
	}
	if r := o.command(t, wire.Command{ID: "del-4", Name: wire.CmdDeletePerson, Args: json.RawMessage(`{"person":"x"}`)}); r.OK || !strings.Contains(r.Error, "unknown field") {
		t.Errorf("delete_person with bad args = %+v, want refused with the reason", r)
	}

	if people := cityPeople(t, dir); len(people) != 2 || people["city-001"] != 0 {
		t.Errorf("the city's people after the deletion = %v, want city-000 and city-002", people)
	}
	if m := matches(t, dir, e2); len(m) == 0 || m["city-001"] != 0 {
		t.Errorf("after: e2 matches %v, want city-001 gone", m)
	}
	if m := matches(t, dir, local); len(m) == 0 || m["P-local"] != 0 {
		t.Errorf("after: P-local's face matches %v, want P-local gone", m)
	}

	// The rest of v2 comes (the retained chunk 1 with it): v2 named
	// city-001, so it is not swapped in; v3, made after the deletion, is.
	for i, p := range v2.Chunks {
		o.publishChunk(t, i, p)
	}
	o.publish(t, wire.LeafGalleryManifest, true, v2.Manifest)
	o.waitState(t, "v2 refused", func(st wire.State) bool { return strings.Contains(st.Gallery.Error, "deleted since") })
	v3 := gallerysynctest.New(t, 3, boxModel, 1, 1)
	o.publishChunk(t, 0, v3.Chunks[0])
	o.publish(t, wire.LeafGalleryManifest, true, v3.Manifest)
	o.waitState(t, "gallery v3 applied", func(st wire.State) bool { return st.Versions.Gallery == 3 && st.Gallery.Applied })
	if people := cityPeople(t, dir); len(people) != 1 || people["city-000"] != 2 {
		t.Errorf("the city's people after v3 = %v, want v3's city-000", people)
	}
}
