//go:build vision

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/color"
	"io"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/roomgate/roomgate/internal/shared"
	"github.com/roomgate/roomgate/vision/bench"
	"github.com/roomgate/roomgate/vision/engine"
	"github.com/roomgate/roomgate/vision/face"
	"github.com/roomgate/roomgate/vision/gallery"
	"github.com/roomgate/roomgate/vision/geom"
	"github.com/roomgate/roomgate/vision/models"
	"github.com/roomgate/roomgate/vision/quality"
	"github.com/roomgate/roomgate/vision/track"
)

type options struct {
	models, shared, scripts, python string
	folds, frames, rounds           int
	framePhoto                      string
	sections                        sections
	skipLFW, skipLatency, check     bool
	lfwPlain                        bool
	margin                          float64
	maxRatio                        float64
	minRank1                        float64
	rec                             models.Model
	seq                             seqOptions
}

// The sections of the report, in the order they run and print.
const (
	secLFW     = "lfw"      // LFW 1:1 verification beside Python
	secOpenSet = "openset"  // open-set identification on the LFW images
	secPhotos  = "photos"   // end to end on full photos (known_faces_small)
	secLatency = "latency"  // per-frame latency beside Python
	secFit     = "fit"      // the sequential rule's per-frame likelihoods
	secSeq     = "sequence" // check-in tracks: the vote against the sequential rule
)

var allSections = []string{secLFW, secOpenSet, secPhotos, secLatency, secFit, secSeq}

// defaultSections leave out the fit and the sequences, which take minutes
// of embedding on a first run (make bench-sequence).
var defaultSections = allSections[:4]

// sections is the -sections flag: a comma-separated subset of allSections.
type sections map[string]bool

func (s sections) String() string {
	var on []string
	for _, n := range allSections {
		if s[n] {
			on = append(on, n)
		}
	}
	return strings.Join(on, ",")
}

func (s sections) Set(v string) error {
	clear(s)
	for _, n := range strings.Split(v, ",") {
		n = strings.TrimSpace(n)
		switch {
		case n == "all":
			for _, a := range allSections {
				s[a] = true
			}
		case slices.Contains(allSections, n):
			s[n] = true
		case n != "":
			return fmt.Errorf("unknown section %q (want some of %s, or all)", n, strings.Join(allSections, ","))
		}
	}
	if len(s) == 0 {
		return errors.New("no section")
	}
	return nil
}

