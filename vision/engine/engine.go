//go:build vision

package engine

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"gocv.io/x/gocv"

	"github.com/roomgate/roomgate/vision/face"
	"github.com/roomgate/roomgate/vision/gallery"
	"github.com/roomgate/roomgate/vision/geom"
	"github.com/roomgate/roomgate/vision/quality"
	"github.com/roomgate/roomgate/vision/track"
)

// Config is the pipeline's thresholds. MaxFaces bounds the work per frame:
// the largest faces are the people nearest the camera. Evidence, when set,
// names faces by the sequential rule instead of Agreement's vote (whose
// box overlap and lost time still follow the faces).
type Config struct {
	Quality   quality.Config
	Agreement track.Config
	Evidence  *track.Evidence
	MaxFaces  int
}

// Engine runs the pipeline on one camera's frames, in order. It is not
// safe for concurrent use; the detector and recogniser may be shared with
// enrolment, which serialises on them.
type Engine struct {
	cfg     Config
	det     *face.Detector
	rec     *face.Recognizer
	gallery *gallery.Set
	tracker *track.Tracker
	model   string
}

// New checks cfg and returns an engine that searches whatever gallery the
// set holds at each frame, so a new gallery takes effect at once.
func New(cfg Config, det *face.Detector, rec *face.Recognizer, g *gallery.Set) (*Engine, error) {
	if err := cfg.Quality.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxFaces < 1 {
		return nil, fmt.Errorf("engine: max_faces %d, want at least 1", cfg.MaxFaces)
	}
	var tr *track.Tracker
	var err error
	if cfg.Evidence != nil {
		tr, err = track.NewSequential(cfg.Agreement, *cfg.Evidence)
	} else {
		tr, err = track.New(cfg.Agreement)
	}
	if err != nil {
		return nil, err
	}
	return &Engine{cfg: cfg, det: det, rec: rec, gallery: g, tracker: tr, model: rec.Model().Name}, nil
}

// Seen is one face in one frame and what became of it. A face its track
// needs no look at this frame (decided, or under the vote counted moments
// ago) is not checked: Looked is false, it has no quality, matches or
// embedding, and Named says who its track named.
type Seen struct {
	Face    face.Face
	Looked  bool   // checked this frame: the quality gate, and the recogniser if it passed
	Named   string // the person the face's track named before this frame; "" while undecided or unknown
	Unknown bool   // the face's track said before this frame that it is unknown, and has named nobody since
	Quality quality.Result
	Matches []gallery.Match // best first: the person, and the runner-up
	// Embedding is the face's L2-normalised template, when it was good
	// enough to embed: a 1:1 check (a chip ID card's visitor) compares it.
	Embedding []float32
}

// Result is what one frame gave.
type Result struct {
	At        time.Time
	Faces     []Seen
	Decisions []track.Decision
}

// Process runs one frame: it detects every face and embeds those whose
// track is undecided, or due a confirmation (track.Tracker.Plan). An error
// is about the frame or OpenCV, not the people in it; the caller logs it
// and goes on with the next frame.
func (e *Engine) Process(frame gocv.Mat, at time.Time) (Result, error) {
	return e.process(frame, at, false)
}

// ProcessAll is Process embedding every face, decided or not: for a chip
// ID card's face check, which compares each face's embedding.
func (e *Engine) ProcessAll(frame gocv.Mat, at time.Time) (Result, error) {
	return e.process(frame, at, true)
}

func (e *Engine) process(frame gocv.Mat, at time.Time, all bool) (Result, error) {
	res := Result{At: at}
	faces, err := e.det.Detect(frame)
	if err != nil {
		return res, err
	}
	sort.Slice(faces, func(i, j int) bool { return faces[i].Box.Area() > faces[j].Box.Area() })
	faces = faces[:min(len(faces), e.cfg.MaxFaces)]
	boxes := make([]geom.Rect, len(faces))
	for i, f := range faces {
		boxes[i] = f.Box
	}
	plan := e.tracker.Plan(at, boxes)
	g := e.gallery.Load()
	obs := make([]track.Observation, 0, len(faces))
	for i, f := range faces {
		if !all && !plan[i].Embed {
			res.Faces = append(res.Faces, Seen{Face: f, Named: plan[i].Named, Unknown: plan[i].Unknown})
			obs = append(obs, track.Observation{Box: f.Box, Skipped: true})
			continue
		}
		seen, err := e.look(frame, f, g)
		if err != nil {
			return res, err
		}
		seen.Named, seen.Unknown = plan[i].Named, plan[i].Unknown
		res.Faces = append(res.Faces, seen)
		o := track.Observation{Box: f.Box, Rejected: seen.Quality.Reason}
		if g != nil {
			o.People = g.People()
		}
		if len(seen.Matches) > 0 {
			o.Person, o.Score = seen.Matches[0].Person, seen.Matches[0].Score
		}
		if len(seen.Matches) > 1 {
			o.RunnerUp = seen.Matches[1].Score
		}
		obs = append(obs, o)
	}
	res.Decisions = e.tracker.Update(at, obs)
	return res, nil
}

// look checks one face, and if it is good enough embeds and searches it.
func (e *Engine) look(frame gocv.Mat, f face.Face, g *gallery.Gallery) (Seen, error) {
	s := quality.Sample{Box: f.Box, Landmarks: f.Landmarks, Score: f.Score, FrameW: frame.Cols(), FrameH: frame.Rows()}
	seen := Seen{Face: f, Looked: true, Quality: e.cfg.Quality.CheckShape(s)}
	if !seen.Quality.OK() {
		return seen, nil
	}
	aligned, err := e.rec.AlignCrop(frame, f)
	if err != nil {
		return seen, err
	}
	defer aligned.Close()
	s.Sharpness, s.Brightness = Measure(aligned)
	if seen.Quality = e.cfg.Quality.Check(s); !seen.Quality.OK() {
		return seen, nil
	}
	emb, err := e.rec.Feature(aligned)
	if err != nil {
		return seen, err
	}
	seen.Embedding = emb
	if g == nil || g.Len() == 0 {
		return seen, nil
	}
	seen.Matches, err = g.Top(e.model, emb, 2)
	if errors.Is(err, gallery.ErrModel) {
		return seen, fmt.Errorf("engine: the gallery is of model %s, the camera's recogniser is %s: %w", g.Model(), e.model, err)
	}
	return seen, err
}

// Measure returns the sharpness (variance of the Laplacian) and brightness
// (mean grey level) of an aligned face. Measured on the fixed-size aligned
// crop, both mean the same whatever the face's size in the frame.
func Measure(aligned gocv.Mat) (sharpness, brightness float64) {
	grey := gocv.NewMat()
	defer grey.Close()
	gocv.CvtColor(aligned, &grey, gocv.ColorBGRToGray)
	lap := gocv.NewMat()
	defer lap.Close()
	gocv.Laplacian(grey, &lap, gocv.MatTypeCV64F, 1, 1, 0, gocv.BorderDefault)
	mean, dev := gocv.NewMat(), gocv.NewMat()
	defer mean.Close()
	defer dev.Close()
	gocv.MeanStdDev(lap, &mean, &dev)
	sd := dev.GetDoubleAt(0, 0)
	return sd * sd, grey.Mean().Val1
}
