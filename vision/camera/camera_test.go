//go:build vision

package camera

import (
	"bufio"
	"context"
	"errors"
	"image"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/roomgate/roomgate/internal/shared"
	"github.com/roomgate/roomgate/vision/avi"
	"github.com/roomgate/roomgate/vision/face"
)

// photos returns a few dataset photos scaled to 640×480; the caller closes them.
func photos(t *testing.T) []gocv.Mat {
	t.Helper()
	dir := shared.Need(t, "datasets/known_faces_small")
	var out []gocv.Mat
	for _, f := range []string{"obama/obama.jpg", "biden/biden.jpg", "rose_leslie/img1.jpg"} {
		img, err := face.ReadImage(filepath.Join(dir, f), face.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		small := gocv.NewMat()
		gocv.Resize(img, &small, image.Pt(640, 480), 0, 0, gocv.InterpolationArea)
		img.Close()
		out = append(out, small)
	}
	t.Cleanup(func() {
		for _, m := range out {
			m.Close()
		}
	})
	return out
}

// writeVideo writes the frames as a 10 fps video, as the demo's is made.
func writeVideo(t *testing.T, path string, frames []gocv.Mat) {
	t.Helper()
	v, err := CreateVideo(path, 640, 480, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range frames {
		if err := v.Write(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
}

// run runs a camera until cond holds for its status, or fails after 10 s.
func run(t *testing.T, cfg Config, what string, cond func(Status, []image.Point) bool) Status {
	t.Helper()
	cam, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	sizes := make(chan image.Point, 1000)
	go func() {
		defer close(done)
		cam.Run(ctx, func(m gocv.Mat, _ time.Time) {
			select {
			case sizes <- image.Pt(m.Cols(), m.Rows()):
			default:
			}
		})
	}()
	defer func() { cancel(); <-done }()
	var seen []image.Point
	deadline := time.Now().Add(10 * time.Second)
	for {
		for len(sizes) > 0 {
			seen = append(seen, <-sizes)
		}
		if st := cam.Status(); cond(st, seen) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10 s; status %+v, %d frames seen", what, cam.Status(), len(seen))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestFileLoops(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sample.avi")
	writeVideo(t, path, photos(t))
	st := run(t, Config{Name: "door-cam", Kind: KindFile, Path: path, MaxFPS: 50}, "3 frames looped 4 times",
		func(st Status, seen []image.Point) bool { return len(seen) >= 12 })
	if !st.Connected || st.LastError != "" || st.Frames < 12 {
		t.Errorf("Status() = %+v, want connected with 12 or more frames", st)
	}
}

func TestFileComesBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sample.avi")
	frames := photos(t)
	cfg := Config{Name: "door-cam", Kind: KindFile, Path: path, MaxFPS: 50, Retry: 50 * time.Millisecond}
	cam, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); cam.Run(ctx, func(gocv.Mat, time.Time) {}) }()
	defer func() { cancel(); <-done }()
	wait := func(what string, cond func(Status) bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !cond(cam.Status()); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: status %+v", what, cam.Status())
			}
		}
	}
	wait("missing file reported", func(st Status) bool { return !st.Connected && strings.Contains(st.LastError, "no such file") })
	writeVideo(t, path, frames)
	wait("connected once the file is there", func(st Status) bool { return st.Connected && st.Frames > 0 && st.LastError == "" })

	// A file that is not a video: an error, no crash, and a retry.
	os.WriteFile(path, []byte("not a video"), 0o644)
	wait("broken file reported", func(st Status) bool { return !st.Connected && st.LastError != "" })
}

func TestFolder(t *testing.T) {
	dir := t.TempDir()
	for i, encode := range []func(gocv.Mat) ([]byte, error){
		func(m gocv.Mat) ([]byte, error) { return face.EncodeJPEG(m, 90) },
		face.EncodePNG,
	} {
		b, err := encode(photos(t)[i])
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, []string{"a.jpg", "b.png"}[i]), b, 0o644)
	}
	os.WriteFile(filepath.Join(dir, "c.jpg"), []byte("truncated"), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("ignored"), 0o644)
	st := run(t, Config{Name: "folder-cam", Kind: KindFolder, Path: dir, MaxFPS: 100}, "two images shown three times",
		func(st Status, seen []image.Point) bool { return len(seen) >= 6 })
	if !st.Connected {
		t.Errorf("Status() = %+v, want connected", st)
	}

	empty := t.TempDir()
	run(t, Config{Name: "empty", Kind: KindFolder, Path: empty, Retry: 50 * time.Millisecond}, "empty folder reported",
		func(st Status, _ []image.Point) bool {
			return !st.Connected && strings.Contains(st.LastError, "no readable")
		})
}

