package gallery

import (
	"errors"
	"fmt"
	"math"
	"runtime"
)

// quantise writes the unit vector v as int8 codes to dst and returns the scale: v[i] ≈
// dst[i]*scale. The scale is per row, symmetric (no offset, so a dot product
// of codes is a dot product of values) and set by the row's largest component.
// A global scale would have to fit the most extreme component of any row and
// leave typical rows, whose largest component is a few times smaller, with
// only a few dozen levels; a scale per row costs 4 bytes a row and one
// multiplication a row in a search.
func quantise(dst []int8, v []float32) (scale float32) {
	var m float32
	for _, x := range v {
		m = max(m, abs(x))
	}
	inv := 127 / m
	for i, x := range v {
		dst[i] = int8(math.Round(float64(x * inv)))
	}
	return m / 127
}

func abs(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }

// Agreement is how far an Int8 gallery's answers are from those of the same
// templates as Float32, over a set of probes.
type Agreement struct {
	Probes int
	// BestDiffers counts probes whose best person is not the same.
	BestDiffers int
	// ScoreDelta is |Δ| of the best score, MarginDelta of the margin over the
	// runner-up (when the gallery has two people).
	MaxScoreDelta, MeanScoreDelta float64
	MaxMarginDelta                float64
}

func (a Agreement) String() string {
	return fmt.Sprintf("%d probes: best person differs in %d (%.3f%%), |Δscore| max %.4f mean %.5f, |Δmargin| max %.4f",
		a.Probes, a.BestDiffers, 100*float64(a.BestDiffers)/float64(max(a.Probes, 1)), a.MaxScoreDelta, a.MeanScoreDelta, a.MaxMarginDelta)
}

// CompareInt8 searches a Float32 gallery and its Int8 copy for each probe and
// reports how their answers differ: the accuracy cost of int8, to be measured
// on real embeddings before choosing it.
func CompareInt8(g *Gallery, probes [][]float32) (Agreement, error) {
	if g.prec != Float32 {
		return Agreement{}, errors.New("gallery: compare int8: want a float32 gallery")
	}
	q, err := g.toInt8()
	if err != nil {
		return Agreement{}, err
	}
	var a Agreement
	for i, p := range probes {
		f, err := g.Top(g.model, p, 2)
		if err != nil {
			return Agreement{}, fmt.Errorf("gallery: compare int8: probe %d: %w", i, err)
		}
		b, err := q.Top(g.model, p, 2)
		if err != nil {
			return Agreement{}, fmt.Errorf("gallery: compare int8: probe %d: %w", i, err)
		}
		if len(f) == 0 {
			continue
		}
		a.Probes++
		if f[0].Person != b[0].Person {
			a.BestDiffers++
		}
		d := math.Abs(float64(f[0].Score - b[0].Score))
		a.MaxScoreDelta = max(a.MaxScoreDelta, d)
		a.MeanScoreDelta += d
		if len(f) == 2 {
			a.MaxMarginDelta = max(a.MaxMarginDelta, math.Abs(float64((f[0].Score-f[1].Score)-(b[0].Score-b[1].Score))))
		}
	}
	if a.Probes > 0 {
		a.MeanScoreDelta /= float64(a.Probes)
	}
	return a, nil
}

// toInt8 is g stored as Int8; the two share their person tables.
func (g *Gallery) toInt8() (*Gallery, error) {
	q := new(Gallery)
	*q = *g
	q.prec, q.f32 = Int8, nil
	var i8 mapped[int8]
	if err := i8.extend(len(g.f32)); err != nil {
		return nil, err
	}
	q.i8 = i8.s
	own(q, i8)
	q.scale = make([]float32, g.Len())
	unit, codes := make([]float32, g.pdim), make([]int8, g.pdim)
	for r := range q.scale {
		for j := range unit {
			unit[j] = g.f32[at(g.pdim, r, j)]
		}
		q.scale[r] = quantise(codes, unit)
		for j, c := range codes {
			q.i8[at(g.pdim, r, j)] = c
		}
	}
	runtime.KeepAlive(g)
	return q, nil
}
