package gallery

import (
	"errors"
	"fmt"
	"math"
	"runtime"
)

// Match is a person and the cosine similarity of the probe to that person's
// closest template.
type Match struct {
	Person string
	Score  float32
}

// Top returns the k people closest to probe, best first, each once, with the
// score of their closest template; fewer when the gallery knows fewer people.
// Top(model, probe, 2) gives the best person and the runner-up, the margin
// being the difference of their scores. The search is exact: every template is
// compared. model names the recogniser that made probe; a probe of another
// model than the gallery's is refused rather than scored against templates it
// cannot be compared with.
func (g *Gallery) Top(model string, probe []float32, k int) ([]Match, error) {
	if model != g.model {
		return nil, fmt.Errorf("%w: probe of %q, gallery of %q", ErrModel, model, g.model)
	}
	if k < 1 {
		return nil, errors.New("gallery: top k: k must be at least 1")
	}
	q := make([]float32, g.pdim) // the padding stays zero
	if err := normalise(q[:g.dim], probe); err != nil {
		return nil, fmt.Errorf("%w: probe", err)
	}
	t := topK{person: make([]int32, 0, k), score: make([]float32, 0, k)}
	unit := float32(1)
	if g.prec == Int8 {
		unit = g.scanInt8(q, &t)
	} else {
		g.scanFloat32(q, &t)
	}
	runtime.KeepAlive(g) // its matrix is unmapped once g is unreachable
	m := make([]Match, len(t.person))
	for i, p := range t.person {
		m[i] = Match{Person: g.persons[p], Score: t.score[i] * unit}
	}
	return m, nil
}

func (g *Gallery) scanFloat32(q []float32, t *topK) {
	var sc [tileRows]float32
	floor := float32(math.Inf(-1))
	span := tileRows * g.pdim
	for r0 := 0; r0 < g.Len(); r0 += tileRows {
		m := min(tileRows, g.Len()-r0)
		tileFloat32(g.f32[r0*g.pdim:r0*g.pdim+span], m, q, &sc)
		for i, s := range sc[:m] {
			if s > floor {
				floor = t.offer(g.rowPerson[r0+i], s)
			}
		}
	}
}

// scanInt8 quantises q and offers each row's score in units of the probe's
// scale, which it returns: one multiplication a result rather than a row.
func (g *Gallery) scanInt8(q []float32, t *topK) (unit float32) {
	codes := make([]int8, g.pdim)
	unit = quantise(codes, q)
	wide := make([]int32, g.pdim)
	for j, c := range codes {
		wide[j] = int32(c)
	}
	var sc [tileRows]int32
	floor := float32(math.Inf(-1))
	span := tileRows * g.pdim
	for r0 := 0; r0 < g.Len(); r0 += tileRows {
		m := min(tileRows, g.Len()-r0)
		tileInt8(g.i8[r0*g.pdim:r0*g.pdim+span], m, wide, &sc)
		scale := g.scale[r0 : r0+m]
		for i, s := range sc[:m] {
			if s := float32(s) * scale[i]; s > floor {
				floor = t.offer(g.rowPerson[r0+i], s)
			}
		}
	}
	return unit
}

// topK keeps the best k distinct people seen so far, best first. Most rows
// score below the floor and never reach it, so a linear search of k entries
// costs nothing measurable.
type topK struct {
	person []int32
	score  []float32
}

// offer records score s for person p and returns the new floor: the score a
// row must beat to change the result. A person already kept keeps their best
// score; a new one pushes out the last when the list is full. This is exact:
// kept scores only rise, so a person pushed out could never have come back
// with the score that was pushed out.
func (t *topK) offer(p int32, s float32) (floor float32) {
	i := len(t.person)
	for j, q := range t.person {
		if q == p {
			i = j
			break
		}
	}
	switch {
	case i < len(t.person):
		if s <= t.score[i] {
			return t.floor()
		}
	case len(t.person) < cap(t.person):
		t.person = append(t.person, p)
		t.score = append(t.score, s)
	default:
		i--
	}
	for ; i > 0 && t.score[i-1] < s; i-- {
		t.person[i], t.score[i] = t.person[i-1], t.score[i-1]
	}
	t.person[i], t.score[i] = p, s
	return t.floor()
}

func (t *topK) floor() float32 {
	if len(t.person) < cap(t.person) {
		return float32(math.Inf(-1))
	}
	return t.score[len(t.score)-1]
}