func main() {
	var o options
	flag.StringVar(&o.models, "models", "", "models directory (default: vision/models of this checkout)")
	flag.StringVar(&o.shared, "shared", shared.Dir(), "the shared data directory (datasets/)")
	flag.StringVar(&o.scripts, "scripts", "", "directory of the Python reference scripts (default: vision/bench)")
	flag.StringVar(&o.python, "python", "/usr/bin/python3", "Python with python3-opencv (Debian's)")
	flag.IntVar(&o.folds, "folds", 0, "LFW folds to run (0: all in the pairs file)")
	flag.IntVar(&o.frames, "frames", 200, "timed frames per latency run")
	flag.IntVar(&o.rounds, "rounds", 4, "latency rounds; each runs Go and Python, alternating who goes first")
	o.sections = sections{}
	o.sections.Set(strings.Join(defaultSections, ","))
	flag.Var(o.sections, "sections", "comma-separated sections to run: "+strings.Join(allSections, ",")+" (or all; default "+strings.Join(defaultSections, ",")+")")
	flag.StringVar(&o.framePhoto, "frame-photo", "datasets/known_faces_small/obama/obama1.jpg", "photo (under -shared) the 640x480 frame is made from")
	flag.BoolVar(&o.skipLFW, "skip-lfw", false, "skip the LFW verification section (as -sections without lfw)")
	flag.BoolVar(&o.skipLatency, "skip-latency", false, "skip the latency section (as -sections without latency)")
	flag.BoolVar(&o.lfwPlain, "lfw-plain", false, "lfw: Go's plain features only, without flip-averaging and the Python reference (a third of the work: models side by side on a busy machine)")
	flag.BoolVar(&o.check, "check", false, "exit 1 if the Go path loses accuracy against Python, identifies below -min-rank1, is slower than -max-ratio, or misnames a full photo")
	flag.Float64Var(&o.minRank1, "min-rank1", 0.90, "with -check, the lowest open-set rank-1 identification rate (at the default threshold and margin) accepted: a sanity floor on the Go identification path")
	flag.Float64Var(&o.maxRatio, "max-ratio", 1.10, "with -check, the largest Go/Python latency ratio accepted; 0 prints it without judging (CI: timings on a shared machine are no verdict)")
	// The recognition model is configuration; these measure another one
	// (OpenCV Zoo's SFace, say) with the same tables.
	o.rec = models.MobileFaceNetY1
	flag.Func("rec", "shipped recognition model to measure: mobilefacenet_y1 (default) or dlib_resnet_v1", func(v string) error {
		m, ok := models.Recognizers[v]
		if !ok {
			return fmt.Errorf("unknown model %q (want %s)", v, strings.Join(slices.Sorted(maps.Keys(models.Recognizers)), " or "))
		}
		o.rec = m
		return nil
	})
	var th float64
	flag.StringVar(&o.rec.File, "rec-file", o.rec.File, "recognition model file (relative to -models, or absolute)")
	flag.StringVar(&o.rec.SHA256, "rec-sha256", "", "its sha256 (default: the shipped model's, when -rec-file is the shipped file)")
	flag.StringVar(&o.rec.Name, "rec-name", o.rec.Name, "its name, for the tables")
	flag.Float64Var(&th, "rec-threshold", -2, "its default cosine threshold (default: the model's own)")
	var galleries, sweep string
	flag.IntVar(&o.seq.variants, "seq-variants", 6, "sequence, fit: versions of each photo (the first as it is, the rest perturbed)")
	flag.IntVar(&o.seq.impostorRuns, "seq-impostor-tracks", 150, "sequence: tracks per stranger")
	flag.IntVar(&o.seq.genuineRuns, "seq-genuine-tracks", 10, "sequence: tracks per enrolled person")
	flag.IntVar(&o.seq.frames, "seq-frames", 20, "sequence: frames per track")
	flag.Float64Var(&o.seq.fps, "seq-fps", 10, "sequence: the camera's frames per second")
	flag.IntVar(&o.seq.people, "seq-people", 0, "sequence, fit: people with 2+ photos to use (0: all)")
	flag.StringVar(&galleries, "seq-galleries", "100,1000,0", "sequence: gallery sizes (0: everyone the data allow)")
	o.seq.precisions = []gallery.Precision{gallery.Float32}
	flag.Func("seq-precision", "sequence: how each gallery stores its templates, float32 (default), int8 or float32,int8 side by side", func(v string) error {
		o.seq.precisions = nil
		for _, name := range strings.Split(v, ",") {
			p, err := gallery.ParsePrecision(name)
			if err != nil {
				return err
			}
			o.seq.precisions = append(o.seq.precisions, p)
		}
		return nil
	})
	flag.Float64Var(&o.seq.calibrate, "seq-calibrate", 0, "sequence: choose the sequential rule's intercept and people slope on whole tracks of the fit half's people for this rate of false check-ins per stranger track (e.g. 0.0001), and add the rule so chosen to the table (0: not done)")
	flag.BoolVar(&o.seq.fuse, "seq-fuse", false, "sequence: search each frame with the mean of its track's templates so far, not its own (to compare)")
	flag.BoolVar(&o.seq.detect, "seq-detect", false, "sequence, fit: set each perturbed crop in a grey frame and give it to the engine, which finds the face with YuNet, checks it with the quality gate and aligns it again, as with a camera's frame (a version with no face found is a frame without one, one the gate refuses a refused frame)")
	flag.StringVar(&sweep, "seq-sweep-accept", "", "sequence: other accept bounds to show beside the configured rule, comma-separated")
	flag.IntVar(&o.seq.fitGallerySiz, "fit-gallery", 1000, "fit: the gallery's size")
	flag.StringVar(&o.seq.cacheDir, "seq-cache", filepath.Join(os.TempDir(), "roomgate-visionbench"), "sequence, fit: where embeddings of (photo, perturbation) are kept between runs")
	var voteTh float64
	flag.Float64Var(&o.margin, "margin", float64(track.Defaults(0).MinMargin), "openset, photos, sequence's vote: the lead over the runner-up person a match needs (vision.agreement.min_margin)")
	flag.Float64Var(&voteTh, "vote-threshold", 0.42, "sequence: the vote's threshold (vision.threshold; its default in firmware-config is 0.42)")
	evidenceSet := false
	flag.Func("evidence", "sequence: the sequential rule as intercept,score,margin,cap,accept,reject[,people,people_slope] (default: the recogniser's, track.EvidenceDefaults or track.EvidenceDlibResNetV1)", func(v string) error {
		o.seq.evidence, evidenceSet = track.EvidenceDefaults(), true
		e := &o.seq.evidence
		n, err := fmt.Sscanf(v, "%g,%g,%g,%g,%g,%g,%d,%g", &e.Intercept, &e.Score, &e.Margin, &e.Cap, &e.Accept, &e.Reject, &e.People, &e.PeopleSlope)
		if n == 6 || n == 8 {
			return nil
		}
		return fmt.Errorf("want 6 or 8 numbers: %v", err)
	})
	flag.Parse()
	if !evidenceSet {
		o.seq.evidence = track.EvidenceDefaults()
		if o.rec.File == models.DlibResNetV1.File {
			o.seq.evidence = track.EvidenceDlibResNetV1()
		}
	}
	o.seq.voteThreshold, o.seq.voteMargin = float32(voteTh), float32(o.margin)
	var err error
	if o.seq.galleries, err = ints(galleries); err != nil {
		fmt.Fprintln(os.Stderr, "visionbench: -seq-galleries:", err)
		os.Exit(2)
	}
	if sweep != "" {
		for _, f := range strings.Split(sweep, ",") {
			a, err := strconv.ParseFloat(strings.TrimSpace(f), 32)
			if err != nil {
				fmt.Fprintln(os.Stderr, "visionbench: -seq-sweep-accept:", err)
				os.Exit(2)
			}
			o.seq.sweepAccept = append(o.seq.sweepAccept, float32(a))
		}
	}
	if o.skipLFW {
		delete(o.sections, secLFW)
	}
	if o.skipLatency {
		delete(o.sections, secLatency)
	}
	if th != -2 {
		o.rec.Threshold = float32(th)
	}
	for _, m := range models.Recognizers {
		if o.rec.SHA256 == "" && o.rec.File == m.File {
			o.rec.SHA256 = m.SHA256
		}
	}
	if o.rec.SHA256 == "" {
		o.rec.Dim = 0 // another model may have another length
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "visionbench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.models == "" {
		d, err := models.Dir()
		if err != nil {
			return err
		}
		o.models = d
	}
	if o.scripts == "" {
		o.scripts = filepath.Join(o.models, "..", "bench")
	}
	if o.sections[secLFW] || o.sections[secLatency] {
		if _, err := exec.LookPath(o.python); err != nil {
			return fmt.Errorf("python %s: %v (install Debian's python3-opencv, or run -sections %s,%s only)", o.python, err, secOpenSet, secPhotos)
		}
	}
	var crops *lfwCrops
	if o.sections[secLFW] || o.sections[secOpenSet] || o.sections[secFit] || o.sections[secSeq] {
		c, err := newLFWCrops(o)
		if err != nil {
			return err
		}
		defer c.Close()
		crops = c
	}
	var failed []string
	for _, s := range []struct {
		name string
		run  func() ([]string, error)
	}{
		{secLFW, func() ([]string, error) { return lfw(o, crops) }},
		{secOpenSet, func() ([]string, error) { return openSet(o, crops) }},
		{secPhotos, func() ([]string, error) { return photos(o) }},
		{secLatency, func() ([]string, error) { return latency(o) }},
		{secFit, func() ([]string, error) { _, err := sequence(o, crops, true, false); return nil, err }},
		{secSeq, func() ([]string, error) { _, err := sequence(o, crops, false, true); return nil, err }},
	} {
		if !o.sections[s.name] {
			continue
		}
		t0 := time.Now()
		f, err := s.run()
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		fmt.Printf("\n(section %s: %.1f s)\n", s.name, time.Since(t0).Seconds())
		failed = append(failed, f...)
	}
	if o.check && len(failed) > 0 {
		return errors.New("check failed: " + strings.Join(failed, "; "))
	}
	return nil
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q: want whole numbers, 0 or more", s)
		}
		out = append(out, n)
	}
	return out, nil
}

