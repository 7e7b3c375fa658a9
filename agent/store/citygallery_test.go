package store

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// chunkPeople reads the fake chunks these tests stage: "id,id,…", each
// person with one template of their id's bytes.
func chunkPeople(_ int, payload []byte) ([]CityPerson, error) {
	if string(payload) == "bad" {
		return nil, errors.New("chunk does not decode")
	}
	var out []CityPerson
	for _, id := range strings.Split(string(payload), ",") {
		out = append(out, CityPerson{ID: id, Name: "Name " + id, Unit: "U", Templates: [][]byte{[]byte(id + "-vec1"), []byte(id + "-vec2")}})
	}
	return out, nil
}

func TestGalleryStaging(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	staging := func() GalleryStaging {
		t.Helper()
		g, err := s.GalleryStaging(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	if g := staging(); g.Version != 0 || g.Manifest != nil || g.Chunks != nil {
		t.Errorf("GalleryStaging() of a new store = %+v, want nothing", g)
	}
	// Chunks may come before their manifest.
	for _, i := range []int{2, 0} {
		if staged, err := s.StageGalleryChunk(ctx, 3, i, []byte("v3-chunk")); err != nil || !staged {
			t.Fatalf("StageGalleryChunk(3, %d) = %v, %v, want true", i, staged, err)
		}
	}
	if staged, err := s.StageGalleryChunk(ctx, 3, 0, []byte("other bytes")); err != nil || staged {
		t.Errorf("StageGalleryChunk(3, 0) again = %v, %v, want false (kept)", staged, err)
	}
	if err := s.StageGalleryManifest(ctx, 3, []byte(`{"version":3}`)); err != nil {
		t.Fatal(err)
	}
	want := GalleryStaging{Version: 3, Manifest: []byte(`{"version":3}`), Chunks: []int{0, 2}}
	if g := staging(); !reflect.DeepEqual(g, want) {
		t.Errorf("GalleryStaging() = %+v, want %+v", g, want)
	}
	var got []string
	if err := s.EachGalleryChunk(ctx, 3, func(i int, p []byte) error { got = append(got, string(p)); return nil }); err != nil || len(got) != 2 || got[0] != "v3-chunk" {
		t.Errorf("EachGalleryChunk(3) = %q, %v, want the first bytes of chunks 0 and 2", got, err)
	}
	if err := s.DropGalleryChunk(ctx, 3, 2); err != nil {
		t.Fatal(err)
	}
	if g := staging(); !reflect.DeepEqual(g.Chunks, []int{0}) {
		t.Errorf("chunks after dropping 2 = %v, want [0]", g.Chunks)
	}
	// Another version discards the old staging, manifest included.
	if _, err := s.StageGalleryChunk(ctx, 4, 1, []byte("v4")); err != nil {
		t.Fatal(err)
	}
	if g := staging(); !reflect.DeepEqual(g, GalleryStaging{Version: 4, Chunks: []int{1}}) {
		t.Errorf("GalleryStaging() after a chunk of v4 = %+v, want only it", g)
	}
	if err := s.StageGalleryManifest(ctx, 5, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if g := staging(); !reflect.DeepEqual(g, GalleryStaging{Version: 5, Manifest: []byte(`{}`)}) {
		t.Errorf("GalleryStaging() after the manifest of v5 = %+v, want only it", g)
	}
}

func TestSwapCityGallery(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if err := s.AddTemplates(ctx, Person{ID: "local-1", Name: "Local", Source: "local"}, []Template{{Model: "m", Vec: []byte("l1"), PhotoSHA256: "aa"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddTemplates(ctx, Person{ID: "shared", Name: "Enrolled here", Source: "local"}, []Template{{Model: "m", Vec: []byte("s1")}}); err != nil {
		t.Fatal(err)
	}
	stage := func(version int64, chunks ...string) {
		t.Helper()
		for i, c := range chunks {
			if _, err := s.StageGalleryChunk(ctx, version, i, []byte(c)); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.StageGalleryManifest(ctx, version, []byte("m")); err != nil {
			t.Fatal(err)
		}
	}
	people := func() map[string]int {
		t.Helper()
		ps, err := s.People(ctx, "m")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, p := range ps {
			out[p.ID+"/"+p.Source] = p.Templates
		}
		return out
	}
	v0, _ := s.TemplatesVersion(ctx)

	stage(1, "c1,c2", "c3,shared")
	if err := s.SwapCityGallery(ctx, 1, "m", chunkPeople); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"local-1/local": 1, "c1/city": 2, "c2/city": 2, "c3/city": 2, "shared/city": 2}
	if got := people(); !reflect.DeepEqual(got, want) {
		t.Errorf("people after swapping in v1 = %v, want %v", got, want)
	}
	if p, err := s.Person(ctx, "c3"); err != nil || p.Name != "Name c3" || p.Unit != "U" {
		t.Errorf("Person(c3) = %+v, %v", p, err)
	}
	if v, err := s.CityGalleryVersion(ctx); err != nil || v != 1 {
		t.Errorf("CityGalleryVersion() = %d, %v, want 1", v, err)
	}
	v1, _ := s.TemplatesVersion(ctx)
	if v1 == v0 {
		t.Errorf("TemplatesVersion() = %q after the swap, as before: the face engine would not reload", v1)
	}
	if g, _ := s.GalleryStaging(ctx); g.Version != 0 || g.Chunks != nil {
		t.Errorf("GalleryStaging() after the swap = %+v, want empty", g)
	}
	var vecs []string
	for tm, err := range s.Templates(ctx, "m") {
		if err != nil {
			t.Fatal(err)
		}
		if tm.Person == "c1" {
			vecs = append(vecs, string(tm.Vec)+"/"+tm.PhotoSHA256)
		}
	}
	if !reflect.DeepEqual(vecs, []string{"c1-vec1/", "c1-vec2/"}) {
		t.Errorf("templates of c1 = %q, want both, without a photo sha256", vecs)
	}

	// A later gallery replaces the city's people whole; a bad chunk
	// leaves everything as it was, staging included.
	stage(2, "c2,c9", "bad")
	if err := s.SwapCityGallery(ctx, 2, "m", chunkPeople); err == nil {
		t.Fatal("SwapCityGallery with a chunk that does not decode = nil, want its error")
	}
	if got := people(); !reflect.DeepEqual(got, want) {
		t.Errorf("people after a failed swap = %v, want v1's %v", got, want)
	}
	if g, _ := s.GalleryStaging(ctx); g.Version != 2 || len(g.Chunks) != 2 {
		t.Errorf("GalleryStaging() after a failed swap = %+v, want v2 still staged", g)
	}
	if v, _ := s.CityGalleryVersion(ctx); v != 1 {
		t.Errorf("CityGalleryVersion() after a failed swap = %d, want 1", v)
	}
	stage(3, "c2,c9")
	if err := s.SwapCityGallery(ctx, 3, "m", chunkPeople); err != nil {
		t.Fatal(err)
	}
	if got, want := people(), map[string]int{"local-1/local": 1, "c2/city": 2, "c9/city": 2}; !reflect.DeepEqual(got, want) {
		t.Errorf("people after swapping in v3 = %v, want %v", got, want)
	}
	// An empty gallery takes the city's people away.
	stage(4)
	if err := s.SwapCityGallery(ctx, 4, "m", chunkPeople); err != nil {
		t.Fatal(err)
	}
	if got, want := people(), map[string]int{"local-1/local": 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("people after an empty gallery = %v, want %v", got, want)
	}
}
