//go:build vision

package camera

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"gocv.io/x/gocv"

	"github.com/roomgate/roomgate/internal/redact"
)

// Kinds of source.
const (
	KindV4L2   = "v4l2"   // Path is /dev/videoN
	KindRTSP   = "rtsp"   // Path is rtsp://…
	KindFile   = "file"   // a video file, played in a loop
	KindFolder = "folder" // *.jpg and *.png files, in name order, in a loop
)

// Config is one camera.
type Config struct {
	Name          string
	Kind          string
	Path          string
	Width, Height int           // asked of a V4L2 device; 0 keeps its default
	MaxFPS        float64       // frames handed on per second at most; 0: as they come
	Retry         time.Duration // wait before reopening a lost source
}

// Validate checks a config without touching the device.
func (c Config) Validate() error {
	switch {
	case c.Name == "":
		return errors.New("camera: name missing")
	case c.Path == "":
		return fmt.Errorf("camera %s: path missing", c.Name)
	case c.MaxFPS < 0 || c.Width < 0 || c.Height < 0 || c.Retry < 0:
		return fmt.Errorf("camera %s: max_fps, width, height and retry must not be negative", c.Name)
	}
	switch c.Kind {
	case KindV4L2, KindFile, KindFolder:
	case KindRTSP:
		if !strings.HasPrefix(c.Path, "rtsp://") && !strings.HasPrefix(c.Path, "rtsps://") {
			return fmt.Errorf("camera %s: %q is not an rtsp:// URL", c.Name, redact.URL(c.Path))
		}
	default:
		return fmt.Errorf("camera %s: kind %q, want v4l2, rtsp, file or folder", c.Name, c.Kind)
	}
	return nil
}

// Status is a camera's health.
type Status struct {
	Name      string
	Kind      string
	Path      string // without the user and password of an rtsp:// URL
	Connected bool
	Since     time.Time // of the last change of Connected
	Frames    int64     // handed on since start
	Dropped   int64     // read from a live source and dropped to keep under MaxFPS
	FPS       float64   // handed on per second, over the last few seconds
	LastError string
}

// Camera reads one source.
type Camera struct {
	cfg   Config
	shown string // cfg.Path for logs, errors and Status: an RTSP URL's credentials hidden

	mu     sync.Mutex
	status Status
	recent []time.Time // when the last frames were handed on, for FPS
}

// New checks cfg; Run opens the source.
func New(cfg Config) (*Camera, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Retry == 0 {
		cfg.Retry = 2 * time.Second
	}
	shown := redact.URL(cfg.Path)
	return &Camera{cfg: cfg, shown: shown, status: Status{Name: cfg.Name, Kind: cfg.Kind, Path: shown, Since: time.Now()}}, nil
}

// String names the camera for logs.
func (c *Camera) String() string {
	return "camera " + c.cfg.Name + " (" + c.cfg.Kind + " " + c.shown + ")"
}

// Status returns the camera's health.
func (c *Camera) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.status
	if n := len(c.recent); n > 1 {
		if span := c.recent[n-1].Sub(c.recent[0]).Seconds(); span > 0 {
			st.FPS = float64(n-1) / span
		}
	}
	return st
}

// Run hands frames to fn until ctx ends, reopening the source whenever it
// is lost. The frame is only valid during the call. It returns nil when
// ctx ends.
func (c *Camera) Run(ctx context.Context, fn func(frame gocv.Mat, at time.Time)) error {
	for ctx.Err() == nil {
		err := c.play(ctx, fn)
		if ctx.Err() != nil {
			break
		}
		c.setConnected(false, err)
		select {
		case <-ctx.Done():
		case <-time.After(c.cfg.Retry):
		}
	}
	return nil
}

// play reads the source until it fails or ctx ends.
func (c *Camera) play(ctx context.Context, fn func(gocv.Mat, time.Time)) error {
	if c.cfg.Kind == KindFolder {
		return c.playFolder(ctx, fn)
	}
	vc, err := c.open()
	if err != nil {
		return err
	}
	defer vc.Close()
	frame := gocv.NewMat()
	defer frame.Close()
	c.setConnected(true, nil)
	pace := c.pacer()
	for ctx.Err() == nil {
		if !vc.Read(&frame) || frame.Empty() {
			if c.cfg.Kind != KindFile {
				return fmt.Errorf("%s: no frame: the source stopped", c.shown)
			}
			// The end of a looped file: start again.
			vc.Set(gocv.VideoCapturePosFrames, 0)
			if !vc.Read(&frame) || frame.Empty() {
				return fmt.Errorf("%s: no frame at the start: not a readable video", c.shown)
			}
		}
		if at, ok := pace(ctx); ok {
			c.handOn(frame, at, fn)
		}
	}
	return nil
}