func sharedPath(o options, rel string) (string, error) {
	p := filepath.Join(o.shared, rel)
	if _, err := os.Stat(p); err != nil {
		return p, fmt.Errorf("%s is missing (the shared data beside the checkout; set -shared or ROOMGATE_SHARED): %v", p, err)
	}
	return p, nil
}

// scores holds one method's per-pair cosines.
type scores struct {
	name string
	cos  []float32
}

// lfwCrops embeds the aligned LFW crops for the sections that use them,
// each image once: the open-set section reuses what verification embedded.
type lfwCrops struct {
	pairsPath, imagesDir string
	rec                  *face.Recognizer
	det                  *face.Detector       // -seq-detect's, with eng; nil without it
	eng                  *engine.Engine       // no gallery: the engine's quality gate and embedding of a frame
	engAt                time.Time            // the engine's clock: two seconds a frame, so each is a new track
	feats                map[string][]float32 // by path relative to imagesDir
}

func newLFWCrops(o options) (*lfwCrops, error) {
	pairsPath, err := sharedPath(o, "datasets/lfw_112x112/pairs_dev.txt")
	if err != nil {
		return nil, err
	}
	rec, err := face.NewRecognizer(o.rec, o.models, face.RecognizerOptions{})
	if err != nil {
		return nil, err
	}
	c := &lfwCrops{pairsPath: pairsPath, imagesDir: filepath.Join(filepath.Dir(pairsPath), "images"), rec: rec, feats: map[string][]float32{}}
	if o.seq.detect {
		if c.det, err = face.NewDetector(models.YuNet2022Mar, o.models, face.DetectorOptions{}); err != nil {
			rec.Close()
			return nil, err
		}
		cfg := engine.Config{Quality: quality.Defaults(), Agreement: track.Defaults(o.rec.Threshold), MaxFaces: 1}
		if c.eng, err = engine.New(cfg, c.det, rec, &gallery.Set{}); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

func (c *lfwCrops) Close() error {
	if c.det != nil {
		c.det.Close()
	}
	return c.rec.Close()
}

// feature returns the embedding of one crop: its bytes through
// DecodeImage, then Feature, as enrolment of an aligned crop runs.
func (c *lfwCrops) feature(rel string) ([]float32, error) {
	if v, ok := c.feats[rel]; ok {
		return v, nil
	}
	b, err := os.ReadFile(filepath.Join(c.imagesDir, rel))
	if err != nil {
		return nil, err
	}
	img, err := face.DecodeImage(b, face.DefaultLimits)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	defer img.Close()
	v, err := c.rec.CropFeature(img)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	c.feats[rel] = v
	return v, nil
}

// pairs reads the pairs file, cut to the first -folds folds.
func (c *lfwCrops) pairs(o options) (pairs []bench.Pair, folds, all int, err error) {
	f, err := os.Open(c.pairsPath)
	if err != nil {
		return nil, 0, 0, err
	}
	defer f.Close()
	pairs, folds, err = bench.ReadPairs(f)
	if err != nil {
		return nil, 0, 0, err
	}
	all = folds
	if o.folds > 0 && o.folds < folds {
		folds = o.folds
		n := 0
		for n < len(pairs) && pairs[n].Fold < folds {
			n++
		}
		pairs = pairs[:n]
	}
	return pairs, folds, all, nil
}

func lfw(o options, c *lfwCrops) (failed []string, err error) {
	pairsPath, imagesDir := c.pairsPath, c.imagesDir
	pairs, folds, _, err := c.pairs(o)
	if err != nil {
		return nil, err
	}

	m := o.rec
	rec := c.rec
	var recFlip *face.Recognizer
	if !o.lfwPlain {
		if recFlip, err = face.NewRecognizer(m, o.models, face.RecognizerOptions{Flip: true}); err != nil {
			return nil, err
		}
		defer recFlip.Close()
	}

	// Go path: the bytes through DecodeImage, then Feature, as enrolment
	// of an aligned crop would run.
	type feats struct{ plain, flip []float32 }
	cache := map[string]feats{}
	start := time.Now()
	var goFeatTime time.Duration
	for _, p := range pairs {
		for _, rel := range []string{p.A, p.B} {
			if _, ok := cache[rel]; ok {
				continue
			}
			b, err := os.ReadFile(filepath.Join(imagesDir, rel))
			if err != nil {
				return nil, err
			}
			img, err := face.DecodeImage(b, face.DefaultLimits)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", rel, err)
			}
			t0 := time.Now()
			a, err := rec.CropFeature(img)
			goFeatTime += time.Since(t0)
			if err != nil {
				img.Close()
				return nil, fmt.Errorf("%s: %w", rel, err)
			}
			var fl []float32
			if recFlip != nil {
				fl, err = recFlip.CropFeature(img)
			}
			img.Close()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", rel, err)
			}
			cache[rel] = feats{a, fl}
			c.feats[rel] = a
		}
	}
	goTime := time.Since(start)
	goPlain, goFlip := scores{name: "Go (vision/face)"}, scores{name: "Go, flip-averaged"}
	for _, p := range pairs {
		a, b := cache[p.A], cache[p.B]
		goPlain.cos = append(goPlain.cos, face.Cosine(a.plain, b.plain))
		if recFlip != nil {
			goFlip.cos = append(goFlip.cos, face.Cosine(a.flip, b.flip))
		}
	}
	if o.lfwPlain {
		printLFW(o, c, pairs, folds, len(cache), goPlain)
		fmt.Printf("\nGo only (-lfw-plain): %.1f s for %d images (%.1f ms per plain feature; not a latency measure)\n",
			goTime.Seconds(), len(cache), float64(goFeatTime.Milliseconds())/float64(len(cache)))
		return nil, nil
	}

	// The reference, in the same run.
	args := append([]string{filepath.Join(o.scripts, "lfw_reference.py"), "--model", m.Path(o.models),
		"--images", imagesDir, "--pairs", pairsPath, "--folds", strconv.Itoa(folds)}, chipArgs(o.rec)...)
	if o.rec.Align == models.AlignDlibChip {
		args = append(args, "--crop-template", landmarkArg(face.ArcFace112))
	}
	t0 := time.Now()
	out, err := python(o, args)
	if err != nil {
		return nil, err
	}
	pyTime := time.Since(t0)
	pyPlain, pyFlip := scores{name: "Python cv2.FaceRecognizerSF"}, scores{name: "Python, flip-averaged"}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var k int
		var c, cf float32
		if _, err := fmt.Sscanf(sc.Text(), "%d %f %f", &k, &c, &cf); err != nil || k != len(pyPlain.cos) {
			return nil, fmt.Errorf("lfw_reference.py: bad line %q", sc.Text())
		}
		pyPlain.cos, pyFlip.cos = append(pyPlain.cos, c), append(pyFlip.cos, cf)
	}
	if len(pyPlain.cos) != len(pairs) {
		return nil, fmt.Errorf("lfw_reference.py gave %d pairs, want %d", len(pyPlain.cos), len(pairs))
	}

	res := printLFW(o, c, pairs, folds, len(cache), goPlain, pyPlain, goFlip, pyFlip)
	fmt.Printf("\nmax |cos Go − cos Python| over the pairs: %.2g (plain), %.2g (flip-averaged)\n", maxDiff(goPlain.cos, pyPlain.cos), maxDiff(goFlip.cos, pyFlip.cos))
	fmt.Printf("time (not a latency measure; see below): Go %.1f s for %d images (decode + 3 forward passes; %.1f ms per plain feature), Python %.1f s (2 passes, with start-up)\n",
		goTime.Seconds(), len(cache), float64(goFeatTime.Milliseconds())/float64(len(cache)), pyTime.Seconds())
	if res[goPlain.name] < res[pyPlain.name] {
		failed = append(failed, fmt.Sprintf("Go LFW accuracy %.4f below Python's %.4f", res[goPlain.name], res[pyPlain.name]))
	}
	if res[goFlip.name] < res[pyFlip.name] {
		failed = append(failed, fmt.Sprintf("Go flip-averaged LFW accuracy %.4f below Python's %.4f", res[goFlip.name], res[pyFlip.name]))
	}
	return failed, nil
}

