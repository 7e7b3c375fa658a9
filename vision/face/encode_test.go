//go:build vision

package face

import (
	"bytes"
	"image"
	"testing"

	"gocv.io/x/gocv"
)

func TestEncode(t *testing.T) {
	const maxJPEGError = 6.0
	bgr := FromImage(testPicture(37, 21))
	defer bgr.Close()
	grey := gocv.NewMat()
	defer grey.Close()
	gocv.CvtColor(bgr, &grey, gocv.ColorBGRToGray)
	region := bgr.Region(image.Rect(3, 2, 30, 19)) // not continuous
	defer region.Close()
	for _, tc := range []struct {
		name string
		m    gocv.Mat
	}{
		{"bgr", bgr},
		{"grey", grey},
		{"region", region},
	} {
		// What DecodeImage makes of a grey image is BGR with equal channels.
		want := tc.m.Clone()
		if tc.m.Channels() == 1 {
			gocv.CvtColor(tc.m, &want, gocv.ColorGrayToBGR)
		}
		p, err := EncodePNG(tc.m)
		if err != nil {
			t.Fatalf("%s: EncodePNG = %v", tc.name, err)
		}
		got, err := DecodeImage(p, DefaultLimits)
		if err != nil {
			t.Fatalf("%s: DecodeImage(EncodePNG) = %v", tc.name, err)
		}
		if !bytes.Equal(got.ToBytes(), want.ToBytes()) {
			t.Errorf("%s: DecodeImage(EncodePNG) differs from the Mat", tc.name)
		}
		got.Close()

		j, err := EncodeJPEG(tc.m, 95)
		if err != nil {
			t.Fatalf("%s: EncodeJPEG = %v", tc.name, err)
		}
		got, err = DecodeImage(j, DefaultLimits)
		if err != nil {
			t.Fatalf("%s: DecodeImage(EncodeJPEG) = %v", tc.name, err)
		}
		if got.Cols() != want.Cols() || got.Rows() != want.Rows() {
			t.Errorf("%s: DecodeImage(EncodeJPEG) = %dx%d, want %dx%d", tc.name, got.Cols(), got.Rows(), want.Cols(), want.Rows())
		} else if d := gocv.NormWithMats(got, want, gocv.NormL1) / float64(got.Total()*3); d > maxJPEGError {
			t.Errorf("%s: DecodeImage(EncodeJPEG) is off by %.1f a channel on average, want at most %v", tc.name, d, maxJPEGError)
		} else {
			t.Logf("%s: JPEG off by %.2f a channel on average", tc.name, d)
		}
		got.Close()
		want.Close()
	}
}

func TestEncodeRefuses(t *testing.T) {
	empty := gocv.NewMat()
	defer empty.Close()
	for _, typ := range []gocv.MatType{gocv.MatTypeCV8UC4, gocv.MatTypeCV8UC2, gocv.MatTypeCV16UC3, gocv.MatTypeCV32FC1} {
		m := gocv.NewMatWithSize(4, 4, typ)
		if _, err := EncodeJPEG(m, 90); err == nil {
			t.Errorf("EncodeJPEG(%v) succeeded, want an error", typ)
		}
		if _, err := EncodePNG(m); err == nil {
			t.Errorf("EncodePNG(%v) succeeded, want an error", typ)
		}
		m.Close()
	}
	if _, err := EncodeJPEG(empty, 90); err == nil {
		t.Error("EncodeJPEG(empty) succeeded, want an error")
	}
	if _, err := EncodePNG(empty); err == nil {
		t.Error("EncodePNG(empty) succeeded, want an error")
	}
}
