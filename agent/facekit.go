//go:build vision

package agent

import (
	"fmt"

	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/vision/face"
	"github.com/roomgate/roomgate/vision/gallery"
	"github.com/roomgate/roomgate/vision/models"
)

// FaceKit is the detector and recogniser a config names, loaded and
// checked: what the camera engine and enrolment share.
type FaceKit struct {
	Detector   *face.Detector
	Recognizer *face.Recognizer
	Model      string // the recogniser's name: templates are stored and searched under it
	Precision  gallery.Precision
}

// OpenFaceKit loads the models of cfg.Vision; relative model paths are
// taken from dir (the config file's directory), empty ones are the
// shipped models.
func OpenFaceKit(v config.Vision, dir string) (*FaceKit, error) {
	shipped, err := models.Dir()
	det := models.YuNet2022Mar
	if v.DetectorModel != "" {
		// Only YuNet 2022mar runs on OpenCV 4.6: the file may live
		// elsewhere, but its sha256 is the shipped one's.
		det.File = resolve(dir, v.DetectorModel)
	} else if err != nil {
		return nil, err
	}
	rec := models.MobileFaceNetY1
	rec.Name, rec.Threshold = v.RecognizerName, v.Threshold
	rec.InputWidth, rec.InputHeight = v.RecognizerInput, v.RecognizerInput
	if v.RecognizerModel != "" {
		rec.File, rec.SHA256, rec.Dim = resolve(dir, v.RecognizerModel), v.SHA256, 0
	} else if err != nil {
		return nil, err
	}
	k := &FaceKit{Model: rec.Name, Precision: gallery.Float32}
	if v.Precision == "int8" {
		k.Precision = gallery.Int8
	}
	if k.Detector, err = face.NewDetector(det, shipped, face.DetectorOptions{}); err != nil {
		return nil, err
	}
	if k.Recognizer, err = face.NewRecognizer(rec, shipped, face.RecognizerOptions{}); err != nil {
		k.Detector.Close()
		return nil, err
	}
	return k, nil
}

// Close frees the models.
func (k *FaceKit) Close() {
	k.Detector.Close()
	k.Recognizer.Close()
}

// String names the kit for logs.
func (k *FaceKit) String() string {
	return fmt.Sprintf("%s + %s", k.Detector, k.Recognizer)
}
