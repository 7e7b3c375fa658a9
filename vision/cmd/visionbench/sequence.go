//go:build vision

package main

import (
	"crypto/sha256"
	"encoding/gob"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"gocv.io/x/gocv"

	"github.com/roomgate/roomgate/vision/bench"
	"github.com/roomgate/roomgate/vision/face"
	"github.com/roomgate/roomgate/vision/gallery"
	"github.com/roomgate/roomgate/vision/geom"
	"github.com/roomgate/roomgate/vision/quality"
	"github.com/roomgate/roomgate/vision/track"
)

// seqOptions size the sequence benchmark and the fit.
type seqOptions struct {
	variants      int     // perturbed versions of each photo
	impostorRuns  int     // tracks per stranger
	genuineRuns   int     // tracks per enrolled person
	frames        int     // frames per track
	fps           float64 // the camera's rate
	people        int     // people with 2+ photos to use (0: all); CI takes a few
	galleries     []int   // gallery sizes; 0 is everyone the data allow
	precisions    []gallery.Precision
	cacheDir      string // embeddings of (photo, perturbation), per model
	evidence      track.Evidence
	sweepAccept   []float32
	calibrate     float64 // a stranger track's check-in rate the fit half's tracks set the intercept for; 0: none
	fuse          bool    // search with the track's running mean template, not each frame's
	detect        bool    // perturb the photo in a larger frame and give it to the engine: detector, quality gate, alignment
	voteThreshold float32 // vision.threshold, which the vote uses
	voteMargin    float32 // vision.agreement.min_margin
	fitGallerySiz int
}

// perturbVersion names the perturbations below and the codecs they go
// through; change it with them so cached embeddings of the old ones are
// not reused. p2: face.EncodeJPEG and DecodeImage (libjpeg-turbo, called
// directly) replaced OpenCV's imencode and imdecode.
const perturbVersion = "p2"

// perturb returns variant v of a photo whose face fills box (variant 0 is
// the photo as it is): a camera's view of the same face further away or
// nearer, blurred, lit differently, turned a little, compressed, and cut
// by the frame's edge. The parameters are drawn from a seed of (photo, v),
// so a variant is the same in every run.
func perturb(src gocv.Mat, box image.Rectangle, rel string, v int) (gocv.Mat, error) {
	out := src.Clone()
	if v == 0 {
		return out, nil
	}
	h := sha256.Sum256([]byte(fmt.Sprintf("%s#%d", rel, v)))
	r := rand.New(rand.NewPCG(uint64(h[0])|uint64(h[1])<<8|uint64(h[2])<<16|uint64(h[3])<<24, uint64(h[4])|uint64(h[5])<<8))
	u := func(lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }
	w, ht := src.Cols(), src.Rows()
	step := func(f func(dst *gocv.Mat)) {
		dst := gocv.NewMat()
		f(&dst)
		out.Close()
		out = dst
	}
	// Pose and distance: a small rotation, shear and zoom about the face's centre.
	c := box.Min.Add(box.Max).Div(2)
	rot := gocv.GetRotationMatrix2D(c, u(-10, 10), u(0.9, 1.1))
	rot.SetDoubleAt(0, 1, rot.GetDoubleAt(0, 1)+u(-0.08, 0.08))
	rot.SetDoubleAt(0, 2, rot.GetDoubleAt(0, 2)+u(-4, 4))
	rot.SetDoubleAt(1, 2, rot.GetDoubleAt(1, 2)+u(-4, 4))
	step(func(dst *gocv.Mat) {
		gocv.WarpAffineWithParams(out, dst, rot, image.Pt(w, ht), gocv.InterpolationLinear, gocv.BorderReplicate, color.RGBA{})
	})
	rot.Close()
	// A face further away: fewer pixels, scaled back up by the aligner.
	if s := u(0.4, 1); s < 0.95 {
		small := gocv.NewMat()
		gocv.Resize(out, &small, image.Pt(int(float64(w)*s), int(float64(ht)*s)), 0, 0, gocv.InterpolationArea)
		step(func(dst *gocv.Mat) { gocv.Resize(small, dst, image.Pt(w, ht), 0, 0, gocv.InterpolationLinear) })
		small.Close()
	}
	if sigma := u(0, 1.8); sigma > 0.3 {
		step(func(dst *gocv.Mat) { gocv.GaussianBlur(out, dst, image.Pt(0, 0), sigma, sigma, gocv.BorderDefault) })
	}
	alpha, beta := u(0.6, 1.35), u(-35, 35)
	step(func(dst *gocv.Mat) { out.ConvertToWithParams(dst, gocv.MatTypeCV8UC3, float32(alpha), float32(beta)) })
	// The edge of the frame or a hand: a band of one side hidden.
	if r.Float64() < 0.3 {
		d := int(u(0.05, 0.2) * float64(box.Dx()))
		rects := []image.Rectangle{image.Rect(0, 0, box.Min.X+d, ht), image.Rect(box.Max.X-d, 0, w, ht), image.Rect(0, box.Max.Y-d, w, ht)}
		gocv.Rectangle(&out, rects[r.IntN(len(rects))], color.RGBA{}, -1)
	}
	jpg, err := face.EncodeJPEG(out, int(u(25, 90)))
	out.Close()
	if err != nil {
		return gocv.Mat{}, err
	}
	return face.DecodeImage(jpg, face.DefaultLimits)
}

