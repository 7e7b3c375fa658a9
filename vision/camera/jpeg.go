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
	if len(b) == 0 || len(b) > frameLimits.MaxBytes {
		return fmt.Errorf("jpeg: a frame of %d bytes (1..%d)", len(b), frameLimits.MaxBytes)
	}
	var msg [200]C.char
	var w, h C.int
	src := (*C.uchar)(unsafe.Pointer(&b[0]))
	if C.rg_jpeg_size(src, C.ulong(len(b)), &w, &h, &msg[0], C.int(len(msg))) != 0 {
		return errors.New("jpeg: " + C.GoString(&msg[0]))
	}
	if w <= 0 || h <= 0 || int(w)*int(h) > frameLimits.MaxPixels {
		return fmt.Errorf("jpeg: a frame of %dx%d (at most %d pixels)", w, h, frameLimits.MaxPixels)
	}
	if frame.Empty() || frame.Cols() != int(w) || frame.Rows() != int(h) || frame.Type() != gocv.MatTypeCV8UC3 || !frame.IsContinuous() {
		frame.Close()
		*frame = gocv.NewMatWithSize(int(h), int(w), gocv.MatTypeCV8UC3)
	}
	out, err := frame.DataPtrUint8()
	if err != nil {
		return err
	}
	if C.rg_jpeg_decode_bgr(src, C.ulong(len(b)), (*C.uchar)(unsafe.Pointer(&out[0])), w, h, w*3, &msg[0], C.int(len(msg))) != 0 {
		return errors.New("jpeg: " + C.GoString(&msg[0]))
	}
	return nil
}
