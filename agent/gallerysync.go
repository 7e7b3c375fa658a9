package agent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/vision/gallery"
)

// GallerySyncState is how far the city's gallery has come, for the status
// page and the state the box publishes.
type GallerySyncState struct {
	Version  int64  // the gallery being received, or the last one
	Model    string // its model, once its manifest came
	Received int    // chunks staged and checked against the manifest
	Total    int    // chunks in the manifest; 0 before it came
	Applied  int64  // the version in force; 0: none yet
	Error    string // why the last gallery, or a part of it, was refused
}

// gallerySync receives the city's gallery: chunks are staged in the store
// as they come (before their manifest too, as retained messages arrive in
// any order), checked against the manifest, and swapped in once all are
// there. Calls are serialised: the link runs each message in a goroutine.
type gallerySync struct {
	mu        sync.Mutex
	loaded    bool
	manifest  *wire.GalleryManifest // of the staged version; nil until it came
	refused   int64                 // a manifest version refused whole: its chunks are dropped quietly
	withdrawn int64                 // this version and older named a person the city deleted since
	state     GallerySyncState
}

// gallerySync returns the gallery's progress.
func (s *System) gallerySync() GallerySyncState {
	g := &s.gsync
	g.mu.Lock()
	defer g.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.loadGallerySync(ctx); err != nil {
		return GallerySyncState{Error: err.Error()}
	}
	return g.state
}

