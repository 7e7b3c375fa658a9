package bench

import (
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/internal/shared"
)

func TestBestThreshold(t *testing.T) {
	for _, tc := range []struct {
		scores []float32
		same   []bool
		lo, hi float32 // the threshold must fall in [lo, hi)
		acc    float64
	}{
		{[]float32{0.1, 0.2, 0.8, 0.9}, []bool{false, false, true, true}, 0.2, 0.8, 1},
		{[]float32{0.9, 0.1, 0.3, 0.7}, []bool{true, false, true, false}, 0.1, 0.9, 0.75}, // two tied ranges
		{[]float32{0.5, 0.5, 0.5}, []bool{true, true, true}, -1, 0.5, 1},
		{[]float32{0.5, 0.5}, []bool{false, false}, 0.5, 2, 1},
	} {
		th, acc := BestThreshold(tc.scores, tc.same)
		if th <= tc.lo && !(tc.lo < 0) || th >= tc.hi || math.Abs(acc-tc.acc) > 1e-9 {
			t.Errorf("BestThreshold(%v, %v) = %v, %v; want in (%v, %v), %v", tc.scores, tc.same, th, acc, tc.lo, tc.hi, tc.acc)
		}
		if got := AccuracyAt(tc.scores, tc.same, th); math.Abs(got-acc) > 1e-9 {
			t.Errorf("AccuracyAt(best %v) = %v, BestThreshold said %v", th, got, acc)
		}
	}
}

func TestKFold(t *testing.T) {
	// Each fold is separable on its own, but the threshold learnt on one
	// misjudges one pair of the other: the held-out accuracy shows it.
	scores := []float32{0.4, 0.2, 0.6, 0.45}
	same := []bool{true, false, true, false}
	fold := []int{0, 0, 1, 1}
	acc, th := KFold(scores, same, fold, 2)
	if len(acc) != 2 || acc[0] != 0.5 || acc[1] != 0.5 {
		t.Errorf("KFold = %v (thresholds %v), want [0.5 0.5]", acc, th)
	}
	if th[0] <= 0.45 || th[0] >= 0.6 || th[1] <= 0.2 || th[1] >= 0.4 {
		t.Errorf("KFold thresholds = %v, want one in (0.45, 0.6) and one in (0.2, 0.4)", th)
	}
	if m, sd := MeanSD([]float64{1, 3}); m != 2 || sd != 1 {
		t.Errorf("MeanSD(1, 3) = %v, %v; want 2, 1", m, sd)
	}
}

func TestReadPairs(t *testing.T) {
	in := "2\t1\nA\t1\t2\nB\t1\tC\t3\nD 4 5\nE 1 F 12\n"
	p, folds, err := ReadPairs(strings.NewReader(in))
	if err != nil || folds != 2 || len(p) != 4 {
		t.Fatalf("ReadPairs = %v, %d, %v", p, folds, err)
	}
	want := Pair{A: "E/E_0001.jpg", B: "F/F_0012.jpg", Same: false, Fold: 1}
	if p[3] != want || !p[2].Same || p[2].Fold != 1 || p[1].Same {
		t.Errorf("ReadPairs = %+v, want last %+v", p, want)
	}
	for _, bad := range []string{"", "x\n", "1\t1\nA 1\n", "1\t1\nA 1 2\n", "1\t1\nA x 2\nB 1 C 1\n"} {
		if _, _, err := ReadPairs(strings.NewReader(bad)); err == nil {
			t.Errorf("ReadPairs(%q) = nil error", bad)
		}
	}
}

func TestReadDevPairs(t *testing.T) {
	path, err := shared.Path("datasets/lfw_112x112/pairs_dev.txt")
	if err != nil {
		t.Skip(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, folds, err := ReadPairs(f)
	if err != nil || folds != 5 || len(p) != 3000 {
		t.Fatalf("ReadPairs(pairs_dev.txt) = %d pairs, %d folds, %v; want 3000, 5", len(p), folds, err)
	}
}

func TestSummarize(t *testing.T) {
	l := Summarize([]time.Duration{3, 1, 2, 10})
	if l.Median != 3 || l.Mean != 4 || l.Frames != 4 {
		t.Errorf("Summarize = %+v", l)
	}
}

func TestRates(t *testing.T) {
	far, frr := Rates([]float32{0.1, 0.5, 0.4, 0.9}, []bool{false, false, true, true}, 0.45)
	if far != 0.5 || frr != 0.5 {
		t.Errorf("Rates = %v, %v; want 0.5, 0.5", far, frr)
	}
}