func (c *Camera) open() (*gocv.VideoCapture, error) {
	var vc *gocv.VideoCapture
	var err error
	switch c.cfg.Kind {
	case KindV4L2:
		vc, err = gocv.OpenVideoCaptureWithAPI(c.cfg.Path, gocv.VideoCaptureV4L2)
	case KindFile:
		if _, serr := os.Stat(c.cfg.Path); serr != nil {
			return nil, serr
		}
		vc, err = gocv.OpenVideoCaptureWithAPI(c.cfg.Path, gocv.VideoCaptureFFmpeg)
	default:
		vc, err = gocv.OpenVideoCaptureWithAPI(c.cfg.Path, gocv.VideoCaptureFFmpeg)
	}
	if err != nil {
		// gocv's error may quote the URL it was given.
		return nil, fmt.Errorf("open %s: %s", c.shown, redact.URL(err.Error()))
	}
	if !vc.IsOpened() {
		vc.Close()
		return nil, fmt.Errorf("open %s: the source did not open", c.shown)
	}
	if c.cfg.Width > 0 && c.cfg.Height > 0 {
		vc.Set(gocv.VideoCaptureFrameWidth, float64(c.cfg.Width))
		vc.Set(gocv.VideoCaptureFrameHeight, float64(c.cfg.Height))
	}
	return vc, nil
}

// playFolder shows the folder's images in turn, reading the listing anew
// on every round so images added or removed are picked up.
func (c *Camera) playFolder(ctx context.Context, fn func(gocv.Mat, time.Time)) error {
	pace := c.pacer()
	for ctx.Err() == nil {
		files, err := images(c.cfg.Path)
		if err != nil {
			return err
		}
		shown := 0
		for _, f := range files {
			img := gocv.IMRead(f, gocv.IMReadColor)
			if img.Empty() {
				img.Close()
				continue // being written, or not an image: the next round tries again
			}
			if shown == 0 {
				c.setConnected(true, nil)
			}
			shown++
			at, ok := pace(ctx)
			if ok {
				c.handOn(img, at, fn)
			}
			img.Close()
			if ctx.Err() != nil {
				return nil
			}
		}
		if shown == 0 {
			return fmt.Errorf("%s: no readable .jpg or .png image", c.shown)
		}
	}
	return nil
}

func images(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".jpg", ".jpeg", ".png":
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	slices.Sort(files)
	return files, nil
}

// pacer returns a function that waits for the next frame slot under
// MaxFPS and reports the time, or false when ctx ended. A file or folder
// is played at MaxFPS (or 15 fps when unset) as if it were a live camera.
func (c *Camera) pacer() func(context.Context) (time.Time, bool) {
	fps := c.cfg.MaxFPS
	if fps == 0 && (c.cfg.Kind == KindFile || c.cfg.Kind == KindFolder) {
		fps = 15
	}
	var next time.Time
	return func(ctx context.Context) (time.Time, bool) {
		now := time.Now()
		if fps <= 0 {
			return now, true
		}
		if live := c.cfg.Kind == KindV4L2 || c.cfg.Kind == KindRTSP; live && now.Before(next) {
			// A live source keeps running: drop the frame rather than fall behind.
			c.mu.Lock()
			c.status.Dropped++
			c.mu.Unlock()
			return now, false
		}
		if wait := next.Sub(now); wait > 0 {
			select {
			case <-ctx.Done():
				return now, false
			case <-time.After(wait):
			}
			now = time.Now()
		}
		next = now.Add(time.Duration(float64(time.Second) / fps))
		return now, true
	}
}

func (c *Camera) handOn(frame gocv.Mat, at time.Time, fn func(gocv.Mat, time.Time)) {
	c.mu.Lock()
	c.status.Frames++
	c.recent = append(c.recent, at)
	if len(c.recent) > 30 {
		c.recent = c.recent[len(c.recent)-30:]
	}
	c.mu.Unlock()
	fn(frame, at)
}

func (c *Camera) setConnected(on bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.status.Connected != on {
		c.status.Connected, c.status.Since = on, time.Now()
	}
	if !on {
		c.recent = nil
	}
	if err != nil {
		c.status.LastError = err.Error()
	} else if on {
		c.status.LastError = ""
	}
}