// loadGallerySync reads what the store has, once; g.mu is held.
func (s *System) loadGallerySync(ctx context.Context) error {
	g := &s.gsync
	if g.loaded {
		return nil
	}
	applied, err := s.store.CityGalleryVersion(ctx)
	if err != nil {
		return err
	}
	st, err := s.store.GalleryStaging(ctx)
	if err != nil {
		return err
	}
	if g.withdrawn, err = s.store.WithdrawnGallery(ctx); err != nil {
		return err
	}
	g.state = GallerySyncState{Version: applied, Applied: applied}
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

// forgetGallerySync makes the next call read the staging from the store
// again, after something else (a purge, a deletion) changed it.
func (s *System) forgetGallerySync() {
	g := &s.gsync
	g.mu.Lock()
	defer g.mu.Unlock()
	g.loaded, g.manifest = false, nil
}

// forgetPerson removes a person's templates from everywhere on the box, as
// the city's delete_person asks: the city's gallery, people enrolled on the
// box, and a gallery being received that names them, which is then
// refused until a newer one comes. The face engine's gallery is reloaded
// at once. Forgetting someone unknown removes nothing and succeeds.
func (s *System) forgetPerson(ctx context.Context, args json.RawMessage) (map[string]any, error) {
	a, err := wire.DecodeDeletePersonArgs(args)
	if err != nil {
		return nil, err
	}
	g := &s.gsync
	g.mu.Lock()
	f, err := s.store.ForgetPerson(ctx, a.PersonID, func(chunk []byte) (bool, error) {
		c, err := wire.DecodeGalleryChunk(chunk)
		if err != nil {
			return true, nil // it cannot be shown not to name them
		}
		for _, p := range c.People {
			if p.ID == a.PersonID {
				return true, nil
			}
		}
		return false, nil
	})
	if err == nil && f.Withdrawn > 0 {
		g.loaded, g.manifest = false, nil
	}
	g.mu.Unlock()
	if err != nil {
		return nil, err
	}
	recognitions := s.recent.Forget(a.PersonID)
	reloaded := false
	if s.faces != nil && f.Person {
		if err := s.faces.reloadGallery(ctx); err != nil {
			return nil, fmt.Errorf("person removed from the store, but the face engine's gallery was not reloaded: %w", err)
		}
		reloaded = true
	}
	s.log.Info("person deleted by the city", "component", "gallery", "person", a.PersonID, "found", f.Person, "source", f.Source,
		"templates", f.Templates, "withdrawn_gallery", f.Withdrawn, "staged_chunks", f.StagedChunks)
	s.kioskChanged()
	return map[string]any{"person_id": a.PersonID, "found": f.Person, "source": f.Source, "templates": f.Templates,
		"withdrawn_gallery": f.Withdrawn, "staged_chunks": f.StagedChunks, "recognitions": recognitions, "gallery_reloaded": reloaded}, nil
}

// galleryFailed records why a gallery or a part of it was refused and returns it.
func (s *System) galleryFailed(err error) error {
	s.gsync.state.Error = err.Error()
	s.log.Warn("city gallery refused", "component", "gallery", "err", err)
	return err
}

// GalleryManifest stages a gallery's manifest, checks the chunks staged
// before it, and swaps the gallery in if they are all there.
func (d downlink) GalleryManifest(ctx context.Context, m wire.GalleryManifest) error {
	s, g := d.s, &d.s.gsync
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := s.loadGallerySync(ctx); err != nil {
		return err
	}
	switch applied := g.state.Applied; {
	case m.Version == applied:
		return nil // the retained manifest of the gallery in force
	case m.Version < applied:
		return s.galleryFailed(fmt.Errorf("gallery v%d is older than v%d in force", m.Version, applied))
	case m.Version <= g.withdrawn:
		return s.galleryFailed(fmt.Errorf("gallery v%d names a person the city deleted since; waiting for a newer one", m.Version))
	case g.manifest != nil && m.Version < g.manifest.Version:
		return s.galleryFailed(fmt.Errorf("gallery v%d is older than v%d being received", m.Version, g.manifest.Version))
	}
	g.state = GallerySyncState{Version: m.Version, Model: m.Model, Total: m.Chunks, Applied: g.state.Applied}
	if box := s.cfg.Vision.RecognizerName; m.Model != box {
		g.refused, g.manifest = m.Version, nil
		return s.galleryFailed(fmt.Errorf("gallery v%d is for model %s; this box runs %s", m.Version, m.Model, box))
	}
	payload, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := s.store.StageGalleryManifest(ctx, m.Version, payload); err != nil {
		return err
	}
	g.manifest, g.refused = &m, 0
	// Chunks staged before the manifest are checked now.
	var bad []int
	var firstErr error
	err = s.store.EachGalleryChunk(ctx, m.Version, func(i int, p []byte) error {
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
		if err := s.store.DropGalleryChunk(ctx, m.Version, i); err != nil {
			return err
		}
	}
	s.log.Info("city gallery manifest", "component", "gallery", "version", m.Version, "model", m.Model, "people", m.Count, "templates", m.Templates, "chunks", m.Chunks, "staged", g.state.Received)
	if firstErr != nil {
		return s.galleryFailed(firstErr)
	}
	return s.completeGallery(ctx)
}

// GalleryChunk checks a chunk against its manifest, if it came already,
// stages it, and swaps the gallery in once it is complete. A chunk staged
// before (a retained one, after a reconnect) is not staged again.
func (d downlink) GalleryChunk(ctx context.Context, c wire.GalleryChunk, payload []byte) error {
	s, g := d.s, &d.s.gsync
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := s.loadGallerySync(ctx); err != nil {
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
			return s.galleryFailed(err)
		}
	default: // a newer gallery than the manifest known: it comes after its chunks
		if m != nil || c.Version != g.state.Version {
			g.manifest = nil
			g.state = GallerySyncState{Version: c.Version, Applied: g.state.Applied}
		}
	}
	staged, err := s.store.StageGalleryChunk(ctx, c.Version, c.Index, payload)
	if err != nil || !staged {
		return err
	}
	if m == nil || c.Version != m.Version {
		s.log.Info("city gallery chunk staged before its manifest", "component", "gallery", "version", c.Version, "index", c.Index)
		return nil
	}
	g.state.Received++
	s.log.Info("city gallery chunk staged", "component", "gallery", "version", c.Version, "index", c.Index, "received", g.state.Received, "total", g.state.Total)
	return s.completeGallery(ctx)
}

// completeGallery swaps the staged gallery in when every chunk is there,
// after checking it whole: the manifest's sha256 over the chunks in
// order, its counts, and that every template decodes at its dimension.
func (s *System) completeGallery(ctx context.Context) error {
	g := &s.gsync
	m := g.manifest
	if g.state.Received < m.Chunks {
		return nil
	}
	whole := sha256.New()
	ids := make(map[string]bool, m.Count)
	templates, next := 0, 0
	var vec []float32
	err := s.store.EachGalleryChunk(ctx, m.Version, func(i int, p []byte) error {
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
		return s.galleryFailed(fmt.Errorf("gallery v%d: %w", m.Version, err))
	}
	err = s.store.SwapCityGallery(ctx, m.Version, m.Model, func(_ int, p []byte) ([]store.CityPerson, error) {
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
	s.log.Info("city gallery swapped in", "component", "gallery", "version", m.Version, "model", m.Model, "people", m.Count, "templates", m.Templates)
	s.kioskChanged()
	return nil
}
