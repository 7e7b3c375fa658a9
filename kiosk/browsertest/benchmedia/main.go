//go:build vision

// Command benchmedia makes the greeting benchmark's camera video and
// enrolment set from the shared LFW crops: N people, each with one photo to
// enrol and another that walks past the camera, so that every pass of the
// video is N distinct check-ins. Run from the repository root, with
// ../shared beside it:
//
//	go run -tags vision ./kiosk/browsertest/benchmedia -people 60 -out /tmp/bench
//
// It writes bench.avi (MJPG, 640×480), enrol/<id>.png and people.csv
// (id,name,unit,photo, for roomgate enroll --csv).
package main

import (
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gocv.io/x/gocv"

	"github.com/roomgate/roomgate/vision/camera"

	"github.com/roomgate/roomgate/vision/face"
)

func main() {
	if err := run(); err != nil {
		log.Fatal("benchmedia: ", err)
	}
}

func run() error {
	people := flag.Int("people", 60, "how many people pass the camera, each once per pass of the video")
	out := flag.String("out", "", "folder to write into (required)")
	dataset := flag.String("dataset", filepath.Join("..", "shared", "datasets", "lfw_112x112", "images"), "LFW crops, one folder per person")
	fps := flag.Int("fps", 5, "frames per second, the demo camera's max_fps")
	seconds := flag.Float64("seconds", 2.0, "how long each person stands in front of the camera")
	gap := flag.Float64("gap", 1.2, "empty doorway between two people; longer than the tracker's lost time (1 s)")
	flag.Parse()
	if *out == "" || *people < 1 {
		flag.Usage()
		return errors.New("-out and -people are required")
	}
	names, err := twoPhotoPeople(*dataset, *people)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(*out, "enrol"), 0o755); err != nil {
		return err
	}
	w, err := camera.CreateVideo(filepath.Join(*out, "bench.avi"), 640, 480, float64(*fps))
	if err != nil {
		return err
	}
	grey := gocv.NewScalar(60, 60, 60, 0)
	blank := gocv.NewMatWithSizeFromScalar(grey, 480, 640, gocv.MatTypeCV8UC3)
	defer blank.Close()

	f, err := os.Create(filepath.Join(*out, "people.csv"))
	if err != nil {
		return err
	}
	defer f.Close()
	cw := csv.NewWriter(f)
	cw.Write([]string{"id", "name", "unit", "photo"})
	for i, name := range names {
		id := fmt.Sprintf("B-%03d", i+1)
		dir := filepath.Join(*dataset, name)
		// The first photo is enrolled, the second walks past the camera.
		if err := enrolPhoto(filepath.Join(dir, name+"_0001.jpg"), filepath.Join(*out, "enrol", id+".png")); err != nil {
			return err
		}
		frame, err := doorway(filepath.Join(dir, name+"_0002.jpg"), grey)
		if err != nil {
			return err
		}
		for range int(*seconds * float64(*fps)) {
			if err := w.Write(frame); err != nil {
				frame.Close()
				return err
			}
		}
		frame.Close()
		for range int(*gap * float64(*fps)) {
			if err := w.Write(blank); err != nil {
				return err
			}
		}
		cw.Write([]string{id, strings.ReplaceAll(name, "_", " "), fmt.Sprintf("Đoàn %d", i%10+1), filepath.Join("enrol", id+".png")})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	fmt.Printf("benchmedia: %d people, %.0f s per pass, in %s\n", len(names), float64(len(names))*(*seconds+*gap), *out)
	return f.Close()
}

// twoPhotoPeople are the first n people, by name, with at least two photos.
func twoPhotoPeople(dataset string, n int) ([]string, error) {
	entries, err := os.ReadDir(dataset)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(dataset, e.Name(), e.Name()+"_0002.jpg")); err == nil {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	if len(names) < n {
		return nil, fmt.Errorf("%s has %d people with two photos, want %d", dataset, len(names), n)
	}
	return names[:n], nil
}

// enrolPhoto pads a tight 112×112 crop so the detector sees a whole head,
// as it would in a photo, and writes it losslessly.
func enrolPhoto(from, to string) error {
	img, err := face.ReadImage(from, face.DefaultLimits)
	if err != nil {
		return err
	}
	defer img.Close()
	padded := gocv.NewMat()
	defer padded.Close()
	gocv.CopyMakeBorder(img, &padded, 56, 56, 56, 56, gocv.BorderConstant, color.RGBA{R: 60, G: 60, B: 60})
	encoded, err := face.EncodePNG(padded)
	if err != nil {
		return err
	}
	return os.WriteFile(to, encoded, 0o644)
}

// doorway puts a crop, unscaled (scaling would blur it below the quality
// gate's sharpness), in the middle of a 640×480 frame: a face about 110 px
// wide, as a door camera sees someone a metre or two away.
func doorway(path string, fill gocv.Scalar) (gocv.Mat, error) {
	img, err := face.ReadImage(path, face.DefaultLimits)
	if err != nil {
		return gocv.Mat{}, err
	}
	defer img.Close()
	frame := gocv.NewMatWithSizeFromScalar(fill, 480, 640, gocv.MatTypeCV8UC3)
	x, y := (640-img.Cols())/2, (480-img.Rows())/2
	roi := frame.Region(image.Rect(x, y, x+img.Cols(), y+img.Rows()))
	defer roi.Close()
	img.CopyTo(&roi)
	return frame, nil
}
