//go:build vision

package facekit

import (
	"fmt"
	"path/filepath"

	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/vision/face"
	"github.com/roomgate/roomgate/vision/gallery"
	"github.com/roomgate/roomgate/vision/models"
)

// Kit is the detector and recogniser a config names, loaded and checked.
type Kit struct {
	Detector   *face.Detector
	Recognizer *face.Recognizer
	Model      string // the recogniser's name: templates are stored and searched under it
	Precision  gallery.Precision
}

// Models are the detector and recogniser files cfg.Vision names, with the
// sha256 each must have, and the shipped models' directory; relative model
// paths are taken from dir (the config file's directory), empty ones are
// the shipped models.
func Models(v config.Vision, dir string) (det, rec models.Model, shipped string, err error) {
	inDir := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	shipped, err = models.Dir()
	det = models.YuNet2022Mar
	if v.DetectorModel != "" {
		// Only YuNet 2022mar runs on OpenCV 4.6: the file may live
		// elsewhere, but its sha256 is the shipped one's.
		det.File = inDir(v.DetectorModel)
	} else if err != nil {
		return det, rec, "", err
	}
	rec, ok := models.Recognizers[v.Recognizer]
	if !ok {
		return det, rec, "", fmt.Errorf("vision.recognizer %q: not a shipped model", v.Recognizer)
	}
	rec.Name, rec.Threshold = v.RecognizerName, v.Threshold
	rec.InputWidth, rec.InputHeight = v.RecognizerInput, v.RecognizerInput
	if v.RecognizerModel != "" {
		rec.File, rec.SHA256, rec.Dim = inDir(v.RecognizerModel), v.SHA256, 0
	} else if err != nil {
		return det, rec, "", err
	}
	return det, rec, shipped, nil
}

// Open loads the models of cfg.Vision (see Models).
func Open(v config.Vision, dir string) (*Kit, error) {
	det, rec, shipped, err := Models(v, dir)
	if err != nil {
		return nil, err
	}
	k := &Kit{Model: rec.Name, Precision: gallery.Float32}
	if v.Precision == "int8" {
		k.Precision = gallery.Int8
	}
	if k.Detector, err = face.NewDetector(det, shipped, face.DetectorOptions{MaxWidth: v.DetectWidth}); err != nil {
		return nil, err
	}
	if k.Recognizer, err = face.NewRecognizer(rec, shipped, face.RecognizerOptions{}); err != nil {
		k.Detector.Close()
		return nil, err
	}
	return k, nil
}

// Close frees the models.
func (k *Kit) Close() {
	k.Detector.Close()
	k.Recognizer.Close()
}

// String names the kit for logs.
func (k *Kit) String() string {
	return fmt.Sprintf("%s + %s", k.Detector, k.Recognizer)
}
