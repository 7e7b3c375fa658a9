package gallery

import (
	"errors"
	"fmt"
	"iter"
	"math"
	"slices"
)

// Sentinel errors callers branch on; errors of Build, Top and Decode wrap one.
var (
	ErrModel  = errors.New("gallery: wrong model")
	ErrDim    = errors.New("gallery: wrong dimension")
	ErrVector = errors.New("gallery: unusable vector")
)

// Precision is how a gallery stores its rows.
type Precision uint8

const (
	// Float32 keeps rows as they came (normalised): 4 bytes a component.
	Float32 Precision = iota
	// Int8 keeps each row as int8 codes with one scale per row: 1 byte a
	// component, a quarter of the memory and of the bytes a search reads, for
	// scores within about 0.01 of Float32's (see CompareInt8).
	Int8
)

func (p Precision) String() string {
	switch p {
	case Float32:
		return "float32"
	case Int8:
		return "int8"
	}
	return fmt.Sprintf("Precision(%d)", uint8(p))
}

// ParsePrecision is the precision String names.
func ParsePrecision(s string) (Precision, error) {
	for _, p := range []Precision{Float32, Int8} {
		if s == p.String() {
			return p, nil
		}
	}
	return 0, fmt.Errorf("gallery: precision %q: want float32 or int8", s)
}

// maxDim keeps an int8 dot product inside int32: each term is at most 127².
const maxDim = math.MaxInt32 / (127 * 127)

// Template is one face template of a person. A person may have several.
type Template struct {
	Person string
	Model  string
	Vec    []float32
}

// Source yields a gallery's templates, or an error that ends the build
// (agent/store reads them from SQLite). Build copies each Vec, so a source may
// reuse its buffer.
type Source = iter.Seq2[Template, error]

// Config says what a gallery holds.
type Config struct {
	// Model names the recogniser that made the templates: templates of two
	// models are not comparable, so Build refuses any other and Top refuses
	// probes of any other.
	Model     string
	Dim       int
	Precision Precision
	// Rows is the expected number of templates (the gallery manifest's count),
	// if known: reserving the matrix once keeps the peak memory of a build
	// at the gallery's own size.
	Rows int
}

// Gallery is an immutable set of normalised templates. It is safe for
// concurrent use.
type Gallery struct {
	model     string
	dim       int
	pdim      int // dim rounded up to a multiple of 8
	prec      Precision
	persons   []string // distinct ids, in order of first appearance
	rowPerson []int32  // index into persons of each row
	// The matrix, in tiles (see tileRows): one of f32 and i8, by prec,
	// mapped outside the Go heap (offheap.go).
	f32   []float32
	i8    []int8
	scale []float32 // of each int8 row: component ≈ code * scale
}

// Build reads every template of src into a new gallery. It fails, naming the
// template, on a template of another model, of the wrong dimension or whose
// vector is zero or not finite.
func Build(cfg Config, src Source) (*Gallery, error) {
	if cfg.Model == "" {
		return nil, fmt.Errorf("%w: no model name", ErrModel)
	}
	if cfg.Dim < 1 || cfg.Dim > maxDim {
		return nil, fmt.Errorf("%w: %d, want 1 to %d", ErrDim, cfg.Dim, maxDim)
	}
	if cfg.Precision > Int8 {
		return nil, fmt.Errorf("gallery: unknown precision %v", cfg.Precision)
	}
	g := &Gallery{model: cfg.Model, dim: cfg.Dim, pdim: (cfg.Dim + 7) / 8 * 8, prec: cfg.Precision}
	var f32 mapped[float32]
	var i8 mapped[int8]
	if err := g.read(cfg, src, &f32, &i8); err != nil {
		f32.free()
		i8.free()
		return nil, err
	}
	g.f32, g.i8 = f32.s, i8.s
	own(g, f32)
	own(g, i8)
	return g, nil
}

