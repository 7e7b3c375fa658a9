//go:build vision

package engine

import (
	"image"
	"image/color"
	"path/filepath"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/roomgate/roomgate/internal/shared"
	"github.com/roomgate/roomgate/vision/face"
	"github.com/roomgate/roomgate/vision/gallery"
	"github.com/roomgate/roomgate/vision/models"
	"github.com/roomgate/roomgate/vision/quality"
	"github.com/roomgate/roomgate/vision/track"
)

type fixture struct {
	det   *face.Detector
	rec   *face.Recognizer
	dir   string // known_faces_small
	set   *gallery.Set
	model string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := shared.Need(t, "datasets/known_faces_small")
	md, err := models.Dir()
	if err != nil {
		t.Fatal(err)
	}
	det, err := face.NewDetector(models.YuNet2022Mar, md, face.DetectorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { det.Close() })
	rec, err := face.NewRecognizer(models.MobileFaceNetY1, md, face.RecognizerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rec.Close() })
	return &fixture{det: det, rec: rec, dir: dir, set: &gallery.Set{}, model: models.MobileFaceNetY1.Name}
}

func (fx *fixture) read(t *testing.T, rel string) gocv.Mat {
	t.Helper()
	img, err := face.ReadImage(filepath.Join(fx.dir, rel), face.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// enrol puts one photo per person into the gallery.
func (fx *fixture) enrol(t *testing.T, photos map[string]string) {
	t.Helper()
	imgs := map[string]gocv.Mat{}
	for person, rel := range photos {
		imgs[person] = fx.read(t, rel)
	}
	fx.enrolFrames(t, imgs)
	for _, img := range imgs {
		img.Close()
	}
}

// enrolFrames puts the largest face of one image per person into the gallery.
func (fx *fixture) enrolFrames(t *testing.T, imgs map[string]gocv.Mat) {
	t.Helper()
	var ts []gallery.Template
	for person, img := range imgs {
		faces, err := fx.det.Detect(img)
		f, ok := face.Largest(faces)
		if err != nil || !ok {
			t.Fatalf("no face in %s's image: %v", person, err)
		}
		emb, err := fx.rec.Embed(img, f)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, gallery.Template{Person: person, Model: fx.model, Vec: emb})
	}
	g, err := gallery.Build(gallery.Config{Model: fx.model, Dim: fx.rec.Dim()}, func(yield func(gallery.Template, error) bool) {
		for _, tpl := range ts {
			if !yield(tpl, nil) {
				return
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	fx.set.Store(g)
}

// frame letterboxes a photo into a 640×480 camera frame.
func (fx *fixture) frame(t *testing.T, rel string) gocv.Mat {
	t.Helper()
	img := fx.read(t, rel)
	defer img.Close()
	return face.Letterbox(img, 640, 480, color.RGBA{})
}

func (fx *fixture) engine(t *testing.T) *Engine { return fx.engineWith(t, nil) }

// engineWith decides by the sequential rule ev, or by the vote when nil.
func (fx *fixture) engineWith(t *testing.T, ev *track.Evidence) *Engine {
	t.Helper()
	e, err := New(Config{Quality: quality.Defaults(), Agreement: track.Defaults(models.MobileFaceNetY1.Threshold), Evidence: ev, MaxFaces: 4}, fx.det, fx.rec, fx.set)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// watch shows the frame to the engine for n frames at 10 fps and returns
// the decisions.
func watch(t *testing.T, e *Engine, frame gocv.Mat, start time.Time, n int) []track.Decision {
	t.Helper()
	var out []track.Decision
	for i := range n {
		res, err := e.Process(frame, start.Add(time.Duration(i)*100*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, res.Decisions...)
	}
	return out
}

// rules are the two decision rules, each test run under both.
var rules = []struct {
	name string
	ev   *track.Evidence
}{{"vote", nil}, {"sequential", func() *track.Evidence { e := track.EvidenceDefaults(); return &e }()}}

func TestCheckInByFace(t *testing.T) {
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) { checkInByFace(t, r.ev) })
	}
}

func checkInByFace(t *testing.T, ev *track.Evidence) {
	fx := newFixture(t)
	fx.enrol(t, map[string]string{
		"P-obama": "obama/obama.jpg", "P-biden": "biden/biden.jpg", "P-kit": "kit_harington/john1.jpeg",
		"P-rose": "rose_leslie/img1.jpg", "P-alex": "alex_lacamoire/img1.jpg",
	})
	start := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	for i, tt := range []struct{ photo, want string }{
		{"obama/obama2.jpg", "P-obama"},
		{"kit_harington/john2.jpeg", "P-kit"},
		{"rose_leslie/img2.jpg", "P-rose"},
		{"alex_lacamoire/alex_lacamoire1.jpg", "P-alex"},
	} {
		e := fx.engineWith(t, ev)
		frame := fx.frame(t, tt.photo)
		got := watch(t, e, frame, start.Add(time.Duration(i)*time.Minute), 5)
		frame.Close()
		var named []track.Decision
		for _, d := range got {
			if !d.Unknown {
				named = append(named, d)
			}
		}
		if len(named) != 1 || named[0].Person != tt.want || named[0].Score < models.MobileFaceNetY1.Threshold {
			t.Errorf("%s: decisions %+v, want %s once", tt.photo, got, tt.want)
			continue
		}
		t.Logf("%s: %s score %.3f margin %.3f after %d frames", tt.photo, named[0].Person, named[0].Score, named[0].Margin, named[0].Frames)
	}
}

func TestStrangerIsUnknown(t *testing.T) {
	fx := newFixture(t)
	fx.enrol(t, map[string]string{"P-obama": "obama/obama.jpg", "P-biden": "biden/biden.jpg", "P-rose": "rose_leslie/img1.jpg"})
	frame := fx.frame(t, "kit_harington/john2.jpeg")
	defer frame.Close()
	for _, r := range rules {
		got := watch(t, fx.engineWith(t, r.ev), frame, time.Now(), 8)
		if len(got) != 1 || !got[0].Unknown || got[0].Reason != "not_recognised" {
			t.Errorf("%s: a person not enrolled: %+v, want one not_recognised", r.name, got)
		}
	}
}

func TestBlurredFaceIsRejected(t *testing.T) {
	fx := newFixture(t)
	fx.enrol(t, map[string]string{"P-obama": "obama/obama.jpg"})
	frame := fx.frame(t, "obama/obama2.jpg")
	defer frame.Close()
	blurred := gocv.NewMat()
	defer blurred.Close()
	gocv.GaussianBlur(frame, &blurred, image.Pt(0, 0), 6, 6, gocv.BorderDefault)
	res, err := fx.engine(t).Process(blurred, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Faces) == 0 {
		t.Skip("the detector finds no face once blurred this much")
	}
	if q := res.Faces[0].Quality; q.Reason != quality.Blurry || len(res.Faces[0].Matches) != 0 {
		t.Errorf("blurred face: %+v, want rejected as blurry and not searched", res.Faces[0])
	}
	sharp, err := fx.engine(t).Process(frame, time.Now())
	if err != nil || len(sharp.Faces) == 0 || !sharp.Faces[0].Quality.OK() {
		t.Fatalf("the same face unblurred: %+v, %v, want it passing", sharp, err)
	}
	t.Logf("sharpness: sharp %s, blurred %s", sharp.Faces[0].Quality.Detail, res.Faces[0].Quality.Detail)
}

func TestEmptyGallery(t *testing.T) {
	fx := newFixture(t)
	frame := fx.frame(t, "obama/obama2.jpg")
	defer frame.Close()
	got := watch(t, fx.engine(t), frame, time.Now(), 5)
	if len(got) != 1 || !got[0].Unknown {
		t.Errorf("with no gallery: %+v, want the face unknown", got)
	}
}
