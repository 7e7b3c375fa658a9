package gallerysync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/vision/gallery"
)

// Store is where the gallery is staged and swapped in.
type Store interface {
	CityGalleryVersion(ctx context.Context) (int64, error)
	GalleryStaging(ctx context.Context) (store.GalleryStaging, error)
	WithdrawnGallery(ctx context.Context) (int64, error)
	StageGalleryManifest(ctx context.Context, version int64, payload []byte) error
	StageGalleryChunk(ctx context.Context, version int64, index int, payload []byte) (bool, error)
	DropGalleryChunk(ctx context.Context, version int64, index int) error
	EachGalleryChunk(ctx context.Context, version int64, fn func(index int, payload []byte) error) error
	SwapCityGallery(ctx context.Context, version int64, model string, people func(index int, payload []byte) ([]store.CityPerson, error)) error
	ForgetPerson(ctx context.Context, id string, holds func(chunk []byte) (bool, error)) (store.Forgotten, error)
}

// State is how far the city's gallery has come, for the status
// page and the state the box publishes.
type State struct {
	Version  int64  // the gallery being received, or the last one
	Model    string // its model, once its manifest came
	Received int    // chunks staged and checked against the manifest
	Total    int    // chunks in the manifest; 0 before it came
	Applied  int64  // the version in force; 0: none yet
	Error    string // why the last gallery, or a part of it, was refused
}

// Receiver receives the city's gallery. Calls are serialised: the link
// runs each message in a goroutine.
type Receiver struct {
	store     Store
	model     string // the recogniser the box runs: a gallery for another is refused
	log       *slog.Logger
	onApplied func()

	mu        sync.Mutex
	loaded    bool
	manifest  *wire.GalleryManifest // of the staged version; nil until it came
	refused   int64                 // a manifest version refused whole: its chunks are dropped quietly
	withdrawn int64                 // this version and older named a person the city deleted since
	state     State
}

// New makes a receiver for galleries of model; onApplied, if set, is
// called after a gallery was swapped in. It reads the store on first use.
func New(st Store, model string, log *slog.Logger, onApplied func()) *Receiver {
	return &Receiver{store: st, model: model, log: log, onApplied: onApplied}
}

// State returns the gallery's progress.
func (g *Receiver) State() State {
	g.mu.Lock()
	defer g.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := g.load(ctx); err != nil {
		return State{Error: err.Error()}
	}
	return g.state
}

// load reads what the store has, once; g.mu is held.
func (g *Receiver) load(ctx context.Context) error {
	if g.loaded {
		return nil
	}
	applied, err := g.store.CityGalleryVersion(ctx)
	if err != nil {
		return err
	}
	st, err := g.store.GalleryStaging(ctx)
	if err != nil {
		return err
	}
	if g.withdrawn, err = g.store.WithdrawnGallery(ctx); err != nil {
		return err
	}
	g.state = State{Version: applied, Applied: applied}
	if st.Version > applied {
		g.state.Version = st.Version
		if st.Manifest != nil {
			m, err := wire.DecodeGalleryManifest(st.Manifest)
			if err != nil {
				return fmt.Errorf("staged gallery v%d: %w", st.Version, err)
			}
			g.manifest = &m
			g.state.Model, g.state.Total, g.state.Received = m.Model, m.Chunks, len(st.Chunks)
		}
	}
	g.loaded = true
	return nil
}

// Reread makes the next call read the staging from the store again,
// after something else (a purge) changed it.
func (g *Receiver) Reread() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.loaded, g.manifest = false, nil
}

// ForgetPerson removes a person's templates from everywhere in the store,
// as the city's delete_person asks: the city's gallery, people enrolled
// on the box, and a gallery being received that names them, which is then
// refused until a newer one comes. Forgetting someone unknown removes
// nothing and succeeds.
func (g *Receiver) ForgetPerson(ctx context.Context, person string) (store.Forgotten, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	f, err := g.store.ForgetPerson(ctx, person, func(chunk []byte) (bool, error) {
		c, err := wire.DecodeGalleryChunk(chunk)
		if err != nil {
			return true, nil // it cannot be shown not to name them
		}
		for _, p := range c.People {
			if p.ID == person {
				return true, nil
			}
		}
		return false, nil
	})
	if err == nil && f.Withdrawn > 0 {
		g.loaded, g.manifest = false, nil
	}
	return f, err
}

// galleryFailed records why a gallery or a part of it was refused and returns it.
func (g *Receiver) failed(err error) error {
	g.state.Error = err.Error()
	g.log.Warn("city gallery refused", "component", "gallery", "err", err)
	return err
}