// embeddings is the cache of (photo, variant) → template for one model.
type embeddings struct {
	path    string
	vecs    map[string][]float32
	refused map[string]quality.Reason // -seq-detect: versions the quality gate refused, which have no template
	dirty   int
}

func openEmbeddings(dir string, c *lfwCrops, o options) (*embeddings, error) {
	key := o.rec.SHA256
	if key == "" {
		key = o.rec.Name
	}
	if len(key) > 16 {
		key = key[:16]
	}
	version := perturbVersion
	if o.seq.detect {
		version += "-engine"
	}
	e := &embeddings{path: filepath.Join(dir, fmt.Sprintf("%s-%s-%s.gob", o.rec.Name, key, version)), vecs: map[string][]float32{}, refused: map[string]quality.Reason{}}
	if f, err := os.Open(e.path); err == nil {
		defer f.Close()
		// The refusals follow the templates; a cache without them has none.
		d := gob.NewDecoder(f)
		if err := d.Decode(&e.vecs); err != nil {
			fmt.Fprintf(os.Stderr, "visionbench: ignoring the unreadable cache %s: %v\n", e.path, err)
			e.vecs = map[string][]float32{}
		} else if err := d.Decode(&e.refused); err != nil && !errors.Is(err, io.EOF) {
			fmt.Fprintf(os.Stderr, "visionbench: ignoring the unreadable cache %s: %v\n", e.path, err)
			e.vecs, e.refused = map[string][]float32{}, map[string]quality.Reason{}
		}
	}
	return e, nil
}

func (e *embeddings) save() error {
	if e.dirty == 0 {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(e.path), 0o755); err != nil {
		return err
	}
	tmp := e.path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	enc := gob.NewEncoder(f)
	if err := enc.Encode(e.vecs); err != nil {
		f.Close()
		return err
	}
	if err := enc.Encode(e.refused); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	e.dirty = 0
	return os.Rename(tmp, e.path)
}

// fill embeds every variant of the photos not in the cache yet, showing
// progress: the full run embeds tens of thousands.
func (e *embeddings) fill(c *lfwCrops, photos []string, variants int) error {
	var todo []string
	for _, rel := range photos {
		for v := range variants {
			if _, ok := e.vecs[varKey(rel, v)]; !ok {
				todo = append(todo, rel)
				break
			}
		}
	}
	start, last := time.Now(), time.Now()
	for i, rel := range todo {
		b, err := os.ReadFile(filepath.Join(c.imagesDir, rel))
		if err != nil {
			return err
		}
		img, err := face.DecodeImage(b, face.DefaultLimits)
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		for v := range variants {
			k := varKey(rel, v)
			if _, ok := e.vecs[k]; ok {
				continue
			}
			vec, refused, err := c.variantFeature(img, rel, v)
			if refused != quality.OK {
				e.refused[k] = refused
			}
			if err != nil {
				img.Close()
				return fmt.Errorf("%s variant %d: %w", rel, v, err)
			}
			e.vecs[k] = vec
			e.dirty++
		}
		img.Close()
		if time.Since(last) > 10*time.Second || i == len(todo)-1 {
			last = time.Now()
			fmt.Fprintf(os.Stderr, "embedding photos × %d variants: %d of %d photos (%.0f s)\n", variants, i+1, len(todo), time.Since(start).Seconds())
			if err := e.save(); err != nil {
				return err
			}
		}
	}
	return e.save()
}

