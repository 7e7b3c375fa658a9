package avi

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// MaxFrameBytes bounds one frame read from a file: a hostile or corrupt
// file must not make the reader allocate what its chunk header claims.
const MaxFrameBytes = 16 << 20

// ErrNotMJPEG says the file is an AVI whose video is not Motion JPEG.
var ErrNotMJPEG = errors.New("avi: the video stream is not Motion JPEG")

// Reader plays the first video stream of an MJPEG AVI, frame by frame,
// from its start again after its end.
type Reader struct {
	r      io.ReadSeeker
	info   Info
	tag    [2][4]byte // the stream's chunk ids: NNdc and NNdb
	size   int64      // of the file
	movi   int64      // where the movi list's chunks start
	end    int64      // and where they end
	at     int64      // the next chunk
	frames int        // read since the last return to the start
}

// Info is what the file's headers say.
type Info struct {
	Width, Height int
	FPS           float64 // 0 when the headers do not say
}

// NewReader reads the headers of an AVI. It fails on anything but an AVI
// (RIFF "AVI ") with a Motion JPEG video stream.
func NewReader(r io.ReadSeeker) (*Reader, error) {
	size, err := r.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	var head [12]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, fmt.Errorf("avi: reading the file header: %w", err)
	}
	if string(head[0:4]) != "RIFF" || string(head[8:12]) != "AVI " {
		return nil, errors.New("avi: not an AVI file (no RIFF AVI header)")
	}
	end := 8 + int64(binary.LittleEndian.Uint32(head[4:8]))
	a := &Reader{r: r, size: size}
	stream := -1
	for pos := int64(12); pos+8 <= end; {
		id, size, err := a.chunkAt(pos)
		if err != nil {
			return nil, err
		}
		body := pos + 8
		if id == "LIST" && size >= 4 {
			kind, err := a.read(body, 4)
			if err != nil {
				return nil, err
			}
			switch string(kind) {
			case "hdrl":
				if stream, err = a.headers(body+4, body+size); err != nil {
					return nil, err
				}
			case "movi":
				a.movi, a.end = body+4, body+size
			}
		}
		if a.movi > 0 {
			break
		}
		pos = body + size + size&1
	}
	switch {
	case stream < 0:
		return nil, errors.New("avi: no video stream in the headers")
	case a.movi == 0:
		return nil, errors.New("avi: no movi list (no frames)")
	}
	copy(a.tag[0][:], fmt.Sprintf("%02ddc", stream))
	copy(a.tag[1][:], fmt.Sprintf("%02ddb", stream))
	a.at = a.movi
	return a, nil
}

// Info returns what the headers say.
func (a *Reader) Info() Info { return a.info }

// headers reads hdrl's avih and the strl lists, returning the index of the
// first video stream.
func (a *Reader) headers(pos, end int64) (int, error) {
	index := 0
	for pos+8 <= end {
		id, size, err := a.chunkAt(pos)
		if err != nil {
			return -1, err
		}
		body := pos + 8
		switch {
		case id == "avih" && size >= 40:
			b, err := a.read(body, 40)
			if err != nil {
				return -1, err
			}
			if us := binary.LittleEndian.Uint32(b[0:4]); us > 0 {
				a.info.FPS = 1e6 / float64(us)
			}
			a.info.Width, a.info.Height = int(binary.LittleEndian.Uint32(b[32:36])), int(binary.LittleEndian.Uint32(b[36:40]))
		case id == "LIST" && size >= 4:
			kind, err := a.read(body, 4)
			if err != nil {
				return -1, err
			}
			if string(kind) == "strl" {
				video, err := a.stream(body+4, body+size)
				if err != nil {
					return -1, err
				}
				if video {
					return index, nil
				}
				index++
			}
		}
		pos = body + size + size&1
	}
	return -1, nil
}

// stream reads one strl list: whether it is the video stream, and if so
// its rate, checking that it is Motion JPEG.
func (a *Reader) stream(pos, end int64) (bool, error) {
	for pos+8 <= end {
		id, size, err := a.chunkAt(pos)
		if err != nil {
			return false, err
		}
		if id == "strh" && size >= 28 {
			b, err := a.read(pos+8, 28)
			if err != nil {
				return false, err
			}
			if string(b[0:4]) != "vids" {
				return false, nil
			}
			if h := bytes.ToUpper(b[4:8]); string(h) != "MJPG" && string(h) != "\x00\x00\x00\x00" {
				return false, fmt.Errorf("%w: its codec is %q", ErrNotMJPEG, b[4:8])
			}
			if scale, rate := binary.LittleEndian.Uint32(b[20:24]), binary.LittleEndian.Uint32(b[24:28]); scale > 0 && rate > 0 {
				a.info.FPS = float64(rate) / float64(scale)
			}
			return true, nil
		}
		pos += 8 + size + size&1
	}
	return false, nil
}

// Next returns the next frame's JPEG, starting again from the first frame
// after the last. The slice is valid until the next call.
func (a *Reader) Next(buf []byte) ([]byte, error) {
	for {
		if a.at+8 > a.end {
			if a.frames == 0 {
				return nil, errors.New("avi: no video frame in the file")
			}
			a.at, a.frames = a.movi, 0
		}
		id, size, err := a.chunkAt(a.at)
		if cutShort(err) && a.frames > 0 {
			a.end = a.at // a file copied in part: play what is there
			continue
		}
		if err != nil {
			return nil, err
		}
		body := a.at + 8
		a.at = body + size + size&1
		switch {
		case id == "LIST": // a "rec " group: its chunks are read in turn
			a.at = body + 4
		case id == string(a.tag[0][:]) || id == string(a.tag[1][:]):
			if size > MaxFrameBytes {
				return nil, fmt.Errorf("avi: a frame of %d bytes (limit %d)", size, MaxFrameBytes)
			}
			if body+size > a.size && a.frames > 0 {
				a.end = body - 8 // a file copied in part: play what is there
				continue
			}
			if cap(buf) < int(size) {
				buf = make([]byte, size)
			}
			buf = buf[:size]
			if _, err := a.r.Seek(body, io.SeekStart); err != nil {
				return nil, err
			}
			if _, err := io.ReadFull(a.r, buf); err != nil {
				return nil, fmt.Errorf("avi: frame cut short: %w", err)
			}
			if size == 0 {
				continue // a dropped frame: repeat nothing
			}
			a.frames++
			return buf, nil
		}
	}
}

// chunkAt reads the id and size of the chunk at pos. A size that runs
// past the file is the file's fault, and reported when its data is read.
func (a *Reader) chunkAt(pos int64) (string, int64, error) {
	b, err := a.read(pos, 8)
	if err != nil {
		return "", 0, err
	}
	return string(b[0:4]), int64(binary.LittleEndian.Uint32(b[4:8])), nil
}

func cutShort(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

func (a *Reader) read(pos int64, n int) ([]byte, error) {
	if _, err := a.r.Seek(pos, io.SeekStart); err != nil {
		return nil, err
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(a.r, b); err != nil {
		return nil, fmt.Errorf("avi: cut short at byte %d: %w", pos, err)
	}
	return b, nil
}
