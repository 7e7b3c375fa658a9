//go:build vision

package camera

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"gocv.io/x/gocv"
)

// ffmpegSource reads a stream through an FFmpeg process that writes raw
// YUV 4:2:0 frames in a YUV4MPEG2 stream to a pipe. Decoding RTSP's H.264
// in another process keeps a decoder fed by the network out of the
// agent's memory (and its 54 MiB of libraries out of its RSS); a crash
// there is a lost stream, reopened after the camera's retry.
type ffmpegSource struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed once the process is waited for
	pipe   *os.File
	out    *bufio.Reader
	stderr *tail
	width  int
	height int
	yuv    []byte
}

// Bounds on what the stream header may say.
const (
	minSide = 16
	maxSide = 8192
)

// openFFmpeg starts FFmpeg on the input arguments and reads the stream's
// header, which FFmpeg writes once the source is open.
func openFFmpeg(ctx context.Context, input ...string) (source, float64, error) {
	bin, err := exec.LookPath("ffmpeg")
	if err != nil {
		return nil, 0, errors.New("ffmpeg is not installed: RTSP cameras and videos other than MJPEG AVI need it (apt-get install ffmpeg)")
	}
	args := append([]string{"-nostdin", "-hide_banner", "-loglevel", "error"}, input...)
	args = append(args, "-map", "0:v:0", "-an", "-sn", "-f", "yuv4mpegpipe", "-pix_fmt", "yuv420p", "pipe:1")
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.WaitDelay = 2 * time.Second
	errs := &tail{}
	cmd.Stderr = errs
	// A pipe of our own, not StdoutPipe: the process is waited for while
	// its output is still being read.
	pipe, w, err := os.Pipe()
	if err != nil {
		return nil, 0, err
	}
	cmd.Stdout = w
	err = cmd.Start()
	w.Close()
	if err != nil {
		pipe.Close()
		return nil, 0, err
	}
	f := &ffmpegSource{cmd: cmd, exited: make(chan struct{}), pipe: pipe, out: bufio.NewReaderSize(pipe, 1<<16), stderr: errs}
	go func() {
		cmd.Wait()
		close(f.exited)
	}()
	fps, err := f.header()
	if err != nil {
		f.close()
		return nil, 0, f.failed(err)
	}
	f.yuv = make([]byte, f.width*f.height*3/2)
	return f, fps, nil
}

// header reads "YUV4MPEG2 W640 H480 F30000:1001 Ip A1:1 C420jpeg ...".
func (f *ffmpegSource) header() (float64, error) {
	line, err := f.line()
	if err != nil {
		return 0, err
	}
	fields := strings.Fields(line)
	if len(fields) == 0 || fields[0] != "YUV4MPEG2" {
		return 0, fmt.Errorf("ffmpeg wrote %q, not a YUV4MPEG2 header", truncate(line, 40))
	}
	var fps float64
	for _, p := range fields[1:] {
		v := p[1:]
		switch p[0] {
		case 'W':
			f.width, _ = strconv.Atoi(v)
		case 'H':
			f.height, _ = strconv.Atoi(v)
		case 'F':
			num, den, _ := strings.Cut(v, ":")
			n, err1 := strconv.ParseFloat(num, 64)
			d, err2 := strconv.ParseFloat(den, 64)
			if err1 == nil && err2 == nil && n > 0 && d > 0 {
				fps = n / d
			}
		case 'C':
			if !strings.HasPrefix(v, "420") {
				return 0, fmt.Errorf("stream is %q, want 4:2:0", v)
			}
		}
	}
	if f.width < minSide || f.height < minSide || f.width > maxSide || f.height > maxSide || f.width%2 == 1 || f.height%2 == 1 ||
		f.width*f.height > frameLimits.MaxPixels {
		return 0, fmt.Errorf("stream is %dx%d: want even sides of %d to %d, %d pixels at most", f.width, f.height, minSide, maxSide, frameLimits.MaxPixels)
	}
	return fps, nil
}

func (f *ffmpegSource) next(frame *rawFrame) error {
	line, err := f.line()
	if err == nil && !strings.HasPrefix(line, "FRAME") {
		err = fmt.Errorf("ffmpeg wrote %q, not a frame header", truncate(line, 40))
	}
	if err == nil {
		_, err = io.ReadFull(f.out, f.yuv)
	}
	if err != nil {
		return f.failed(err)
	}
	yuv, err := gocv.NewMatFromBytes(f.height*3/2, f.width, gocv.MatTypeCV8UC1, f.yuv)
	if err != nil {
		return err
	}
	defer yuv.Close()
	gocv.CvtColor(yuv, &frame.mat, gocv.ColorYUVToBGRIYUV)
	frame.jpeg = frame.jpeg[:0]
	return nil
}

// line reads one header line, of at most 256 bytes.
func (f *ffmpegSource) line() (string, error) {
	var b []byte
	for len(b) <= 256 {
		c, err := f.out.ReadByte()
		if err != nil {
			return "", err
		}
		if c == '\n' {
			return string(b), nil
		}
		b = append(b, c)
	}
	return "", errors.New("ffmpeg wrote a header line over 256 bytes")
}

// failed explains a read that failed: by what FFmpeg said before it
// stopped, when it said anything.
func (f *ffmpegSource) failed(err error) error {
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return err
	}
	select { // the process is ending: let it finish saying why
	case <-f.exited:
	case <-time.After(2 * time.Second):
	}
	f.close()
	if said := f.stderr.last(); said != "" {
		return fmt.Errorf("ffmpeg: %s", said)
	}
	return errors.New("the source stopped")
}

func (f *ffmpegSource) close() {
	f.cmd.Process.Kill() // an error once it has exited, which is fine
	<-f.exited
	f.pipe.Close()
}

// tail keeps the end of what FFmpeg writes to stderr.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2048 {
		t.buf = t.buf[len(t.buf)-2048:]
	}
	return len(p), nil
}

// last returns the last line written.
func (t *tail) last() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := bytes.Split(bytes.TrimSpace(t.buf), []byte("\n"))
	return truncate(string(bytes.TrimSpace(lines[len(lines)-1])), 300)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}
