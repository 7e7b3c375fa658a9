package store

import (
	"bytes"
	"context"
	"testing"
)

func TestForgetPerson(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if err := s.AddTemplates(ctx, Person{ID: "P-local", Name: "L", Source: "local"}, []Template{{Model: "m1", Vec: vecBytes(4, 1)}, {Model: "m1", Vec: vecBytes(4, 2)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StageGalleryChunk(ctx, 1, 0, []byte("v1")); err != nil {
		t.Fatal(err)
	}
	err := s.SwapCityGallery(ctx, 1, "m1", func(int, []byte) ([]CityPerson, error) {
		return []CityPerson{{ID: "P-city", Name: "C", Templates: [][]byte{vecBytes(4, 3)}}, {ID: "P-other", Name: "O", Templates: [][]byte{vecBytes(4, 4)}}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// v2 is on its way, P-city in its second chunk.
	if err := s.StageGalleryManifest(ctx, 2, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	for i, p := range []string{"P-other", "P-city"} {
		if _, err := s.StageGalleryChunk(ctx, 2, i, []byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	holds := func(id string) func([]byte) (bool, error) {
		return func(chunk []byte) (bool, error) { return bytes.Equal(chunk, []byte(id)), nil }
	}
	v1, _ := s.TemplatesVersion(ctx)

	f, err := s.ForgetPerson(ctx, "P-local", holds("P-local"))
	if want := (Forgotten{Person: true, Source: "local", Templates: 2}); err != nil || f != want {
		t.Errorf("ForgetPerson(P-local) = %+v, %v, want %+v", f, err, want)
	}
	f, err = s.ForgetPerson(ctx, "P-city", holds("P-city"))
	if want := (Forgotten{Person: true, Source: "city", Templates: 1, Withdrawn: 2, StagedChunks: 2}); err != nil || f != want {
		t.Errorf("ForgetPerson(P-city) = %+v, %v, want %+v", f, err, want)
	}
	// Again: nothing left to remove, and no error.
	f, err = s.ForgetPerson(ctx, "P-city", holds("P-city"))
	if err != nil || f != (Forgotten{}) {
		t.Errorf("ForgetPerson(P-city) again = %+v, %v, want nothing removed", f, err)
	}
	people, err := s.People(ctx, "m1")
	if err != nil || len(people) != 1 || people[0].ID != "P-other" {
		t.Errorf("People() = %+v, %v, want P-other only", people, err)
	}
	if st, err := s.GalleryStaging(ctx); err != nil || st.Manifest != nil || len(st.Chunks) != 0 {
		t.Errorf("GalleryStaging() = %+v, %v, want the staging that named P-city dropped", st, err)
	}
	if w, err := s.WithdrawnGallery(ctx); err != nil || w != 2 {
		t.Errorf("WithdrawnGallery() = %d, %v, want 2", w, err)
	}
	if v2, _ := s.TemplatesVersion(ctx); v2 == v1 {
		t.Errorf("TemplatesVersion() stayed %s: the face engine would not reload", v2)
	}
}
