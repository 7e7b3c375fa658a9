package gallery

import (
	"strings"
	"sync"
	"testing"
)

// Searches running while the gallery is swapped each see one whole gallery:
// every person of every result is from the same one.
func TestSetSwap(t *testing.T) {
	w := newWorld(3, 16, 40)
	gens := make([]*Gallery, 2)
	for i, prefix := range []string{"old-", "new-"} {
		ts := w.templates(2)
		for j := range ts {
			ts[j].Person = prefix + ts[j].Person
		}
		gens[i] = mustBuild(t, Precision(i), 16, ts)
	}
	var s Set
	if g := s.Load(); g != nil {
		t.Fatalf("zero Set holds %v", g)
	}
	s.Store(gens[0])
	var searchers sync.WaitGroup
	seen := make([]map[string]bool, 4)
	for i := range seen {
		seen[i] = make(map[string]bool)
		searchers.Go(func() {
			// Until this searcher has seen both galleries, swapped under it.
			for n := 0; n < 1000 || len(seen[i]) < 2 && n < 1_000_000; n++ {
				m, err := s.Load().Top(testModel, w.centres[0], 10)
				if err != nil {
					t.Error(err)
					return
				}
				prefix := m[0].Person[:4]
				seen[i][prefix] = true
				for _, x := range m {
					if !strings.HasPrefix(x.Person, prefix) {
						t.Errorf("Top = %v: people of two galleries", m)
						return
					}
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { searchers.Wait(); close(done) }()
	for i := 1; ; i++ {
		select {
		case <-done:
			for i, m := range seen {
				if len(m) != 2 {
					t.Errorf("searcher %d saw galleries %v, want both", i, m)
				}
			}
			return
		default:
			s.Store(gens[i%2])
		}
	}
}
