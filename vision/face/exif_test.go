//go:build vision

package face

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// withExif returns jpg with an APP1 "Exif" segment holding tiff after its
// SOI and a JFIF APP0, where cameras put it.
func withExif(jpg, tiff []byte) []byte {
	app0 := []byte("\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
	app1 := binary.BigEndian.AppendUint16([]byte{0xff, 0xe1}, uint16(2+6+len(tiff)))
	app1 = append(append(app1, "Exif\x00\x00"...), tiff...)
	return append(append(append([]byte{0xff, 0xd8}, app0...), app1...), jpg[2:]...)
}

// orientationTIFF is a TIFF header and an IFD0 holding a Make tag, whose
// value lies after the IFD, then the Orientation tag.
func orientationTIFF(order binary.AppendByteOrder, o uint16) []byte {
	var b []byte
	if order == binary.LittleEndian {
		b = []byte("II*\x00")
	} else {
		b = []byte("MM\x00*")
	}
	b = order.AppendUint32(b, 8) // IFD0 right after the header
	b = order.AppendUint16(b, 2)
	b = order.AppendUint16(b, 0x010f) // Make: ASCII, 6 bytes at offset 38
	b = order.AppendUint16(b, 2)
	b = order.AppendUint32(b, 6)
	b = order.AppendUint32(b, 8+2+2*12+4)
	b = order.AppendUint16(b, 0x0112) // Orientation: SHORT, 1
	b = order.AppendUint16(b, 3)
	b = order.AppendUint32(b, 1)
	b = order.AppendUint16(b, o)
	b = order.AppendUint16(b, 0)
	b = order.AppendUint32(b, 0) // no IFD1
	return append(b, "Phone\x00"...)
}

// cornerMarked is 48x32, grey but for a red block at the top left and a
// blue one at the top right, on 16x16 boundaries so JPEG's chroma
// subsampling keeps them apart.
func cornerMarked(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 48, 32))
	for y := range 32 {
		for x := range 48 {
			c := color.RGBA{128, 128, 128, 255}
			switch {
			case y < 16 && x < 16:
				c = color.RGBA{255, 0, 0, 255}
			case y < 16 && x >= 32:
				c = color.RGBA{0, 0, 255, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDecodeImageOrientation(t *testing.T) {
	type corner int
	const (
		topLeft corner = iota
		topRight
		bottomRight
		bottomLeft
	)
	// Where the stored top-left (red) and top-right (blue) corners are
	// shown, from the EXIF specification's description of each value.
	for _, tc := range []struct {
		o         uint16
		red, blue corner
	}{
		{1, topLeft, topRight},
		{2, topRight, topLeft},
		{3, bottomRight, bottomLeft},
		{4, bottomLeft, bottomRight},
		{5, topLeft, bottomLeft},
		{6, topRight, bottomRight},
		{7, bottomRight, topRight},
		{8, bottomLeft, topLeft},
	} {
		for _, order := range []binary.AppendByteOrder{binary.LittleEndian, binary.BigEndian} {
			m, err := DecodeImage(withExif(cornerMarked(t), orientationTIFF(order, tc.o)), DefaultLimits)
			if err != nil {
				t.Fatalf("orientation %d, %v: DecodeImage = %v", tc.o, order, err)
			}
			w, h := 48, 32
			if tc.o >= 5 {
				w, h = h, w
			}
			if m.Cols() != w || m.Rows() != h {
				t.Errorf("orientation %d, %v: DecodeImage = %dx%d, want %dx%d", tc.o, order, m.Cols(), m.Rows(), w, h)
				m.Close()
				continue
			}
			at := func(c corner) (b, g, r uint8) {
				x, y := []int{8, w - 8, w - 8, 8}[c], []int{8, 8, h - 8, h - 8}[c]
				v := m.GetVecbAt(y, x)
				return v[0], v[1], v[2]
			}
			if b, g, r := at(tc.red); r < 200 || g > 60 || b > 60 {
				t.Errorf("orientation %d, %v: red corner at %d is BGR %d,%d,%d", tc.o, order, tc.red, b, g, r)
			}
			if b, g, r := at(tc.blue); b < 200 || g > 60 || r > 60 {
				t.Errorf("orientation %d, %v: blue corner at %d is BGR %d,%d,%d", tc.o, order, tc.blue, b, g, r)
			}
			m.Close()
		}
	}
}

// TestExifOrientationHostile feeds EXIF blocks that lie about their
// offsets and sizes: each must read as orientation 1 and leave the image
// as stored.
func TestExifOrientationHostile(t *testing.T) {
	le := binary.LittleEndian
	good := orientationTIFF(le, 6)
	ifdAt := func(off uint32) []byte { return le.AppendUint32([]byte("II*\x00"), off) }
	count := func(n uint16) []byte { return le.AppendUint16(append([]byte(nil), good[:8]...), n) }
	for _, tc := range []struct {
		name string
		jpg  []byte
	}{
		{"no exif", encodeJPEG(t, 48, 32)},
		{"empty exif", withExif(encodeJPEG(t, 48, 32), nil)},
		{"header only", withExif(encodeJPEG(t, 48, 32), good[:8])},
		{"bad byte order", withExif(encodeJPEG(t, 48, 32), append([]byte("IM*\x00"), good[4:]...))},
		{"ifd0 past the end", withExif(encodeJPEG(t, 48, 32), ifdAt(1<<31))},
		{"ifd0 at 2^32-1", withExif(encodeJPEG(t, 48, 32), ifdAt(1<<32-1))},
		{"entry count past the end", withExif(encodeJPEG(t, 48, 32), count(0xffff))},
		{"entries cut short", withExif(encodeJPEG(t, 48, 32), good[:8+2+12+8])},
		{"orientation 0", withExif(encodeJPEG(t, 48, 32), orientationTIFF(le, 0))},
		{"orientation 9", withExif(encodeJPEG(t, 48, 32), orientationTIFF(le, 9))},
		{"orientation 0xffff", withExif(encodeJPEG(t, 48, 32), orientationTIFF(le, 0xffff))},
		{"not exif", withExif(encodeJPEG(t, 48, 32), []byte("http://ns.adobe.com/xap/1.0/"))},
	} {
		if o := exifOrientation(tc.jpg); o != 1 {
			t.Errorf("%s: exifOrientation = %d, want 1", tc.name, o)
		}
		m, err := DecodeImage(tc.jpg, DefaultLimits)
		if err != nil {
			t.Errorf("%s: DecodeImage = %v", tc.name, err)
			continue
		}
		if m.Cols() != 48 || m.Rows() != 32 {
			t.Errorf("%s: DecodeImage = %dx%d, want 48x32 as stored", tc.name, m.Cols(), m.Rows())
		}
		m.Close()
	}
	overrun := append([]byte("\xff\xd8\xff\xe1\xff\xffExif\x00\x00"), good...)
	if o := exifOrientation(overrun); o != 1 {
		t.Errorf("APP1 overrunning the file: exifOrientation = %d, want 1", o)
	}
}

// FuzzExifOrientation checks that no JPEG header crashes the EXIF parser
// (DecodeImage reaches it only for files that decode, so it is fuzzed
// alone, many times faster).
func FuzzExifOrientation(f *testing.F) {
	jpg := []byte{0xff, 0xd8, 0xff, 0xd9}
	f.Add(withExif(jpg, orientationTIFF(binary.LittleEndian, 6)))
	f.Add(withExif(jpg, orientationTIFF(binary.BigEndian, 8)))
	f.Fuzz(func(t *testing.T, data []byte) {
		if o := exifOrientation(data); o < 1 || o > 8 {
			t.Fatalf("exifOrientation = %d, want 1..8", o)
		}
	})
}
