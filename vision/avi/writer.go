package avi

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Writer writes an MJPEG AVI (AVI 1.0, one video stream, an idx1 index)
// that this package, FFmpeg and OpenCV read.
type Writer struct {
	w       io.WriteSeeker
	info    Info
	pos     int64  // bytes written
	index   []byte // idx1 entries
	largest uint32 // the largest frame, for the headers' buffer size
	frames  uint32
	err     error
}

// Offsets of the fields Close fills in once the frames are known.
const (
	riffSizeAt    = 4
	avihFramesAt  = 12 + 12 + 8 + 16 // RIFF, hdrl LIST, avih header, dwTotalFrames
	avihBufferAt  = avihFramesAt + 12
	strhLengthAt  = 12 + 12 + 8 + 56 + 12 + 8 + 32
	strhBufferAt  = strhLengthAt + 4
	headersLength = 12 + 12 + 8 + 56 + 12 + 8 + 56 + 8 + 40
	moviSizeAt    = headersLength + 4
)

// NewWriter writes the headers of a width×height video at fps.
func NewWriter(w io.WriteSeeker, width, height int, fps float64) (*Writer, error) {
	if width <= 0 || height <= 0 || width > math.MaxInt32 || height > math.MaxInt32 || !(fps > 0 && fps <= 1000) {
		return nil, fmt.Errorf("avi: bad video %dx%d at %g fps", width, height, fps)
	}
	a := &Writer{w: w, info: Info{Width: width, Height: height, FPS: fps}}
	le := binary.LittleEndian
	b := make([]byte, 0, headersLength+12)
	u32 := func(v uint32) { b = le.AppendUint32(b, v) }
	tag := func(s string) { b = append(b, s...) }
	// The rate as a fraction: fps × 1000 over 1000.
	rate, scale := uint32(math.Round(fps*1000)), uint32(1000)

	tag("RIFF")
	u32(0) // filled in by Close
	tag("AVI ")
	tag("LIST")
	u32(4 + 8 + 56 + 12 + 8 + 56 + 8 + 40)
	tag("hdrl")
	tag("avih")
	u32(56)
	u32(uint32(math.Round(1e6 / fps))) // dwMicroSecPerFrame
	u32(0)                             // dwMaxBytesPerSec
	u32(0)                             // dwPaddingGranularity
	u32(0x10)                          // dwFlags: AVIF_HASINDEX
	u32(0)                             // dwTotalFrames, filled in by Close
	u32(0)                             // dwInitialFrames
	u32(1)                             // dwStreams
	u32(0)                             // dwSuggestedBufferSize, filled in by Close
	u32(uint32(width))
	u32(uint32(height))
	b = append(b, make([]byte, 16)...) // dwReserved
	tag("LIST")
	u32(4 + 8 + 56 + 8 + 40)
	tag("strl")
	tag("strh")
	u32(56)
	tag("vids")
	tag("MJPG")
	u32(0) // dwFlags
	u32(0) // wPriority, wLanguage
	u32(0) // dwInitialFrames
	u32(scale)
	u32(rate)
	u32(0) // dwStart
	u32(0) // dwLength, filled in by Close
	u32(0) // dwSuggestedBufferSize, filled in by Close
	u32(math.MaxUint32)
	u32(0)                    // dwSampleSize
	b = append(b, 0, 0, 0, 0) // rcFrame left, top
	b = le.AppendUint16(b, uint16(min(width, math.MaxUint16)))
	b = le.AppendUint16(b, uint16(min(height, math.MaxUint16)))
	tag("strf")
	u32(40)
	u32(40) // biSize
	u32(uint32(width))
	u32(uint32(height))
	b = le.AppendUint16(b, 1)  // biPlanes
	b = le.AppendUint16(b, 24) // biBitCount
	tag("MJPG")
	u32(uint32(width * height * 3))
	b = append(b, make([]byte, 16)...) // resolution and palette
	tag("LIST")
	u32(0) // filled in by Close
	tag("movi")
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	a.pos = int64(len(b))
	return a, nil
}

// Write adds one frame, a whole JPEG.
func (a *Writer) Write(jpeg []byte) error {
	if a.err != nil {
		return a.err
	}
	if len(jpeg) == 0 || len(jpeg) > MaxFrameBytes {
		return fmt.Errorf("avi: a frame of %d bytes (1..%d)", len(jpeg), MaxFrameBytes)
	}
	le := binary.LittleEndian
	size := uint32(len(jpeg))
	// idx1 offsets count from the movi list's type field.
	a.index = append(a.index, "00dc"...)
	a.index = le.AppendUint32(a.index, 0x10) // AVIIF_KEYFRAME
	a.index = le.AppendUint32(a.index, uint32(a.pos-(headersLength+8)))
	a.index = le.AppendUint32(a.index, size)
	chunk := append(le.AppendUint32([]byte("00dc"), size), jpeg...)
	if size&1 == 1 {
		chunk = append(chunk, 0)
	}
	if _, err := a.w.Write(chunk); err != nil {
		a.err = err
		return err
	}
	a.pos += int64(len(chunk))
	a.largest = max(a.largest, size)
	a.frames++
	return nil
}

// Close writes the index and fills in the sizes; it does not close the
// underlying writer.
func (a *Writer) Close() error {
	if a.err != nil {
		return a.err
	}
	if a.frames == 0 {
		return errors.New("avi: no frame written")
	}
	le := binary.LittleEndian
	moviEnd := a.pos
	if _, err := a.w.Write(append(le.AppendUint32([]byte("idx1"), uint32(len(a.index))), a.index...)); err != nil {
		return err
	}
	end := moviEnd + 8 + int64(len(a.index))
	if end > math.MaxUint32 {
		return errors.New("avi: over 4 GiB, beyond AVI 1.0")
	}
	for _, f := range []struct {
		at int64
		v  uint32
	}{
		{riffSizeAt, uint32(end - 8)},
		{avihFramesAt, a.frames},
		{avihBufferAt, a.largest},
		{strhLengthAt, a.frames},
		{strhBufferAt, a.largest},
		{moviSizeAt, uint32(moviEnd - moviSizeAt - 4)},
	} {
		if _, err := a.w.Seek(f.at, io.SeekStart); err != nil {
			return err
		}
		if _, err := a.w.Write(le.AppendUint32(nil, f.v)); err != nil {
			return err
		}
	}
	_, err := a.w.Seek(end, io.SeekStart)
	return err
}