// unseen counts the perturbed versions of photos in which no face was
// found, and those the quality gate refused by its reason.
func (e *embeddings) unseen(photos []string, variants int) (noFace int, refused map[quality.Reason]int) {
	refused = map[quality.Reason]int{}
	for _, rel := range photos {
		for v := 1; v < variants; v++ {
			k := varKey(rel, v)
			if r, ok := e.refused[k]; ok {
				refused[r]++
			} else if len(e.vecs[k]) == 0 {
				noFace++
			}
		}
	}
	return noFace, refused
}

func varKey(rel string, v int) string { return fmt.Sprintf("%s#%d", rel, v) }

// canvasPad is the grey border -seq-detect sets a crop in, so that a
// turned, shifted or zoomed face stays whole and the detector sees it
// with some background, as in a camera's frame.
const canvasPad = 56

// variantFeature embeds variant v of an aligned crop. Without the engine
// the perturbed crop goes to the recogniser as it is, so a turn or a
// shift is never undone. With it (-seq-detect) the crop is perturbed in a
// grey frame and the engine finds the face, checks it with the quality
// gate and aligns and embeds it, as it does a camera's frame: a variant
// with no face found has no template (empty), a frame without a face, and
// one the gate refuses none either, with the gate's reason. Variant 0, the
// photo as it is and the one enrolled, is the crop either way.
func (c *lfwCrops) variantFeature(crop gocv.Mat, rel string, v int) ([]float32, quality.Reason, error) {
	if c.eng == nil || v == 0 {
		p, err := perturb(crop, image.Rect(0, 0, crop.Cols(), crop.Rows()), rel, v)
		if err != nil {
			return nil, quality.OK, err
		}
		defer p.Close()
		vec, err := c.rec.CropFeature(p)
		return vec, quality.OK, err
	}
	canvas := gocv.NewMat()
	defer canvas.Close()
	gocv.CopyMakeBorder(crop, &canvas, canvasPad, canvasPad, canvasPad, canvasPad, gocv.BorderConstant, color.RGBA{R: 128, G: 128, B: 128})
	p, err := perturb(canvas, image.Rect(canvasPad, canvasPad, canvasPad+crop.Cols(), canvasPad+crop.Rows()), rel, v)
	if err != nil {
		return nil, quality.OK, err
	}
	defer p.Close()
	c.engAt = c.engAt.Add(2 * time.Second)
	res, err := c.eng.ProcessAll(p, c.engAt)
	if err != nil || len(res.Faces) == 0 {
		return []float32{}, quality.OK, err // kept, so the cache knows it was tried
	}
	seen := res.Faces[0]
	if !seen.Quality.OK() {
		return []float32{}, seen.Quality.Reason, nil
	}
	return seen.Embedding, quality.OK, nil
}

// seqData splits the LFW people for the fit and the benchmark: of the
// people with two or more photos, alternate ones go to the fit and to the
// test, and each side's half are members (enrolled with their first
// photo; genuine tracks from the others) and half strangers (impostor
// tracks, never enrolled). Everyone else fills galleries up to size.
type seqData struct {
	fit, test struct{ members, strangers []bench.Identity }
	fillers   []bench.Identity // one-photo people: gallery entries only
}

func splitPeople(ids []bench.Identity, limit int) seqData {
	var d seqData
	var multi []bench.Identity
	for _, id := range ids {
		if len(id.Images) >= 2 {
			multi = append(multi, id)
		} else {
			d.fillers = append(d.fillers, id)
		}
	}
	if limit > 0 && limit < len(multi) {
		multi = multi[:limit]
	}
	for i, id := range multi {
		side := &d.test
		if i%2 == 0 {
			side = &d.fit
		}
		if i%4 < 2 {
			side.members = append(side.members, id)
		} else {
			side.strangers = append(side.strangers, id)
		}
	}
	return d
}

// trackSpec is one simulated walk-up: whose face, and whether the gallery
// holds them.
type trackSpec struct {
	person string
	photos []string // the photos its frames come from
	member bool
}

