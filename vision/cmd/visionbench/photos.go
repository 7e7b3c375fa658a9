//go:build vision

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gocv.io/x/gocv"

	"github.com/roomgate/roomgate/vision/bench"
	"github.com/roomgate/roomgate/vision/engine"
	"github.com/roomgate/roomgate/vision/face"
	"github.com/roomgate/roomgate/vision/gallery"
	"github.com/roomgate/roomgate/vision/models"
	"github.com/roomgate/roomgate/vision/quality"
)

// photo is one full photo through the pipeline, as enrolment runs it:
// detect, take the largest face, the quality gate on its shape, align,
// the gate on the aligned pixels, embed.
type photo struct {
	person, file string
	w, h, faces  int
	face         face.Face
	quality      quality.Result
	sharpness    float64
	brightness   float64
	vec          []float32 // nil when no face was found
}

// pipeline is the detector, recogniser and gate every photo goes through.
type pipeline struct {
	det  *face.Detector
	rec  *face.Recognizer
	gate quality.Config
}

// look runs one face of img through the gate and, whatever its verdict,
// embeds it: the benchmark measures recognition on refused faces too, and
// reports the verdict beside it.
func (p pipeline) look(img gocv.Mat, f face.Face) (q quality.Result, sharp, bright float64, vec []float32, err error) {
	s := quality.Sample{Box: f.Box, Landmarks: f.Landmarks, Score: f.Score, FrameW: img.Cols(), FrameH: img.Rows()}
	q = p.gate.CheckShape(s)
	aligned, err := p.rec.AlignCrop(img, f)
	if err != nil {
		return q, 0, 0, nil, err
	}
	defer aligned.Close()
	s.Sharpness, s.Brightness = engine.Measure(aligned)
	if q.OK() {
		q = p.gate.Check(s)
	}
	vec, err = p.rec.Feature(aligned)
	return q, s.Sharpness, s.Brightness, vec, err
}

