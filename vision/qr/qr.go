// Package qr finds and decodes QR codes in camera frames, so a box with a
// camera and no scanner still admits visitors by pass. It is pure Go
// (gozxing): Debian's OpenCV is built without a QR decoder.
package qr

import (
	"errors"
	"image"
	"strings"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// Reader decodes one camera's frames. A code held in front of the camera
// is in many frames: the same text is reported once until it has been out
// of sight for Repeat. It is not safe for concurrent use.
type Reader struct {
	Repeat time.Duration

	r      gozxing.Reader
	hints  map[gozxing.DecodeHintType]any
	last   string
	seenAt time.Time
}

// NewReader returns a reader that reports a code again only after it was
// gone for repeat.
func NewReader(repeat time.Duration) *Reader {
	return &Reader{
		Repeat: repeat,
		r:      qrcode.NewQRCodeReader(),
		hints:  map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true},
	}
}

// Scan looks for a QR code in a grey frame. It returns its text, and false
// when there is none, it does not decode, or it is the code reported last
// and still (or recently) in view.
func (q *Reader) Scan(frame *image.Gray, at time.Time) (string, bool) {
	text, err := q.decode(frame)
	if err != nil {
		return "", false
	}
	if text == q.last && at.Sub(q.seenAt) < q.Repeat {
		q.seenAt = at
		return "", false
	}
	q.last, q.seenAt = text, at
	return text, true
}

func (q *Reader) decode(frame *image.Gray) (string, error) {
	bmp, err := bitmap(frame)
	if err != nil {
		return "", err
	}
	res, err := q.r.Decode(bmp, q.hints)
	if err != nil && !strings.Contains(err.Error(), "startSize") {
		// The reader scans rows and keeps the first finder-like patterns it
		// trusts; data modules that look like one mislead it: about 2 % of
		// claims and passes (version 12 codes) did not decode from a perfect
		// image. Scanning the frame turned a quarter meets the patterns in
		// another order and reads 24 of 27 such codes. gozxing's multi
		// reader reads them all but decodes every plausible triple: a poster
		// of finder patterns cost it 1.1 s a frame. Not tried where the scan
		// found fewer than three patterns (gozxing 0.1.1 says "startSize"),
		// as in most frames.
		if turned, terr := bitmap(quarterTurn(frame)); terr == nil {
			if r, rerr := q.r.Decode(turned, q.hints); rerr == nil {
				res, err = r, nil
			}
		}
	}
	if err != nil {
		return "", err
	}
	if res.GetText() == "" {
		return "", errors.New("qr: empty code")
	}
	return res.GetText(), nil
}

// quarterTurn returns frame turned 90° clockwise.
// bitmap reads frame's pixels where they are: gozxing's image source would
// copy every frame it is given, 300 KB of garbage five times a second.
func bitmap(frame *image.Gray) (*gozxing.BinaryBitmap, error) {
	b := frame.Bounds()
	if b.Empty() {
		return nil, errors.New("qr: empty frame")
	}
	src, err := gozxing.NewPlanarYUVLuminanceSource(frame.Pix[frame.PixOffset(b.Min.X, b.Min.Y):], frame.Stride, b.Dy(), 0, 0, b.Dx(), b.Dy(), false)
	if err != nil {
		return nil, err
	}
	return gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(src))
}

func quarterTurn(frame *image.Gray) *image.Gray {
	b := frame.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dy(), b.Dx()))
	for y := range b.Dy() {
		row := frame.Pix[frame.PixOffset(b.Min.X, b.Min.Y+y):]
		for x := range b.Dx() {
			out.Pix[x*out.Stride+b.Dy()-1-y] = row[x]
		}
	}
	return out
}
