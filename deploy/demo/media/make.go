//go:build ignore && vision

// Makes the demo's sample media from the shared face dataset: the video the
// demo camera plays (sample.avi) and one enrolment photo per delegate. Run
// from the repository root, with ../shared beside it:
//
//	go run -tags vision deploy/demo/media/make.go
package main

import (
	"fmt"
	"image/color"
	"io"
	"log"
	"os"
	"path/filepath"

	"gocv.io/x/gocv"

	"github.com/roomgate/roomgate/vision/camera"

	"github.com/roomgate/roomgate/vision/face"
)

const (
	fps     = 5
	seconds = 2.4 // each person in front of the camera
	gap     = 1.4 // an empty doorway between them, longer than the tracker's lost time
)

// visitors walk past the camera in this order; the last is not enrolled.
var visitors = []string{"obama/obama2.jpg", "kit_harington/john2.jpeg", "rose_leslie/img2.jpg", "anthony_hopkins/Anthony_Hopkins_0002.jpg"}

// enrol is one photo per delegate, other photos than the video's.
var enrol = map[string]string{"P-obama": "obama/obama.jpg", "P-kit": "kit_harington/john1.jpeg", "P-rose": "rose_leslie/img1.jpg"}

func main() {
	src := filepath.Join("..", "shared", "datasets", "known_faces_small")
	out := filepath.Join("deploy", "demo", "media")
	w, err := camera.CreateVideo(filepath.Join(out, "sample.avi"), 640, 480, fps)
	if err != nil {
		log.Fatal(err)
	}
	blank := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(60, 60, 60, 0), 480, 640, gocv.MatTypeCV8UC3)
	defer blank.Close()
	for _, v := range visitors {
		frame := letterbox(filepath.Join(src, v))
		for range int(seconds * fps) {
			must(w.Write(frame))
		}
		frame.Close()
		for range int(gap * fps) {
			must(w.Write(blank))
		}
	}
	must(w.Close())
	for id, photo := range enrol {
		copyFile(filepath.Join(src, photo), filepath.Join(out, "enrol", id+filepath.Ext(photo)))
	}
	fmt.Println("wrote", out)
}

// letterbox scales a photo into a 640×480 frame, as a camera at a door sees a person.
func letterbox(path string) gocv.Mat {
	img, err := face.ReadImage(path, face.DefaultLimits)
	must(err)
	defer img.Close()
	return face.Letterbox(img, 640, 480, color.RGBA{R: 60, G: 60, B: 60})
}

func copyFile(from, to string) {
	must(os.MkdirAll(filepath.Dir(to), 0o755))
	in, err := os.Open(from)
	must(err)
	defer in.Close()
	out, err := os.Create(to)
	must(err)
	_, err = io.Copy(out, in)
	must(err)
	must(out.Close())
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
