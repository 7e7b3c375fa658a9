//go:build vision

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/roomgate/roomgate/vision/bench"
	"github.com/roomgate/roomgate/vision/gallery"
	"github.com/roomgate/roomgate/vision/track"
)

// openSet is check-in as it really is: a gallery of the people expected,
// probes of them and of people who are not expected. It runs on the LFW
// crops through the shipped embedding path and the real gallery search.
func openSet(o options, c *lfwCrops) (failed []string, err error) {
	ids, err := bench.ReadIdentities(os.DirFS(c.imagesDir))
	if err != nil {
		return nil, err
	}
	total := len(ids)
	pairs, folds, all, err := c.pairs(o)
	if err != nil {
		return nil, err
	}
	scope := fmt.Sprintf("all %d people of %s", total, filepath.Base(c.imagesDir))
	if folds < all {
		// The quick variant: only the people the run's folds name, so CI
		// embeds little beyond what verification did.
		named := map[string]bool{}
		for _, p := range pairs {
			named[filepath.Dir(p.A)], named[filepath.Dir(p.B)] = true, true
		}
		ids = slices.DeleteFunc(ids, func(id bench.Identity) bool { return !named[id.Name] })
		scope = fmt.Sprintf("LIMITED to the %d people named in the first %d of %d folds' pairs (of %d; the full run, without -folds, uses all): the gallery is smaller, so these rates are not the full run's",
			len(ids), folds, all, total)
	}
	proto := bench.NewOpenSet(ids)
	if len(proto.Enrol) < 2 || len(proto.Genuine) == 0 {
		return nil, fmt.Errorf("open set: %d people enrolled, %d genuine probes: too few", len(proto.Enrol), len(proto.Genuine))
	}

	m := o.rec
	var templates []gallery.Template
	enrolledPerson := map[string]bool{}
	for _, p := range proto.Enrol {
		enrolledPerson[p.Person] = true
		v, err := c.feature(p.Image)
		if err != nil {
			return nil, err
		}
		templates = append(templates, gallery.Template{Person: p.Person, Model: m.Name, Vec: v})
	}
	build := func(prec gallery.Precision, ts []gallery.Template) (*gallery.Gallery, error) {
		return gallery.Build(gallery.Config{Model: m.Name, Dim: c.rec.Dim(), Precision: prec, Rows: len(ts)},
			func(yield func(gallery.Template, error) bool) {
				for _, t := range ts {
					if !yield(t, nil) {
						return
					}
				}
			})
	}
	g32, err := build(gallery.Float32, templates)
	if err != nil {
		return nil, err
	}
	g8, err := build(gallery.Int8, templates)
	if err != nil {
		return nil, err
	}

	var probes [][]float32
	var truth []bench.Probe
	var enrolled []bool
	perPerson := map[string]int{}
	for _, set := range []struct {
		ps       []bench.Probe
		enrolled bool
	}{{proto.Genuine, true}, {proto.Impostor, false}} {
		for _, p := range set.ps {
			v, err := c.feature(p.Image)
			if err != nil {
				return nil, err
			}
			probes, truth, enrolled = append(probes, v), append(truth, p), append(enrolled, set.enrolled)
			if set.enrolled {
				perPerson[p.Person]++
			}
		}
	}
	// search runs the probes that keep allows (all, when nil).
	search := func(g *gallery.Gallery, keep func(bench.Probe) bool) ([]bench.Search, error) {
		out := make([]bench.Search, 0, len(probes))
		for i, v := range probes {
			if keep != nil && !keep(truth[i]) {
				continue
			}
			ms, err := g.Top(m.Name, v, 2)
			if err != nil {
				return nil, err
			}
			s := bench.Search{Truth: truth[i].Person, Enrolled: enrolled[i]}
			if len(ms) > 0 {
				s.Best, s.Score = ms[0].Person, ms[0].Score
			}
			if len(ms) > 1 {
				s.RunnerUp = ms[1].Score
			}
			out = append(out, s)
		}
		return out, nil
	}
	s32, err := search(g32, nil)
	if err != nil {
		return nil, err
	}
	s8, err := search(g8, nil)
	if err != nil {
		return nil, err
	}
	nGen := len(proto.Genuine) // probes holds the genuine ones first
	agreeGen, err := gallery.CompareInt8(g32, probes[:nGen])
	if err != nil {
		return nil, err
	}
	agreeImp, err := gallery.CompareInt8(g32, probes[nGen:])
	if err != nil {
		return nil, err
	}

	th, margin := m.Threshold, float32(o.margin)
	most, mostN := "", 0
	for p, n := range perPerson {
		if n > mostN || n == mostN && p < most {
			most, mostN = p, n
		}
	}
	fmt.Printf("\n## Open-set identification (check-in): %s, LFW crops fed to Feature, vision/gallery Top k=2\n\n", m.Name)
	fmt.Printf("Scope: %s.\n", scope)
	fmt.Printf("Everyone with 2 or more images is enrolled with the first; probes are their other images (genuine) and every image of the people with one image (impostors, not enrolled). ")
	fmt.Printf("A probe is accepted as its best match when the score reaches the threshold and leads the runner-up person by the margin (the engine's per-frame rule; the tracker then wants %d of %d frames to agree).\n\n",
		track.Defaults(th).Agree, track.Defaults(th).Frames)
	fmt.Printf("gallery: %d people, %d templates; probes: %d genuine (most from one person: %s, %d), %d impostor\n\n",
		g32.People(), g32.Len(), len(proto.Genuine), most, mostN, len(proto.Impostor))

	r32, r8 := bench.Identify(s32, th, margin), bench.Identify(s8, th, margin)
	fmt.Printf("At the default threshold %.2f and margin %.2f:\n\n", th, margin)
	fmt.Printf("| gallery | rank-1 identified (DIR) | false reject | misidentified | false accept (impostors) | closed-set rank-1 (any score) |\n|---|---|---|---|---|---|\n")
	row := func(name string, r bench.IDRates) {
		fmt.Printf("| %s | %s | %s | %s | %s | %s |\n", name, pct(r.Identified, r.Genuine), pct(r.FalseRejected, r.Genuine),
			pct(r.Misidentified, r.Genuine), pct(r.FalseAccepted, r.Impostor), pct(r.Rank1, r.Genuine))
	}
	row("Float32", r32)
	row("Int8", r8)
	fmt.Printf("| Int8 − Float32 | %s | %s | %s | %s | %s |\n", delta(r8.Identified, r32.Identified, r32.Genuine), delta(r8.FalseRejected, r32.FalseRejected, r32.Genuine),
		delta(r8.Misidentified, r32.Misidentified, r32.Genuine), delta(r8.FalseAccepted, r32.FalseAccepted, r32.Impostor), delta(r8.Rank1, r32.Rank1, r32.Genuine))
	// What int8 changes at the door: a probe whose outcome (the person
	// accepted, or nobody) differs.
	var changed [2]int
	for i := range s32 {
		a, b := "", ""
		if s32[i].Accepted(th, margin) {
			a = s32[i].Best
		}
		if s8[i].Accepted(th, margin) {
			b = s8[i].Best
		}
		if a != b {
			changed[btoi(s32[i].Enrolled)]++
		}
	}
	fmt.Printf("\nCompareInt8, genuine probes: %s\n\nCompareInt8, impostor probes: %s\n", agreeGen, agreeImp)
	fmt.Printf("\nOutcome at the default (the person accepted, or nobody) differs between Int8 and Float32 for %d genuine and %d impostor probes.\n", changed[1], changed[0])

	fmt.Printf("\nCurve: DIR (genuine probes named rightly and accepted) against FAR (impostors accepted as anyone), by threshold; margin %.2f, and without a margin\n\n", margin)
	fmt.Printf("| threshold | Float32 DIR | FAR | misidentified | Int8 DIR | FAR | no margin: Float32 DIR | FAR |\n|---|---|---|---|---|---|---|---|\n")
	for _, t := range sweep(th, []float32{0.20, 0.22, 0.24, 0.26, 0.28, 0.30, 0.32, 0.34, 0.36, 0.38, 0.40, 0.45, 0.50}) {
		a, b, z := bench.Identify(s32, t, margin), bench.Identify(s8, t, margin), bench.Identify(s32, t, 0)
		mark := ""
		if t == th {
			mark = " (default)"
		}
		fmt.Printf("| %.2f%s | %.2f %% | %.2f %% | %.2f %% | %.2f %% | %.2f %% | %.2f %% | %.2f %% |\n", t, mark,
			100*a.DIR(), 100*a.FAR(), 100*a.MisID(), 100*b.DIR(), 100*b.FAR(), 100*z.DIR(), 100*z.FAR())
	}

	// False accepts grow with the gallery: an impostor has more people to
	// resemble. Smaller galleries of people spread evenly over the list,
	// with their genuine probes and all the impostors.
	fmt.Printf("\nBy gallery size (Float32, margin %.2f): DIR and FAR at the default threshold, and the lowest threshold (in steps of 0.01) that keeps FAR at or below 1 %%\n\n", margin)
	fmt.Printf("| people enrolled | genuine probes | DIR at %.2f | FAR at %.2f | threshold for FAR ≤ 1 %% | DIR there | misidentified there |\n|---|---|---|---|---|---|---|\n", th, th)
	for _, n := range []int{25, 50, 100, 200, 400, len(templates)} {
		if n > len(templates) || n < len(templates) && n > len(templates)/2 {
			continue
		}
		var ts []gallery.Template
		in := map[string]bool{}
		for k := 0; k < n; k++ {
			t := templates[k*len(templates)/n]
			ts, in[t.Person] = append(ts, t), true
		}
		g, err := build(gallery.Float32, ts)
		if err != nil {
			return nil, err
		}
		ss, err := search(g, func(p bench.Probe) bool { return in[p.Person] || !enrolledPerson[p.Person] })
		if err != nil {
			return nil, err
		}
		r := bench.Identify(ss, th, margin)
		at := "none up to 0.99"
		var rt bench.IDRates
		for k := 20; k <= 99; k++ {
			t := float32(k) / 100
			if rt = bench.Identify(ss, t, margin); rt.FAR() <= 0.01 {
				at = fmt.Sprintf("%.2f", t)
				break
			}
		}
		fmt.Printf("| %d | %d | %.2f %% | %.2f %% | %s | %.2f %% | %.2f %% |\n", g.People(), r.Genuine, 100*r.DIR(), 100*r.FAR(), at, 100*rt.DIR(), 100*rt.MisID())
	}

	for _, r := range []struct {
		name string
		r    bench.IDRates
	}{{"Float32", r32}, {"Int8", r8}} {
		if r.r.DIR() < o.minRank1 {
			failed = append(failed, fmt.Sprintf("open-set %s rank-1 %.4f below the floor %.2f", r.name, r.r.DIR(), o.minRank1))
		}
	}
	return failed, nil
}

func pct(n, d int) string {
	return fmt.Sprintf("%.2f %% (%d)", 100*float64(n)/float64(max(d, 1)), n)
}

// delta is the change from base to got, counts of n probes, in
// percentage points and in probes.
func delta(got, base, n int) string {
	return fmt.Sprintf("%+.2f points (%+d)", 100*float64(got-base)/float64(max(n, 1)), got-base)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
