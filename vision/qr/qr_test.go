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

// TestCodesThatMisleadTheFinder: claims (and passes) that gozxing's single
// QR reader cannot find in a perfect frame, one in about 40 of random
// 259-character claims, are read; and so is every one of a random sweep.
func TestCodesThatMisleadTheFinder(t *testing.T) {
	misleading := []string{
		"RGCLAIM1:x9DuSTapLkHD2mPuvbSGNN_gDv_OwdxACPT8xl0syswcnfYmdo-B-q8QKb9EGnMo9lsByu8lK0QIsCrOurUVoSDj-oKpu2rCZbyk3M3U3i91JxQmrkGWtJ9mF0KdJeKdUnszoH4pd7mrAgNPKDUXshpKjmc7X92swkJ_tIeT40EX2wjcHDAEraO9BNzdhvbsub6C5fkjmuxTBs1vnpNUd1mGZIHVJeR9xpqJjSmAJuyXxBLWptGMn5cD9j",
		"RGCLAIM1:oo5pX7K9a5ru2Ow0rFz-zMQx9FvtEsGA6u8zsAAS9iCjr6WzqGHu7r3hxiIeUSSRyUA7jX4aKmJmMrQyooGJMq_1aQOf_Pqm0pLWGBPqJWePAsKBPrVnvt8osDHinXMvK6KynvJO40pimWwUXw4OMdPIeZLelKs3y3HmrOl5i89J4HIQCg4y4XR4yFd_eCOFAoXHod3qnx1Xy1MwZVhw3-kbaPDa1Ks38XLXbpg3AHQoJXcjUQVRGXHVi8",
	}
	rnd := rand.New(rand.NewPCG(16, 2))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for range 60 {
		b := make([]byte, 250)
		for i := range b {
			b[i] = alphabet[rnd.IntN(len(alphabet))]
		}
		misleading = append(misleading, "RGCLAIM1:"+string(b))
	}
	for i, text := range misleading {
		code, err := qrcode.New(text, qrcode.Medium)
		if err != nil {
			t.Fatal(err)
		}
		f := image.NewGray(image.Rect(0, 0, 640, 480))
		draw.Draw(f, f.Bounds(), image.NewUniform(image.White), image.Point{}, draw.Src)
		draw.Draw(f, image.Rect(100, 20, 540, 460), code.Image(440), image.Point{}, draw.Src)
		if got, ok := NewReader(time.Second).Scan(f, time.Now()); !ok || got != text {
			t.Errorf("code %d (%d characters) not read: %q, %v", i, len(text), got, ok)
		}
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