// printLFW prints the k-fold table of each score list and the threshold
// sweep of the Go ones, and returns each list's mean k-fold accuracy.
func printLFW(o options, c *lfwCrops, pairs []bench.Pair, folds, images int, ss ...scores) map[string]float64 {
	same, fold := make([]bool, len(pairs)), make([]int, len(pairs))
	for i, p := range pairs {
		same[i], fold[i] = p.Same, p.Fold
	}
	fmt.Printf("\n## LFW verification: %s, %s, %d folds, %d pairs, %d images (aligned 112x112 crops fed to Feature)\n\n",
		o.rec.Name, filepath.Base(c.pairsPath), folds, len(pairs), images)
	if folds == 1 {
		fmt.Printf("One fold: its threshold is chosen on the same fold, so the k-fold column is optimistic.\n\n")
	}
	def := o.rec.Threshold
	fmt.Printf("| method | %d-fold accuracy (mean ± sd) | fold thresholds | at default %.2f | at SFace's 0.363 | best threshold (all pairs) | mean cos same / diff |\n", folds, def)
	fmt.Printf("|---|---|---|---|---|---|---|\n")
	res := map[string]float64{}
	for _, s := range ss {
		acc, th := bench.KFold(s.cos, same, fold, folds)
		mean, sd := bench.MeanSD(acc)
		bt, ba := bench.BestThreshold(s.cos, same)
		var ths []string
		for _, t := range th {
			ths = append(ths, fmt.Sprintf("%.3f", t))
		}
		ms, md := meanBy(s.cos, same)
		fmt.Printf("| %s | %.2f %% ± %.2f | %s | %.2f %% | %.2f %% | %.4f (%.2f %%) | %.3f / %.3f |\n", s.name, 100*mean, 100*sd,
			strings.Join(ths, " "), 100*bench.AccuracyAt(s.cos, same, def), 100*bench.AccuracyAt(s.cos, same, 0.363), bt, 100*ba, ms, md)
		res[s.name] = mean
	}
	// The trade-off around the default, to choose it by: at a door a false
	// accept lets the wrong person in, a false reject asks for a retry.
	fmt.Printf("\nThreshold sweep (all %d pairs): accuracy, false accepts of %d different-person pairs, false rejects of %d same-person pairs\n\n", len(pairs), len(pairs)/2, len(pairs)/2)
	// The Go columns (plain, and flip-averaged when measured).
	var goCols []scores
	for _, s := range ss {
		if strings.HasPrefix(s.name, "Go") && len(s.cos) > 0 {
			goCols = append(goCols, s)
		}
	}
	fmt.Printf("| threshold |")
	for _, s := range goCols {
		fmt.Printf(" %s accuracy | FAR | FRR |", s.name)
	}
	fmt.Printf("\n|---|%s\n", strings.Repeat("---|---|---|", len(goCols)))
	for _, th := range sweep(def, []float32{0.24, 0.26, 0.27, 0.28, 0.30, 0.32, 0.34, 0.363, 0.40, 0.42, 0.45}) {
		mark := ""
		if th == def {
			mark = " (default)"
		}
		fmt.Printf("| %.3f%s |", th, mark)
		for _, s := range goCols {
			far, frr := bench.Rates(s.cos, same, th)
			fmt.Printf(" %.2f %% | %.2f %% | %.2f %% |", 100*bench.AccuracyAt(s.cos, same, th), 100*far, 100*frr)
		}
		fmt.Println()
	}
	return res
}

