package bench

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestFitLLR(t *testing.T) {
	// Right frames score about 0.6, wrong ones about 0.2, equally spread
	// (sd 0.1) and as many of each: the LLR is linear in the score with
	// slope (0.6−0.2)/0.1² = 40 and zero at 0.4, whatever the margin.
	r := rand.New(rand.NewPCG(1, 2))
	var ss []FrameSample
	for range 20000 {
		ss = append(ss, FrameSample{Score: float32(0.6 + 0.1*r.NormFloat64()), Margin: float32(r.Float64()), Right: true})
		ss = append(ss, FrameSample{Score: float32(0.2 + 0.1*r.NormFloat64()), Margin: float32(r.Float64())})
	}
	// Three times as many wrong ones must not move the likelihood ratio.
	for range 40000 {
		ss = append(ss, FrameSample{Score: float32(0.2 + 0.1*r.NormFloat64()), Margin: float32(r.Float64())})
	}
	f := FitLLR(ss)
	if math.Abs(f.Score-40) > 2 || math.Abs(f.Margin) > 1 || math.Abs(f.Intercept+16) > 1 || f.Right != 20000 || f.Wrong != 60000 {
		t.Errorf("FitLLR = %+v, want score 40, margin 0, intercept −16 (±small)", f)
	}
}

func TestUpper95(t *testing.T) {
	for _, tt := range []struct {
		k, n int
		want float64
	}{
		{0, 30000, 3.0 / 30000}, // the rule of three
		{0, 100, 0.0295},
		{3, 400, 0.0193}, // Clopper–Pearson, one-sided
		{5, 5, 1},
	} {
		if got := Upper95(tt.k, tt.n); math.Abs(got-tt.want)/tt.want > 0.03 {
			t.Errorf("Upper95(%d, %d) = %.5g, want %.4g", tt.k, tt.n, got, tt.want)
		}
	}
}

func TestPercentile(t *testing.T) {
	s := []int{1, 1, 2, 2, 2, 3, 4, 5, 9, 20}
	if p50, p95 := Percentile(s, 50), Percentile(s, 95); p50 != 2 || p95 != 20 {
		t.Errorf("p50, p95 = %d, %d, want 2, 20", p50, p95)
	}
	if Percentile(nil, 50) != 0 {
		t.Error("Percentile(nil) != 0")
	}
}
