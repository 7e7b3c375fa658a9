//go:build vision

package face

// #include <stdlib.h>
// #include "face.h"
import "C"

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"math"
	"unsafe"

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
// closes. It reads the size from the header first, so a small file that
// claims a huge image is refused before OpenCV allocates it. Other formats
// are refused: OpenCV's TIFF, EXR and JPEG 2000 readers are a large
// attack surface for no use here.
func DecodeImage(data []byte, lim Limits) (gocv.Mat, error) {
	fail := func(err error) (gocv.Mat, error) {
		return gocv.Mat{}, fmt.Errorf("vision: decode image: %w", err)
	}
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = DefaultLimits.MaxBytes
	}
	if lim.MaxPixels <= 0 {
		lim.MaxPixels = DefaultLimits.MaxPixels
	}
	if len(data) == 0 {
		return fail(ErrEmptyImage)
	}
	// The wrapper takes an int length; OpenCV caps images at 2^30 pixels.
	if len(data) > lim.MaxBytes || len(data) > math.MaxInt32 {
		return fail(fmt.Errorf("%w: %d bytes, limit %d", ErrImageTooLarge, len(data), lim.MaxBytes))
	}
	w, h, err := imageSize(data)
	if err != nil {
		return fail(fmt.Errorf("%w: %v", ErrBadImage, err))
	}
	if w <= 0 || h <= 0 {
		return fail(fmt.Errorf("%w: header says %dx%d", ErrBadImage, w, h))
	}
	if int64(w)*int64(h) > int64(lim.MaxPixels) || int64(w)*int64(h) > 1<<30 {
		return fail(fmt.Errorf("%w: %dx%d is %.1f megapixels, limit %.1f", ErrImageTooLarge, w, h,
			float64(w)*float64(h)/1e6, float64(lim.MaxPixels)/1e6))
	}
	m := gocv.NewMat()
	err = cvErr("imdecode", C.rg_imdecode((*C.uchar)(unsafe.Pointer(&data[0])), C.int(len(data)), matPtr(&m)))
	if err == nil && m.Empty() {
		err = errors.New("opencv could not decode it (corrupt or truncated)")
	}
	if err == nil && m.Type() != gocv.MatTypeCV8UC3 {
		err = fmt.Errorf("decoded to type %v", m.Type())
	}
	// EXIF orientation may swap the sides; the area must still match.
	if err == nil && m.Rows()*m.Cols() != w*h {
		err = fmt.Errorf("decoded %dx%d, header said %dx%d", m.Cols(), m.Rows(), w, h)
	}
	if err != nil {
		m.Close()
		return fail(fmt.Errorf("%w: %v", ErrBadImage, err))
	}
	return m, nil
}

// imageSize reads the dimensions of a JPEG or PNG and, for a JPEG,
// checks that the file is whole: libjpeg decodes a truncated file as a
// grey-bottomed image without an error, which must not reach enrolment.
func imageSize(b []byte) (w, h int, err error) {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		// libpng fails on a truncated or corrupt PNG, so the header is all
		// we need here.
		c, err := png.DecodeConfig(bytes.NewReader(b))
		if err != nil {
			return 0, 0, err // already says "png: ..."
		}
		return c.Width, c.Height, nil
	case bytes.HasPrefix(b, []byte{0xff, 0xd8}):
		return jpegSize(b)
	}
	return 0, 0, errors.New("unknown format (only JPEG and PNG are accepted)")
}

// jpegSize walks a JPEG's markers from SOI to EOI: segments by their
// length, entropy-coded data up to the next marker. It returns the frame
// size from SOF and fails when EOI is missing (the file is cut short).
// Data after EOI, as some cameras append, is ignored.
func jpegSize(b []byte) (w, h int, err error) {
	i, sof, scans := 2, false, 0
	for {
		// Skip fill bytes before a marker.
		for i < len(b) && b[i] == 0xff && i+1 < len(b) && b[i+1] == 0xff {
			i++
		}
		if i+1 >= len(b) {
			return 0, 0, errors.New("jpeg: truncated (no end-of-image marker)")
		}
		if b[i] != 0xff {
			return 0, 0, fmt.Errorf("jpeg: expected a marker at byte %d", i)
		}
		m := b[i+1]
		i += 2
		switch {
		case m == 0xd9: // EOI
			if !sof || scans == 0 {
				return 0, 0, errors.New("jpeg: no frame or no scan before end-of-image")
			}
			return w, h, nil
		case m == 0x01 || (m >= 0xd0 && m <= 0xd7): // TEM, RSTn: no length
			continue
		}
		if i+2 > len(b) {
			return 0, 0, errors.New("jpeg: truncated in a segment header")
		}
		n := int(b[i])<<8 | int(b[i+1])
		if n < 2 || i+n > len(b) {
			return 0, 0, fmt.Errorf("jpeg: segment %#x of length %d overruns the file", m, n)
		}
		seg := b[i+2 : i+n]
		i += n
		switch {
		case m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc: // SOFn
			if len(seg) < 5 {
				return 0, 0, errors.New("jpeg: short frame header")
			}
			h, w, sof = int(seg[1])<<8|int(seg[2]), int(seg[3])<<8|int(seg[4]), true
		case m == 0xda: // SOS: entropy-coded data follows, up to a marker
			if !sof {
				return 0, 0, errors.New("jpeg: scan before frame header")
			}
			scans++
			for {
				for i < len(b) && b[i] != 0xff {
					i++
				}
				if i+1 >= len(b) {
					return 0, 0, errors.New("jpeg: truncated in scan data (no end-of-image marker)")
				}
				if c := b[i+1]; c == 0x00 || (c >= 0xd0 && c <= 0xd7) || c == 0xff {
					i += 2 - btoi(c == 0xff) // stuffed byte or restart marker; FF FF is fill
					continue
				}
				break
			}
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
