//go:build vision

package camera

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/jpeg"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"gocv.io/x/gocv"

	"github.com/roomgate/roomgate/internal/redact"
	"github.com/roomgate/roomgate/vision/face"
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
	Width, Height int           // asked of a V4L2 device; 0: 640x480, or the size nearest it the device offers
	MaxFPS        float64       // frames taken per second at most; 0: as they come (a file at its own rate)
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
	Dropped   int64     // read and not handed on: over MaxFPS, or replaced by a newer frame while the engine was busy
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

	// The newest frame read and not yet handed on, and whether there is
	// one. A frame the engine had no time for is replaced, never queued:
	// a queue would make every later frame as late.
	newest   rawFrame
	newestAt time.Time
	waiting  bool
	newFrame chan struct{} // signalled when a frame is put in newest
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
	return &Camera{cfg: cfg, shown: shown, status: Status{Name: cfg.Name, Kind: cfg.Kind, Path: shown, Since: time.Now()}, newFrame: make(chan struct{}, 1)}, nil
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
// is lost. The source is read at its own rate (at most MaxFPS) whatever
// fn takes: fn gets the newest frame each time it returns, stamped with
// when it was read, and the frames in between are dropped. The frame is
// only valid during the call. It returns nil when ctx ends; one Run at a
// time.
func (c *Camera) Run(ctx context.Context, fn func(frame gocv.Mat, at time.Time)) error {
	c.mu.Lock()
	c.newest, c.waiting = rawFrame{mat: gocv.NewMat()}, false
	c.mu.Unlock()
	frame := rawFrame{mat: gocv.NewMat()}
	ctx, cancel := context.WithCancel(ctx)
	read := make(chan struct{})
	go func() {
		defer close(read)
		c.read(ctx)
	}()
	defer func() {
		cancel()
		<-read
		frame.close()
		c.mu.Lock()
		c.newest.close()
		c.waiting = false
		c.mu.Unlock()
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-c.newFrame:
			if ctx.Err() != nil {
				return nil // select picks at random when ctx ended too
			}
			at, ok := c.take(&frame)
			if !ok {
				continue
			}
			if err := frame.decode(); err != nil {
				c.badFrame(err)
				continue
			}
			c.handedOn(at)
			fn(frame.mat, at)
		}
	}
}

// read reads the source until ctx ends, reopening it whenever it is lost.
func (c *Camera) read(ctx context.Context) {
	for ctx.Err() == nil {
		err := c.play(ctx)
		if ctx.Err() != nil {
			break
		}
		c.setConnected(false, err)
		select {
		case <-ctx.Done():
		case <-time.After(c.cfg.Retry):
		}
	}
}

// rawFrame is a frame as read: decoded, or still Motion JPEG, decoded
// only if the engine takes it (a busy engine takes one frame in several).
type rawFrame struct {
	mat  gocv.Mat
	jpeg []byte // when not empty, what mat will be
}

func (f *rawFrame) decode() error {
	if len(f.jpeg) == 0 {
		return nil
	}
	err := face.DecodeFrame(f.jpeg, &f.mat, frameLimits)
	f.jpeg = f.jpeg[:0]
	return err
}

func (f *rawFrame) close() { f.mat.Close() }

// put makes frame the newest, taking it and leaving the replaced one in
// *frame for the next read.
func (c *Camera) put(frame *rawFrame, at time.Time) {
	c.mu.Lock()
	if c.waiting {
		c.status.Dropped++
	}
	c.newest, *frame = *frame, c.newest
	c.newestAt, c.waiting = at, true
	c.mu.Unlock()
	select {
	case c.newFrame <- struct{}{}:
	default:
	}
}

// take swaps the newest frame into *frame, if one is waiting.
func (c *Camera) take(frame *rawFrame) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.waiting {
		return time.Time{}, false
	}
	c.newest, *frame = *frame, c.newest
	c.waiting = false
	return c.newestAt, true
}

// handedOn counts a frame read at at handed on.
func (c *Camera) handedOn(at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.status.Frames++
	c.recent = append(c.recent, at)
	if len(c.recent) > 30 {
		c.recent = c.recent[len(c.recent)-30:]
	}
}

