package gallery

import (
	"errors"
	"math"
	"slices"
	"testing"
)

func TestBuildNormalises(t *testing.T) {
	// int8 codes of (0.6, 0, 0.8) are (95, 0, 127): a cosine of 0.998 to the
	// vector itself.
	for prec, tol := range map[Precision]float64{Float32: 1e-6, Int8: 0.005} {
		g := mustBuild(t, prec, 3, []Template{
			{Person: "a", Model: testModel, Vec: []float32{3, 0, 4}},
			{Person: "b", Model: testModel, Vec: []float32{0, 1e-30, 0}},
			{Person: "c", Model: testModel, Vec: []float32{-2e30, 0, 0}},
		})
		for _, c := range []struct {
			probe []float32
			want  string
		}{
			{[]float32{0.3, 0, 0.4}, "a"},
			{[]float32{0, 7, 0}, "b"},
			{[]float32{-1, 0, 0}, "c"},
		} {
			m, err := g.Top(testModel, c.probe, 1)
			if err != nil {
				t.Fatal(err)
			}
			if m[0].Person != c.want || math.Abs(float64(m[0].Score)-1) > tol {
				t.Errorf("%v: Top(%v, 1) = %v, want %s with score 1", prec, c.probe, m, c.want)
			}
		}
	}
}

func TestBuildErrors(t *testing.T) {
	ok := []float32{1, 2, 3}
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	srcErr := errors.New("disk I/O error")
	for _, c := range []struct {
		name string
		cfg  Config
		src  Source
		want error
	}{
		{"no model", Config{Dim: 3}, slice(nil), ErrModel},
		{"zero dim", Config{Model: testModel}, slice(nil), ErrDim},
		{"huge dim", Config{Model: testModel, Dim: maxDim + 1}, slice(nil), ErrDim},
		{"mixed models", Config{Model: testModel, Dim: 3}, slice([]Template{
			{Person: "a", Model: testModel, Vec: ok}, {Person: "b", Model: "other", Vec: ok}}), ErrModel},
		{"short vector", Config{Model: testModel, Dim: 3}, slice([]Template{{Person: "a", Model: testModel, Vec: ok[:2]}}), ErrDim},
		{"long vector", Config{Model: testModel, Dim: 2}, slice([]Template{{Person: "a", Model: testModel, Vec: ok}}), ErrDim},
		{"zero vector", Config{Model: testModel, Dim: 3}, slice([]Template{{Person: "a", Model: testModel, Vec: make([]float32, 3)}}), ErrVector},
		{"NaN", Config{Model: testModel, Dim: 3}, slice([]Template{{Person: "a", Model: testModel, Vec: []float32{1, nan, 0}}}), ErrVector},
		{"Inf", Config{Model: testModel, Dim: 3, Precision: Int8}, slice([]Template{{Person: "a", Model: testModel, Vec: []float32{1, 0, inf}}}), ErrVector},
		{"source fails", Config{Model: testModel, Dim: 3}, func(yield func(Template, error) bool) {
			_ = yield(Template{Person: "a", Model: testModel, Vec: ok}, nil) && yield(Template{}, srcErr)
		}, srcErr},
	} {
		g, err := Build(c.cfg, c.src)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: Build = %v, %v; want error %v", c.name, g, err, c.want)
		}
	}
}

func TestTopErrors(t *testing.T) {
	g := mustBuild(t, Float32, 3, []Template{{Person: "a", Model: testModel, Vec: []float32{1, 2, 3}}})
	for _, c := range []struct {
		name  string
		model string
		probe []float32
		k     int
		want  error
	}{
		{"other model", "other", []float32{1, 2, 3}, 1, ErrModel},
		{"wrong dim", testModel, []float32{1, 2}, 1, ErrDim},
		{"zero probe", testModel, []float32{0, 0, 0}, 1, ErrVector},
		{"NaN probe", testModel, []float32{float32(math.NaN()), 0, 0}, 1, ErrVector},
	} {
		if m, err := g.Top(c.model, c.probe, c.k); !errors.Is(err, c.want) {
			t.Errorf("%s: Top(%q, %v, %d) = %v, %v; want error %v", c.name, c.model, c.probe, c.k, m, err, c.want)
		}
	}
	if m, err := g.Top(testModel, []float32{1, 2, 3}, 0); err == nil {
		t.Errorf("Top(k=0) = %v, nil; want an error", m)
	}
}

func TestEmpty(t *testing.T) {
	for _, prec := range []Precision{Float32, Int8} {
		g := mustBuild(t, prec, 4, nil)
		if g.Len() != 0 || g.People() != 0 {
			t.Errorf("%v: empty gallery is %v", prec, g)
		}
		m, err := g.Top(testModel, []float32{1, 0, 0, 0}, 2)
		if err != nil || len(m) != 0 {
			t.Errorf("%v: Top on an empty gallery = %v, %v; want no matches", prec, m, err)
		}
	}
}

// A person with several templates close to the probe is one match, so the
// runner-up is another person.
func TestTopDistinctPeople(t *testing.T) {
	ts := []Template{
		{Person: "ann", Model: testModel, Vec: []float32{1, 0.1, 0}},
		{Person: "ann", Model: testModel, Vec: []float32{1, 0, 0}},
		{Person: "ann", Model: testModel, Vec: []float32{1, 0.05, 0}},
		{Person: "bob", Model: testModel, Vec: []float32{1, 0.5, 0}},
		{Person: "cat", Model: testModel, Vec: []float32{0, 1, 0}},
		{Person: "bob", Model: testModel, Vec: []float32{1, 0.3, 0}},
	}
	for _, prec := range []Precision{Float32, Int8} {
		g := mustBuild(t, prec, 3, ts)
		if g.Len() != 6 || g.People() != 3 {
			t.Fatalf("%v: gallery is %v, want 6 templates of 3 people", prec, g)
		}
		for k, want := range map[int][]string{1: {"ann"}, 2: {"ann", "bob"}, 3: {"ann", "bob", "cat"}, 5: {"ann", "bob", "cat"}} {
			m, err := g.Top(testModel, []float32{1, 0, 0}, k)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, x := range m {
				got = append(got, x.Person)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%v: Top(k=%d) = %v, want people %v", prec, k, m, want)
			}
			if m[0].Score < 0.9999 {
				t.Errorf("%v: Top(k=%d) best score %v, want ann's exact template (1)", prec, k, m[0].Score)
			}
		}
		m, _ := g.Top(testModel, []float32{1, 0, 0}, 2)
		// bob's better template, (1, 0.3, 0), sets his score.
		if want := float32(1 / math.Sqrt(1.09)); math.Abs(float64(m[1].Score-want)) > 0.01 {
			t.Errorf("%v: runner-up score %v, want %v", prec, m[1].Score, want)
		}
	}
}

func TestParsePrecision(t *testing.T) {
	for _, p := range []Precision{Float32, Int8} {
		if got, err := ParsePrecision(p.String()); err != nil || got != p {
			t.Errorf("ParsePrecision(%q) = %v, %v, want %v", p.String(), got, err, p)
		}
	}
	if _, err := ParsePrecision("float16"); err == nil {
		t.Error("ParsePrecision(float16): no error")
	}
}
