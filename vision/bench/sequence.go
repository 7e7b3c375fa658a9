package bench

import (
	"math"
)

// FrameSample is one frame's search result for fitting the sequential
// rule: the best score, its lead over the runner-up person, and whether
// the best match is the person in the frame (false for a stranger, or
// for someone enrolled who was taken for another).
type FrameSample struct {
	Score, Margin float32
	Right         bool
}

// LLRFit is a per-frame log likelihood ratio, in nats, of "the best match
// is the person in the frame" against "it is not":
// Intercept + Score·score + Margin·margin.
type LLRFit struct {
	Intercept, Score, Margin float64
	Right, Wrong             int // samples of each kind the fit saw
}

// FitLLR fits a logistic regression of Right on (score, margin) by
// Newton's method and removes the samples' prior odds from its intercept,
// so what remains is the likelihood ratio the sequential rule adds up.
func FitLLR(ss []FrameSample) LLRFit {
	var w [3]float64 // intercept, score, margin
	x := func(s FrameSample) [3]float64 { return [3]float64{1, float64(s.Score), float64(s.Margin)} }
	const ridge = 1e-6 // keeps the step defined when the classes separate
	for range 50 {
		var g [3]float64
		var h [3][3]float64
		for _, s := range ss {
			xi := x(s)
			p := 1 / (1 + math.Exp(-(w[0]*xi[0] + w[1]*xi[1] + w[2]*xi[2])))
			y := 0.0
			if s.Right {
				y = 1
			}
			for a := range 3 {
				g[a] += (y - p) * xi[a]
				for b := range 3 {
					h[a][b] += p * (1 - p) * xi[a] * xi[b]
				}
			}
		}
		for a := range 3 {
			g[a] -= ridge * w[a]
			h[a][a] += ridge
		}
		step := solve3(h, g)
		for a := range 3 {
			w[a] += step[a]
		}
		if math.Abs(step[0])+math.Abs(step[1])+math.Abs(step[2]) < 1e-9 {
			break
		}
	}
	f := LLRFit{Score: w[1], Margin: w[2]}
	for _, s := range ss {
		if s.Right {
			f.Right++
		} else {
			f.Wrong++
		}
	}
	f.Intercept = w[0] - math.Log(float64(max(f.Right, 1))/float64(max(f.Wrong, 1)))
	return f
}

// solve3 solves h·x = g by Cramer's rule; h is a 3×3 positive definite
// Hessian.
func solve3(h [3][3]float64, g [3]float64) [3]float64 {
	det := func(m [3][3]float64) float64 {
		return m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) - m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) + m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
	}
	d := det(h)
	var x [3]float64
	if d == 0 {
		return x
	}
	for c := range 3 {
		m := h
		for r := range 3 {
			m[r][c] = g[r]
		}
		x[c] = det(m) / d
	}
	return x
}

// Upper95 is the one-sided 95 % upper confidence bound on a rate from k
// events in n trials: the exact (Clopper–Pearson) bound, which for k = 0
// is 1 − 0.05^(1/n), about the rule of three's 3/n.
func Upper95(k, n int) float64 {
	if n == 0 {
		return 1
	}
	if k >= n {
		return 1
	}
	lo, hi := float64(k)/float64(n), 1.0
	for range 100 {
		mid := (lo + hi) / 2
		if binomCDF(k, n, mid) > 0.05 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// binomCDF is P(X ≤ k) for X ~ Binomial(n, p).
func binomCDF(k, n int, p float64) float64 {
	lp, lq := math.Log(p), math.Log1p(-p)
	ln, _ := math.Lgamma(float64(n + 1))
	sum := 0.0
	for i := 0; i <= k; i++ {
		li, _ := math.Lgamma(float64(i + 1))
		lni, _ := math.Lgamma(float64(n - i + 1))
		sum += math.Exp(ln - li - lni + float64(i)*lp + float64(n-i)*lq)
	}
	return sum
}

// Percentile is the q-th percentile (0 to 100) of sorted values, nearest
// rank; 0 when there are none.
func Percentile(sorted []int, q float64) int {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