// Manifest stages a gallery's manifest, checks the chunks staged before
// it, and swaps the gallery in if they are all there.
func (g *Receiver) Manifest(ctx context.Context, m wire.GalleryManifest) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.load(ctx); err != nil {
		return err
	}
	switch applied := g.state.Applied; {
	case m.Version == applied:
		return nil // the retained manifest of the gallery in force
	case m.Version < applied:
		return g.failed(fmt.Errorf("gallery v%d is older than v%d in force", m.Version, applied))
	case m.Version <= g.withdrawn:
		return g.failed(fmt.Errorf("gallery v%d names a person the city deleted since; waiting for a newer one", m.Version))
	case g.manifest != nil && m.Version < g.manifest.Version:
		return g.failed(fmt.Errorf("gallery v%d is older than v%d being received", m.Version, g.manifest.Version))
	}
	g.state = State{Version: m.Version, Model: m.Model, Total: m.Chunks, Applied: g.state.Applied}
	if box := g.model; m.Model != box {
		g.refused, g.manifest = m.Version, nil
		return g.failed(fmt.Errorf("gallery v%d is for model %s; this box runs %s: templates of two models never match, "+
			"so enrol the city's photos again with the box's model (roomgate-city publish gallery with the box's config) and publish that", m.Version, m.Model, box))
	}
	payload, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := g.store.StageGalleryManifest(ctx, m.Version, payload); err != nil {
		return err
	}
	g.manifest, g.refused = &m, 0
	// Chunks staged before the manifest are checked now.
	var bad []int
	var firstErr error
	err = g.store.EachGalleryChunk(ctx, m.Version, func(i int, p []byte) error {
		c, err := wire.DecodeGalleryChunk(p)
		if err == nil {
			err = m.Check(c, p)
		}
		if err != nil {
			bad = append(bad, i)
			if firstErr == nil {
				firstErr = err
			}
			return nil
		}
		g.state.Received++
		return nil
	})
	if err != nil {
		return err
	}
	for _, i := range bad {
		if err := g.store.DropGalleryChunk(ctx, m.Version, i); err != nil {
			return err
		}
	}
	g.log.Info("city gallery manifest", "component", "gallery", "version", m.Version, "model", m.Model, "people", m.Count, "templates", m.Templates, "chunks", m.Chunks, "staged", g.state.Received)
	if firstErr != nil {
		return g.failed(firstErr)
	}
	return g.complete(ctx)
}

// Chunk checks a chunk against its manifest, if it came already, stages
// it, and swaps the gallery in once it is complete. A chunk staged before
// (a retained one, after a reconnect) is not staged again.
func (g *Receiver) Chunk(ctx context.Context, c wire.GalleryChunk, payload []byte) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.load(ctx); err != nil {
		return err
	}
	m := g.manifest
	switch {
	case c.Version <= g.state.Applied || c.Version == g.refused || c.Version <= g.withdrawn:
		return nil // of the gallery in force, or of one refused whole
	case m != nil && c.Version < m.Version, m == nil && c.Version < g.state.Version:
		return nil // left over from an older gallery
	case m != nil && c.Version == m.Version:
		if err := m.Check(c, payload); err != nil {
			return g.failed(err)
		}
	default: // a newer gallery than the manifest known: it comes after its chunks
		if m != nil || c.Version != g.state.Version {
			g.manifest = nil
			g.state = State{Version: c.Version, Applied: g.state.Applied}
		}
	}
	staged, err := g.store.StageGalleryChunk(ctx, c.Version, c.Index, payload)
	if err != nil || !staged {
		return err
	}
	if m == nil || c.Version != m.Version {
		g.log.Info("city gallery chunk staged before its manifest", "component", "gallery", "version", c.Version, "index", c.Index)
		return nil
	}
	g.state.Received++
	g.log.Info("city gallery chunk staged", "component", "gallery", "version", c.Version, "index", c.Index, "received", g.state.Received, "total", g.state.Total)
	return g.complete(ctx)
}

// complete swaps the staged gallery in when every chunk is there,
// after checking it whole: the manifest's sha256 over the chunks in
// order, its counts, and that every template decodes at its dimension.
func (g *Receiver) complete(ctx context.Context) error {
	m := g.manifest
	if g.state.Received < m.Chunks {
		return nil
	}
	whole := sha256.New()
	ids := make(map[string]bool, m.Count)
	templates, next := 0, 0
	var vec []float32
	err := g.store.EachGalleryChunk(ctx, m.Version, func(i int, p []byte) error {
		if i != next {
			return fmt.Errorf("chunk %d missing", next)
		}
		next++
		whole.Write(p)
		c, err := wire.DecodeGalleryChunk(p)
		if err != nil {
			return err
		}
		for _, gp := range c.People {
			if ids[gp.ID] {
				return fmt.Errorf("person %.40q is in two chunks", gp.ID)
			}
			ids[gp.ID] = true
			for _, t := range gp.Templates {
				if vec, err = gallery.Decode(vec[:0], t); err != nil || len(vec) != m.Dim {
					return fmt.Errorf("a template of %.40q does not decode at dim %d: %v", gp.ID, m.Dim, err)
				}
				templates++
			}
		}
		return nil
	})
	switch {
	case err != nil:
	case next != m.Chunks:
		err = fmt.Errorf("%d chunks staged, the manifest says %d", next, m.Chunks)
	case hex.EncodeToString(whole.Sum(nil)) != m.SHA256:
		err = errors.New("the chunks' sha256 differs from the manifest's")
	case len(ids) != m.Count || templates != m.Templates:
		err = fmt.Errorf("the chunks hold %d people and %d templates, the manifest says %d and %d", len(ids), templates, m.Count, m.Templates)
	}
	if err != nil {
		g.refused, g.manifest = m.Version, nil
		return g.failed(fmt.Errorf("gallery v%d: %w", m.Version, err))
	}
	err = g.store.SwapCityGallery(ctx, m.Version, m.Model, func(_ int, p []byte) ([]store.CityPerson, error) {
		c, err := wire.DecodeGalleryChunk(p)
		if err != nil {
			return nil, err
		}
		people := make([]store.CityPerson, len(c.People))
		for i, gp := range c.People {
			people[i] = store.CityPerson{ID: gp.ID, Name: gp.Name, Unit: gp.Unit, Templates: gp.Templates}
		}
		return people, nil
	})
	if err != nil {
		return err
	}
	g.manifest = nil
	g.state.Applied, g.state.Error = m.Version, ""
	g.log.Info("city gallery swapped in", "component", "gallery", "version", m.Version, "model", m.Model, "people", m.Count, "templates", m.Templates)
	if g.onApplied != nil {
		g.onApplied()
	}
	return nil
}
