//go:build vision

package face

// #include <stdlib.h>
// #include "face.h"
import "C"

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"sync"
	"unsafe"

	"gocv.io/x/gocv"

	"github.com/roomgate/roomgate/vision/geom"
	"github.com/roomgate/roomgate/vision/models"
)

// maxDim bounds an embedding's length; the wrapper refuses longer outputs,
// which come from a model that is not a face recognizer.
const maxDim = 2048

// RecognizerOptions tunes the embedding.
type RecognizerOptions struct {
	// Flip averages the features of the face and of its mirror image. It
	// doubles the cost; whether it pays is measured by visionbench. An
	// enrolled gallery and the live frames must use the same setting.
	Flip bool
}

// Recognizer aligns faces and computes L2-normalised embeddings: through
// cv::FaceRecognizerSF for an ArcFace-aligned model, or cv::dnn on a dlib
// face chip. It is safe for concurrent use; calls are serialised.
type Recognizer struct {
	mu    sync.Mutex
	p     C.RGRecognizer
	model models.Model
	opt   RecognizerOptions
	dim   int
	side  int // of the dlib chip; 0 for FaceRecognizerSF
	buf   []float32
}

// NewRecognizer verifies the model file in dir against m.SHA256 and loads
// it. OpenCV 4.6's FaceRecognizerSF aligns to 112x112 only, so an
// AlignArcFace model must say that input size; an AlignDlibChip model
// takes a square chip.
func NewRecognizer(m models.Model, dir string, opt RecognizerOptions) (*Recognizer, error) {
	// The file first: an altered model is reported as altered, whatever
	// else is wrong with its configuration.
	path, err := m.Check(dir)
	if err != nil {
		return nil, err
	}
	switch {
	case m.Align == models.AlignArcFace && (m.InputWidth != 112 || m.InputHeight != 112):
		return nil, fmt.Errorf("%w %s: input %dx%d: OpenCV 4.6's FaceRecognizerSF takes 112x112 faces only", models.ErrModel, m.File, m.InputWidth, m.InputHeight)
	case m.Align == models.AlignDlibChip && (m.InputWidth != m.InputHeight || m.InputWidth < 16 || m.InputWidth > 1024):
		return nil, fmt.Errorf("%w %s: input %dx%d: a dlib face chip is square, 16 to 1024 px", models.ErrModel, m.File, m.InputWidth, m.InputHeight)
	case m.Align != models.AlignArcFace && m.Align != models.AlignDlibChip:
		return nil, fmt.Errorf("%w %s: align %q: want %q (FaceRecognizerSF's 112x112) or %q", models.ErrModel, m.File, m.Align, models.AlignArcFace, models.AlignDlibChip)
	}
	if m.Threshold <= -1 || m.Threshold >= 1 {
		return nil, fmt.Errorf("%w %s: threshold %v: a cosine threshold must be in (-1, 1)", models.ErrModel, m.File, m.Threshold)
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	name := filepath.Base(path)
	r := &Recognizer{model: m, opt: opt, buf: make([]float32, 2*maxDim)}
	var load *C.char
	if m.Align == models.AlignDlibChip {
		r.side = m.InputWidth
		load = C.rg_recognizer_new_chip(cpath, C.int(r.side), &r.p)
	} else {
		load = C.rg_recognizer_new(cpath, &r.p)
	}
	if err := cvErr("load recognizer", load); err != nil {
		return nil, fmt.Errorf("%w %s: OpenCV cannot load it as a recognizer: %w", models.ErrModel, name, err)
	}
	// Run the model once: a loadable ONNX file that is not a face
	// recognizer fails here, at start-up, with its name.
	probe := gocv.NewMatWithSize(max(r.side, 112), max(r.side, 112), gocv.MatTypeCV8UC3)
	defer probe.Close()
	f, err := r.Feature(probe)
	if err == nil && m.Dim != 0 && len(f) != m.Dim {
		err = fmt.Errorf("its output has %d values, the model's dim says %d", len(f), m.Dim)
	}
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("%w %s: does not run as a face recognizer: %w", models.ErrModel, name, err)
	}
	r.dim = len(f)
	return r, nil
}

// Model returns the model descriptor the recognizer was built from.
func (r *Recognizer) Model() models.Model { return r.model }

// Threshold is the model's default cosine threshold for "same person".
func (r *Recognizer) Threshold() float32 { return r.model.Threshold }

// Dim is the embedding's length (128 for the shipped model).
func (r *Recognizer) Dim() int { return r.dim }

