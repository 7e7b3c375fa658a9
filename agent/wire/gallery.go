package wire

import (
	"crypto/sha256"
	"encoding/hex"
)

// Limits of a gallery.
const (
	MaxGalleryManifestSize = 1 << 20 // 10,000 chunk sha256s take 670 KB
	MaxGalleryChunkSize    = 8 << 20
	MaxGalleryChunks       = 10_000
	MaxGalleryPeople       = 200_000
	MaxGalleryTemplates    = 1_000_000
	MaxPersonTemplates     = 64
	MaxGalleryDim          = 4096
	MaxModelSize           = 128
)

// GalleryManifest says what a gallery holds; the city publishes it,
// retained, on gallery/manifest after its chunks. A box swaps the gallery
// in only once every chunk is there and checks against it.
type GalleryManifest struct {
	Version     int64    `json:"version"`
	Model       string   `json:"model"`     // the recognizer the templates are for
	Dim         int      `json:"dim"`       // components per template
	Count       int      `json:"count"`     // people
	Templates   int      `json:"templates"` // templates of all people
	Chunks      int      `json:"chunks"`
	SHA256      string   `json:"sha256"`       // hex, of the chunks' payloads joined in index order
	ChunkSHA256 []string `json:"chunk_sha256"` // hex, of each chunk's payload
}

// GalleryChunk is one part of a gallery, retained on gallery/chunk/<index>.
type GalleryChunk struct {
	Version int64           `json:"version"`
	Index   int             `json:"index"`
	People  []GalleryPerson `json:"people"`
}

// GalleryPerson is one person of a gallery and their face templates, each
// the bytes of vision/gallery.Encode (base64 in JSON).
type GalleryPerson struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Unit      string   `json:"unit"`
	Templates [][]byte `json:"templates"`
}

// DecodeGalleryManifest decodes a manifest whose counts agree with each
// other. An empty gallery (no people, no chunks) is valid: it removes the
// city's people from the box.
func DecodeGalleryManifest(payload []byte) (GalleryManifest, error) {
	var m GalleryManifest
	if err := decode("gallery manifest", payload, MaxGalleryManifestSize, '{', nil, &m); err != nil {
		return GalleryManifest{}, err
	}
	bad := func(format string, args ...any) (GalleryManifest, error) {
		return GalleryManifest{}, errorf(ErrInvalid, "gallery manifest: "+format, args...)
	}
	switch {
	case m.Version < 1:
		return bad("version %d, want a positive number", m.Version)
	case m.Model == "" || len(m.Model) > MaxModelSize:
		return bad("model must be 1..%d bytes", MaxModelSize)
	case m.Count < 0 || m.Count > MaxGalleryPeople:
		return bad("count %d, want 0..%d", m.Count, MaxGalleryPeople)
	case m.Templates < m.Count || m.Templates > MaxGalleryTemplates || m.Templates > m.Count*MaxPersonTemplates:
		return bad("%d templates for %d people, want one to %d each and at most %d", m.Templates, m.Count, MaxPersonTemplates, MaxGalleryTemplates)
	case m.Dim < 1 && m.Templates > 0 || m.Dim < 0 || m.Dim > MaxGalleryDim:
		return bad("dim %d, want 1..%d", m.Dim, MaxGalleryDim)
	case m.Chunks < 0 || m.Chunks > MaxGalleryChunks || m.Chunks > m.Count || (m.Count > 0) != (m.Chunks > 0):
		return bad("%d chunks for %d people, want 1..%d (none for no people)", m.Chunks, m.Count, min(max(m.Count, 1), MaxGalleryChunks))
	case len(m.ChunkSHA256) != m.Chunks:
		return bad("%d chunk_sha256 for %d chunks", len(m.ChunkSHA256), m.Chunks)
	case !isSHA256(m.SHA256):
		return bad("sha256 is not 64 lowercase hex digits")
	}
	for i, sum := range m.ChunkSHA256 {
		if !isSHA256(sum) {
			return bad("chunk_sha256[%d] is not 64 lowercase hex digits", i)
		}
	}
	return m, nil
}

