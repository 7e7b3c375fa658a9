package bench

import (
	"math"
	"sort"
	"time"
)

// AccuracyAt is the share of pairs decided right when "same" means
// score >= th.
func AccuracyAt(scores []float32, same []bool, th float32) float64 {
	if len(scores) == 0 {
		return 0
	}
	ok := 0
	for i, s := range scores {
		if (s >= th) == same[i] {
			ok++
		}
	}
	return float64(ok) / float64(len(scores))
}

// BestThreshold returns the threshold with the highest accuracy on these
// pairs. Candidates are the midpoints between neighbouring scores, so the
// optimum is exact; of tied candidates the middle one is taken, which
// keeps the choice away from the scores it separates.
func BestThreshold(scores []float32, same []bool) (th float32, acc float64) {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	// Start below every score: everything is "same".
	correct := 0
	for _, s := range same {
		if s {
			correct++
		}
	}
	best, bestAt := correct, []float32{scores[idx[0]] - 1e-3}
	for k, i := range idx {
		// Raising the threshold past scores[i] turns pair i to "different".
		if same[i] {
			correct--
		} else {
			correct++
		}
		if k+1 < len(idx) && scores[idx[k+1]] == scores[i] {
			continue // not a boundary between distinct scores
		}
		cand := scores[i] + 1e-3
		if k+1 < len(idx) {
			cand = (scores[i] + scores[idx[k+1]]) / 2
		}
		switch {
		case correct > best:
			best, bestAt = correct, []float32{cand}
		case correct == best:
			bestAt = append(bestAt, cand)
		}
	}
	th = bestAt[len(bestAt)/2]
	return th, float64(best) / float64(len(scores))
}

// KFold is the standard LFW protocol: for each fold, the threshold is the
// best on the other folds and the accuracy is measured on this one.
func KFold(scores []float32, same []bool, fold []int, folds int) (acc []float64, th []float32) {
	for k := 0; k < folds; k++ {
		var trS, teS []float32
		var trY, teY []bool
		for i := range scores {
			if fold[i] == k {
				teS, teY = append(teS, scores[i]), append(teY, same[i])
			} else {
				trS, trY = append(trS, scores[i]), append(trY, same[i])
			}
		}
		t := float32(0)
		if len(trS) > 0 {
			t, _ = BestThreshold(trS, trY)
		} else {
			// One fold only (a quick CI run): no held-out data to choose
			// on, so the fold's own best is used and the figure is
			// optimistic; the report says so.
			t, _ = BestThreshold(teS, teY)
		}
		acc, th = append(acc, AccuracyAt(teS, teY, t)), append(th, t)
	}
	return acc, th
}

// MeanSD returns the mean and the population standard deviation (as the
// LFW literature and numpy's std report it).
func MeanSD(v []float64) (mean, sd float64) {
	if len(v) == 0 {
		return 0, 0
	}
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		sd += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sd / float64(len(v)))
}

// Latency summarises per-frame times.
type Latency struct {
	Frames       int
	Median, Mean time.Duration
	P90          time.Duration
}

// Summarize computes a Latency from per-frame times.
func Summarize(d []time.Duration) Latency {
	if len(d) == 0 {
		return Latency{}
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(a, b int) bool { return s[a] < s[b] })
	var sum time.Duration
	for _, x := range s {
		sum += x
	}
	return Latency{Frames: len(s), Median: s[len(s)/2], Mean: sum / time.Duration(len(s)), P90: s[len(s)*9/10]}
}

// Rates are the error rates at one threshold: false accepts among the
// different-person pairs and false rejects among the same-person pairs.
func Rates(scores []float32, same []bool, th float32) (far, frr float64) {
	var fa, fr, nd, ns int
	for i, s := range scores {
		if same[i] {
			ns++
			if s < th {
				fr++
			}
		} else {
			nd++
			if s >= th {
				fa++
			}
		}
	}
	return float64(fa) / float64(max(nd, 1)), float64(fr) / float64(max(ns, 1))
}
