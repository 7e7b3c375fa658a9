//go:build vision

package camera

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/blackjack/webcam"
	"gocv.io/x/gocv"
)

// V4L2 pixel formats (fourcc, little-endian).
const (
	pixYUYV webcam.PixelFormat = 'Y' | 'U'<<8 | 'Y'<<16 | 'V'<<24
	pixMJPG webcam.PixelFormat = 'M' | 'J'<<8 | 'P'<<16 | 'G'<<24
)

// v4l2Source reads a USB camera through V4L2's streaming I/O: YUYV where
// the camera offers it at the size (no decoding), Motion JPEG otherwise.
type v4l2Source struct {
	cam    *webcam.Webcam
	format webcam.PixelFormat
	width  int
	height int
}

// openV4L2 opens a device at width×height, or near 640×480 when they are 0.
func openV4L2(path string, width, height int) (source, float64, error) {
	cam, err := webcam.Open(path)
	if err != nil {
		return nil, 0, err
	}
	src, fps, err := startV4L2(cam, width, height)
	if err != nil {
		cam.Close()
		return nil, 0, err
	}
	return src, fps, nil
}

func startV4L2(cam *webcam.Webcam, width, height int) (*v4l2Source, float64, error) {
	formats := cam.GetSupportedFormats()
	if width == 0 || height == 0 {
		width, height = 640, 480
	}
	var format webcam.PixelFormat
	for _, f := range []webcam.PixelFormat{pixYUYV, pixMJPG} {
		if _, ok := formats[f]; ok && offers(cam.GetSupportedFrameSizes(f), width, height) {
			format = f
			break
		}
	}
	if format == 0 {
		for _, f := range []webcam.PixelFormat{pixMJPG, pixYUYV} {
			if _, ok := formats[f]; ok {
				format = f
				width, height = nearest(cam.GetSupportedFrameSizes(f), width, height)
				break
			}
		}
	}
	if format == 0 {
		var names []string
		for _, d := range formats {
			names = append(names, d)
		}
		slices.Sort(names)
		return nil, 0, fmt.Errorf("the camera offers neither YUYV nor Motion JPEG (it offers %q)", names)
	}
	if _, _, _, err := cam.SetImageFormat(format, uint32(width), uint32(height)); err != nil {
		return nil, 0, fmt.Errorf("set format %dx%d: %w", width, height, err)
	}
	if err := cam.SetBufferCount(4); err != nil {
		return nil, 0, err
	}
	if err := cam.StartStreaming(); err != nil {
		return nil, 0, err
	}
	fps, err := cam.GetFramerate()
	if err != nil {
		fps = 0
	}
	return &v4l2Source{cam: cam, format: format, width: width, height: height}, float64(fps), nil
}

// offers says whether a camera's sizes include w×h.
func offers(sizes []webcam.FrameSize, w, h int) bool {
	for _, s := range sizes {
		if inRange(s.MinWidth, s.MaxWidth, s.StepWidth, w) && inRange(s.MinHeight, s.MaxHeight, s.StepHeight, h) {
			return true
		}
	}
	return false
}

func inRange(lo, hi, step uint32, v int) bool {
	if v < int(lo) || v > int(hi) {
		return false
	}
	return step == 0 || (uint32(v)-lo)%step == 0
}

// nearest picks the listed size closest in area to w×h.
func nearest(sizes []webcam.FrameSize, w, h int) (int, int) {
	best, bw, bh := math.Inf(1), w, h
	for _, s := range sizes {
		cw, ch := int(s.MaxWidth), int(s.MaxHeight)
		if d := math.Abs(float64(cw*ch - w*h)); d < best {
			best, bw, bh = d, cw, ch
		}
	}
	return bw, bh
}

func (v *v4l2Source) next(frame *rawFrame) error {
	for {
		if err := v.cam.WaitForFrame(2000); err != nil {
			var timeout *webcam.Timeout
			if errors.As(err, &timeout) {
				return errors.New("no frame in 2 s: the camera stopped")
			}
			return err
		}
		buf, index, err := v.cam.GetFrame()
		if err != nil {
			return err
		}
		if len(buf) == 0 {
			v.cam.ReleaseFrame(index)
			continue
		}
		if v.format == pixMJPG {
			frame.jpeg = append(frame.jpeg[:0], buf...) // out of the driver's buffer, decoded if taken
		} else {
			frame.jpeg = frame.jpeg[:0]
			err = yuyvToBGR(buf, v.width, v.height, &frame.mat)
		}
		v.cam.ReleaseFrame(index)
		return err
	}
}

// yuyvToBGR converts packed YUYV 4:2:2 into BGR.
func yuyvToBGR(buf []byte, width, height int, frame *gocv.Mat) error {
	if len(buf) < width*height*2 {
		return fmt.Errorf("a YUYV frame of %d bytes, %dx%d needs %d: set vision.camera width and height to a size the camera offers (v4l2-ctl --list-formats-ext)",
			len(buf), width, height, width*height*2)
	}
	yuyv, err := gocv.NewMatFromBytes(height, width, gocv.MatTypeCV8UC2, buf[:width*height*2])
	if err != nil {
		return err
	}
	defer yuyv.Close()
	gocv.CvtColor(yuyv, frame, gocv.ColorYUVToBGRYUY2)
	return nil
}

func (v *v4l2Source) close() { v.cam.Close() }
