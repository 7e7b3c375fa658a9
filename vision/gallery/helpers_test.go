package gallery

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

const testModel = "test-model"

// world is synthetic embeddings shaped like a recogniser's: each person a
// random unit centre, each template or probe the centre plus noise, with the
// noise set so that two samples of one person have a cosine of about 0.6 and
// samples of two people about 0 (±1/√dim).
type world struct {
	rng     *rand.Rand
	dim     int
	centres [][]float32
}

func newWorld(seed uint64, dim, people int) *world {
	w := &world{rng: rand.New(rand.NewPCG(seed, 1)), dim: dim}
	for range people {
		w.centres = append(w.centres, w.unit())
	}
	return w
}

// unit is a uniformly random direction.
func (w *world) unit() []float32 {
	v := w.gaussian(1)
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	for i := range v {
		v[i] = float32(float64(v[i]) / math.Sqrt(ss))
	}
	return v
}

func (w *world) gaussian(sigma float64) []float32 {
	v := make([]float32, w.dim)
	for i := range v {
		v[i] = float32(w.rng.NormFloat64() * sigma)
	}
	return v
}

// sample is a template or probe of person p: noise of norm √(2/3) around a
// unit centre gives a cosine of 1/(1+2/3) = 0.6 between two samples.
func (w *world) sample(p int) []float32 {
	v := w.gaussian(math.Sqrt(2.0 / 3 / float64(w.dim)))
	for i, c := range w.centres[p] {
		v[i] += c
	}
	return v
}

func personID(p int) string { return "P-" + strconv.Itoa(p) }

// templates are per samples of each person, people in turn.
func (w *world) templates(per int) []Template {
	var ts []Template
	for p := range w.centres {
		for range per {
			ts = append(ts, Template{Person: personID(p), Model: testModel, Vec: w.sample(p)})
		}
	}
	return ts
}

func slice(ts []Template) Source {
	return func(yield func(Template, error) bool) {
		for _, t := range ts {
			if !yield(t, nil) {
				return
			}
		}
	}
}

func mustBuild(t testing.TB, prec Precision, dim int, ts []Template) *Gallery {
	g, err := Build(Config{Model: testModel, Dim: dim, Precision: prec, Rows: len(ts)}, slice(ts))
	if err != nil {
		t.Helper()
		t.Fatal(err)
	}
	return g
}
