//go:build vision

package agent

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/roomgate/roomgate/agent/gate"
	"github.com/roomgate/roomgate/vision/engine"
	"github.com/roomgate/roomgate/vision/face"
	"github.com/roomgate/roomgate/vision/gallery"
)

// faceWait is a chip ID card's face check waiting on the camera's frames.
type faceWait struct {
	template  []float32 // L2-normalised
	threshold float32
	res       gate.FaceResult
	matched   chan struct{} // closed once a face reached the threshold
	done      bool          // matched is closed
}

// checkFace compares the faces of the frames to come with p's template
// until one matches or p.Within has passed.
func (f *faceEngine) checkFace(ctx context.Context, p gate.FaceProbe) (gate.FaceResult, error) {
	if p.Model != f.kit.Model {
		return gate.FaceResult{}, fmt.Errorf("the visit's face template is of model %s, this camera's recognizer is %s", p.Model, f.kit.Model)
	}
	tmpl, err := gallery.Decode(nil, p.Template)
	if err == nil && len(tmpl) != f.kit.Recognizer.Dim() {
		err = fmt.Errorf("the visit's face template has %d components, the recognizer gives %d", len(tmpl), f.kit.Recognizer.Dim())
	}
	if err == nil {
		err = normalise(tmpl)
	}
	if err != nil {
		return gate.FaceResult{}, err
	}
	if st := f.cam.Status(); !st.Connected {
		return gate.FaceResult{}, fmt.Errorf("camera %s is not connected: %s", st.Name, st.LastError)
	}
	w := &faceWait{template: tmpl, threshold: p.Threshold, matched: make(chan struct{})}
	f.mu.Lock()
	f.waits = append(f.waits, w)
	f.mu.Unlock()
	timer := time.NewTimer(p.Within)
	defer timer.Stop()
	select {
	case <-w.matched:
	case <-timer.C:
	case <-ctx.Done():
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, o := range f.waits {
		if o == w {
			f.waits = append(f.waits[:i], f.waits[i+1:]...)
			break
		}
	}
	if ctx.Err() != nil {
		return w.res, ctx.Err()
	}
	return w.res, nil
}

// compareFaces scores a frame's faces against the checks waiting.
func (f *faceEngine) compareFaces(res engine.Result) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, w := range f.waits {
		for _, seen := range res.Faces {
			if seen.Embedding == nil {
				continue
			}
			score := face.Cosine(seen.Embedding, w.template)
			if w.res.Faces == 0 || score > w.res.Best {
				w.res.Best = score
			}
			w.res.Faces++
			if score >= w.threshold && !w.done {
				w.done = true
				close(w.matched)
			}
		}
	}
}

// normalise scales v to unit length; the city's templates are normalised
// already, but a score must not depend on that.
func normalise(v []float32) error {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 || math.IsNaN(s) || math.IsInf(s, 0) {
		return errors.New("the visit's face template has no direction (all zeros or not finite)")
	}
	n := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= n
	}
	return nil
}
