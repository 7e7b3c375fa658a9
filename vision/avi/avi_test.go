package avi

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// frameJPEG is a small test frame of one colour, different for each n.
func frameJPEG(t testing.TB, n int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = byte(40*n + i%4)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeFile writes frames as an AVI file and returns its path.
func writeFile(t testing.TB, frames [][]byte, fps float64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "v.avi")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := NewWriter(f, 64, 48, fps)
	if err != nil {
		t.Fatal(err)
	}
	for _, fr := range frames {
		if err := w.Write(fr); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func openFile(t testing.TB, path string) *Reader {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	r, err := NewReader(f)
	if err != nil {
		t.Fatalf("NewReader(%s) = %v", filepath.Base(path), err)
	}
	return r
}

func TestRoundTripLoops(t *testing.T) {
	var frames [][]byte
	for i := range 3 {
		frames = append(frames, frameJPEG(t, i))
	}
	frames[1] = append(frames[1], 0) // an odd size, padded in the file
	r := openFile(t, writeFile(t, frames, 12.5))
	if got := r.Info(); got != (Info{Width: 64, Height: 48, FPS: 12.5}) {
		t.Errorf("Info() = %+v, want 64x48 at 12.5 fps", got)
	}
	var buf []byte
	for i := range 7 { // twice round and one more
		got, err := r.Next(buf)
		if err != nil {
			t.Fatalf("Next() #%d = %v", i, err)
		}
		if !bytes.Equal(got, frames[i%3]) {
			t.Fatalf("Next() #%d returned %d bytes, not frame %d (%d bytes)", i, len(got), i%3, len(frames[i%3]))
		}
		buf = got
	}
}

// The files FFmpeg reads are the files this package writes, and the other
// way round; OpenCV's writer made the demo's video.
func TestFFmpegReadsAndWrites(t *testing.T) {
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (deploy/install-deps.sh test installs it): %v", tool, err)
		}
	}
	var frames [][]byte
	for i := range 5 {
		frames = append(frames, frameJPEG(t, i))
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
		"-show_entries", "stream=codec_name,width,height,r_frame_rate,nb_read_frames", "-of", "csv=p=0",
		writeFile(t, frames, 10)).CombinedOutput()
	if got := strings.TrimSpace(string(out)); err != nil || got != "mjpeg,64,48,10/1,5" {
		t.Errorf("ffprobe of our file = %q, %v; want mjpeg,64,48,10/1,5", got, err)
	}

	// FFmpeg's own MJPEG AVI.
	path := filepath.Join(t.TempDir(), "ffmpeg.avi")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=10",
		"-frames:v", "4", "-c:v", "mjpeg", path).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	r := openFile(t, path)
	if got := r.Info(); got.Width != 320 || got.Height != 240 || got.FPS != 10 {
		t.Errorf("Info() of FFmpeg's file = %+v, want 320x240 at 10 fps", got)
	}
	readAll(t, r, 4, 320, 240)
}

func TestOpenCVsFile(t *testing.T) {
	r := openFile(t, "../../deploy/demo/media/sample.avi")
	if got := r.Info(); got.Width != 640 || got.Height != 480 || got.FPS != 5 {
		t.Errorf("Info() of the demo video = %+v, want 640x480 at 5 fps", got)
	}
	readAll(t, r, 76, 640, 480)
}

// decodeAll reads n frames and one more, checking that each is a JPEG of
// w×h and that the one more is the first again.
func readAll(t *testing.T, r *Reader, n, w, h int) {
	t.Helper()
	var first []byte
	for i := range n + 1 {
		b, err := r.Next(nil)
		if err != nil {
			t.Fatalf("Next() #%d = %v", i, err)
		}
		// The header only: the reader's job is the framing.
		c, err := jpeg.DecodeConfig(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if c.Width != w || c.Height != h {
			t.Fatalf("frame %d is %dx%d, want %dx%d", i, c.Width, c.Height, w, h)
		}
		switch i {
		case 0:
			first = b
		case n:
			if !bytes.Equal(b, first) {
				t.Errorf("frame %d is not the first again: the file has more than %d frames or did not loop", i, n)
			}
		}
	}
}

func TestBadFiles(t *testing.T) {
	good, err := os.ReadFile(writeFile(t, [][]byte{frameJPEG(t, 0), frameJPEG(t, 1)}, 10))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, c := range []struct {
		name, want string
		data       []byte
	}{
		{"empty", "file header", nil},
		{"text", "not an AVI", []byte("this is not a video file at all")},
		{"headers cut", "cut short", good[:100]},
		{"no frames", "no movi", append([]byte("RIFF\xcc\x00\x00\x00"), good[8:headersLength]...)},
		{"not mjpeg", "not Motion JPEG", bytes.Replace(good, []byte("vidsMJPG"), []byte("vidsH264"), 1)},
	} {
		path := filepath.Join(dir, c.name)
		os.WriteFile(path, c.data, 0o644)
		f, _ := os.Open(path)
		_, err := NewReader(f)
		f.Close()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: NewReader() = %v, want an error saying %q", c.name, err, c.want)
		}
	}

	// Cut inside the second frame: the first plays in a loop.
	path := filepath.Join(dir, "cut.avi")
	os.WriteFile(path, good[:len(good)-200], 0o644)
	r := openFile(t, path)
	first, _ := r.Next(nil)
	for i := range 3 {
		b, err := r.Next(nil)
		if err != nil || !bytes.Equal(b, first) {
			t.Fatalf("Next() #%d of a file cut in its second frame = %d bytes, %v; want the first frame again", i+1, len(b), err)
		}
	}

	// A frame claiming more than MaxFrameBytes is refused before it is read.
	huge := bytes.Clone(good)
	at := bytes.Index(huge[headersLength:], []byte("00dc")) + headersLength
	huge[at+4], huge[at+5], huge[at+6], huge[at+7] = 0, 0, 0, 0x7f
	os.WriteFile(path, huge, 0o644)
	if _, err := openFile(t, path).Next(nil); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("Next() of a frame claiming 2 GiB = %v, want refused", err)
	}
}

// No file makes the reader panic, spin or allocate what a header claims.
func FuzzReader(f *testing.F) {
	f.Add([]byte("RIFF\x00\x00\x00\x00AVI "))
	good, err := os.ReadFile(writeFile(f, [][]byte{frameJPEG(f, 0), frameJPEG(f, 1)}, 10))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		for range 5 {
			if _, err := r.Next(nil); err != nil {
				return
			}
		}
	})
}
