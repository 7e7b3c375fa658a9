//go:build vision

package face

import (
	"image"
	"image/color"

	"gocv.io/x/gocv"
)

// FromImage copies img into an 8-bit BGR Mat (CV_8UC3) the caller closes.
// Alpha is dropped and the colour kept un-premultiplied, as OpenCV's
// IMREAD_COLOR read a PNG with transparency. The types Go's PNG decoder
// returns most have fast paths; others (a CMYK JPEG, 16-bit PNGs) go
// through img.At, pixel by pixel. JPEGs are libjpeg-turbo's (DecodeFrame).
func FromImage(img image.Image) gocv.Mat {
	r := img.Bounds()
	m := gocv.NewMatWithSize(r.Dy(), r.Dx(), gocv.MatTypeCV8UC3)
	if r.Empty() {
		return m
	}
	bgr, _ := m.DataPtrUint8() // fails only for a Mat that is not continuous, which a new one is
	fill := rowFiller(img)
	w := r.Dx()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		fill(bgr[(y-r.Min.Y)*w*3:][:w*3], y)
	}
	return m
}

// rowFiller returns a function that writes row y of img, as BGR, into a
// row of the Mat.
func rowFiller(img image.Image) func(bgr []byte, y int) {
	x0, w := img.Bounds().Min.X, img.Bounds().Dx()
	switch src := img.(type) {
	case *image.Gray:
		return func(bgr []byte, y int) {
			for i, v := range src.Pix[src.PixOffset(x0, y):][:w] {
				bgr[3*i], bgr[3*i+1], bgr[3*i+2] = v, v, v
			}
		}
	case *image.NRGBA:
		return func(bgr []byte, y int) {
			p := src.Pix[src.PixOffset(x0, y):][:4*w]
			for i := range w {
				bgr[3*i], bgr[3*i+1], bgr[3*i+2] = p[4*i+2], p[4*i+1], p[4*i]
			}
		}
	case *image.RGBA:
		return func(bgr []byte, y int) {
			p := src.Pix[src.PixOffset(x0, y):][:4*w]
			for i := range w {
				bgr[3*i+2], bgr[3*i+1], bgr[3*i] = unpremultiply(p[4*i], p[4*i+1], p[4*i+2], p[4*i+3])
			}
		}
	case *image.Paletted:
		pal := paletteBGR(src.Palette)
		return func(bgr []byte, y int) {
			for i, v := range src.Pix[src.PixOffset(x0, y):][:w] {
				copy(bgr[3*i:3*i+3], pal[v][:])
			}
		}
	}
	return func(bgr []byte, y int) {
		for i := range w {
			c := color.NRGBAModel.Convert(img.At(x0+i, y)).(color.NRGBA)
			bgr[3*i], bgr[3*i+1], bgr[3*i+2] = c.B, c.G, c.R
		}
	}
}

// unpremultiply is color.NRGBAModel's conversion of an 8-bit color.RGBA.
func unpremultiply(r, g, b, a uint8) (uint8, uint8, uint8) {
	switch a {
	case 0xff:
		return r, g, b
	case 0:
		return 0, 0, 0
	}
	a16 := uint32(a) * 0x101
	un := func(v uint8) uint8 { return uint8(uint32(v) * 0x101 * 0xffff / a16 >> 8) }
	return un(r), un(g), un(b)
}

// paletteBGR converts a palette once, rather than every pixel.
func paletteBGR(p color.Palette) [256][3]byte {
	var bgr [256][3]byte
	for i, c := range p[:min(len(p), 256)] {
		n := color.NRGBAModel.Convert(c).(color.NRGBA)
		bgr[i] = [3]byte{n.B, n.G, n.R}
	}
	return bgr
}