// badFrame counts a frame that did not decode as dropped, and says why:
// one corrupt frame is no reason to reopen the source.
func (c *Camera) badFrame(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.status.Dropped++
	c.status.LastError = "a frame did not decode: " + err.Error()
}

// play reads the source until it fails or ctx ends.
func (c *Camera) play(ctx context.Context) error {
	if c.cfg.Kind == KindFolder {
		return c.playFolder(ctx)
	}
	src, fps, err := c.open(ctx)
	if err != nil {
		// An error may quote the URL it was given.
		return fmt.Errorf("open %s: %s", c.shown, redact.URL(err.Error()))
	}
	defer src.close()
	frame := rawFrame{mat: gocv.NewMat()}
	defer func() { frame.close() }() // put swaps another frame in
	c.setConnected(true, nil)
	pace := c.pacer(fps)
	for ctx.Err() == nil {
		if err := src.next(&frame); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("%s: %s", c.shown, redact.URL(err.Error()))
		}
		if at, ok := pace(ctx); ok {
			c.put(&frame, at)
		}
	}
	return nil
}

// source is an open camera source.
type source interface {
	// next puts the next frame in *frame, 8-bit BGR or Motion JPEG; a
	// file starts again after its end.
	next(frame *rawFrame) error
	close()
}

// open opens the source, returning its own frame rate when it says.
// Video is read in Go where that is enough (a V4L2 device, an MJPEG AVI)
// and by an FFmpeg process otherwise, so the agent never loads OpenCV's
// videoio (and with it GStreamer, FFmpeg and GDAL, 54 MiB).
func (c *Camera) open(ctx context.Context) (source, float64, error) {
	switch c.cfg.Kind {
	case KindV4L2:
		return openV4L2(c.cfg.Path, c.cfg.Width, c.cfg.Height)
	case KindFile:
		src, fps, err := openAVI(c.cfg.Path)
		if errors.Is(err, errNotMJPEGAVI) {
			return openFFmpeg(ctx, "-stream_loop", "-1", "-i", c.cfg.Path)
		}
		return src, fps, err
	default:
		return openFFmpeg(ctx, "-rtsp_transport", "tcp", "-timeout", "10000000", "-i", c.cfg.Path)
	}
}

// playFolder shows the folder's images in turn, reading the listing anew
// on every round so images added or removed are picked up.
func (c *Camera) playFolder(ctx context.Context) error {
	pace := c.pacer(0)
	for ctx.Err() == nil {
		files, err := images(c.cfg.Path)
		if err != nil {
			return err
		}
		shown := 0
		for _, f := range files {
			frame, err := readImage(f)
			if err != nil {
				continue // being written, or not an image: the next round tries again
			}
			if shown == 0 {
				c.setConnected(true, nil)
			}
			shown++
			if at, ok := pace(ctx); ok {
				c.put(&frame, at)
			}
			frame.close() // the frame put replaced, or this one
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

// readImage reads one image of a folder: a JPEG is kept encoded, like a
// Motion JPEG frame, once its header reads; a PNG is decoded.
func readImage(path string) (rawFrame, error) {
	if st, err := os.Stat(path); err != nil || st.Size() > int64(frameLimits.MaxBytes) {
		return rawFrame{}, fmt.Errorf("%s: missing, or over %d bytes", path, frameLimits.MaxBytes)
	}
	if ext := strings.ToLower(filepath.Ext(path)); ext != ".jpg" && ext != ".jpeg" {
		img, err := face.ReadImage(path, frameLimits)
		return rawFrame{mat: img}, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return rawFrame{}, err
	}
	if _, err := jpeg.DecodeConfig(bytes.NewReader(b)); err != nil {
		return rawFrame{}, err
	}
	return rawFrame{mat: gocv.NewMat(), jpeg: b}, nil
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
// is played as if it were a live camera: at MaxFPS, or when that is unset
// at the file's own rate (own, if the file says; 15 fps if not).
func (c *Camera) pacer(own float64) func(context.Context) (time.Time, bool) {
	fps := c.cfg.MaxFPS
	if fps == 0 && (c.cfg.Kind == KindFile || c.cfg.Kind == KindFolder) {
		fps = 15
		if own > 0 && own <= 120 {
			fps = own
		}
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
