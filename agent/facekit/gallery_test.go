package facekit

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/vision/gallery"
)

func TestLoadGallery(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "roomgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	add := func(id string, vecs ...[]float32) {
		var ts []store.Template
		for _, v := range vecs {
			ts = append(ts, store.Template{Model: "m1", Vec: gallery.Encode(v), EnrolledAt: time.Now()})
		}
		if err := st.AddTemplates(ctx, store.Person{ID: id, Name: id, Source: "local"}, ts); err != nil {
			t.Fatal(err)
		}
	}
	add("P-an", []float32{1, 0, 0}, []float32{0.9, 0.1, 0})
	add("P-binh", []float32{0, 1, 0})
	for _, prec := range []gallery.Precision{gallery.Float32, gallery.Int8} {
		g, err := LoadGallery(ctx, st, "m1", 3, prec)
		if err != nil {
			t.Fatal(err)
		}
		if g.Len() != 3 || g.People() != 2 {
			t.Errorf("%v: %d templates of %d people, want 3 of 2", prec, g.Len(), g.People())
		}
		top, err := g.Top("m1", []float32{0, 0.2, 0}, 2)
		if err != nil || len(top) != 2 || top[0].Person != "P-binh" || top[1].Person != "P-an" {
			t.Errorf("%v: Top = %+v, %v, want P-binh then P-an", prec, top, err)
		}
	}

	// A template of the wrong size names its person instead of loading half a gallery.
	if err := st.AddTemplates(ctx, store.Person{ID: "P-cuong", Name: "c", Source: "city"}, []store.Template{{Model: "m1", Vec: gallery.Encode([]float32{1, 2}), EnrolledAt: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadGallery(ctx, st, "m1", 3, gallery.Float32); err == nil || !strings.Contains(err.Error(), "P-cuong") {
		t.Errorf("LoadGallery with a 2-d template = %v, want an error naming P-cuong", err)
	}
}