// frameKeys draws a track's frames: a person stays on one photo for a
// few frames (one pose, one light, perturbed afresh each frame), then
// turns to another, as a face walking up to a camera does.
func frameKeys(r *rand.Rand, photos []string, variants, n int) []string {
	out := make([]string, n)
	p := r.IntN(len(photos))
	for i := range out {
		if i > 0 && r.Float64() < 0.3 {
			p = r.IntN(len(photos))
		}
		out[i] = varKey(photos[p], r.IntN(variants))
	}
	return out
}

// fuseFrames gives each frame of each track the sum of the track's
// templates up to it, under a key of its own, as an engine that searched
// with a track's running mean would see them (the templates are unit
// vectors and the gallery normalises what it is asked). The sums are kept
// apart from the cache, which holds only what the recogniser made. Each
// track here is one person, so the mean never has to restart. A frame the
// quality gate refused stays refused.
func fuseFrames(emb *embeddings, frames [][]string) (*embeddings, [][]string, []string) {
	fused := &embeddings{vecs: map[string][]float32{}, refused: map[string]quality.Reason{}}
	var keys []string
	out := make([][]string, len(frames))
	for i, fr := range frames {
		var sum []float32
		for j, k := range fr {
			key := fmt.Sprintf("mean of track %d to frame %d", i, j)
			if r, ok := emb.refused[k]; ok {
				fused.refused[key] = r
			}
			if v := emb.vecs[k]; len(v) > 0 {
				sum = slices.Clone(sum)
				if sum == nil {
					sum = make([]float32, len(v))
				}
				for d, x := range v {
					sum[d] += x
				}
			}
			fused.vecs[key] = sum
			out[i] = append(out[i], key)
			keys = append(keys, key)
		}
	}
	return fused, out, keys
}

// searches holds one gallery's answer to each (photo, variant) with a
// face in it, or the quality gate's refusal.
type searches map[string]track.Observation

func searchAll(g *gallery.Gallery, model string, emb *embeddings, keys []string) (searches, error) {
	out := searches{}
	for _, k := range keys {
		if _, ok := out[k]; ok {
			continue
		}
		if r, ok := emb.refused[k]; ok {
			out[k] = track.Observation{People: g.People(), Rejected: r}
			continue
		}
		if len(emb.vecs[k]) == 0 {
			continue
		}
		ms, err := g.Top(model, emb.vecs[k], 2)
		if err != nil {
			return nil, err
		}
		o := track.Observation{People: g.People()}
		if len(ms) > 0 {
			o.Person, o.Score = ms[0].Person, ms[0].Score
		}
		if len(ms) > 1 {
			o.RunnerUp = ms[1].Score
		}
		out[k] = o
	}
	return out, nil
}

// buildGallery enrols the members' first photos and fills to size with
// other people's first photos.
func buildGallery(o options, c *lfwCrops, emb *embeddings, members, fillers []bench.Identity, size int, prec gallery.Precision) (*gallery.Gallery, []bench.Identity, error) {
	in := slices.Concat(members, fillers)
	if size > 0 && size < len(in) {
		in = in[:size]
	}
	var firsts []string
	for _, id := range in {
		firsts = append(firsts, id.Images[0])
	}
	if err := emb.fill(c, firsts, 1); err != nil {
		return nil, nil, err
	}
	var ts []gallery.Template
	for _, id := range in {
		ts = append(ts, gallery.Template{Person: id.Name, Model: o.rec.Name, Vec: emb.vecs[varKey(id.Images[0], 0)]})
	}
	g, err := gallery.Build(gallery.Config{Model: o.rec.Name, Dim: c.rec.Dim(), Precision: prec, Rows: len(ts)},
		func(yield func(gallery.Template, error) bool) {
			for _, t := range ts {
				if !yield(t, nil) {
					return
				}
			}
		})
	return g, in, err
}

// ruleResult counts one decision rule's outcomes over the tracks.
type ruleResult struct {
	impostors, falseIn   int
	falsePeople          map[string]bool
	genuine, late, wrong int
	framesToName         []int // genuine tracks named rightly within the track
}