// framesIn plays the test video (10 fps) at maxFPS for d and counts the
// frames handed on.
func framesIn(t *testing.T, maxFPS float64, d time.Duration) int {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sample.avi")
	writeVideo(t, path, photos(t))
	cam, err := New(Config{Name: "paced", Kind: KindFile, Path: path, MaxFPS: maxFPS})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	n := 0
	cam.Run(ctx, func(gocv.Mat, time.Time) { n++ })
	return n
}

func TestFrameRateCap(t *testing.T) {
	// 5 fps for one second: 5 or 6 frames; never the file's 10 fps or as fast as decoding goes.
	if n := framesIn(t, 5, time.Second); n < 3 || n > 7 {
		t.Errorf("%d frames in 1 s at max_fps 5", n)
	}
}

func TestFileAtItsOwnRate(t *testing.T) {
	// The file's 10 fps for two seconds: about 20; 15 fps (no rate) would be 30.
	if n := framesIn(t, 0, 2*time.Second); n < 12 || n > 24 {
		t.Errorf("%d frames in 2 s of a 10 fps file with no max_fps", n)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []Config{
		{Kind: KindFile, Path: "x"},
		{Name: "a", Kind: KindFile},
		{Name: "a", Kind: "usb", Path: "x"},
		{Name: "a", Kind: KindRTSP, Path: "http://cam/stream"},
		{Name: "a", Kind: KindFile, Path: "x", MaxFPS: -1},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted a bad config", c)
		}
	}
	if _, err := New(Config{Name: "a", Kind: KindRTSP, Path: "rtsp://10.0.0.5/stream1"}); err != nil {
		t.Errorf("New(rtsp) = %v", err)
	}
}

