//go:build vision

package face

import (
	"bytes"
	"image"
	"image/jpeg"
	"math/rand/v2"
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

// BenchmarkDecodeImage decodes a camera frame and a 12 MP phone photo.
func BenchmarkDecodeImage(b *testing.B) {
	for _, tc := range []struct {
		name    string
		w, h    int
		quality int
	}{
		{"camera_640x480", 640, 480, 80},
		{"photo_4000x3000", 4000, 3000, 92},
	} {
		b.Run(tc.name, func(b *testing.B) {
			data := photoLikeJPEG(b, tc.w, tc.h, tc.quality)
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			for range b.N {
				m, err := DecodeImage(data, DefaultLimits)
				if err != nil {
					b.Fatal(err)
				}
				m.Close()
			}
		})
	}
}

// photoLikeJPEG encodes smooth gradients with sensor-like noise, which
// compress about as a photo does (testPicture's stripes do not).
func photoLikeJPEG(b *testing.B, w, h, quality int) []byte {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	rng := rand.New(rand.NewPCG(1, 2))
	for y := range h {
		for x := range w {
			img.Y[img.YOffset(x, y)] = uint8(64 + 96*x/w + 64*y/h + rng.IntN(9))
		}
	}
	for y := range img.Rect.Dy() / 2 {
		for x := range img.Rect.Dx() / 2 {
			img.Cb[y*img.CStride+x] = uint8(96 + 64*x*2/w)
			img.Cr[y*img.CStride+x] = uint8(160 - 64*y*2/h)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}
