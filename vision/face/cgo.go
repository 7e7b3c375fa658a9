//go:build vision

package face

// #cgo !customenv pkg-config: opencv4
// #cgo CXXFLAGS: -std=c++17 -O2
// #include <stdlib.h>
// #include <malloc.h>
// #include "face.h"
// static size_t rg_heap_in_use(void) { struct mallinfo2 m = mallinfo2(); return m.uordblks + m.hblkhd; }
import "C"

import (
	"errors"
	"strings"
	"unsafe"

	"gocv.io/x/gocv"
)

// matPtr hands a gocv Mat to the wrapper. gocv's C.Mat is a cv::Mat* in
// another package's cgo namespace, so it crosses as an unsafe.Pointer.
func matPtr(m *gocv.Mat) C.RGMat {
	return C.RGMat(unsafe.Pointer(m.Ptr()))
}

// cvErr turns a wrapper error string into an *OpenCVError and frees it;
// callers wrap it with what they were doing.
func cvErr(op string, p *C.char) error {
	if p == nil {
		return nil
	}
	defer C.free(unsafe.Pointer(p))
	return &OpenCVError{Op: op, Msg: strings.TrimSpace(C.GoString(p))}
}

// OpenCVError is an exception OpenCV raised inside the wrapper.
type OpenCVError struct {
	Op  string // the wrapper call, such as "detect"
	Msg string // the exception text, as cv::Exception::what() gives it
}

func (e *OpenCVError) Error() string { return "opencv: " + e.Msg }

// ErrClosed is returned by a Detector or Recognizer used after Close.
var ErrClosed = errors.New("vision: use after Close")

// SetNumThreads sets OpenCV's worker threads for the whole process (0 or 1
// runs everything on the calling thread; a negative n restores the
// default of all cores).
func SetNumThreads(n int) { C.rg_set_num_threads(C.int(n)) }

// NumThreads returns OpenCV's current number of worker threads.
func NumThreads() int { return int(C.rg_get_num_threads()) }

// cHeapInUse is the bytes the C heap has handed out (glibc, all arenas):
// what OpenCV holds for the models and frames.
func cHeapInUse() int64 { return int64(C.rg_heap_in_use()) }