// An RTSP camera's user and password reach neither its name in logs, nor
// its status, nor the errors of a source that does not open.
func TestRTSPCredentialsHidden(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { // a "camera" that hangs up at once
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	defer l.Close()
	url := "rtsp://admin:s3cret@" + l.Addr().String() + "/stream1"
	secret := func(what, s string) {
		t.Helper()
		if strings.Contains(s, "s3cret") || strings.Contains(s, "admin") {
			t.Errorf("%s = %q, shows the camera's credentials", what, s)
		}
	}
	c, err := New(Config{Name: "door-cam", Kind: KindRTSP, Path: url, Retry: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx, func(gocv.Mat, time.Time) {}) }()
	for c.Status().LastError == "" && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	st := c.Status()
	if st.LastError == "" || st.Connected {
		t.Fatalf("Status() = %+v, want an error from a camera that hangs up", st)
	}
	secret("Status().LastError", st.LastError)
	secret("Status().Path", st.Path)
	secret("String()", c.String())
	_, err = New(Config{Name: "door-cam", Kind: KindRTSP, Path: "http://admin:s3cret@10.0.0.5/stream1"})
	if err == nil {
		t.Fatal("New(http:// URL) accepted it")
	}
	secret("New(http:// URL) error", err.Error())
}

// A slow engine gets the newest frame each time, never a queue of old ones.
func TestSlowEngineGetsTheNewestFrame(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sample.avi")
	writeVideo(t, path, photos(t))
	cam, err := New(Config{Name: "busy", Kind: KindFile, Path: path, MaxFPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	const work = 200 * time.Millisecond // the engine's time per frame, six 30 fps frames
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var lags []time.Duration // from a call's return to when the next frame was read
	var returned time.Time
	cam.Run(ctx, func(_ gocv.Mat, at time.Time) {
		if !returned.IsZero() {
			lags = append(lags, returned.Sub(at))
		}
		time.Sleep(work)
		returned = time.Now()
	})
	st := cam.Status()
	if len(lags) < 5 || st.Dropped < st.Frames {
		t.Fatalf("%d frames handed on, %d dropped: want 5 or more handed on and more dropped than handed on", st.Frames, st.Dropped)
	}
	// A queue would make the lag grow by a frame's work each call; the
	// newest frame was read at most a frame interval (33 ms) before.
	for i, lag := range lags {
		if lag > work/2 {
			t.Errorf("frame %d was read %v before the engine was ready for it: a queued frame, not the newest (lags %v)", i+1, lag, lags)
			break
		}
	}
}

// A video that is not an MJPEG AVI is read through FFmpeg, at the rate
// its header gives, in a loop.
func TestFileThroughFFmpeg(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skipf("ffmpeg not installed (deploy/install-deps.sh test installs it): %v", err)
	}
	path := filepath.Join(t.TempDir(), "clip.mp4")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
		"-frames:v", "10", "-c:v", "mpeg4", path).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	st := run(t, Config{Name: "mp4", Kind: KindFile, Path: path}, "10 frames played twice",
		func(st Status, seen []image.Point) bool { return len(seen) >= 20 })
	if !st.Connected || st.LastError != "" {
		t.Errorf("Status() = %+v, want connected", st)
	}
	if st.FPS < 15 || st.FPS > 30 {
		t.Errorf("Status().FPS = %.1f, want about the file's 25", st.FPS)
	}

	// A file that FFmpeg cannot read either: FFmpeg's reason, no crash.
	os.WriteFile(path, []byte("not a video"), 0o644)
	run(t, Config{Name: "mp4", Kind: KindFile, Path: path, Retry: 50 * time.Millisecond}, "FFmpeg's refusal reported",
		func(st Status, _ []image.Point) bool {
			return !st.Connected && strings.Contains(st.LastError, "ffmpeg: ")
		})
}

// YUYV from a USB camera becomes BGR; a frame shorter than its size says
// is refused with the remedy.
func TestYUYV(t *testing.T) {
	const w, h = 4, 2
	buf := make([]byte, 0, w*h*2)
	for range w * h / 2 {
		buf = append(buf, 81, 90, 81, 240) // Y U Y V: pure red in BT.601
	}
	frame := gocv.NewMat()
	defer frame.Close()
	if err := yuyvToBGR(buf, w, h, &frame); err != nil {
		t.Fatal(err)
	}
	if frame.Cols() != w || frame.Rows() != h || frame.Type() != gocv.MatTypeCV8UC3 {
		t.Fatalf("frame is %dx%d of type %v, want %dx%d BGR", frame.Cols(), frame.Rows(), frame.Type(), w, h)
	}
	for y := range h {
		for x := range w {
			if b, g, r := frame.GetVecbAt(y, x)[0], frame.GetVecbAt(y, x)[1], frame.GetVecbAt(y, x)[2]; b > 10 || g > 10 || r < 240 {
				t.Fatalf("pixel (%d,%d) = BGR %d,%d,%d, want red", x, y, b, g, r)
			}
		}
	}
	if err := yuyvToBGR(buf[:10], w, h, &frame); err == nil || !strings.Contains(err.Error(), "v4l2-ctl") {
		t.Errorf("yuyvToBGR(short frame) = %v, want an error with the remedy", err)
	}
}

// Something that is not a video device is reported, not opened.
func TestV4L2NotADevice(t *testing.T) {
	st := run(t, Config{Name: "usb", Kind: KindV4L2, Path: "/dev/null", Retry: 50 * time.Millisecond}, "error reported",
		func(st Status, _ []image.Point) bool { return !st.Connected && st.LastError != "" })
	if !strings.Contains(st.LastError, "/dev/null") {
		t.Errorf("Status().LastError = %q, want it to name the device", st.LastError)
	}
}

// A frame that does not decode is dropped and reported; the frames around
// it still come, without reopening the file.
func TestCorruptFrameDropped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "corrupt.avi")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := avi.NewWriter(f, 640, 480, 10)
	if err != nil {
		t.Fatal(err)
	}
	good, err := face.EncodeJPEG(photos(t)[0], 90)
	if err != nil {
		t.Fatal(err)
	}
	for _, frame := range [][]byte{good, []byte("\xff\xd8 not a jpeg"), good} {
		if err := w.Write(frame); err != nil {
			t.Fatal(err)
		}
	}
	if err := errors.Join(w.Close(), f.Close()); err != nil {
		t.Fatal(err)
	}
	st := run(t, Config{Name: "door-cam", Kind: KindFile, Path: path, MaxFPS: 50}, "good frames and a reported bad one",
		func(st Status, seen []image.Point) bool { return len(seen) >= 8 && st.Dropped >= 2 })
	if !st.Connected || !strings.Contains(st.LastError, "did not decode") {
		t.Errorf("Status() = %+v, want connected, saying a frame did not decode", st)
	}
}

// FFmpeg's stream header is checked before a frame buffer is allocated.
func TestY4MHeader(t *testing.T) {
	for _, c := range []struct {
		header string
		ok     bool
	}{
		{"YUV4MPEG2 W640 H480 F30000:1001 Ip A1:1 C420jpeg XYSCSS=420JPEG\n", true},
		{"YUV4MPEG2 W640 H480 F25:1 C422\n", false},
		{"YUV4MPEG2 W641 H480 F25:1\n", false},
		{"YUV4MPEG2 W8192 H8192 F25:1\n", false},
		{"YUV4MPEG2 W0 H0\n", false},
		{"RIFF....AVI \n", false},
		{"YUV4MPEG2 W640 H480 " + strings.Repeat("X", 300) + "\n", false},
		{"YUV4MPEG2 W640", false},
	} {
		f := &ffmpegSource{out: bufio.NewReader(strings.NewReader(c.header))}
		fps, err := f.header()
		if (err == nil) != c.ok {
			t.Errorf("header %.40q: err %v, want ok %v", c.header, err, c.ok)
		}
		if c.ok && (f.width != 640 || f.height != 480 || fps < 29.9 || fps > 30) {
			t.Errorf("header %.40q: %dx%d at %.2f fps, want 640x480 at 29.97", c.header, f.width, f.height, fps)
		}
	}
}