func readPhoto(path string) (gocv.Mat, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return gocv.Mat{}, err
	}
	img, err := face.DecodeImage(b, face.DefaultLimits)
	if err != nil {
		return gocv.Mat{}, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

func photos(o options) (failed []string, err error) {
	dir, err := sharedPath(o, "datasets/known_faces_small")
	if err != nil {
		return nil, err
	}
	det, err := face.NewDetector(models.YuNet2022Mar, o.models, face.DetectorOptions{})
	if err != nil {
		return nil, err
	}
	defer det.Close()
	rec, err := face.NewRecognizer(o.rec, o.models, face.RecognizerOptions{})
	if err != nil {
		return nil, err
	}
	defer rec.Close()
	pl := pipeline{det: det, rec: rec, gate: quality.Defaults()}

	people, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var ps []*photo
	for _, d := range people {
		if !d.IsDir() || strings.HasPrefix(d.Name(), "_") {
			continue
		}
		files, err := os.ReadDir(filepath.Join(dir, d.Name()))
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if f.IsDir() {
				continue
			}
			p := &photo{person: d.Name(), file: f.Name()}
			img, err := readPhoto(filepath.Join(dir, d.Name(), f.Name()))
			if err != nil {
				return nil, err
			}
			p.w, p.h = img.Cols(), img.Rows()
			faces, err := det.Detect(img)
			if err != nil {
				img.Close()
				return nil, fmt.Errorf("%s/%s: %w", p.person, p.file, err)
			}
			p.faces = len(faces)
			if l, ok := face.Largest(faces); ok {
				p.face = l
				p.quality, p.sharpness, p.brightness, p.vec, err = pl.look(img, l)
			}
			img.Close()
			if err != nil {
				return nil, fmt.Errorf("%s/%s: %w", p.person, p.file, err)
			}
			ps = append(ps, p)
		}
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("no photos in %s", dir)
	}

	m := o.rec
	th, margin := m.Threshold, float32(o.margin)
	fmt.Printf("\n## End to end on full photos: %s (%d photos of %d people), detect (%s, largest face) + quality gate + align + embed (%s)\n\n",
		filepath.Base(dir), len(ps), countPeople(ps), models.YuNet2022Mar.Name, m.Name)
	fmt.Printf("The quality gate is quality.Defaults() as the engine runs it: CheckShape on the box and landmarks, then sharpness and brightness measured on the aligned crop (engine.Measure). ")
	fmt.Printf("Its size limits are for a 640x480 camera frame; these photos are larger. Refused photos are still embedded below, so the figures show what the gate saves or costs.\n\n")
	fmt.Printf("| person | photo | size | faces | score | face px | yaw / pitch / roll | sharpness / brightness | quality gate |\n|---|---|---|---|---|---|---|---|---|\n")
	refused := 0
	for _, p := range ps {
		if p.vec == nil {
			fmt.Printf("| %s | %s | %dx%d | 0 | | | | | no face found |\n", p.person, p.file, p.w, p.h)
			failed = append(failed, fmt.Sprintf("photos: no face in %s/%s", p.person, p.file))
			continue
		}
		verdict := "accepted"
		if !p.quality.OK() {
			verdict = fmt.Sprintf("**refused: %s** (%s)", p.quality.Reason, p.quality.Detail)
			refused++
		}
		q := p.quality.Measures
		fmt.Printf("| %s | %s | %dx%d | %d | %.2f | %.0f | %.2f / %.2f / %.0f° | %.0f / %.0f | %s |\n", p.person, p.file, p.w, p.h, p.faces,
			p.face.Score, q.Size, q.Yaw, q.Pitch, q.Roll, p.sharpness, p.brightness, verdict)
	}
	fmt.Printf("\n%d of %d photos would be refused by the gate.\n", refused, len(ps))

	// Every pair of photos with a face: same person or not.
	var scores []float32
	var same []bool
	type pair struct {
		a, b *photo
		cos  float32
	}
	var hardSame, hardDiff pair
	hardSame.cos, hardDiff.cos = 2, -2
	for i, a := range ps {
		for _, b := range ps[i+1:] {
			if a.vec == nil || b.vec == nil {
				continue
			}
			c := face.Cosine(a.vec, b.vec)
			s := a.person == b.person
			scores, same = append(scores, c), append(same, s)
			if s && c < hardSame.cos {
				hardSame = pair{a, b, c}
			}
			if !s && c > hardDiff.cos {
				hardDiff = pair{a, b, c}
			}
		}
	}
	sep := bench.Separate(scores, same, th)
	name := func(p *photo) string { return p.person + "/" + p.file }
	fmt.Printf("\nSame person against different people, every pair of photos (cosine of the embeddings):\n\n")
	fmt.Printf("| pairs | min same-person | max different-person | margin | correct at %.2f |\n|---|---|---|---|---|\n", th)
	fmt.Printf("| %d same, %d different | %.3f (%s – %s) | %.3f (%s – %s) | %+.3f | %d of %d same accepted, %d of %d different rejected |\n",
		sep.Same, sep.Diff, sep.MinSame, name(hardSame.a), name(hardSame.b), sep.MaxDiff, name(hardDiff.a), name(hardDiff.b),
		sep.Margin(), sep.SameOK, sep.Same, sep.DiffOK, sep.Diff)

	// 1:N: the first photo of each person enrolled, the others probe.
	var templates []gallery.Template
	enrolled := map[string]bool{}
	var probes []*photo
	for _, p := range ps {
		if p.vec == nil {
			continue
		}
		if !enrolled[p.person] {
			enrolled[p.person] = true
			templates = append(templates, gallery.Template{Person: p.person, Model: m.Name, Vec: p.vec})
			continue
		}
		probes = append(probes, p)
	}
	g, err := gallery.Build(gallery.Config{Model: m.Name, Dim: rec.Dim()}, func(yield func(gallery.Template, error) bool) {
		for _, t := range templates {
			if !yield(t, nil) {
				return
			}
		}
	})
	if err != nil {
		return nil, err
	}
	fmt.Printf("\n1:N: the first photo of each person enrolled (%d people), the other %d photos probe; accepted at %.2f with margin %.2f\n\n", g.People(), len(probes), th, margin)
	fmt.Printf("| probe | best match | runner-up | verdict |\n|---|---|---|---|\n")
	var right, wrong, rejected int
	for _, p := range probes {
		ms, err := g.Top(m.Name, p.vec, 2)
		if err != nil {
			return nil, err
		}
		s := bench.Search{Truth: p.person, Enrolled: true, Best: ms[0].Person, Score: ms[0].Score}
		runner := "–"
		if len(ms) > 1 {
			s.RunnerUp = ms[1].Score
			runner = fmt.Sprintf("%s %.3f", ms[1].Person, ms[1].Score)
		}
		var v string
		switch {
		case !s.Accepted(th, margin) && s.Best == s.Truth:
			v, rejected = "not accepted (best is right)", rejected+1
		case !s.Accepted(th, margin):
			v, rejected = "not accepted (best is wrong)", rejected+1
		case s.Best == s.Truth:
			v, right = "right", right+1
		default:
			v, wrong = "**WRONG PERSON**", wrong+1
			failed = append(failed, fmt.Sprintf("photos: %s accepted as %s", name(p), s.Best))
		}
		if !p.quality.OK() {
			v += fmt.Sprintf(" (gate: %s)", p.quality.Reason)
		}
		fmt.Printf("| %s | %s %.3f | %s | %s |\n", name(p), s.Best, s.Score, runner, v)
	}
	fmt.Printf("\n%d right, %d wrong person, %d not accepted, of %d probes.\n", right, wrong, rejected, len(probes))

	// Group photos: every face, against the same gallery. Who is in them
	// is not labelled, so this shows the pipeline on several faces a frame
	// and is not scored.
	groups, err := filepath.Glob(filepath.Join(dir, "_groups", "*.jpg"))
	if err != nil || len(groups) == 0 {
		return failed, err
	}
	sort.Strings(groups)
	fmt.Printf("\nGroup photos (_groups), every face found, largest first, against the same gallery:\n\n")
	fmt.Printf("| photo | face | px | quality gate | best match | runner-up | at %.2f, margin %.2f |\n|---|---|---|---|---|---|---|\n", th, margin)
	for _, path := range groups {
		img, err := readPhoto(path)
		if err != nil {
			return nil, err
		}
		faces, err := det.Detect(img)
		if err != nil {
			img.Close()
			return nil, err
		}
		sort.Slice(faces, func(i, j int) bool { return faces[i].Box.Area() > faces[j].Box.Area() })
		if len(faces) == 0 {
			fmt.Printf("| %s | none | | | | | |\n", filepath.Base(path))
		}
		for i, f := range faces {
			q, _, _, vec, err := pl.look(img, f)
			if err != nil {
				img.Close()
				return nil, err
			}
			ms, err := g.Top(m.Name, vec, 2)
			if err != nil {
				img.Close()
				return nil, err
			}
			s := bench.Search{Best: ms[0].Person, Score: ms[0].Score}
			runner := "–"
			if len(ms) > 1 {
				s.RunnerUp = ms[1].Score
				runner = fmt.Sprintf("%s %.3f", ms[1].Person, ms[1].Score)
			}
			gate, verdict := "accepted", "unknown"
			if !q.OK() {
				gate = string(q.Reason)
			}
			if s.Accepted(th, margin) {
				verdict = s.Best
			}
			if !q.OK() {
				verdict = "not searched (refused by the gate)"
			}
			fmt.Printf("| %s | %d | %.0f | %s | %s %.3f | %s | %s |\n", filepath.Base(path), i+1, q.Measures.Size, gate, s.Best, s.Score, runner, verdict)
		}
		img.Close()
	}
	return failed, nil
}

func countPeople(ps []*photo) int {
	n := map[string]bool{}
	for _, p := range ps {
		n[p.person] = true
	}
	return len(n)
}