// runRule plays every track through a fresh tracker of the rule, at the
// camera's rate, with the searches the agent's engine would have made.
func runRule(newTracker func() (*track.Tracker, error), tracks []trackSpec, frames [][]string, ss searches, fps float64, within time.Duration) (ruleResult, error) {
	res := ruleResult{falsePeople: map[string]bool{}}
	t0 := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	dt := time.Duration(float64(time.Second) / fps)
	box := geom.Rect{X: 260, Y: 180, W: 120, H: 120}
	for i, tk := range tracks {
		tr, err := newTracker()
		if err != nil {
			return res, err
		}
		named, at := "", -1
		wrong := false
		for j, k := range frames[i] {
			var obs []track.Observation
			if o, ok := ss[k]; ok {
				o.Box = box
				o.Box.X += float32(j % 3)
				obs = append(obs, o)
			}
			for _, d := range tr.Update(t0.Add(time.Duration(j)*dt), obs) {
				if d.Unknown {
					continue
				}
				if d.Person != tk.person {
					wrong = true
				} else if named == "" {
					named, at = d.Person, j
				}
			}
		}
		if !tk.member {
			res.impostors++
			if wrong {
				res.falseIn++
				res.falsePeople[tk.person] = true
			}
			continue
		}
		res.genuine++
		if wrong {
			res.wrong++
		}
		if named == "" || time.Duration(at)*dt > within {
			res.late++
		}
		if named != "" {
			res.framesToName = append(res.framesToName, at+1)
		}
	}
	sort.Ints(res.framesToName)
	return res, nil
}

// namedRule makes a fresh tracker of one decision rule for each track.
type namedRule struct {
	name string
	new  func() (*track.Tracker, error)
}

// seqRow is one line of the table: a rule's outcomes on one gallery.
type seqRow struct {
	people int
	rule   string
	res    ruleResult
}