// DecodeGalleryChunk decodes a chunk: people with unique ids, each with one
// or more templates of whole float32 components. Whether they match their
// manifest is for Check.
func DecodeGalleryChunk(payload []byte) (GalleryChunk, error) {
	var c GalleryChunk
	if err := decode("gallery chunk", payload, MaxGalleryChunkSize, '{', nil, &c); err != nil {
		return GalleryChunk{}, err
	}
	bad := func(format string, args ...any) (GalleryChunk, error) {
		return GalleryChunk{}, errorf(ErrInvalid, "gallery chunk %d: "+format, append([]any{c.Index}, args...)...)
	}
	switch {
	case c.Version < 1:
		return bad("version %d, want a positive number", c.Version)
	case c.Index < 0 || c.Index >= MaxGalleryChunks:
		return bad("index out of 0..%d", MaxGalleryChunks-1)
	case len(c.People) == 0:
		return bad("no people")
	}
	ids := make(map[string]bool, len(c.People))
	for i, p := range c.People {
		switch {
		case p.ID == "" || len(p.ID) > MaxPersonIDSize:
			return bad("people[%d]: id must be 1..%d bytes", i, MaxPersonIDSize)
		case ids[p.ID]:
			return bad("people[%d]: id %.40q listed twice", i, p.ID)
		case p.Name == "" || len(p.Name) > MaxNameSize:
			return bad("people[%d] %.40q: name must be 1..%d bytes", i, p.ID, MaxNameSize)
		case len(p.Unit) > MaxNameSize:
			return bad("people[%d] %.40q: unit longer than %d bytes", i, p.ID, MaxNameSize)
		case len(p.Templates) == 0 || len(p.Templates) > MaxPersonTemplates:
			return bad("people[%d] %.40q: %d templates, want 1..%d", i, p.ID, len(p.Templates), MaxPersonTemplates)
		}
		for j, t := range p.Templates {
			if len(t) == 0 || len(t)%4 != 0 || len(t) > 4*MaxGalleryDim {
				return bad("people[%d] %.40q: templates[%d] is %d bytes, want 4 per component, 1..%d components", i, p.ID, j, len(t), MaxGalleryDim)
			}
		}
		ids[p.ID] = true
	}
	return c, nil
}

// Check reports whether c, whose exact bytes are payload, is one of m's
// chunks: its version, index and sha256, and templates of m's dimension.
func (m GalleryManifest) Check(c GalleryChunk, payload []byte) error {
	switch {
	case c.Version != m.Version:
		return errorf(ErrInvalid, "gallery chunk %d is of v%d, the manifest of v%d", c.Index, c.Version, m.Version)
	case c.Index < 0 || c.Index >= m.Chunks:
		return errorf(ErrInvalid, "gallery chunk %d: gallery v%d has %d chunks", c.Index, m.Version, m.Chunks)
	}
	if sum := sha256.Sum256(payload); hex.EncodeToString(sum[:]) != m.ChunkSHA256[c.Index] {
		return errorf(ErrInvalid, "gallery chunk %d of v%d: sha256 %x, the manifest says %s", c.Index, m.Version, sum, m.ChunkSHA256[c.Index])
	}
	for _, p := range c.People {
		for j, t := range p.Templates {
			if len(t) != 4*m.Dim {
				return errorf(ErrInvalid, "gallery chunk %d: %.40q templates[%d] has %d components, the manifest says dim %d", c.Index, p.ID, j, len(t)/4, m.Dim)
			}
		}
	}
	return nil
}

// isSHA256 reports whether s is a sha256 in lowercase hex, as
// hex.EncodeToString writes it, so that sums compare as strings.
func isSHA256(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
