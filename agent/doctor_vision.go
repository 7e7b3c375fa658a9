//go:build vision

package agent

import (
	"context"
	"errors"
	"time"

	"gocv.io/x/gocv"

	"github.com/roomgate/roomgate/agent/facekit"
	"github.com/roomgate/roomgate/agent/selftest"
	"github.com/roomgate/roomgate/provisioning/doctor"
	"github.com/roomgate/roomgate/vision/camera"
)

// cameraCheck checks the camera the face engine reads (standalone, one
// opened for the test) and the model files the engine loads.
func (s *System) cameraCheck(standalone bool) doctor.Check {
	v := s.cfg.Vision
	var models []doctor.ModelFile
	det, rec, shipped, err := facekit.Models(v, s.opts.ConfigDir)
	if err == nil {
		models = []doctor.ModelFile{{Name: det.Name, Path: det.Path(shipped), SHA256: det.SHA256},
			{Name: rec.Name, Path: rec.Path(shipped), SHA256: rec.SHA256, ResearchOnly: v.ResearchModel() != ""}}
	}
	want := doctor.CameraWant{FPS: v.Camera.MaxFPS}
	if v.Camera.Kind == camera.KindV4L2 {
		// Only a V4L2 device is asked for a size; files play as they are.
		want.Width, want.Height = v.Camera.Width, v.Camera.Height
	}
	var cam doctor.Camera
	switch f, ok := s.faces.(*faceEngine); {
	case err != nil:
		cam = failedCamera{err}
	case standalone:
		cam = cameraOpener{s}
	case ok:
		cam = f
	case s.facesErr != nil:
		cam = failedCamera{s.facesErr}
	default:
		cam = failedCamera{errors.New("the face engine is not running")}
	}
	return doctor.CameraCheck(v.Camera.Name, cam, want, models)
}

type failedCamera struct{ err error }

func (c failedCamera) Sample(context.Context, time.Duration) (doctor.CameraSample, error) {
	return doctor.CameraSample{}, c.err
}

// Sample counts the frames the camera delivered to the running engine over
// d, handed on or dropped while the engine was busy: the check judges the
// camera, not how many frames this machine has time for.
func (f *faceEngine) Sample(ctx context.Context, d time.Duration) (doctor.CameraSample, error) {
	st := f.cam.Status()
	before := st.Frames + st.Dropped
	start := time.Now()
	selftest.Sleep(ctx, d)
	st = f.cam.Status()
	f.mu.Lock()
	size := f.size
	f.mu.Unlock()
	n := int(st.Frames + st.Dropped - before)
	var err error
	if n == 0 && st.LastError != "" {
		err = errors.New(st.LastError)
	}
	return doctor.CameraSample{Width: size.X, Height: size.Y, Frames: n, FPS: float64(n) / time.Since(start).Seconds()}, err
}

// cameraOpener opens the camera for the test, the way the engine does.
type cameraOpener struct{ s *System }

func (c cameraOpener) Sample(ctx context.Context, d time.Duration) (doctor.CameraSample, error) {
	cam, err := camera.New(cameraConfig(c.s.cfg.Vision.Camera, c.s.opts.ConfigDir))
	if err != nil {
		return doctor.CameraSample{}, err
	}
	var s doctor.CameraSample
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	cam.Run(ctx, func(m gocv.Mat, _ time.Time) {
		s.Width, s.Height = m.Cols(), m.Rows()
		s.Frames++
	})
	s.FPS = float64(s.Frames) / time.Since(start).Seconds()
	if st := cam.Status(); s.Frames == 0 && st.LastError != "" {
		return s, errors.New(st.LastError)
	}
	return s, nil
}