// sequence runs the fit, the benchmark or both, prints their tables and
// returns the benchmark's rows.
func sequence(o options, c *lfwCrops, doFit, doBench bool) ([]seqRow, error) {
	so := o.seq
	ids, err := bench.ReadIdentities(os.DirFS(c.imagesDir))
	if err != nil {
		return nil, err
	}
	data := splitPeople(ids, so.people)
	if len(data.test.members) == 0 || len(data.test.strangers) == 0 || len(data.fit.members) == 0 {
		return nil, fmt.Errorf("sequence: %d people with 2+ photos: too few to split", len(data.fit.members)+len(data.fit.strangers)+len(data.test.members)+len(data.test.strangers))
	}
	emb, err := openEmbeddings(so.cacheDir, c, o)
	if err != nil {
		return nil, err
	}
	// Variants of every photo a track shows; the first photo of everyone
	// as they would be enrolled.
	var photos []string
	for _, side := range []struct{ members, strangers []bench.Identity }{data.fit, data.test} {
		for _, id := range slices.Concat(side.members, side.strangers) {
			photos = append(photos, id.Images...)
		}
	}
	if err := emb.fill(c, photos, so.variants); err != nil {
		return nil, err
	}
	// The other side's people fill a gallery too: they are other people,
	// and none of them walks up in this side's tracks.
	fillersFor := func(other struct{ members, strangers []bench.Identity }) []bench.Identity {
		return slices.Concat(data.fillers, other.members, other.strangers)
	}

	if doFit {
		if err := fitSection(o, c, emb, data.fit.members, data.fit.strangers, fillersFor(data.test)); err != nil {
			return nil, err
		}
	}
	if !doBench {
		return nil, nil
	}
	members, strangers := data.test.members, data.test.strangers
	fillers := fillersFor(data.fit)
	tracks, frames, keys, searched := walkUps(rand.New(rand.NewPCG(16, 2)), so, emb, members, strangers)
	within := 2 * time.Second
	ev := so.evidence
	vote := track.Defaults(so.voteThreshold)
	vote.MinMargin = so.voteMargin
	var calibrated *track.Evidence
	if so.calibrate > 0 {
		e, err := calibrateSection(o, c, emb, data.fit.members, data.fit.strangers, fillersFor(data.test), vote, within)
		if err != nil {
			return nil, err
		}
		calibrated = &e
	}
	fmt.Printf("\n## Sequences: check-in tracks of LFW faces, the k-of-n vote against the sequential rule (%s)\n\n", o.rec.Name)
	fmt.Printf("Tracks of %d frames at %.0f fps (%.1f s). People with 2+ photos, not those the fit saw: %d members (enrolled with their first photo; %d tracks each from their other photos) and %d strangers (never enrolled; %d tracks each from all their photos). ",
		so.frames, so.fps, float64(so.frames)/so.fps, len(members), so.genuineRuns, len(strangers), so.impostorRuns)
	fmt.Printf("A frame is one of %d versions of a photo (as it is, or turned, sheared, zoomed, shrunk, blurred, relit, cut at an edge, JPEG-compressed; seeded); a track stays on one photo for a few frames and turns to another with probability 0.3 per frame. ", so.variants)
	if so.detect {
		noFace, refused := emb.unseen(photos, so.variants)
		fmt.Printf("-seq-detect: each version is made on the crop set in a grey frame and given to the engine, which finds the face with YuNet, checks it with the quality gate (defaults) and aligns it again; of %d versions %d had no face (frames without one) and the gate refused %v. ", len(photos)*(so.variants-1), noFace, refused)
	} else {
		fmt.Printf("Crops go to the recogniser directly (no detector, no quality gate). ")
	}
	fmt.Printf("Galleries are filled to size with other LFW people (one photo each). Per-frame decisions are vision/track's Tracker, the code the engine runs.\n\n")
	if so.fuse {
		fmt.Printf("-seq-fuse: each frame is searched with the mean of its track's templates up to it, not its own.\n\n")
	}
	fmt.Printf("vote: threshold %.2f, margin %.2f, %d of %d frames. sequential: LLR = %.2f + %.2f·ln(people/%d) + %.2f·score + %.2f·margin, cap ±%.1f, accept %.1f, reject %.1f, spacing %v.\n\n",
		vote.Threshold, vote.MinMargin, vote.Agree, vote.Frames, ev.Intercept, ev.PeopleSlope, ev.People, ev.Score, ev.Margin, ev.Cap, ev.Accept, ev.Reject, ev.Spacing)
	fmt.Printf("The 95 %% bound treats tracks as independent; tracks of one stranger share their photos, so read it with the number of distinct strangers checked in.\n\n")
	fmt.Printf("| gallery | rule | false check-ins / impostor tracks | 95 %% upper bound | strangers checked in (of %d) | genuine not named within %v | wrong person (genuine tracks) | frames to name p50 / p95 |\n|---|---|---|---|---|---|---|---|\n", len(strangers), within)
	var rows []seqRow
	for _, size := range so.galleries {
		for _, prec := range so.precisions {
			g, in, err := buildGallery(o, c, emb, members, fillers, size, prec)
			if err != nil {
				return nil, err
			}
			ts, fs := enrolledTracks(tracks, frames, in)
			ss, err := searchAll(g, o.rec.Name, searched, keys)
			if err != nil {
				return nil, err
			}
			stored := ""
			if len(so.precisions) > 1 || prec != gallery.Float32 {
				stored = ", " + prec.String()
			}
			sequential := func(e track.Evidence) func() (*track.Tracker, error) {
				return func() (*track.Tracker, error) { return track.NewSequential(vote, e) }
			}
			rules := []namedRule{
				{"vote 3 of 5" + stored, func() (*track.Tracker, error) { return track.New(vote) }},
				{"sequential" + stored, sequential(ev)},
			}
			if calibrated != nil {
				rules = append(rules, namedRule{"sequential, calibrated on the fit half" + stored, sequential(*calibrated)})
			}
			for _, a := range so.sweepAccept {
				e := ev
				e.Accept = a
				rules = append(rules, namedRule{fmt.Sprintf("sequential, accept %.0f%s", a, stored), sequential(e)})
			}
			for _, rl := range rules {
				res, err := runRule(rl.new, ts, fs, ss, so.fps, within)
				if err != nil {
					return nil, err
				}
				rows = append(rows, seqRow{g.People(), rl.name, res})
				fmt.Printf("| %d | %s | %d / %d | %.2g | %d | %s | %d | %d / %d |\n", g.People(), rl.name, res.falseIn, res.impostors, bench.Upper95(res.falseIn, res.impostors),
					len(res.falsePeople), pct(res.late, res.genuine), res.wrong, bench.Percentile(res.framesToName, 50), bench.Percentile(res.framesToName, 95))
			}
		}
	}
	return rows, nil
}

