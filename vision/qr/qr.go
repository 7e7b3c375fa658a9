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
	"github.com/makiuchi-d/gozxing/multi"
	multiqr "github.com/makiuchi-d/gozxing/multi/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// Reader decodes one camera's frames. A code held in front of the camera
// is in many frames: the same text is reported once until it has been out
// of sight for Repeat. It is not safe for concurrent use.
type Reader struct {
	Repeat time.Duration

	r      gozxing.Reader
	multi  multi.MultipleBarcodeReader
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
		multi:  multiqr.NewQRCodeMultiReader(),
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
	bmp, err := gozxing.NewBinaryBitmapFromImage(frame)
	if err != nil {
		return "", err
	}
	res, err := q.r.Decode(bmp, q.hints)
	if err != nil {
		// The single reader takes the first three finder-like patterns it
		// trusts, and data modules that look like one mislead it: about 2 %
		// of claims and passes (version 12 codes) did not decode from a
		// perfect image. The multi reader weighs every triple; it is not
		// tried where the scan found fewer than three (gozxing 0.1.1 says
		// "startSize"), as in most frames, which would only cost it again.
		if strings.Contains(err.Error(), "startSize") {
			return "", err
		}
		all, merr := q.multi.DecodeMultiple(bmp, q.hints)
		if merr != nil || len(all) == 0 {
			return "", err
		}
		res = all[0]
	}
	if res.GetText() == "" {
		return "", errors.New("qr: empty code")
	}
	return res.GetText(), nil
}