// sweep is the thresholds to tabulate: low for a model whose scores sit
// near 0 for strangers (MobileFaceNet), else its default −0.06 … +0.04 in
// steps of 0.01 (dlib's descriptors score strangers about 0.84).
func sweep(def float32, low []float32) []float32 {
	if def < 0.5 {
		return low
	}
	var out []float32
	for k := -6; k <= 4; k++ {
		out = append(out, float32(math.Round(float64(def+float32(k)/100)*100)/100))
	}
	return out
}

func meanBy(cos []float32, same []bool) (s, d float64) {
	var ns, nd int
	for i, c := range cos {
		if same[i] {
			s, ns = s+float64(c), ns+1
		} else {
			d, nd = d+float64(c), nd+1
		}
	}
	return s / float64(max(ns, 1)), d / float64(max(nd, 1))
}

func maxDiff(a, b []float32) float64 {
	var m float64
	for i := range a {
		d := float64(a[i] - b[i])
		if d < 0 {
			d = -d
		}
		m = max(m, d)
	}
	return m
}

func python(o options, args []string) ([]byte, error) {
	cmd := exec.Command(o.python, args...)
	var stderr bytes.Buffer
	cmd.Stderr = io.MultiWriter(&stderr, os.Stderr)
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %v", o.python, filepath.Base(args[0]), err)
	}
	return out, nil
}

