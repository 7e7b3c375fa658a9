//go:build vision

package face

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"

	"gocv.io/x/gocv"
)

// Errors DecodeImage wraps, for callers that branch on the kind of bad
// input (an uploaded enrolment photo gets a different message than a
// dropped camera frame).
var (
	ErrEmptyImage    = errors.New("empty image")
	ErrImageTooLarge = errors.New("image too large")
	ErrBadImage      = errors.New("not a readable JPEG or PNG image")
)

// Limits bound what DecodeImage accepts. A zero field takes the default:
// no limit is not an option for input from a network or a camera.
type Limits struct {
	MaxBytes  int // encoded size
	MaxPixels int // width × height, checked from the header before decoding
}

// DefaultLimits fit a phone photo uploaded for enrolment (a 48 MP phone
// photo is about 8000x6000) and refuse decompression bombs.
var DefaultLimits = Limits{MaxBytes: 32 << 20, MaxPixels: 50_000_000}

// DecodeImage decodes a JPEG or PNG into an 8-bit BGR Mat the caller
// closes, turned as a JPEG's EXIF orientation says. It reads the size from
// the header first, so a small file that claims a huge image is refused
// before anything is allocated. libjpeg-turbo decodes JPEGs (as OpenCV
// did, and as fast), Go's image/png PNGs and CMYK JPEGs; OpenCV's
// imgcodecs is not linked: with its TIFF, EXR, GDAL and JPEG 2000 readers
// it is a large attack surface, and tens of MiB of memory, for no use here.
func DecodeImage(data []byte, lim Limits) (gocv.Mat, error) {
	fail := func(err error) (gocv.Mat, error) {
		return gocv.Mat{}, fmt.Errorf("vision: decode image: %w", err)
	}
	lim = lim.orDefaults()
	if len(data) == 0 {
		return fail(ErrEmptyImage)
	}
	if len(data) > lim.MaxBytes {
		return fail(fmt.Errorf("%w: %d bytes, limit %d", ErrImageTooLarge, len(data), lim.MaxBytes))
	}
	c, ok := codecFor(data)
	if !ok {
		return fail(fmt.Errorf("%w: unknown format (only JPEG and PNG are accepted)", ErrBadImage))
	}
	cfg, err := c.config(bytes.NewReader(data))
	if err != nil {
		return fail(fmt.Errorf("%w: %v", ErrBadImage, c.explain(err)))
	}
	w, h := cfg.Width, cfg.Height
	if w <= 0 || h <= 0 {
		return fail(fmt.Errorf("%w: header says %dx%d", ErrBadImage, w, h))
	}
	// 2^30 pixels was imgcodecs' own cap; it stays whatever the caller allows.
	if int64(w)*int64(h) > int64(lim.MaxPixels) || int64(w)*int64(h) > 1<<30 {
		return fail(fmt.Errorf("%w: %dx%d is %.1f megapixels, limit %.1f", ErrImageTooLarge, w, h,
			float64(w)*float64(h)/1e6, float64(lim.MaxPixels)/1e6))
	}
	if c.name == "jpeg" && cfg.ColorModel != color.CMYKModel { // libjpeg makes no BGR of CMYK
		m := gocv.NewMat()
		if err := DecodeFrame(data, &m, lim); err != nil {
			m.Close()
			return fail(fmt.Errorf("%w: %v", ErrBadImage, err))
		}
		return orient(m, exifOrientation(data)), nil
	}
	img, err := c.decode(bytes.NewReader(data))
	if err != nil {
		return fail(fmt.Errorf("%w: %v", ErrBadImage, c.explain(err)))
	}
	m := FromImage(img)
	if c.name == "jpeg" {
		m = orient(m, exifOrientation(data))
	}
	return m, nil
}

func (lim Limits) orDefaults() Limits {
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = DefaultLimits.MaxBytes
	}
	if lim.MaxPixels <= 0 {
		lim.MaxPixels = DefaultLimits.MaxPixels
	}
	return lim
}

// codec is a format DecodeImage accepts. Its decoders are called directly,
// not through image.Decode, so a format some other package registers
// (GIF, WebP) is refused.
type codec struct {
	name   string
	magic  string
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}

var codecs = []codec{
	{"jpeg", "\xff\xd8", jpeg.DecodeConfig, jpeg.Decode},
	{"png", "\x89PNG\r\n\x1a\n", png.DecodeConfig, png.Decode},
}

func codecFor(data []byte) (codec, bool) {
	for _, c := range codecs {
		if bytes.HasPrefix(data, []byte(c.magic)) {
			return c, true
		}
	}
	return codec{}, false
}

// explain names the format in a decoder's error: both say only
// "unexpected EOF" for a file cut short.
func (c codec) explain(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%s: truncated", c.name)
	}
	return err
}
