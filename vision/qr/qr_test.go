package qr

import (
	"image"
	"image/draw"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	qrcode "github.com/skip2/go-qrcode"
)

// frame puts a printed QR code of text into a 640×480 grey camera frame.
func frame(t *testing.T, text string) *image.Gray {
	t.Helper()
	code, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	img := code.Image(300)
	f := image.NewGray(image.Rect(0, 0, 640, 480))
	draw.Draw(f, f.Bounds(), image.NewUniform(image.White), image.Point{}, draw.Src)
	draw.Draw(f, image.Rect(170, 90, 470, 390), img, image.Point{}, draw.Src)
	return f
}

func TestScan(t *testing.T) {
	pass := "eyJhbGciOiJFZERTQSIsImtpZCI6ImNpdHktMSJ9." + strings.Repeat("x", 300) + ".sig"
	r := NewReader(5 * time.Second)
	t0 := time.Now()
	f := frame(t, pass)
	if text, ok := r.Scan(f, t0); !ok || text != pass {
		t.Fatalf("Scan(pass) = %q, %v, want the pass", text, ok)
	}
	// Still held up: not reported again, however long, while seen.
	for i := 1; i <= 20; i++ {
		if _, ok := r.Scan(f, t0.Add(time.Duration(i)*time.Second)); ok {
			t.Fatalf("the same code, still in view after %d s, was reported again", i)
		}
	}
	// Gone for longer than Repeat, then shown again: a new scan.
	empty := image.NewGray(image.Rect(0, 0, 640, 480))
	if _, ok := r.Scan(empty, t0.Add(21*time.Second)); ok {
		t.Fatal("an empty frame gave a code")
	}
	if _, ok := r.Scan(f, t0.Add(27*time.Second)); !ok {
		t.Error("the code shown again after 6 s out of view was not reported")
	}
	// Another code at once.
	if text, ok := r.Scan(frame(t, "079200001234|123456789|Nguyễn Văn An"), t0.Add(28*time.Second)); !ok || !strings.HasPrefix(text, "079200001234|") {
		t.Errorf("Scan(CCCD) = %q, %v", text, ok)
	}
}

func TestNoise(t *testing.T) {
	r := NewReader(time.Second)
	rnd := rand.New(rand.NewPCG(1, 2))
	f := image.NewGray(image.Rect(0, 0, 320, 240))
	for i := range f.Pix {
		f.Pix[i] = uint8(rnd.IntN(256))
	}
	if text, ok := r.Scan(f, time.Now()); ok {
		t.Errorf("noise decoded as %q", text)
	}
	// A damaged code: a band across the middle wiped out.
	d := frame(t, "a pass")
	for y := 200; y < 280; y++ {
		for x := 0; x < 640; x++ {
			d.Pix[y*d.Stride+x] = 255
		}
	}
	if text, ok := r.Scan(d, time.Now()); ok && text != "a pass" {
		t.Errorf("a damaged code decoded as %q", text)
	}
}
