// Command dlibconv converts dlib's face recognition ResNet from
// @vladmandic/face-api's TF.js weights into an ONNX file for OpenCV:
//
//	dlibconv -weights DIR -out FILE.onnx
//
// DIR holds face_recognition_model-weights_manifest.json and
// face_recognition_model.bin from the pinned package (make models
// extracts them). Both are checked against their sha256 first. With
// -check, the result must also have the sha256 vision/models records for
// models.DlibResNetV1, or nothing is written.
package main

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/roomgate/roomgate/vision/models"
	"github.com/roomgate/roomgate/vision/models/dlibconv"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "dlibconv:", err)
		os.Exit(1)
	}
}

func run() error {
	dir := flag.String("weights", "", "directory holding "+dlibconv.ManifestFile+" and "+dlibconv.WeightsFile)
	out := flag.String("out", "", "the ONNX file to write")
	check := flag.Bool("check", false, "refuse a result whose sha256 is not the one recorded for "+models.DlibResNetV1.File)
	flag.Parse()
	if *dir == "" || *out == "" || flag.NArg() > 0 {
		flag.Usage()
		return fmt.Errorf("need -weights and -out")
	}
	start := time.Now()
	b, err := dlibconv.ConvertDir(*dir)
	if err != nil {
		return err
	}
	// Write beside the target and rename, so a failed run never leaves a
	// half-written model where the box looks for one.
	tmp := *out + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	if *check {
		if err := models.Verify(tmp, models.DlibResNetV1.SHA256); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("the converted model is not the recorded one (converter or Go changed?): %w", err)
		}
	}
	if err := os.Rename(tmp, *out); err != nil {
		os.Remove(tmp)
		return err
	}
	fmt.Printf("%s: %d bytes, sha256 %x, converted in %v\n", *out, len(b), sha256.Sum256(b), time.Since(start).Round(time.Millisecond))
	return nil
}