// read fills g's tables and f32 or i8 (by g.prec) from src.
func (g *Gallery) read(cfg Config, src Source, f32 *mapped[float32], i8 *mapped[int8]) error {
	rows := max(cfg.Rows, 0)
	g.rowPerson = make([]int32, 0, rows)
	size := (rows + tileRows - 1) / tileRows * tileRows * g.pdim
	if g.prec == Int8 {
		g.scale = make([]float32, 0, rows)
		if err := i8.realloc(size); err != nil {
			return err
		}
	} else if err := f32.realloc(size); err != nil {
		return err
	}
	// Sized once: a growing map leaves its old buckets to the collector mid-load.
	index := make(map[string]int32, rows)
	unit := make([]float32, g.pdim) // the padding stays zero
	codes := make([]int8, g.pdim)
	for t, err := range src {
		if err != nil {
			return fmt.Errorf("gallery: source: %w", err)
		}
		r := len(g.rowPerson)
		if t.Model != cfg.Model {
			return fmt.Errorf("%w: template %d (person %q) is of %q, gallery of %q", ErrModel, r, t.Person, t.Model, cfg.Model)
		}
		if err := normalise(unit[:g.dim], t.Vec); err != nil {
			return fmt.Errorf("%w: template %d (person %q)", err, r, t.Person)
		}
		p, ok := index[t.Person]
		if !ok {
			if len(g.persons) == math.MaxInt32 {
				return errors.New("gallery: too many people")
			}
			p = int32(len(g.persons))
			index[t.Person] = p
			g.persons = append(g.persons, t.Person)
		}
		g.rowPerson = append(g.rowPerson, p)
		newTile := r%tileRows == 0
		if g.prec == Int8 {
			if newTile {
				if err := i8.extend(tileRows * g.pdim); err != nil {
					return err
				}
			}
			g.scale = append(g.scale, quantise(codes, unit))
			for j, c := range codes {
				i8.s[at(g.pdim, r, j)] = c
			}
		} else {
			if newTile {
				if err := f32.extend(tileRows * g.pdim); err != nil {
					return err
				}
			}
			for j, x := range unit {
				f32.s[at(g.pdim, r, j)] = x
			}
		}
	}
	// Without a count up front, appends leave up to half of each slice unused
	// for the life of the gallery.
	g.rowPerson, g.scale = fit(g.rowPerson), fit(g.scale)
	if err := f32.fit(); err != nil {
		return err
	}
	return i8.fit()
}

func fit[E any](s []E) []E {
	if cap(s) == len(s) {
		return s
	}
	return slices.Clone(s)
}

// normalise writes v/|v| to dst. Its errors wrap ErrDim or ErrVector.
func normalise(dst, v []float32) error {
	if len(v) != len(dst) {
		return fmt.Errorf("%w: %d, want %d", ErrDim, len(v), len(dst))
	}
	// Sum in float64: a sum of squares in float32 overflows for components
	// above about 1e19 and loses digits over many terms.
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	if ss == 0 || math.IsNaN(ss) || math.IsInf(ss, 0) {
		return fmt.Errorf("%w: zero, NaN or infinite", ErrVector)
	}
	inv := 1 / math.Sqrt(ss)
	for i, x := range v {
		dst[i] = float32(float64(x) * inv)
	}
	return nil
}

// Model is the name of the recogniser whose templates the gallery holds.
func (g *Gallery) Model() string { return g.model }

// Dim is the number of components of each template.
func (g *Gallery) Dim() int { return g.dim }

// Precision is how the gallery stores its rows.
func (g *Gallery) Precision() Precision { return g.prec }

// Len is the number of templates.
func (g *Gallery) Len() int { return len(g.rowPerson) }

// People is the number of distinct people.
func (g *Gallery) People() int { return len(g.persons) }

func (g *Gallery) String() string {
	return fmt.Sprintf("gallery %s/%d/%v: %d templates of %d people", g.model, g.dim, g.prec, g.Len(), g.People())
}
