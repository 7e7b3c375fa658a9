// Package gallerysynctest makes galleries as the city publishes them, for
// the tests of the box's gallery sync.
package gallerysynctest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/vision/gallery"
)

// Dim is the size of the galleries' templates.
const Dim = 8

// Gallery is a gallery as the city publishes it: its manifest and the
// chunks' payloads in order.
type Gallery struct {
	Manifest wire.GalleryManifest
	Chunks   [][]byte
}

// New makes a gallery of n people, city-000 on, per to a chunk, each with
// two templates: person j's are the unit vectors e(j mod Dim) and
// e(j+1 mod Dim).
func New(t testing.TB, version int64, model string, n, per int) Gallery {
	t.Helper()
	g := Gallery{Manifest: wire.GalleryManifest{Version: version, Model: model, Dim: Dim, Count: n, ChunkSHA256: []string{}}}
	whole := sha256.New()
	for i := 0; i < n; i += per {
		c := wire.GalleryChunk{Version: version, Index: len(g.Chunks)}
		for j := i; j < min(i+per, n); j++ {
			p := wire.GalleryPerson{ID: fmt.Sprintf("city-%03d", j), Name: fmt.Sprintf("Đại biểu %d", j), Unit: "Sở Nội vụ"}
			for k := range 2 {
				vec := make([]float32, Dim)
				vec[(j+k)%Dim] = 1
				p.Templates = append(p.Templates, gallery.Encode(vec))
			}
			c.People = append(c.People, p)
			g.Manifest.Templates += len(p.Templates)
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		g.Manifest.ChunkSHA256 = append(g.Manifest.ChunkSHA256, hex.EncodeToString(sum[:]))
		whole.Write(b)
		g.Chunks = append(g.Chunks, b)
	}
	g.Manifest.Chunks, g.Manifest.SHA256 = len(g.Chunks), hex.EncodeToString(whole.Sum(nil))
	return g
}
