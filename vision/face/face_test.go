//go:build vision

package face

import (
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"github.com/roomgate/roomgate/internal/shared"
	"github.com/roomgate/roomgate/vision/geom"
	"github.com/roomgate/roomgate/vision/models"
)

func modelsDir(t testing.TB) string {
	t.Helper()
	d, err := models.Dir()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func newDetector(t testing.TB, opt DetectorOptions) *Detector {
	t.Helper()
	d, err := NewDetector(models.YuNet2022Mar, modelsDir(t), opt)
	if err != nil {
		t.Fatalf("NewDetector: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func newRecognizer(t testing.TB, opt RecognizerOptions) *Recognizer {
	t.Helper()
	return newRecognizerOf(t, models.MobileFaceNetY1, opt)
}

// recognizers are the shipped recognition models, each test's subjects.
var recognizers = []models.Model{models.MobileFaceNetY1, models.DlibResNetV1}

func newRecognizerOf(t testing.TB, m models.Model, opt RecognizerOptions) *Recognizer {
	t.Helper()
	r, err := NewRecognizer(m, modelsDir(t), opt)
	if err != nil {
		t.Fatalf("NewRecognizer: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func readImage(t testing.TB, path string) gocv.Mat {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := DecodeImage(b, DefaultLimits)
	if err != nil {
		t.Fatalf("DecodeImage(%s): %v", path, err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// photos maps each person of known_faces_small to their photo paths.
func photos(t testing.TB) map[string][]string {
	t.Helper()
	root := shared.Need(t, "datasets/known_faces_small")
	dirs, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, d := range dirs {
		if !d.IsDir() || strings.HasPrefix(d.Name(), "_") {
			continue
		}
		files, _ := filepath.Glob(filepath.Join(root, d.Name(), "*.jp*g"))
		sort.Strings(files)
		out[d.Name()] = files
	}
	if len(out) < 5 {
		t.Fatalf("only %d people in %s", len(out), root)
	}
	return out
}

func TestDetectKnownFaces(t *testing.T) {
	det := newDetector(t, DetectorOptions{})
	for person, files := range photos(t) {
		for _, f := range files {
			faces, err := det.Detect(readImage(t, f))
			if err != nil || len(faces) == 0 {
				t.Errorf("%s: Detect(%s) = %d faces, %v; want at least 1", person, filepath.Base(f), len(faces), err)
				continue
			}
			l, _ := Largest(faces)
			if l.Score < models.YuNet2022Mar.Threshold || l.Box.W < 20 {
				t.Errorf("%s: largest face %+v is weak or tiny", filepath.Base(f), l)
			}
			// The landmarks must lie in the box: eyes above the mouth.
			lm := l.Landmarks
			if lm[geom.RightEye].Y >= lm[geom.RightMouth].Y || lm[geom.LeftEye].Y >= lm[geom.LeftMouth].Y ||
				lm[geom.RightEye].X >= lm[geom.LeftEye].X {
				t.Errorf("%s: landmarks %v are not a face's (eyes above the mouth, right eye on the image's left)", filepath.Base(f), lm)
			}
		}
	}
	groups := filepath.Join(shared.Need(t, "datasets/known_faces_small"), "_groups")
	for _, tc := range []struct {
		file  string
		score float32
		min   int
	}{
		{"obama_and_biden.jpg", 0, 2},
		{"kit_with_rose.jpg", 0, 2},
		{"two_people.jpg", 0, 2},
		// Small, blurred faces: none at the default 0.8, two at 0.5.
		{"messi5.jpg", 0.5, 2},
	} {
		d := det
		if tc.score != 0 {
			d = newDetector(t, DetectorOptions{ScoreThreshold: tc.score})
		}
		faces, err := d.Detect(readImage(t, filepath.Join(groups, tc.file)))
		if err != nil || len(faces) < tc.min {
			t.Errorf("Detect(%s) at score %v = %d faces, %v; want >= %d", tc.file, tc.score, len(faces), err, tc.min)
		}
	}
}

// TestDetectScaledDown checks MaxWidth: a photo detected on a copy scaled
// down to 320 px gives a face whose dlib chip is the face the whole
// photo's detection gives (YuNet's landmarks move by up to a fifth of the
// eye distance between scales, which the chip absorbs), and a frame no
// wider than MaxWidth is detected whole.
func TestDetectScaledDown(t *testing.T) {
	whole := newDetector(t, DetectorOptions{})
	scaled := newDetector(t, DetectorOptions{MaxWidth: 320})
	rec := newRecognizerOf(t, models.DlibResNetV1, RecognizerOptions{})
	var n int
	for person, files := range photos(t) {
		for _, f := range files {
			name := person + "/" + filepath.Base(f)
			img := readImage(t, f)
			a, errA := whole.Detect(img)
			b, errB := scaled.Detect(img)
			if errA != nil || errB != nil || len(a) == 0 || len(b) == 0 {
				t.Errorf("%s: whole %d faces (%v), scaled %d faces (%v)", name, len(a), errA, len(b), errB)
				continue
			}
			fa, _ := Largest(a)
			fb, _ := Largest(b)
			ea, errA := rec.Embed(img, fa)
			eb, errB := rec.Embed(img, fb)
			if errA != nil || errB != nil {
				t.Fatalf("%s: Embed: %v, %v", name, errA, errB)
			}
			c := Cosine(ea, eb)
			t.Logf("%s (%d px wide): chips from the scaled and whole detections score %.3f", name, img.Cols(), c)
			// The same person in two photos scores about 0.95 with dlib.
			if _, miss := detectorMisses[name]; !miss && c < 0.97 {
				t.Errorf("%s: the chips from the scaled and whole detections score %.3f, want >= 0.97", name, c)
			}
			if img.Cols() > 320 {
				n++
			}
		}
	}
	if n == 0 {
		t.Fatal("no photo wider than 320 px: nothing was scaled")
	}
	small := gocv.NewMat()
	defer small.Close()
	img := readImage(t, photos(t)["obama"][0])
	gocv.Resize(img, &small, image.Pt(320, img.Rows()*320/img.Cols()), 0, 0, gocv.InterpolationArea)
	a, _ := whole.Detect(small)
	b, _ := scaled.Detect(small)
	if len(a) == 0 || fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("a 320 px frame: whole %v, with MaxWidth 320 %v; want the same faces", a, b)
	}
	if _, err := NewDetector(models.YuNet2022Mar, modelsDir(t), DetectorOptions{MaxWidth: 100}); err == nil {
		t.Error("NewDetector with MaxWidth 100: no error, want one (under models.MinDetectWidth)")
	}
}

func TestSameVsDifferentPerson(t *testing.T) {
	for _, m := range recognizers {
		t.Run(m.File, func(t *testing.T) { sameVsDifferent(t, m) })
	}
}

func sameVsDifferent(t *testing.T, m models.Model) {
	det := newDetector(t, DetectorOptions{})
	rec := newRecognizerOf(t, m, RecognizerOptions{})
	type emb struct {
		person, file string
		v            []float32
	}
	var all []emb
	for person, files := range photos(t) {
		for _, f := range files {
			img := readImage(t, f)
			faces, err := det.Detect(img)
			if err != nil {
				t.Fatal(err)
			}
			l, ok := Largest(faces)
			if !ok {
				t.Fatalf("no face in %s", f)
			}
			v, err := rec.Embed(img, l)
			if err != nil {
				t.Fatalf("Embed(%s) = %v", f, err)
			}
			if len(v) != 128 {
				t.Fatalf("Embed(%s) has %d values, want 128", f, len(v))
			}
			all = append(all, emb{person, filepath.Base(f), v})
		}
	}
	th := rec.Threshold()
	var same, diff int
	minSame, maxDiff := float32(1), float32(-1)
	for i := range all {
		for j := i + 1; j < len(all); j++ {
			a, b := all[i], all[j]
			c := Cosine(a.v, b.v)
			if a.person == b.person {
				same++
				minSame = min(minSame, c)
				if c < th {
					t.Errorf("%s: %s vs %s cosine %.3f, want >= %.2f", a.person, a.file, b.file, c, th)
				}
			} else {
				diff++
				maxDiff = max(maxDiff, c)
				if c >= th {
					t.Errorf("%s/%s vs %s/%s cosine %.3f, want < %.2f", a.person, a.file, b.person, b.file, c, th)
				}
			}
		}
	}
	t.Logf("%d same-person pairs (min cosine %.3f), %d different (max %.3f), threshold %.2f", same, minSame, diff, maxDiff, th)
}

func TestEmbedIsAlignThenFeature(t *testing.T) {
	det := newDetector(t, DetectorOptions{})
	for _, m := range recognizers {
		t.Run(m.File, func(t *testing.T) { embedIsAlignThenFeature(t, det, m) })
	}
}

func embedIsAlignThenFeature(t *testing.T, det *Detector, m models.Model) {
	for _, flip := range []bool{false, true} {
		rec := newRecognizerOf(t, m, RecognizerOptions{Flip: flip})
		img := readImage(t, photos(t)["obama"][0])
		faces, _ := det.Detect(img)
		l, ok := Largest(faces)
		if !ok {
			t.Fatal("no face")
		}
		a, err := rec.AlignCrop(img, l)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		if a.Cols() != m.InputWidth || a.Rows() != m.InputHeight {
			t.Errorf("AlignCrop = %dx%d, want %dx%d", a.Cols(), a.Rows(), m.InputWidth, m.InputHeight)
		}
		f1, err := rec.Feature(a)
		if err != nil {
			t.Fatal(err)
		}
		f2, err := rec.Embed(img, l)
		if err != nil {
			t.Fatal(err)
		}
		if c := Cosine(f1, f2); c < 0.9999 {
			t.Errorf("flip %v: Cosine(Feature(AlignCrop), Embed) = %v, want 1", flip, c)
		}
		if c := Cosine(f1, f1); c < 0.9999 || c > 1.0001 {
			t.Errorf("flip %v: feature is not unit length: |f|² = %v", flip, c)
		}
	}
}

func TestBadFrames(t *testing.T) {
	det := newDetector(t, DetectorOptions{})
	rec := newRecognizer(t, RecognizerOptions{})
	empty := gocv.NewMat()
	defer empty.Close()
	gray := gocv.NewMatWithSize(480, 640, gocv.MatTypeCV8UC1)
	defer gray.Close()
	tiny := gocv.NewMatWithSize(1, 1, gocv.MatTypeCV8UC3)
	defer tiny.Close()
	for name, m := range map[string]gocv.Mat{"zero Mat": {}, "empty": empty, "gray": gray} {
		if _, err := det.Detect(m); err == nil {
			t.Errorf("Detect(%s) = nil error", name)
		}
		if _, err := rec.Feature(m); err == nil {
			t.Errorf("Feature(%s) = nil error", name)
		}
		if _, err := rec.Embed(m, Face{}); err == nil {
			t.Errorf("Embed(%s) = nil error", name)
		}
	}
	// Frames too small for YuNet are legal input that holds no face.
	for _, s := range [][2]int{{1, 1}, {62, 400}, {400, 62}, {64, 64}} {
		m := gocv.NewMatWithSize(s[1], s[0], gocv.MatTypeCV8UC3)
		if faces, err := det.Detect(m); err != nil || len(faces) != 0 {
			t.Errorf("Detect(%dx%d) = %v, %v; want no faces, nil", s[0], s[1], faces, err)
		}
		m.Close()
	}
	// Degenerate landmarks (all at the origin) must give an error or a
	// feature, never a crash.
	frame := gocv.NewMatWithSize(480, 640, gocv.MatTypeCV8UC3)
	defer frame.Close()
	far := geom.Landmarks{{X: 1e9, Y: 1e9}, {X: -1e9, Y: 1e9}, {X: 3, Y: 3}, {X: 4, Y: 4}, {X: 5, Y: 5}}
	for _, f := range []Face{{}, {Landmarks: far}} {
		_, err := rec.Embed(frame, f)
		t.Logf("Embed(640x480, %v) = %v", f.Landmarks, err)
	}
	if _, err := rec.Embed(tiny, Face{}); err == nil {
		t.Errorf("Embed(1x1) = nil error")
	}
	det.Close()
	rec.Close()
	det.Close() // twice is fine
	if _, err := det.Detect(tiny); !errors.Is(err, ErrClosed) {
		t.Errorf("Detect after Close = %v, want ErrClosed", err)
	}
	if _, err := rec.Feature(tiny); !errors.Is(err, ErrClosed) {
		t.Errorf("Feature after Close = %v, want ErrClosed", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	det := newDetector(t, DetectorOptions{})
	rec := newRecognizer(t, RecognizerOptions{})
	img := readImage(t, photos(t)["obama"][0])
	want, err := det.Detect(img)
	if err != nil || len(want) != 1 {
		t.Fatalf("Detect = %d faces, %v", len(want), err)
	}
	ref, _ := rec.Embed(img, want[0])
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		go func() {
			for i := 0; i < 3; i++ {
				faces, err := det.Detect(img)
				if err == nil && len(faces) != 1 {
					err = fmt.Errorf("Detect = %d faces, want 1", len(faces))
				}
				if err == nil {
					var v []float32
					if v, err = rec.Embed(img, faces[0]); err == nil && Cosine(v, ref) < 0.9999 {
						err = fmt.Errorf("concurrent Embed differs: cosine %v", Cosine(v, ref))
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for g := 0; g < 4; g++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestRecognizerHoldsOneNetwork: a recogniser holds its network once. dlib's
// was loaded twice, once through FaceRecognizerSF and dropped unfreed,
// which kept 22 MB of weights for nothing.
func TestRecognizerHoldsOneNetwork(t *testing.T) {
	for _, m := range recognizers {
		fi, err := os.Stat(filepath.Join(modelsDir(t), m.File))
		if err != nil {
			t.Fatal(err)
		}
		before := cHeapInUse()
		r := newRecognizerOf(t, m, RecognizerOptions{})
		held := cHeapInUse() - before
		// The weights once, and the buffers of one forward pass (MobileFaceNet's
		// at 112x112 are larger than its 4 MB of weights).
		if limit := fi.Size() + 10e6; held > limit {
			t.Errorf("%s: the recogniser holds %.1f MB of C heap, want under %.1f (its file is %.1f MB)", m.File, float64(held)/1e6, float64(limit)/1e6, float64(fi.Size())/1e6)
		}
		r.Close()
		if after := cHeapInUse() - before; after > 1<<20 {
			t.Errorf("%s: %.1f MB of C heap still held after Close", m.File, float64(after)/1e6)
		}
		t.Logf("%s: file %.1f MB, C heap held %.1f MB", m.File, float64(fi.Size())/1e6, float64(held)/1e6)
	}
}

func TestModelErrors(t *testing.T) {
	dir := modelsDir(t)
	tmp := t.TempDir()
	copyFlip := func(m models.Model) {
		b, err := os.ReadFile(m.Path(dir))
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)/3] ^= 0x40
		if err := os.WriteFile(filepath.Join(tmp, m.File), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	copyFlip(models.YuNet2022Mar)
	copyFlip(models.MobileFaceNetY1)
	garbage := filepath.Join(tmp, "garbage.onnx")
	if err := os.WriteFile(garbage, []byte("this is not an onnx file"), 0o644); err != nil {
		t.Fatal(err)
	}

	wrongRec := models.MobileFaceNetY1 // the detector's file, configured as a recognizer with its true sum
	wrongRec.File, wrongRec.SHA256 = models.YuNet2022Mar.Path(dir), models.YuNet2022Mar.SHA256
	wrongDet := models.YuNet2022Mar
	wrongDet.File, wrongDet.SHA256 = models.MobileFaceNetY1.Path(dir), models.MobileFaceNetY1.SHA256
	garbageRec := models.MobileFaceNetY1
	garbageRec.File, garbageRec.SHA256 = garbage, sha256File(t, garbage)
	bigInput := models.MobileFaceNetY1
	bigInput.InputWidth = 160

	for _, tc := range []struct {
		name     string
		load     func() error
		want     []string
		notModel bool
	}{
		{"missing detector", func() error { _, err := NewDetector(models.YuNet2022Mar, t.TempDir(), DetectorOptions{}); return err },
			[]string{models.YuNet2022Mar.File, "not found", "restore it from vision/models"}, false},
		{"missing recognizer", func() error {
			_, err := NewRecognizer(models.MobileFaceNetY1, t.TempDir(), RecognizerOptions{})
			return err
		},
			[]string{models.MobileFaceNetY1.File, "not found"}, false},
		{"altered detector", func() error { _, err := NewDetector(models.YuNet2022Mar, tmp, DetectorOptions{}); return err },
			[]string{models.YuNet2022Mar.File, "sha256 mismatch", "altered"}, false},
		{"altered recognizer", func() error { _, err := NewRecognizer(models.MobileFaceNetY1, tmp, RecognizerOptions{}); return err },
			[]string{models.MobileFaceNetY1.File, "sha256 mismatch", "altered"}, false},
		{"detector file as recognizer", func() error { _, err := NewRecognizer(wrongRec, dir, RecognizerOptions{}); return err },
			[]string{models.YuNet2022Mar.File}, false},
		{"recognizer file as detector", func() error { _, err := NewDetector(wrongDet, dir, DetectorOptions{}); return err },
			[]string{models.MobileFaceNetY1.File}, false},
		{"garbage with its own sum", func() error { _, err := NewRecognizer(garbageRec, dir, RecognizerOptions{}); return err },
			[]string{"garbage.onnx", "opencv"}, false},
		{"input size", func() error { _, err := NewRecognizer(bigInput, dir, RecognizerOptions{}); return err },
			[]string{"160x112", "112x112"}, false},
		{"bad score", func() error {
			_, err := NewDetector(models.YuNet2022Mar, dir, DetectorOptions{ScoreThreshold: 2})
			return err
		}, []string{"thresholds"}, true},
	} {
		err := tc.load()
		if err == nil {
			t.Errorf("%s: load = nil error", tc.name)
			continue
		}
		t.Logf("%s: %v", tc.name, err)
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not contain %q", tc.name, err, w)
			}
		}
		if !tc.notModel && !errors.Is(err, models.ErrModel) {
			t.Errorf("%s: error %v does not wrap models.ErrModel", tc.name, err)
		}
	}
}
