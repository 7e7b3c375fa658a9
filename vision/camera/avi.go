//go:build vision

package camera

import (
	"errors"
	"fmt"
	"os"

	"gocv.io/x/gocv"

	"github.com/roomgate/roomgate/vision/avi"
	"github.com/roomgate/roomgate/vision/face"
)

// frameLimits bound one camera frame: 4K, and a JPEG no larger than the
// AVI reader reads.
var frameLimits = face.Limits{MaxBytes: avi.MaxFrameBytes, MaxPixels: 4096 * 2160}

// errNotMJPEGAVI says a file needs FFmpeg.
var errNotMJPEGAVI = errors.New("not an MJPEG AVI")

// aviSource plays an MJPEG AVI in a loop.
type aviSource struct {
	f *os.File
	r *avi.Reader
}

func openAVI(path string) (source, float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	r, err := avi.NewReader(f)
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("%w: %w", errNotMJPEGAVI, err)
	}
	return &aviSource{f: f, r: r}, r.Info().FPS, nil
}

func (a *aviSource) next(frame *rawFrame) error {
	b, err := a.r.Next(frame.jpeg)
	frame.jpeg = b
	return err
}

func (a *aviSource) close() { a.f.Close() }

// VideoFile writes frames as an MJPEG AVI that a file camera plays: the
// demo's video, the kiosk benchmark's and the tests' are made with it.
type VideoFile struct {
	f *os.File
	w *avi.Writer
}

// CreateVideo creates a width×height video at fps.
func CreateVideo(path string, width, height int, fps float64) (*VideoFile, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	w, err := avi.NewWriter(f, width, height, fps)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &VideoFile{f: f, w: w}, nil
}

// Write adds a BGR frame of the video's size.
func (v *VideoFile) Write(frame gocv.Mat) error {
	b, err := face.EncodeJPEG(frame, 90)
	if err != nil {
		return err
	}
	return v.w.Write(b)
}

// Close finishes the file.
func (v *VideoFile) Close() error {
	return errors.Join(v.w.Close(), v.f.Close())
}
