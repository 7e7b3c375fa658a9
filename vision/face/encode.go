//go:build vision

package face

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"

	"gocv.io/x/gocv"
)

// EncodeJPEG encodes an 8-bit BGR or grey Mat as a baseline JPEG with Go's
// encoder, so the process need not link OpenCV's imgcodecs. quality is
// image/jpeg's 1..100; values outside are clamped.
func EncodeJPEG(m gocv.Mat, quality int) ([]byte, error) {
	img, err := matImage(m)
	if err != nil {
		return nil, fmt.Errorf("vision: encode jpeg: %w", err)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("vision: encode jpeg: %w", err)
	}
	return b.Bytes(), nil
}

// EncodePNG encodes an 8-bit BGR or grey Mat as a PNG with Go's encoder.
func EncodePNG(m gocv.Mat) ([]byte, error) {
	img, err := matImage(m)
	if err != nil {
		return nil, fmt.Errorf("vision: encode png: %w", err)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("vision: encode png: %w", err)
	}
	return b.Bytes(), nil
}

// matImage copies a CV_8UC3 (BGR) Mat into an *image.RGBA or a CV_8UC1
// Mat into an *image.Gray, the types Go's encoders have fast paths for.
func matImage(m gocv.Mat) (image.Image, error) {
	if m.Empty() {
		return nil, errors.New("empty Mat")
	}
	if t := m.Type(); t != gocv.MatTypeCV8UC3 && t != gocv.MatTypeCV8UC1 {
		return nil, fmt.Errorf("type %v, want CV_8UC3 (BGR) or CV_8UC1", t)
	}
	// ToImage reads the Mat's buffer as one block; a region of a larger Mat
	// is not one.
	if !m.IsContinuous() {
		m = m.Clone()
		defer m.Close()
	}
	return m.ToImage()
}
