package qr

import (
	"image"
	"testing"
	"time"

	qrcode "github.com/skip2/go-qrcode"
)

// FuzzScan: a camera frame is whatever is held up to the lens. No frame
// may crash the reader.
func FuzzScan(f *testing.F) {
	code, err := qrcode.New("RGCLAIM1:fuzz", qrcode.Medium)
	if err != nil {
		f.Fatal(err)
	}
	seed := image.NewGray(image.Rect(0, 0, 64, 64))
	for y := range 64 {
		for x := range 64 {
			r, g, b, _ := code.Image(64).At(x, y).RGBA()
			seed.Pix[y*64+x] = uint8((r + g + b) / 3 >> 8)
		}
	}
	f.Add(uint8(64), seed.Pix)
	f.Fuzz(func(t *testing.T, width uint8, pix []byte) {
		w := max(int(width), 1)
		h := len(pix) / w
		if h == 0 {
			return
		}
		img := &image.Gray{Pix: pix[:w*h], Stride: w, Rect: image.Rect(0, 0, w, h)}
		NewReader(time.Second).Scan(img, time.Now())
	})
}