// walkUps draws one side's tracks: genuineRuns for each member from the
// photos after the one enrolled, impostorRuns for each stranger from all
// of theirs. keys are every frame's, for the searches, and searched the
// templates to search them with: emb's, or with -seq-fuse the tracks'
// running sums.
func walkUps(r *rand.Rand, so seqOptions, emb *embeddings, members, strangers []bench.Identity) (tracks []trackSpec, frames [][]string, keys []string, searched *embeddings) {
	for _, id := range members {
		for range so.genuineRuns {
			tracks = append(tracks, trackSpec{person: id.Name, photos: id.Images[1:], member: true})
		}
	}
	for _, id := range strangers {
		for range so.impostorRuns {
			tracks = append(tracks, trackSpec{person: id.Name, photos: id.Images})
		}
	}
	for _, tk := range tracks {
		f := frameKeys(r, tk.photos, so.variants, so.frames)
		frames = append(frames, f)
		keys = append(keys, f...)
	}
	if so.fuse {
		searched, frames, keys = fuseFrames(emb, frames)
		return tracks, frames, keys, searched
	}
	return tracks, frames, keys, emb
}

// calibrateSection chooses the sequential rule's intercept on whole tracks
// of the fit half's people, so that the benchmark's half, which it never
// sees, can say how the choice holds: for each gallery size, the highest
// intercept whose false check-ins stay at or below the target rate
// (bisection: more intercept, more evidence, more check-ins), then the
// people slope through those intercepts. It prints what it found and
// returns the rule.
func calibrateSection(o options, c *lfwCrops, emb *embeddings, members, strangers, fillers []bench.Identity, vote track.Config, within time.Duration) (track.Evidence, error) {
	so := o.seq
	tracks, frames, keys, searched := walkUps(rand.New(rand.NewPCG(16, 3)), so, emb, members, strangers)
	fmt.Printf("\n## The intercept chosen on whole tracks of the fit half (%s)\n\n", o.rec.Name)
	fmt.Printf("%d members and %d strangers the benchmark below never shows, tracks drawn as below. For each gallery the highest intercept (to 0.01 nats) whose false check-ins per stranger track stay at or below %.2g, the rule's other weights as configured:\n\n", len(members), len(strangers), so.calibrate)
	fmt.Printf("| gallery | intercept | false check-ins / impostor tracks | strangers checked in (of %d) | genuine not named within %v | wrong person |\n|---|---|---|---|---|---|\n", len(strangers), within)
	var xs, ys []float64
	for _, size := range so.galleries {
		g, in, err := buildGallery(o, c, emb, members, fillers, size, gallery.Float32)
		if err != nil {
			return track.Evidence{}, err
		}
		ts, fs := enrolledTracks(tracks, frames, in)
		ss, err := searchAll(g, o.rec.Name, searched, keys)
		if err != nil {
			return track.Evidence{}, err
		}
		e := so.evidence
		e.People, e.PeopleSlope = g.People(), 0 // the intercept is this gallery's own
		run := func(intercept float32) (ruleResult, error) {
			e.Intercept = intercept
			return runRule(func() (*track.Tracker, error) { return track.NewSequential(vote, e) }, ts, fs, ss, so.fps, within)
		}
		lo, hi := so.evidence.Intercept-16, so.evidence.Intercept+16
		for hi-lo > 0.01 {
			mid := (lo + hi) / 2
			res, err := run(mid)
			if err != nil {
				return track.Evidence{}, err
			}
			if float64(res.falseIn) <= so.calibrate*float64(res.impostors) {
				lo = mid
			} else {
				hi = mid
			}
		}
		res, err := run(lo)
		if err != nil {
			return track.Evidence{}, err
		}
		fmt.Printf("| %d | %.2f | %d / %d | %d | %s | %d |\n", g.People(), lo, res.falseIn, res.impostors, len(res.falsePeople), pct(res.late, res.genuine), res.wrong)
		xs, ys = append(xs, math.Log(float64(g.People())/float64(so.evidence.People))), append(ys, float64(lo))
	}
	e := so.evidence
	e.Intercept, e.PeopleSlope = fitLine(xs, ys)
	fmt.Printf("\nThrough those: intercept %.2f at %d people, people_slope %.2f (least squares on ln(people/%d)); as flags: -evidence=%g,%g,%g,%g,%g,%g,%d,%.2f\n",
		e.Intercept, e.People, e.PeopleSlope, e.People, e.Intercept, e.Score, e.Margin, e.Cap, e.Accept, e.Reject, e.People, e.PeopleSlope)
	return e, nil
}

