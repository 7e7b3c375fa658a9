//go:build vision

package face

// #cgo LDFLAGS: -ljpeg
// #include <stdlib.h>
// #include "jpeg.h"
import "C"

import (
	"errors"
	"fmt"
	"unsafe"

	"gocv.io/x/gocv"
)

// DecodeFrame decodes a JPEG (a camera's Motion JPEG frame) into *frame
// as 8-bit BGR with libjpeg-turbo, reusing the Mat's memory when the size
// is unchanged, within lim (zero fields: DefaultLimits). It applies no
// EXIF orientation. A camera decodes up to 30 frames a second: Go's
// decoder takes 9 times as long for 640x480 and leaves half a megabyte of
// garbage each time (vision/camera's BenchmarkDecodeJPEG); this allocates
// nothing. A frame cut short is an error, not a grey bottom.
func DecodeFrame(b []byte, frame *gocv.Mat, lim Limits) error {
	lim = lim.orDefaults()
	if len(b) == 0 || len(b) > lim.MaxBytes {
		return fmt.Errorf("jpeg: %d bytes (1..%d)", len(b), lim.MaxBytes)
	}
	w, h, err := libjpeg(b, nil, 0, 0)
	if err != nil {
		return err
	}
	if w <= 0 || h <= 0 || w*h > lim.MaxPixels {
		return fmt.Errorf("jpeg: %dx%d (at most %d pixels)", w, h, lim.MaxPixels)
	}
	if frame.Empty() || frame.Cols() != w || frame.Rows() != h || frame.Type() != gocv.MatTypeCV8UC3 || !frame.IsContinuous() {
		frame.Close()
		*frame = gocv.NewMatWithSize(h, w, gocv.MatTypeCV8UC3)
	}
	out, err := frame.DataPtrUint8()
	if err != nil {
		return err
	}
	_, _, err = libjpeg(b, &out[0], w, h)
	return err
}

// libjpeg decodes b into out, w×h BGR, or reads its size when out is nil.
func libjpeg(b []byte, out *byte, w, h int) (int, int, error) {
	var msg [200]C.char
	cw, ch := C.int(w), C.int(h)
	if C.rg_jpeg_decode_bgr((*C.uchar)(unsafe.Pointer(&b[0])), C.ulong(len(b)), (*C.uchar)(unsafe.Pointer(out)), &cw, &ch, &msg[0], C.int(len(msg))) != 0 {
		return 0, 0, errors.New("jpeg: " + C.GoString(&msg[0]))
	}
	return int(cw), int(ch), nil
}

// EncodeJPEG encodes an 8-bit BGR or grey Mat as a baseline JPEG with
// libjpeg-turbo (the kiosk's preview, four times a second: Go's encoder
// took several times as long). quality outside 1..100 is clamped.
func EncodeJPEG(m gocv.Mat, quality int) ([]byte, error) {
	c, copied, err := checkEncodable(m)
	if err != nil {
		return nil, fmt.Errorf("vision: encode jpeg: %w", err)
	}
	if copied {
		defer c.Close()
	}
	in, err := c.DataPtrUint8()
	if err != nil {
		return nil, fmt.Errorf("vision: encode jpeg: %w", err)
	}
	var out *C.uchar
	var n C.ulong
	var msg [200]C.char
	if C.rg_jpeg_encode((*C.uchar)(unsafe.Pointer(&in[0])), C.int(c.Cols()), C.int(c.Rows()), C.int(c.Channels()),
		C.int(min(max(quality, 1), 100)), &out, &n, &msg[0], C.int(len(msg))) != 0 {
		return nil, fmt.Errorf("vision: encode jpeg: %s", C.GoString(&msg[0]))
	}
	defer C.free(unsafe.Pointer(out))
	return C.GoBytes(unsafe.Pointer(out), C.int(n)), nil
}