// AlignCrop warps the face in img to the model's template: the 112x112
// ArcFace one, or the dlib chip. The caller closes the returned Mat.
func (r *Recognizer) AlignCrop(img gocv.Mat, f Face) (gocv.Mat, error) {
	if err := checkBGR(img); err != nil {
		return gocv.Mat{}, fmt.Errorf("vision: align: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.p == nil {
		return gocv.Mat{}, ErrClosed
	}
	out := gocv.NewMat()
	var cerr *C.char
	if r.side > 0 {
		m, err := r.chipTransform(f)
		if err != nil {
			out.Close()
			return gocv.Mat{}, fmt.Errorf("vision: align: %w", err)
		}
		cerr = C.rg_recognizer_warp(r.p, matPtr(&img), &m[0], matPtr(&out))
	} else {
		row := f.row()
		cerr = C.rg_recognizer_align(r.p, matPtr(&img), &row[0], matPtr(&out))
	}
	if err := cvErr("align", cerr); err != nil {
		out.Close()
		return gocv.Mat{}, fmt.Errorf("vision: align: %w", err)
	}
	return out, nil
}

// Feature returns the L2-normalised embedding of an aligned BGR face (from
// AlignCrop, or a crop already aligned to the model's template and size).
func (r *Recognizer) Feature(aligned gocv.Mat) ([]float32, error) {
	if err := checkBGR(aligned); err != nil {
		return nil, fmt.Errorf("vision: feature: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.p == nil {
		return nil, ErrClosed
	}
	var n C.int
	err := cvErr("feature", C.rg_recognizer_feature(r.p, matPtr(&aligned), flag(r.opt.Flip),
		(*C.float)(unsafe.Pointer(&r.buf[0])), C.int(len(r.buf)), &n))
	if err != nil {
		return nil, fmt.Errorf("vision: feature: %w", err)
	}
	return r.finish(int(n)), nil
}

// CropFeature returns the embedding of a 112x112 crop already aligned to
// the ArcFace template (ArcFace112): as it is for an ArcFace model, warped
// to the model's chip otherwise, so crop data sets measure every model.
// A dlib chip reaches past such a tight crop; that part is black.
func (r *Recognizer) CropFeature(crop gocv.Mat) ([]float32, error) {
	if r.side == 0 {
		return r.Feature(crop)
	}
	if crop.Cols() != 112 || crop.Rows() != 112 {
		return nil, fmt.Errorf("vision: crop feature: %dx%d crop, want 112x112 ArcFace-aligned", crop.Cols(), crop.Rows())
	}
	return r.Embed(crop, Face{Box: geom.Rect{W: 112, H: 112}, Landmarks: ArcFace112, Score: 1})
}

// Embed aligns the face in img and returns its embedding, in one call
// into OpenCV.
func (r *Recognizer) Embed(img gocv.Mat, f Face) ([]float32, error) {
	if err := checkBGR(img); err != nil {
		return nil, fmt.Errorf("vision: embed: %w", err)
	}
	if img.Rows() < 2 || img.Cols() < 2 {
		return nil, fmt.Errorf("vision: embed: %dx%d frame is too small to align", img.Cols(), img.Rows())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.p == nil {
		return nil, ErrClosed
	}
	var n C.int
	out, limit := (*C.float)(unsafe.Pointer(&r.buf[0])), C.int(len(r.buf))
	var cerr *C.char
	if r.side > 0 {
		m, err := r.chipTransform(f)
		if err != nil {
			return nil, fmt.Errorf("vision: embed: %w", err)
		}
		cerr = C.rg_recognizer_embed_chip(r.p, matPtr(&img), &m[0], flag(r.opt.Flip), out, limit, &n)
	} else {
		row := f.row()
		cerr = C.rg_recognizer_embed(r.p, matPtr(&img), &row[0], flag(r.opt.Flip), out, limit, &n)
	}
	if err := cvErr("embed", cerr); err != nil {
		return nil, fmt.Errorf("vision: embed: %w", err)
	}
	return r.finish(int(n)), nil
}

// chipTransform is the frame-to-chip matrix of a face, as C doubles.
func (r *Recognizer) chipTransform(f Face) ([6]C.double, error) {
	var m [6]C.double
	a, ok := dlibChipTransform(f, r.side)
	if !ok {
		return m, errors.New("the face's landmarks coincide")
	}
	for i, v := range a {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return m, errors.New("the face's landmarks are not finite")
		}
		m[i] = C.double(v)
	}
	return m, nil
}

// finish normalises the raw feature(s) in r.buf; with Flip, the two
// normalised features are averaged and normalised again.
func (r *Recognizer) finish(n int) []float32 {
	out := make([]float32, n)
	copy(out, r.buf[:n])
	normalize(out)
	if r.opt.Flip {
		m := append([]float32(nil), r.buf[n:2*n]...)
		normalize(m)
		for i := range out {
			out[i] += m[i]
		}
		normalize(out)
	}
	return out
}

// String names the recognizer's model, for logs.
func (r *Recognizer) String() string { return "face.Recognizer(" + r.model.File + ")" }

// Close frees the OpenCV recognizer. It is safe to call more than once.
func (r *Recognizer) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.p != nil {
		C.rg_recognizer_free(r.p)
		r.p = nil
	}
	return nil
}

// Cosine is the cosine similarity of two L2-normalised embeddings: their
// dot product. It returns 0 when the lengths differ.
func Cosine(a, b []float32) float32 {
	if len(a) != len(b) {
		return 0
	}
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return float32(s)
}

func normalize(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return
	}
	k := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= k
	}
}

func flag(b bool) C.int {
	if b {
		return 1
	}
	return 0
}