// fitLine is the least-squares line y = a + b·x; one point gives b = 0.
func fitLine(xs, ys []float64) (a, b float32) {
	var mx, my float64
	for i := range xs {
		mx, my = mx+xs[i], my+ys[i]
	}
	n := float64(len(xs))
	mx, my = mx/n, my/n
	var sxy, sxx float64
	for i := range xs {
		sxy += (xs[i] - mx) * (ys[i] - my)
		sxx += (xs[i] - mx) * (xs[i] - mx)
	}
	slope := 0.0
	if sxx > 0 {
		slope = sxy / sxx
	}
	return float32(my - slope*mx), float32(slope)
}

// enrolledTracks keeps the strangers' tracks and those of members the
// gallery holds.
func enrolledTracks(tracks []trackSpec, frames [][]string, in []bench.Identity) ([]trackSpec, [][]string) {
	enrolled := map[string]bool{}
	for _, id := range in {
		enrolled[id.Name] = true
	}
	var ts []trackSpec
	var fs [][]string
	for i, tk := range tracks {
		if !tk.member || enrolled[tk.person] {
			ts, fs = append(ts, tk), append(fs, frames[i])
		}
	}
	return ts, fs
}

// fitSection fits the per-frame LLR on the fit side's people, frames of
// every variant against a gallery of fitGallerySiz people.
func fitSection(o options, c *lfwCrops, emb *embeddings, members, strangers, fillers []bench.Identity) error {
	g, _, err := buildGallery(o, c, emb, members, fillers, o.seq.fitGallerySiz, gallery.Float32)
	if err != nil {
		return err
	}
	var ss []bench.FrameSample
	add := func(id bench.Identity, photos []string) error {
		for _, rel := range photos {
			for v := range o.seq.variants {
				vec := emb.vecs[varKey(rel, v)]
				if len(vec) == 0 {
					continue
				}
				ms, err := g.Top(o.rec.Name, vec, 2)
				if err != nil {
					return err
				}
				if len(ms) < 2 {
					continue
				}
				ss = append(ss, bench.FrameSample{Score: ms[0].Score, Margin: ms[0].Score - ms[1].Score, Right: ms[0].Person == id.Name})
			}
		}
		return nil
	}
	for _, id := range members {
		if err := add(id, id.Images[1:]); err != nil {
			return err
		}
	}
	for _, id := range strangers {
		if err := add(id, id.Images); err != nil {
			return err
		}
	}
	f := bench.FitLLR(ss)
	fmt.Printf("\n## Fit of the sequential rule's per-frame LLR (%s)\n\n", o.rec.Name)
	fmt.Printf("Logistic regression of \"the best match is the person in the frame\" on (score, margin), %d frames where it is and %d where it is not (%d enrolled people's other photos, %d strangers' photos, %d versions each), gallery of %d people; the prior odds of these frames are taken out of the intercept.\n\n",
		f.Right, f.Wrong, len(members), len(strangers), o.seq.variants, g.People())
	fmt.Printf("LLR (nats) = %.2f + %.2f·score + %.2f·margin    (vision.evidence: intercept %.1f, score %.1f, margin %.1f)\n\n", f.Intercept, f.Score, f.Margin, f.Intercept, f.Score, f.Margin)
	// How the fit reads on its own frames: the LLR's spread per kind.
	var right, wrong []float64
	for _, s := range ss {
		l := f.Intercept + f.Score*float64(s.Score) + f.Margin*float64(s.Margin)
		if s.Right {
			right = append(right, l)
		} else {
			wrong = append(wrong, l)
		}
	}
	q := func(v []float64, p float64) float64 {
		if len(v) == 0 {
			return math.NaN()
		}
		slices.Sort(v)
		return v[min(len(v)-1, int(p*float64(len(v))))]
	}
	fmt.Printf("| frames | LLR p1 | p5 | p50 | p95 | p99 | max |\n|---|---|---|---|---|---|---|\n")
	for _, r := range []struct {
		name string
		v    []float64
	}{{"right person", right}, {"wrong person or stranger", wrong}} {
		fmt.Printf("| %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |\n", r.name, q(r.v, 0.01), q(r.v, 0.05), q(r.v, 0.5), q(r.v, 0.95), q(r.v, 0.99), q(r.v, 1))
	}
	return nil
}
