package gallery

import "sync/atomic"

// Set holds the current gallery. Store replaces it whole: a search that has
// called Load keeps the gallery it got, old or new, never a mix of the two,
// and the old one is freed when the last such search ends. The zero Set holds
// no gallery.
type Set struct {
	cur atomic.Pointer[Gallery]
}

// Load returns the current gallery, nil before the first Store.
func (s *Set) Load() *Gallery { return s.cur.Load() }

// Store makes g the current gallery.
func (s *Set) Store(g *Gallery) { s.cur.Store(g) }
