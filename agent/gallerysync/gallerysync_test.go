package gallerysync

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/agent/gallerysync/gallerysynctest"
	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/agent/wire"
)

const model = "m1"

// newReceiver is a receiver on a real store, counting the galleries it
// swapped in.
func newReceiver(t *testing.T) (*Receiver, *store.Store, *int) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "roomgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	applied := new(int)
	return New(st, model, slog.New(slog.DiscardHandler), func() { *applied++ }), st, applied
}

func chunk(t *testing.T, payload []byte) wire.GalleryChunk {
	t.Helper()
	c, err := wire.DecodeGalleryChunk(payload)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// cityPeople are the city's people in st with their templates of model.
func cityPeople(t *testing.T, st *store.Store, model string) map[string]int {
	t.Helper()
	ps, err := st.People(context.Background(), model)
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

func TestChunksBeforeAndAfterTheManifest(t *testing.T) {
	g, st, applied := newReceiver(t)
	ctx := context.Background()
	v1 := gallerysynctest.New(t, 1, model, 25, 10)
	// Retained messages come in any order: one chunk before the manifest.
	if err := g.Chunk(ctx, chunk(t, v1.Chunks[2]), v1.Chunks[2]); err != nil {
		t.Fatal(err)
	}
	if err := g.Manifest(ctx, v1.Manifest); err != nil {
		t.Fatal(err)
	}
	if st := g.State(); st != (State{Version: 1, Model: model, Received: 1, Total: 3}) {
		t.Fatalf("State() after the manifest = %+v, want 1 of 3 received", st)
	}
	for i, p := range v1.Chunks[:2] {
		if err := g.Chunk(ctx, chunk(t, p), p); err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
	}
	if st := g.State(); st != (State{Version: 1, Model: model, Received: 3, Total: 3, Applied: 1}) || *applied != 1 {
		t.Fatalf("State() = %+v after %d swaps, want v1 applied once", st, *applied)
	}
	if people := cityPeople(t, st, model); len(people) != 25 || people["city-024"] != 2 {
		t.Fatalf("the city's people = %v, want 25 with 2 templates each", people)
	}
	// The retained manifest again, after a reconnect, changes nothing.
	if err := g.Manifest(ctx, v1.Manifest); err != nil || *applied != 1 {
		t.Fatalf("the manifest in force again: %v, %d swaps", err, *applied)
	}
	// A new receiver on the same store (a restart) reads what is in force.
	again := New(st, model, slog.New(slog.DiscardHandler), nil)
	if st := again.State(); st.Applied != 1 || st.Version != 1 {
		t.Fatalf("State() after a restart = %+v, want v1 applied", st)
	}
}

// A gallery of another recognizer is refused with what to do, whether
// its chunks came before its manifest or not, and the gallery in force
// stays whole: both ways between dlib's model and MobileFaceNet.
func TestRefusesAnotherModel(t *testing.T) {
	const dlib, mobile = "dlib-resnet-v1", "mobilefacenet-insightface-y1"
	ctx := context.Background()
	for _, c := range []struct{ box, gallery string }{{dlib, mobile}, {mobile, dlib}} {
		st, err := store.Open(filepath.Join(t.TempDir(), "roomgate.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		g := New(st, c.box, slog.New(slog.DiscardHandler), nil)
		v1 := gallerysynctest.New(t, 1, c.box, 3, 3)
		if err := g.Manifest(ctx, v1.Manifest); err != nil {
			t.Fatal(err)
		}
		if err := g.Chunk(ctx, chunk(t, v1.Chunks[0]), v1.Chunks[0]); err != nil {
			t.Fatal(err)
		}
		other := gallerysynctest.New(t, 2, c.gallery, 5, 5)
		if err := g.Chunk(ctx, chunk(t, other.Chunks[0]), other.Chunks[0]); err != nil {
			t.Fatal(err)
		}
		err = g.Manifest(ctx, other.Manifest)
		want := "gallery v2 is for model " + c.gallery + "; this box runs " + c.box + ": templates of two models never match, " +
			"so enrol the city's photos again with the box's model (roomgate-city publish gallery with the box's config) and publish that"
		if err == nil || err.Error() != want || g.State().Error != want {
			t.Errorf("box %s, gallery %s: Manifest() = %v, state %+v; want %q", c.box, c.gallery, err, g.State(), want)
		}
		if g.State().Applied != 1 {
			t.Errorf("box %s, gallery %s: state %+v, want v1 still in force", c.box, c.gallery, g.State())
		}
		if people := cityPeople(t, st, c.box); len(people) != 3 || people["city-000"] != 2 || people["city-002"] != 2 {
			t.Errorf("box %s, after a %s gallery: the city's people = %v, want v1's 3 with 2 templates each", c.box, c.gallery, people)
		}
		if n, err := st.TemplateCount(ctx, c.gallery); err != nil || n != 0 {
			t.Errorf("box %s: %d templates of %s stored (%v), want none", c.box, n, c.gallery, err)
		}
	}
}

func TestRefusedGalleries(t *testing.T) {
	g, st, applied := newReceiver(t)
	ctx := context.Background()
	v2 := gallerysynctest.New(t, 2, model, 4, 2)
	for _, p := range v2.Chunks {
		if err := g.Chunk(ctx, chunk(t, p), p); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.Manifest(ctx, v2.Manifest); err != nil || *applied != 1 {
		t.Fatalf("v2: %v, %d swaps", err, *applied)
	}
	tests := []struct {
		name    string
		send    func() error
		wantErr string
	}{
		{"older", func() error { return g.Manifest(ctx, gallerysynctest.New(t, 1, model, 2, 2).Manifest) }, "gallery v1 is older than v2 in force"},
		{"other model", func() error { return g.Manifest(ctx, gallerysynctest.New(t, 3, "dlib-resnet-v1", 2, 2).Manifest) },
			"gallery v3 is for model dlib-resnet-v1; this box runs m1: templates of two models never match, so enrol the city's photos again with the box's model"},
		{"corrupted chunk", func() error {
			v4 := gallerysynctest.New(t, 4, model, 4, 2)
			if err := g.Manifest(ctx, v4.Manifest); err != nil {
				return err
			}
			bad := []byte(strings.Replace(string(v4.Chunks[1]), "Đại biểu", "Dai bieu", 1))
			return g.Chunk(ctx, chunk(t, bad), bad)
		}, "gallery chunk 1 of v4: sha256"},
	}
	for _, tt := range tests {
		err := tt.send()
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(g.State().Error, tt.wantErr) {
			t.Errorf("%s: error %v, state %+v; want %q", tt.name, err, g.State(), tt.wantErr)
		}
	}
	if people := cityPeople(t, st, model); len(people) != 4 || g.State().Applied != 2 || *applied != 1 {
		t.Fatalf("after the refusals: people %v, state %+v, %d swaps; want v2's 4 people in force", people, g.State(), *applied)
	}
}

func TestForgetPersonWithdrawsTheGalleryNamingThem(t *testing.T) {
	g, st, _ := newReceiver(t)
	ctx := context.Background()
	v1 := gallerysynctest.New(t, 1, model, 3, 3)
	if err := g.Manifest(ctx, v1.Manifest); err != nil {
		t.Fatal(err)
	}
	if err := g.Chunk(ctx, chunk(t, v1.Chunks[0]), v1.Chunks[0]); err != nil {
		t.Fatal(err)
	}
	// v2 is on its way, one chunk of two staged, naming city-001.
	v2 := gallerysynctest.New(t, 2, model, 3, 2)
	if err := g.Manifest(ctx, v2.Manifest); err != nil {
		t.Fatal(err)
	}
	if err := g.Chunk(ctx, chunk(t, v2.Chunks[0]), v2.Chunks[0]); err != nil {
		t.Fatal(err)
	}
	f, err := g.ForgetPerson(ctx, "city-001")
	if err != nil || !f.Person || f.Templates != 2 || f.Withdrawn != 2 {
		t.Fatalf("ForgetPerson(city-001) = %+v, %v; want their 2 templates and v2 withdrawn", f, err)
	}
	if people := cityPeople(t, st, model); len(people) != 2 || people["city-001"] != 0 {
		t.Fatalf("the city's people = %v, want city-001 gone", people)
	}
	if err := g.Manifest(ctx, v2.Manifest); err == nil || !strings.Contains(err.Error(), "names a person the city deleted since") {
		t.Fatalf("v2 again after the deletion: %v, want it refused", err)
	}
	if f, err := g.ForgetPerson(ctx, "nobody"); err != nil || f.Person {
		t.Fatalf("ForgetPerson(nobody) = %+v, %v; want nothing removed and no error", f, err)
	}
}
