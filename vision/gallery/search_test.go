package gallery

import (
	"cmp"
	"math"
	"slices"
	"testing"
)

// bruteTop is the reference: each person's best score in float64 over the
// given row scores, sorted.
func bruteTop(g *Gallery, scores []float64, k int) []Match {
	best := make([]float64, g.People())
	for i := range best {
		best[i] = math.Inf(-1)
	}
	for r, p := range g.rowPerson {
		best[p] = max(best[p], scores[r])
	}
	var m []Match
	for p, s := range best {
		m = append(m, Match{Person: g.persons[p], Score: float32(s)})
	}
	slices.SortStableFunc(m, func(a, b Match) int { return cmp.Compare(b.Score, a.Score) })
	return m[:min(k, len(m))]
}

func TestTopExact(t *testing.T) {
	for _, c := range []struct {
		dim, people, per int
	}{{128, 2000, 1}, {128, 700, 3}, {16, 256, 2}, {13, 300, 2}, {1, 5, 2}} {
		w := newWorld(uint64(c.dim*c.people), c.dim, c.people)
		ts := w.templates(c.per)
		// Unrelated random rows as well as the clusters.
		for i := range ts {
			if i%2 == 0 {
				ts[i].Vec = w.gaussian(1)
			}
		}
		f := mustBuild(t, Float32, c.dim, ts)
		q := mustBuild(t, Int8, c.dim, ts)
		for i := range 50 {
			probe := w.gaussian(1)
			if i%2 == 0 {
				probe = w.sample(w.rng.IntN(c.people))
			}
			k := 1 + i%8
			unit := make([]float32, c.dim)
			if err := normalise(unit, probe); err != nil {
				t.Fatal(err)
			}
			codes := make([]int8, c.dim)
			pscale := quantise(codes, unit)
			var pn float64
			for _, x := range probe {
				pn += float64(x) * float64(x)
			}
			fs, qs := make([]float64, len(ts)), make([]float64, len(ts))
			for r, tt := range ts {
				var dot, norm float64
				var idot int64
				for j := range c.dim {
					dot += float64(tt.Vec[j]) * float64(probe[j])
					norm += float64(tt.Vec[j]) * float64(tt.Vec[j])
					idot += int64(q.i8[at(q.pdim, r, j)]) * int64(codes[j])
				}
				fs[r] = dot / math.Sqrt(norm*pn)
				qs[r] = float64(idot) * float64(q.scale[r]) * float64(pscale)
			}
			for _, x := range []struct {
				g      *Gallery
				scores []float64
				tol    float64
			}{{f, fs, 1e-5}, {q, qs, 1e-5}} {
				got, err := x.g.Top(testModel, probe, k)
				if err != nil {
					t.Fatal(err)
				}
				want := bruteTop(x.g, x.scores, k)
				if len(got) != len(want) {
					t.Fatalf("%v: Top(k=%d) = %v, want %v", x.g, k, got, want)
				}
				for j := range want {
					// A tie within rounding may come in either order.
					if math.Abs(float64(got[j].Score-want[j].Score)) > x.tol ||
						(got[j].Person != want[j].Person && math.Abs(float64(want[j].Score-want[min(j+1, len(want)-1)].Score)) > x.tol) {
						t.Fatalf("%v: Top(k=%d) = %v, want %v", x.g, k, got, want)
					}
				}
			}
		}
	}
}

// The int8 cost on clustered embeddings: for enrolled people the best person
// should not change; for strangers, whose best scores are close together, it
// may rarely.
func TestInt8Agreement(t *testing.T) {
	const people = 1000
	w := newWorld(11, 128, people)
	g := mustBuild(t, Float32, 128, w.templates(2))
	var enrolled, strangers [][]float32
	for i := range 500 {
		enrolled = append(enrolled, w.sample(i%people))
		strangers = append(strangers, w.unit())
	}
	for _, c := range []struct {
		name       string
		probes     [][]float32
		maxDiffers int
	}{{"enrolled", enrolled, 0}, {"strangers", strangers, 25}} {
		a, err := CompareInt8(g, c.probes)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %v", c.name, a)
		if a.Probes != len(c.probes) || a.BestDiffers > c.maxDiffers || a.MaxScoreDelta > 0.02 || a.MaxMarginDelta > 0.04 {
			t.Errorf("%s: CompareInt8 = %v; want at most %d differing, |Δscore| ≤ 0.02, |Δmargin| ≤ 0.04", c.name, a, c.maxDiffers)
		}
	}
	q, err := g.toInt8()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CompareInt8(q, enrolled); err == nil {
		t.Error("CompareInt8 of an int8 gallery: no error")
	}
}
