//go:build vision

package face

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
	"testing"

	"gocv.io/x/gocv"
)

// generic hides an image's type, so FromImage takes its img.At path.
type generic struct{ image.Image }

type subImager interface {
	SubImage(image.Rectangle) image.Image
}

// TestFromImage checks each fast path against the generic conversion,
// pixel for pixel, on random pixels in a rectangle of odd size off the
// origin, whole and as a sub-image (whose stride is wider than a row).
func TestFromImage(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	random := func(b []byte) {
		for i := range b {
			b[i] = uint8(rng.Uint32())
		}
	}
	r := image.Rect(-3, 5, 34, 26)
	var images []image.Image
	for _, ratio := range []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	} {
		m := image.NewYCbCr(r, ratio)
		random(m.Y)
		random(m.Cb)
		random(m.Cr)
		images = append(images, m)
	}
	gray, rgba, nrgba := image.NewGray(r), image.NewRGBA(r), image.NewNRGBA(r)
	random(gray.Pix)
	random(rgba.Pix) // includes colour above alpha, which no encoder makes, to pin the rounding
	random(nrgba.Pix)
	pal := image.NewPaletted(r, color.Palette{color.RGBA{200, 10, 10, 255}, color.NRGBA{10, 200, 10, 100}, color.Gray{77}})
	for i := range pal.Pix {
		pal.Pix[i] = uint8(rng.IntN(len(pal.Palette)))
	}
	images = append(images, gray, rgba, nrgba, pal)

	for _, img := range images {
		sub := img.(subImager).SubImage(image.Rect(-1, 8, 30, 21))
		for _, img := range []image.Image{img, sub} {
			name := fmt.Sprintf("%T %v", img, img.Bounds())
			if y, ok := img.(*image.YCbCr); ok {
				name += " " + y.SubsampleRatio.String()
			}
			got, want := FromImage(img), FromImage(generic{img})
			if got.Cols() != img.Bounds().Dx() || got.Rows() != img.Bounds().Dy() || got.Type() != gocv.MatTypeCV8UC3 {
				t.Errorf("FromImage(%s) = %dx%d %v, want %v CV_8UC3", name, got.Cols(), got.Rows(), got.Type(), img.Bounds().Size())
			} else if !bytes.Equal(got.ToBytes(), want.ToBytes()) {
				t.Errorf("FromImage(%s) differs from the generic conversion", name)
			}
			got.Close()
			want.Close()
		}
	}
}

// TestFromImageGeneric checks the generic path itself, on a type with no
// fast path, against image/color's conversion.
func TestFromImageGeneric(t *testing.T) {
	img := image.NewCMYK(image.Rect(0, 0, 5, 3))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 37)
	}
	m := FromImage(img)
	defer m.Close()
	for y := range 3 {
		for x := range 5 {
			c := img.CMYKAt(x, y)
			r, g, b := color.CMYKToRGB(c.C, c.M, c.Y, c.K)
			if v := m.GetVecbAt(y, x); v[0] != b || v[1] != g || v[2] != r {
				t.Errorf("FromImage(CMYK) at %d,%d = BGR %v, want %d,%d,%d", x, y, v, b, g, r)
			}
		}
	}
}
