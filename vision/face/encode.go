//go:build vision

package face

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"

	"gocv.io/x/gocv"
)

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

// checkEncodable refuses what the encoders cannot take, and returns a
// continuous Mat: m, or a copy the caller closes.
func checkEncodable(m gocv.Mat) (c gocv.Mat, copied bool, err error) {
	if m.Empty() {
		return m, false, errors.New("empty Mat")
	}
	if t := m.Type(); t != gocv.MatTypeCV8UC3 && t != gocv.MatTypeCV8UC1 {
		return m, false, fmt.Errorf("type %v, want CV_8UC3 (BGR) or CV_8UC1", t)
	}
	// A region of a larger Mat is not one block.
	if !m.IsContinuous() {
		return m.Clone(), true, nil
	}
	return m, false, nil
}

// matImage copies a CV_8UC3 (BGR) Mat into an *image.RGBA or a CV_8UC1
// Mat into an *image.Gray, the types Go's encoders have fast paths for.
func matImage(m gocv.Mat) (image.Image, error) {
	c, copied, err := checkEncodable(m)
	if err != nil {
		return nil, err
	}
	if copied {
		defer c.Close()
	}
	return c.ToImage()
}
