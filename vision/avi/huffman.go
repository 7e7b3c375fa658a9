package avi

import (
	"bytes"
	"image"
	"image/jpeg"
	"sync"
)

// Motion JPEG from many cameras (and AVI1 files) leaves out the Huffman
// tables and relies on the standard ones (JPEG Annex K.3); a plain JPEG
// decoder then refuses the frame. Go's encoder writes exactly those
// standard tables, so they are taken from one tiny image it encodes.
var standardTables = sync.OnceValue(func() []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 8, 8)), nil); err != nil { // colour: all four tables
		return nil
	}
	var tables []byte
	headerSegments(buf.Bytes(), func(marker byte, _ int, seg []byte) bool {
		if marker == 0xc4 {
			tables = append(tables, seg...)
		}
		return true
	})
	return tables
})

// WithHuffmanTables returns frame with the standard Huffman tables put in
// before its first scan when it has none of its own; otherwise frame
// itself. A frame whose header is not well formed is returned as it is,
// for the decoder to refuse.
func WithHuffmanTables(frame []byte) []byte {
	scan := -1
	headerSegments(frame, func(marker byte, at int, _ []byte) bool {
		switch marker {
		case 0xc4:
			return false
		case 0xda:
			scan = at
		}
		return true
	})
	if scan < 0 {
		return frame
	}
	tables := standardTables()
	out := make([]byte, 0, len(frame)+len(tables))
	out = append(out, frame[:scan]...)
	out = append(out, tables...)
	return append(out, frame[scan:]...)
}

// headerSegments calls fn with each marker segment (its marker, offset,
// and bytes from the marker on) from the JPEG's start up to and including
// its first scan header, until fn returns false. It stops quietly at
// anything malformed.
func headerSegments(b []byte, fn func(marker byte, at int, seg []byte) bool) {
	if len(b) < 2 || b[0] != 0xff || b[1] != 0xd8 {
		return
	}
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xff {
			return
		}
		if b[i+1] == 0xff { // fill byte
			i++
			continue
		}
		n := int(b[i+2])<<8 | int(b[i+3])
		if n < 2 || i+2+n > len(b) {
			return
		}
		if !fn(b[i+1], i, b[i:i+2+n]) || b[i+1] == 0xda {
			return
		}
		i += 2 + n
	}
}