// makeFrame letterboxes a photo into a 640x480 frame and writes it as PNG,
// so Go and Python read exactly the same pixels.
func makeFrame(o options, dir string) (string, error) {
	src, err := sharedPath(o, o.framePhoto)
	if err != nil {
		return "", err
	}
	img, err := face.ReadImage(src, face.DefaultLimits)
	if err != nil {
		return "", err
	}
	defer img.Close()
	frame := face.Letterbox(img, 640, 480, color.RGBA{})
	defer frame.Close()
	encoded, err := face.EncodePNG(frame)
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, "frame640x480.png")
	return p, os.WriteFile(p, encoded, 0o644)
}

type pyLatency struct {
	Threads int       `json:"threads"`
	Faces   int       `json:"faces"`
	MS      []float64 `json:"ms"`
}

func latency(o options) (failed []string, err error) {
	tmp, err := os.MkdirTemp("", "visionbench")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	framePath, err := makeFrame(o, tmp)
	if err != nil {
		return nil, err
	}
	frame, err := face.ReadImage(framePath, face.DefaultLimits)
	if err != nil {
		return nil, err
	}
	defer frame.Close()

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
	recFlip, err := face.NewRecognizer(o.rec, o.models, face.RecognizerOptions{Flip: true})
	if err != nil {
		return nil, err
	}
	defer recFlip.Close()

	// One frame's work, as the camera loop will do it.
	once := func(r *face.Recognizer) (int, error) {
		faces, err := det.Detect(frame)
		if err != nil {
			return 0, err
		}
		l, ok := face.Largest(faces)
		if !ok {
			return 0, nil
		}
		_, err = r.Embed(frame, l)
		return len(faces), err
	}
	runGo := func(r *face.Recognizer, n int) ([]time.Duration, error) {
		for i := 0; i < 10; i++ {
			if _, err := once(r); err != nil {
				return nil, err
			}
		}
		d := make([]time.Duration, 0, n)
		for i := 0; i < n; i++ {
			t0 := time.Now()
			nf, err := once(r)
			d = append(d, time.Since(t0))
			if err != nil {
				return nil, err
			}
			if nf != 1 {
				return nil, fmt.Errorf("latency frame has %d faces, want 1", nf)
			}
		}
		return d, nil
	}
	runPy := func(threads, n int) ([]time.Duration, int, error) {
		out, err := python(o, append([]string{filepath.Join(o.scripts, "latency_reference.py"),
			"--detector", models.YuNet2022Mar.Path(o.models), "--recognizer", o.rec.Path(o.models),
			"--frame", framePath, "--threads", strconv.Itoa(threads), "--frames", strconv.Itoa(n),
			"--score", fmt.Sprint(models.YuNet2022Mar.Threshold)}, chipArgs(o.rec)...))
		if err != nil {
			return nil, 0, err
		}
		var r pyLatency
		if err := json.Unmarshal(out, &r); err != nil {
			return nil, 0, fmt.Errorf("latency_reference.py: %v", err)
		}
		if r.Faces != 1 {
			return nil, 0, fmt.Errorf("latency_reference.py found %d faces, want 1", r.Faces)
		}
		d := make([]time.Duration, len(r.MS))
		for i, ms := range r.MS {
			d[i] = time.Duration(ms * float64(time.Millisecond))
		}
		return d, r.Threads, nil
	}

	all := face.NumThreads()
	type row struct {
		label           string
		threads, pyArg  int
		goD, goF, pyD   []time.Duration
		pyThreadsReport int
	}
	rows := []*row{{label: "1 thread", threads: 1, pyArg: 1}, {label: fmt.Sprintf("all threads (%d)", all), threads: all, pyArg: -1}}
	per := max(o.frames/max(o.rounds, 1), 1)
	for round := 0; round < max(o.rounds, 1); round++ {
		for _, r := range rows {
			goFirst := round%2 == 0
			for step := 0; step < 2; step++ {
				if (step == 0) == goFirst {
					face.SetNumThreads(r.threads)
					d, err := runGo(rec, per)
					if err != nil {
						return nil, err
					}
					df, err := runGo(recFlip, per/2+1)
					if err != nil {
						return nil, err
					}
					face.SetNumThreads(all)
					r.goD, r.goF = append(r.goD, d...), append(r.goF, df...)
				} else {
					d, th, err := runPy(r.pyArg, per)
					if err != nil {
						return nil, err
					}
					r.pyD, r.pyThreadsReport = append(r.pyD, d...), th
				}
			}
		}
	}
	fmt.Printf("\n## Latency per frame: 640x480, one face (%s letterboxed), detect (%s) + align + embed (%s)\n\n",
		filepath.Base(o.framePhoto), models.YuNet2022Mar.Name, o.rec.Name)
	fmt.Printf("%d rounds of %d timed frames each side, Go and Python alternating who goes first; median (mean, p90) in ms.\n\n", max(o.rounds, 1), per)
	fmt.Printf("| threads | Go (vision/face) | Python (cv2, Debian) | Go / Python (median) | Go with flip-averaging |\n|---|---|---|---|---|\n")
	for _, r := range rows {
		g, p, f := bench.Summarize(r.goD), bench.Summarize(r.pyD), bench.Summarize(r.goF)
		ratio := float64(g.Median) / float64(p.Median)
		fmt.Printf("| %s | %s | %s | %.3f | %s |\n", r.label, ms(g), ms(p), ratio, ms(f))
		if o.maxRatio > 0 && ratio > o.maxRatio {
			failed = append(failed, fmt.Sprintf("latency %s: Go/Python %.3f > %.2f", r.label, ratio, o.maxRatio))
		}
	}
	return failed, nil
}

// chipArgs tell a Python reference how m aligns: nothing for
// FaceRecognizerSF, the chip's side and template for a dlib chip.
func chipArgs(m models.Model) []string {
	if m.Align != models.AlignDlibChip {
		return nil
	}
	return []string{"--chip", strconv.Itoa(m.InputWidth), "--chip-template", landmarkArg(face.DlibChipTemplate(m.InputWidth))}
}

func landmarkArg(l geom.Landmarks) string {
	var f []string
	for _, p := range l {
		f = append(f, fmt.Sprint(p.X), fmt.Sprint(p.Y))
	}
	return strings.Join(f, ",")
}

func ms(l bench.Latency) string {
	f := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return fmt.Sprintf("%.2f (%.2f, %.2f)", f(l.Median), f(l.Mean), f(l.P90))
}
