//go:build vision

package face

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"github.com/roomgate/roomgate/internal/shared"
)

func sha256File(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func testPicture(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.Set(x, y, color.RGBA{uint8(x * 7), uint8(y * 5), uint8(x ^ y), 255})
		}
	}
	return m
}

func encodeJPEG(t testing.TB, w, h int) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testPicture(w, h), &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodePNG(t testing.TB, w, h int) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, testPicture(w, h)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngHeaderOnly is a PNG signature and a valid IHDR claiming w x h, with
// no image data: a decompression-bomb stand-in.
func pngHeaderOnly(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk := append([]byte("IHDR"), ihdr...)
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// otherImage is an encoding DecodeImage must read besides encodeJPEG's
// and encodePNG's.
type otherImage struct {
	name string
	data []byte
	w, h int
}

// otherImages returns a grey PNG, a 16-bit PNG, a paletted PNG with a
// transparent entry, a grey JPEG and a progressive JPEG (made once by
// OpenCV: Go's encoder writes baseline only).
func otherImages(t testing.TB) []otherImage {
	encode := func(img image.Image) []byte {
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	pal := image.NewPaletted(image.Rect(0, 0, 9, 5), color.Palette{color.RGBA{200, 10, 10, 255}, color.NRGBA{10, 200, 10, 0}})
	pal.Pix[3] = 1
	var grey bytes.Buffer
	if err := jpeg.Encode(&grey, image.NewGray(image.Rect(0, 0, 24, 8)), nil); err != nil {
		t.Fatal(err)
	}
	progressive, err := os.ReadFile("testdata/progressive.jpg")
	if err != nil {
		t.Fatal(err)
	}
	return []otherImage{
		{"grey png", encode(image.NewGray(image.Rect(0, 0, 20, 10))), 20, 10},
		{"16-bit png", encode(image.NewRGBA64(image.Rect(0, 0, 12, 8))), 12, 8},
		{"paletted png", encode(pal), 9, 5},
		{"grey jpeg", grey.Bytes(), 24, 8},
		{"progressive jpeg", progressive, 40, 30},
	}
}

func TestDecodeImage(t *testing.T) {
	cases := []otherImage{
		{"jpeg", encodeJPEG(t, 64, 48), 64, 48},
		{"png", encodePNG(t, 33, 17), 33, 17},
		{"jpeg with trailing bytes", append(encodeJPEG(t, 16, 16), "camera trailer"...), 16, 16},
	}
	for _, tc := range append(cases, otherImages(t)...) {
		m, err := DecodeImage(tc.data, DefaultLimits)
		if err != nil {
			t.Errorf("%s: DecodeImage = %v", tc.name, err)
			continue
		}
		if m.Cols() != tc.w || m.Rows() != tc.h || m.Type() != gocv.MatTypeCV8UC3 {
			t.Errorf("%s: DecodeImage = %dx%dx%d, want %dx%dx3", tc.name, m.Cols(), m.Rows(), m.Channels(), tc.w, tc.h)
		}
		m.Close()
	}
	if p, err := filepath.Glob(filepath.Join(shared.Need(t, "datasets/known_faces_small"), "obama", "*.jpg")); err == nil {
		for _, f := range p {
			readImage(t, f) // real photos, progressive and baseline, decode
		}
	}
}

// TestDecodeImageTruncated cuts JPEGs at every length: none may decode
// (libjpeg made a grey-bottomed image of one).
func TestDecodeImageTruncated(t *testing.T) {
	progressive, err := os.ReadFile("testdata/progressive.jpg")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"baseline": encodeJPEG(t, 40, 24), "progressive": progressive} {
		for n := 1; n < len(data); n++ {
			if m, err := DecodeImage(data[:n], DefaultLimits); !errors.Is(err, ErrBadImage) {
				t.Errorf("%s cut to %d of %d bytes: DecodeImage = %v, want %v", name, n, len(data), err, ErrBadImage)
				if err == nil {
					m.Close()
				}
			}
		}
	}
}

func TestDecodeImageErrors(t *testing.T) {
	j := encodeJPEG(t, 64, 48)
	p := encodePNG(t, 64, 48)
	corruptPNG := append([]byte(nil), p...)
	for i := len(corruptPNG) / 2; i < len(corruptPNG)/2+20; i++ {
		corruptPNG[i] ^= 0x5a
	}
	corruptJPEGHeader := append([]byte(nil), j...)
	corruptJPEGHeader[5] = 0x01 // first segment's length now overruns
	var g bytes.Buffer
	gif.Encode(&g, testPicture(8, 8), nil)
	photo := j
	if f, err := os.ReadFile(filepath.Join(shared.Need(t, "datasets/known_faces_small"), "obama", "obama1.jpg")); err == nil {
		photo = f
	}
	small := Limits{MaxBytes: 1 << 20, MaxPixels: 1_000_000}
	for _, tc := range []struct {
		name string
		data []byte
		lim  Limits
		want error
	}{
		{"nil", nil, DefaultLimits, ErrEmptyImage},
		{"empty", []byte{}, DefaultLimits, ErrEmptyImage},
		{"too many bytes", make([]byte, 2<<20), small, ErrImageTooLarge},
		{"too many bytes (default limit)", make([]byte, DefaultLimits.MaxBytes+1), Limits{}, ErrImageTooLarge},
		{"too many pixels (header)", pngHeaderOnly(100000, 100000), DefaultLimits, ErrImageTooLarge},
		{"too many pixels (real)", encodePNG(t, 1200, 1000), small, ErrImageTooLarge},
		{"truncated jpeg", photo[:len(photo)/2], DefaultLimits, ErrBadImage},
		{"truncated jpeg, last byte", photo[:len(photo)-1], DefaultLimits, ErrBadImage},
		{"jpeg header only", j[:20], DefaultLimits, ErrBadImage},
		{"soi only", []byte{0xff, 0xd8}, DefaultLimits, ErrBadImage},
		{"jpeg segment overruns", corruptJPEGHeader, DefaultLimits, ErrBadImage},
		{"truncated png", p[:len(p)/2], DefaultLimits, ErrBadImage},
		{"png header only", pngHeaderOnly(640, 480), DefaultLimits, ErrBadImage},
		{"corrupt png data", corruptPNG, DefaultLimits, ErrBadImage},
		{"zero-size png", pngHeaderOnly(0, 10), DefaultLimits, ErrBadImage},
		{"gif refused", g.Bytes(), DefaultLimits, ErrBadImage},
		{"text", []byte("hello, not an image"), DefaultLimits, ErrBadImage},
	} {
		m, err := DecodeImage(tc.data, tc.lim)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: DecodeImage = %v, want %v", tc.name, err, tc.want)
		}
		if err == nil {
			m.Close()
		} else {
			t.Logf("%s: %v", tc.name, err)
		}
	}
}

// FuzzDecodeImage checks that no input crashes the decoder and that what
// it accepts is a BGR image within the limits.
func FuzzDecodeImage(f *testing.F) {
	f.Add(encodeJPEG(f, 24, 16))
	f.Add(encodePNG(f, 9, 7))
	f.Add(pngHeaderOnly(320, 240))
	f.Add([]byte{0xff, 0xd8, 0xff, 0xd9})
	f.Add([]byte{})
	j := encodeJPEG(f, 40, 30)
	f.Add(j[:len(j)/2])
	for _, o := range otherImages(f) {
		f.Add(o.data)
	}
	f.Add(withExif(encodeJPEG(f, 24, 16), orientationTIFF(binary.BigEndian, 6)))
	f.Add(withExif(encodeJPEG(f, 24, 16), orientationTIFF(binary.LittleEndian, 7)))
	lim := Limits{MaxBytes: 1 << 20, MaxPixels: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeImage(data, lim)
		if err != nil {
			return
		}
		defer m.Close()
		if m.Empty() || m.Channels() != 3 || m.Rows()*m.Cols() > lim.MaxPixels {
			t.Fatalf("DecodeImage accepted %dx%dx%d", m.Cols(), m.Rows(), m.Channels())
		}
	})
}
