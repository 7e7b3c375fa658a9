//go:build vision

package face

import (
	"bytes"
	"encoding/binary"

	"gocv.io/x/gocv"
)

// exifOrientation returns the Orientation tag (0x0112, 1..8) in IFD0 of a
// JPEG's EXIF block, or 1 (as stored) when there is none or it does not
// parse. Phones store a photo as the sensor saw it and say in this tag how
// to turn it. The input may be hostile: every offset is checked first.
func exifOrientation(jpg []byte) int {
	tiff := exifTIFF(jpg)
	if len(tiff) < 8 {
		return 1
	}
	var order binary.ByteOrder
	switch string(tiff[:4]) {
	case "II*\x00":
		order = binary.LittleEndian
	case "MM\x00*":
		order = binary.BigEndian
	default:
		return 1
	}
	ifd0 := order.Uint32(tiff[4:])
	if uint64(ifd0)+2 > uint64(len(tiff)) {
		return 1
	}
	n := order.Uint16(tiff[ifd0:])
	for e := tiff[ifd0+2:]; n > 0 && len(e) >= 12; n, e = n-1, e[12:] {
		if order.Uint16(e) != 0x0112 {
			continue
		}
		// A SHORT sits in the first two bytes of the value field. The type
		// is not checked, as OpenCV's reader did not.
		if o := int(order.Uint16(e[8:])); o >= 1 && o <= 8 {
			return o
		}
		return 1
	}
	return 1
}

// exifTIFF returns the TIFF block of a JPEG's first APP1 "Exif" segment,
// looking only at the segments before the first scan, where metadata is.
func exifTIFF(jpg []byte) []byte {
	if !bytes.HasPrefix(jpg, []byte{0xff, 0xd8}) {
		return nil
	}
	b := jpg[2:]
	for len(b) >= 4 && b[0] == 0xff {
		marker := b[1]
		switch marker {
		case 0xff: // fill byte
			b = b[1:]
			continue
		case 0xda, 0xd9: // SOS, EOI
			return nil
		}
		n := int(b[2])<<8 | int(b[3])
		if n < 2 || 2+n > len(b) {
			return nil
		}
		if seg := b[4 : 2+n]; marker == 0xe1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return seg[6:]
		}
		b = b[2+n:]
	}
	return nil
}

// orient turns m upright as EXIF orientation o says, with the transforms
// OpenCV's imdecode applied, and closes m when it makes a new Mat.
func orient(m gocv.Mat, o int) gocv.Mat {
	if o < 2 || o > 8 {
		return m
	}
	out := gocv.NewMat()
	switch o {
	case 2:
		gocv.Flip(m, &out, 1) // mirrored left to right
	case 3:
		gocv.Rotate(m, &out, gocv.Rotate180Clockwise)
	case 4:
		gocv.Flip(m, &out, 0) // mirrored top to bottom
	case 5:
		gocv.Transpose(m, &out)
	case 6:
		gocv.Rotate(m, &out, gocv.Rotate90Clockwise)
	case 7:
		gocv.Transpose(m, &out)
		gocv.Flip(out, &out, -1)
	case 8:
		gocv.Rotate(m, &out, gocv.Rotate90CounterClockwise)
	}
	m.Close()
	return out
}
