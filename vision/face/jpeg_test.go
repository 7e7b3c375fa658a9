//go:build vision

package face

import (
	"bytes"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"

	"github.com/roomgate/roomgate/internal/shared"
)

// libjpeg-turbo decodes to what Go's decoder makes of a JPEG (within
// rounding), decodes Motion JPEG frames that leave the Huffman tables out,
// and refuses a file cut short.
func TestDecodeFrame(t *testing.T) {
	frame := gocv.NewMat()
	defer frame.Close()
	photo, err := os.ReadFile(filepath.Join(shared.Need(t, "datasets/known_faces_small"), "rose_leslie/img1.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if err := DecodeFrame(photo, &frame, Limits{}); err != nil {
		t.Fatal(err)
	}
	ref, err := jpeg.Decode(bytes.NewReader(photo))
	if err != nil {
		t.Fatal(err)
	}
	want := FromImage(ref) // Go's decoder as the reference
	defer want.Close()
	diff := gocv.NewMat()
	defer diff.Close()
	gocv.AbsDiff(frame, want, &diff)
	if m := diff.Mean(); frame.Cols() != 1280 || frame.Rows() != 799 || m.Val1+m.Val2+m.Val3 > 3 {
		t.Errorf("decoded %dx%d, mean difference from Go's decoder %.2f %.2f %.2f, want 1280x799 and under 1 a channel",
			frame.Cols(), frame.Rows(), m.Val1, m.Val2, m.Val3)
	}
	if err := DecodeFrame(photo[:len(photo)/2], &frame, Limits{}); err == nil {
		t.Error("a frame cut in half decoded")
	}
	for _, bad := range [][]byte{nil, []byte("not a jpeg"), {0xff, 0xd8, 0xff}} {
		if err := DecodeFrame(bad, &frame, Limits{}); err == nil {
			t.Errorf("DecodeFrame(%q) decoded", bad)
		}
	}

	// Motion JPEG from many USB cameras leaves out the Huffman tables and
	// relies on the standard ones, which Go's encoder writes.
	std, err := EncodeJPEG(want, 90)
	if err != nil {
		t.Fatal(err)
	}
	stdRef, err := jpeg.Decode(bytes.NewReader(std))
	if err != nil {
		t.Fatal(err)
	}
	stdWant := FromImage(stdRef)
	defer stdWant.Close()
	if err := DecodeFrame(withoutHuffmanTables(t, std), &frame, Limits{}); err != nil || frame.Cols() != 1280 {
		t.Fatalf("a frame without Huffman tables: %v", err)
	}
	gocv.AbsDiff(frame, stdWant, &diff)
	if m := diff.Mean(); m.Val1+m.Val2+m.Val3 > 3 {
		t.Errorf("a frame without Huffman tables decodes to other pixels: mean difference %.2f %.2f %.2f", m.Val1, m.Val2, m.Val3)
	}
}

// withoutHuffmanTables takes the DHT segments out of a JPEG's header.
func withoutHuffmanTables(t *testing.T, b []byte) []byte {
	t.Helper()
	out := bytes.Clone(b[:2])
	for i := 2; i+4 <= len(b); {
		marker, n := b[i+1], int(b[i+2])<<8|int(b[i+3])
		if marker == 0xda { // the scan: the rest as it is
			out = append(out, b[i:]...)
			break
		}
		if marker != 0xc4 {
			out = append(out, b[i:i+2+n]...)
		}
		i += 2 + n
	}
	if len(out) >= len(b) {
		t.Fatal("the JPEG had no Huffman tables to take out")
	}
	if _, err := jpeg.Decode(bytes.NewReader(out)); err == nil {
		t.Fatal("Go decodes the JPEG without its Huffman tables: the test proves nothing")
	}
	return out
}
