package facekit

import (
	"context"
	"fmt"
	"iter"

	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/vision/gallery"
)

// Templates are the store's templates of a model.
type Templates interface {
	TemplateCount(ctx context.Context, model string) (int, error)
	Templates(ctx context.Context, model string) iter.Seq2[store.Template, error]
}

// LoadGallery builds the gallery of one model from the templates in the
// store, decoding into one reused buffer.
func LoadGallery(ctx context.Context, st Templates, model string, dim int, prec gallery.Precision) (*gallery.Gallery, error) {
	n, err := st.TemplateCount(ctx, model)
	if err != nil {
		return nil, fmt.Errorf("gallery %s: %w", model, err)
	}
	var buf []float32
	src := func(yield func(gallery.Template, error) bool) {
		for t, err := range st.Templates(ctx, model) {
			if err == nil {
				buf, err = gallery.Decode(buf[:0], t.Vec)
				if err != nil {
					err = fmt.Errorf("template of %s: %w", t.Person, err)
				}
			}
			if !yield(gallery.Template{Person: t.Person, Model: model, Vec: buf}, err) {
				return
			}
		}
	}
	g, err := gallery.Build(gallery.Config{Model: model, Dim: dim, Precision: prec, Rows: n}, src)
	if err != nil {
		return nil, fmt.Errorf("gallery %s: %w", model, err)
	}
	return g, nil
}
