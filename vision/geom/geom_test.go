package geom

import (
	"math"
	"testing"
)

// TestSimilarityRecoversATransform maps points by a known rotation, scale
// and shift and expects exactly that back, and the least-squares answer
// when one point is off.
func TestSimilarityRecoversATransform(t *testing.T) {
	th, k := 0.3, 1.7
	want := Affine{k * math.Cos(th), -k * math.Sin(th), 12, k * math.Sin(th), k * math.Cos(th), -5}
	from := []Point{{10, 20}, {50, 22}, {30, 45}, {15, 70}, {48, 69}}
	var to []Point
	for _, p := range from {
		to = append(to, want.Apply(p))
	}
	got, ok := Similarity(from, to)
	if !ok {
		t.Fatal("not ok")
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-4 {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	// Noise on one point moves the fit less than the noise itself.
	to[2].X += 4
	got, _ = Similarity(from, to)
	if d := Dist(got.Apply(from[2]), to[2]); d >= 4 || d < 1 {
		t.Errorf("residual at the moved point %.2f, want between 1 and 4", d)
	}
	if _, ok := Similarity([]Point{{1, 1}, {1, 1}}, []Point{{0, 0}, {2, 2}}); ok {
		t.Error("coincident points gave a transform")
	}
	if _, ok := Similarity(from, to[:3]); ok {
		t.Error("different lengths gave a transform")
	}
}
