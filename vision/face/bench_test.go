//go:build vision

package face

import (
	"image"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"github.com/roomgate/roomgate/internal/shared"
)

// lfwCrop returns one aligned 112x112 LFW crop, or skips.
func lfwCrop(b *testing.B) gocv.Mat {
	p, err := shared.Path("datasets/lfw_112x112/images/Abel_Pacheco/Abel_Pacheco_0001.jpg")
	if err != nil {
		b.Skip(err)
	}
	return readImage(b, p)
}

func BenchmarkFeature(b *testing.B) {
	for _, th := range []int{1, 0} {
		name := map[int]string{1: "threads=1", 0: "threads=all"}[th]
		b.Run(name, func(b *testing.B) {
			all := NumThreads()
			if th == 1 {
				SetNumThreads(1)
				defer SetNumThreads(all)
			}
			rec := newRecognizer(b, RecognizerOptions{})
			crop := lfwCrop(b)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := rec.Feature(crop); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFrame is one camera frame's work: detect, then align and embed
// the largest face (visionbench compares it with Python).
func BenchmarkFrame(b *testing.B) {
	det := newDetector(b, DetectorOptions{})
	rec := newRecognizer(b, RecognizerOptions{})
	img := readImage(b, filepath.Join(shared.Need(b, "datasets/known_faces_small"), "kit_harington", "john2.jpeg"))
	frame := gocv.NewMat()
	defer frame.Close()
	gocv.Resize(img, &frame, imagePt(640, 480), 0, 0, gocv.InterpolationArea)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		faces, err := det.Detect(frame)
		if err != nil {
			b.Fatal(err)
		}
		l, ok := Largest(faces)
		if !ok {
			b.Fatal("no face")
		}
		if _, err := rec.Embed(frame, l); err != nil {
			b.Fatal(err)
		}
	}
}

func imagePt(x, y int) image.Point { return image.Pt(x, y) }

// BenchmarkLoad is what a recognition model costs the agent at start: the
// sha256 check, reading the ONNX into OpenCV and the one trial run.
func BenchmarkLoad(b *testing.B) {
	dir := modelsDir(b)
	for _, m := range recognizers {
		b.Run(m.File, func(b *testing.B) {
			for range b.N {
				r, err := NewRecognizer(m, dir, RecognizerOptions{})
				if err != nil {
					b.Fatal(err)
				}
				r.Close()
			}
		})
	}
}
