//go:build vision

package camera

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

// decodeJPEG decodes a Motion JPEG frame into *frame with libjpeg-turbo,
// reusing its memory when the size is the same. Camera frames are decoded
// up to 30 times a second: Go's decoder takes 9 times as long for a
// 640x480 frame and leaves half a megabyte of garbage each time
// (BenchmarkDecodeJPEG). Photos from the network still go through Go's
// memory-safe decoder (face.DecodeImage).
func decodeJPEG(b []byte, frame *gocv.Mat) error {
	w, h, err := jpegSize(b)
	if err != nil {
		return err
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

// jpegSize reads a frame's size from its header, within frameLimits.
func jpegSize(b []byte) (w, h int, err error) {
	if len(b) == 0 || len(b) > frameLimits.MaxBytes {
		return 0, 0, fmt.Errorf("jpeg: a frame of %d bytes (1..%d)", len(b), frameLimits.MaxBytes)
	}
	w, h, err = libjpeg(b, nil, 0, 0)
	if err == nil && (w <= 0 || h <= 0 || w*h > frameLimits.MaxPixels) {
		err = fmt.Errorf("jpeg: a frame of %dx%d (at most %d pixels)", w, h, frameLimits.MaxPixels)
	}
	return w, h, err
}
