//go:build vision

package face

// #include <stdlib.h>
// #include "face.h"
import "C"

import (
	"fmt"
	"path/filepath"
	"sync"
	"unsafe"

	"gocv.io/x/gocv"

	"github.com/roomgate/roomgate/vision/geom"
	"github.com/roomgate/roomgate/vision/models"
)

// Face is one detection, in the geometry types the quality gate and the
// tracker take. Landmarks are in YuNet's order (see geom.RightEye).
type Face struct {
	Box       geom.Rect
	Landmarks geom.Landmarks
	Score     float32
}

// row is the 15-float layout FaceDetectorYN returns and alignCrop reads.
func (f Face) row() [15]C.float {
	var r [15]C.float
	r[0], r[1], r[2], r[3] = C.float(f.Box.X), C.float(f.Box.Y), C.float(f.Box.W), C.float(f.Box.H)
	for i, p := range f.Landmarks {
		r[4+2*i], r[5+2*i] = C.float(p.X), C.float(p.Y)
	}
	r[14] = C.float(f.Score)
	return r
}

// Largest returns the face with the largest box; ok is false when there
// is none. At a gate the nearest person is the one checking in.
func Largest(faces []Face) (f Face, ok bool) {
	for i, c := range faces {
		if i == 0 || c.Box.Area() > f.Box.Area() {
			f, ok = c, true
		}
	}
	return f, ok
}

// DetectorOptions tunes YuNet. Zero values take the defaults.
type DetectorOptions struct {
	// ScoreThreshold drops faces scoring lower (default: the model's
	// Threshold, 0.8 for YuNet 2022mar).
	ScoreThreshold float32
	// NMSThreshold is the box overlap above which the weaker of two
	// faces is dropped (default 0.3, OpenCV's).
	NMSThreshold float32
	// TopK bounds the candidates kept before NMS (default 5000, OpenCV's).
	TopK int
	// MaxWidth, above 0, has frames wider than it detected on a copy
	// scaled down to it, boxes and landmarks scaled back: YuNet's cost
	// grows with the pixels, and a face the quality gate would take is
	// still tens of pixels wide at half a VGA frame (0: every frame whole).
	MaxWidth int
}

// Detector finds faces with YuNet. It is safe for concurrent use, but
// calls are serialised: run one Detector per camera for parallelism.
type Detector struct {
	mu    sync.Mutex
	p     C.RGDetector
	model string
}

// NewDetector verifies the model file in dir against m.SHA256 and loads it.
func NewDetector(m models.Model, dir string, opt DetectorOptions) (*Detector, error) {
	path, err := m.Check(dir)
	if err != nil {
		return nil, err
	}
	if opt.ScoreThreshold == 0 {
		opt.ScoreThreshold = m.Threshold
	}
	if opt.NMSThreshold == 0 {
		opt.NMSThreshold = 0.3
	}
	if opt.TopK == 0 {
		opt.TopK = 5000
	}
	if opt.ScoreThreshold <= 0 || opt.ScoreThreshold > 1 || opt.NMSThreshold <= 0 || opt.NMSThreshold > 1 || opt.TopK < 0 {
		return nil, fmt.Errorf("vision: detector options %+v: thresholds must be in (0, 1] and top_k positive", opt)
	}
	if opt.MaxWidth != 0 && opt.MaxWidth < models.MinDetectWidth {
		return nil, fmt.Errorf("vision: detector options %+v: max width must be 0 or at least %d px", opt, models.MinDetectWidth)
	}
	w, h := m.InputWidth, m.InputHeight
	if w <= 0 || h <= 0 {
		w, h = 320, 320
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	name := filepath.Base(path)
	d := &Detector{model: name}
	if err := cvErr("load detector", C.rg_detector_new(cpath, C.int(w), C.int(h),
		C.float(opt.ScoreThreshold), C.float(opt.NMSThreshold), C.int(opt.TopK), C.int(opt.MaxWidth), &d.p)); err != nil {
		return nil, fmt.Errorf("%w %s: OpenCV cannot load it as a detector: %w", models.ErrModel, name, err)
	}
	// A file with the right sha256 can still be the wrong kind of model
	// (configured by hand): run it once so that shows now, not at the door.
	probe := gocv.NewMatWithSize(h, w, gocv.MatTypeCV8UC3)
	defer probe.Close()
	if _, err := d.Detect(probe); err != nil {
		d.Close()
		return nil, fmt.Errorf("%w %s: does not run as a YuNet 2022mar face detector: %w", models.ErrModel, name, err)
	}
	return d, nil
}

// minSide is the smallest frame side YuNet 2022mar runs on (62 px and
// less make OpenCV throw); such a frame cannot hold a findable face.
const minSide = 64

// Detect returns the faces in img, a BGR 8-bit image of any size.
func (d *Detector) Detect(img gocv.Mat) ([]Face, error) {
	if err := checkBGR(img); err != nil {
		return nil, fmt.Errorf("vision: detect: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.p == nil {
		return nil, ErrClosed
	}
	if img.Rows() < minSide || img.Cols() < minSide {
		return nil, nil
	}
	var rows *C.float
	var n C.int
	if err := cvErr("detect", C.rg_detector_detect(d.p, matPtr(&img), &rows, &n)); err != nil {
		return nil, fmt.Errorf("vision: detect: %w", err)
	}
	if n == 0 {
		return nil, nil
	}
	v := unsafe.Slice((*float32)(unsafe.Pointer(rows)), int(n)*15)
	faces := make([]Face, n)
	for i := range faces {
		r := v[i*15 : i*15+15]
		f := &faces[i]
		f.Box = geom.Rect{X: r[0], Y: r[1], W: r[2], H: r[3]}
		for j := range f.Landmarks {
			f.Landmarks[j] = geom.Point{X: r[4+2*j], Y: r[5+2*j]}
		}
		f.Score = r[14]
	}
	return faces, nil
}

// String names the detector's model, for logs.
func (d *Detector) String() string { return "face.Detector(" + d.model + ")" }

// Close frees the OpenCV detector. It is safe to call more than once.
func (d *Detector) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.p != nil {
		C.rg_detector_free(d.p)
		d.p = nil
	}
	return nil
}

func checkBGR(img gocv.Mat) error {
	if img.Ptr() == nil || img.Empty() {
		return ErrEmptyImage
	}
	if img.Type() != gocv.MatTypeCV8UC3 {
		return fmt.Errorf("image type %v, want 8-bit BGR (CV8UC3)", img.Type())
	}
	return nil
}
