//go:build vision

package face

import (
	"fmt"
	"image"
	"image/color"
	"os"

	"gocv.io/x/gocv"
)

// ReadImage reads and decodes an image file within lim, as DecodeImage
// does for bytes.
func ReadImage(path string, lim Limits) (gocv.Mat, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return gocv.Mat{}, fmt.Errorf("vision: %w", err)
	}
	return DecodeImage(b, lim)
}

// Letterbox scales img to fit a w×h frame, keeping its proportions, and
// fills the rest with fill: a photo as a camera of that size would show
// it. The caller closes the result.
func Letterbox(img gocv.Mat, w, h int, fill color.RGBA) gocv.Mat {
	s := min(float64(w)/float64(img.Cols()), float64(h)/float64(img.Rows()))
	fw, fh := int(float64(img.Cols())*s), int(float64(img.Rows())*s)
	small := gocv.NewMat()
	defer small.Close()
	gocv.Resize(img, &small, image.Pt(fw, fh), 0, 0, gocv.InterpolationArea)
	frame := gocv.NewMat()
	top, left := (h-fh)/2, (w-fw)/2
	gocv.CopyMakeBorder(small, &frame, top, h-fh-top, left, w-fw-left, gocv.BorderConstant, fill)
	return frame
}
