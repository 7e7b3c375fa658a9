package models

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Model describes one model file. For the recognition model every field
// is configuration; the values below are the shipped defaults.
type Model struct {
	// Name is a short human name, used in logs and benchmark tables.
	Name string `yaml:"name"`
	// File is the model's file name, or a path; a relative path is taken
	// relative to the models directory.
	File string `yaml:"file"`
	// SHA256 is the hex digest the file must have. It is required: a model
	// that is not the one configured must not silently change who matches.
	SHA256 string `yaml:"sha256"`
	// InputWidth and InputHeight are the network's input size. For the
	// detector it is only the initial size (it is reset to each frame's
	// size); for an AlignArcFace recognizer it must be 112x112.
	InputWidth  int `yaml:"input_width"`
	InputHeight int `yaml:"input_height"`
	// Dim is the embedding's length, checked at load; 0 skips the check.
	Dim int `yaml:"dim"`
	// Threshold is the default decision threshold: the minimum detector
	// score, or the minimum cosine similarity for "same person".
	Threshold float32 `yaml:"threshold"`
	// License is a one-line licence statement for this file.
	License string `yaml:"license"`
	// Align is how a recognizer's faces are aligned: AlignArcFace (the
	// default) or AlignDlibChip.
	Align string `yaml:"align"`
}

// How a recognition model's input is aligned.
const (
	// AlignArcFace is cv::FaceRecognizerSF's own 112x112 ArcFace
	// alignment and network call.
	AlignArcFace = ""
	// AlignDlibChip is dlib's face chip (get_face_chip_details with
	// padding 0.25) of InputWidth pixels, aligned from the five
	// landmarks, run through cv::dnn as raw RGB 0..255.
	AlignDlibChip = "dlib_chip"
)

// YuNet2022Mar is the shipped face detector. The 2023mar YuNet loads in
// OpenCV 4.6 but its detect() fails, so this older one is used.
var YuNet2022Mar = Model{
	Name:        "YuNet 2022mar",
	File:        "face_detection_yunet_2022mar.onnx",
	SHA256:      "50ef07f702a31741ca46a4c0d947773b64143b9362780237bf0d427d6c79bab7",
	InputWidth:  320,
	InputHeight: 320,
	Threshold:   0.8,
	License:     "MIT (OpenCV Zoo)",
}

// MinDetectWidth is the narrowest a frame is scaled to for YuNet
// (vision.detect_width): a 16:9 frame is then still 90 rows, and YuNet
// 2022mar throws under 63.
const MinDetectWidth = 160

// MobileFaceNetY1 is the shipped development recognition model: InsightFace
// MobileFaceNet model-y1, 128-d, a drop-in for cv::FaceRecognizerSF.
//
// Its threshold comes from the LFW benchmark (vision/cmd/visionbench, see
// vision/README.md): 1:1 accuracy is flat at its best from cosine 0.26 to
// 0.28; 0.30 gives up 0.2 points of it to cut false accepts from 0.33 % to
// 0.20 %, because a false accept opens the door, a gallery search multiplies
// false accepts by the gallery's size, and a false reject only costs the
// next frame. SFace's own 0.363 is too strict for this model (4 % rejects).
var MobileFaceNetY1 = Model{
	Name:        "MobileFaceNet y1 (InsightFace)",
	File:        "face_recognition_mobilefacenet_insightface_y1.onnx",
	SHA256:      "c6a9dd9b5fe27528401a15dc73f668589a1fd40f50846585da7e5d0b0e83b896",
	InputWidth:  112,
	InputHeight: 112,
	Dim:         128,
	Threshold:   0.30,
	License:     "weights for non-commercial research only (InsightFace, trained on MS1M); not for production",
}

// DlibResNetV1 is dlib's face recognition ResNet (public domain), as
// vision/cmd/dlibconv converts it from @vladmandic/face-api@1.7.15 (make
// models builds the file; MODELS.md). Its input is the 150x150 dlib face
// chip, raw RGB 0..255 (the normalisation is inside the graph). Its
// embeddings are not centred, so cosines run high: LFW's best 1:1 cosine
// threshold is 0.914 over the 5 dev folds (vision/README.md). Threshold
// 0.93 is the 1:1 figure with the false accepts of MobileFaceNet's 0.30
// (0.20 % of different-person pairs); check-in at a door uses the config's
// vision.threshold, 0.95 for this model (firmware-config).
var DlibResNetV1 = Model{
	Name:        "dlib ResNet v1",
	File:        "face_recognition_dlib_resnet_v1.onnx",
	SHA256:      "2b800672c418ea813481d8a90c4c77beebf16cae943c891b40e1956f0ac34f0f",
	InputWidth:  150,
	InputHeight: 150,
	Dim:         128,
	Threshold:   0.93,
	License:     "public domain (davisking/dlib-models); trained partly on VGG-Face and FaceScrub images",
	Align:       AlignDlibChip,
}

// Recognizers are the shipped recognition models by the name the config's
// vision.recognizer gives them.
var Recognizers = map[string]Model{
	"mobilefacenet_y1": MobileFaceNetY1,
	"dlib_resnet_v1":   DlibResNetV1,
}

// ErrModel is wrapped by every error about a model file, so callers can
// tell a bad model (fatal for face check-in) from a bad frame.
var ErrModel = errors.New("vision: model")

// Path resolves m.File against dir, unless it is absolute.
func (m Model) Path(dir string) string {
	if filepath.IsAbs(m.File) {
		return m.File
	}
	return filepath.Join(dir, m.File)
}

// Check verifies the model's file in dir and returns its path.
func (m Model) Check(dir string) (string, error) {
	p := m.Path(dir)
	if _, err := os.Stat(p); m.SHA256 == DlibResNetV1.SHA256 && errors.Is(err, os.ErrNotExist) {
		// The one model not in git: say how it is made.
		return p, fmt.Errorf("%w %s: not found at %s: it is built, not shipped in git: run `make models` in the checkout "+
			"(or install the roomgate package, which carries it), or choose vision.recognizer: mobilefacenet_y1 for development", ErrModel, m.File, p)
	}
	return p, Verify(p, m.SHA256)
}

// Verify reports whether the file at path has the sha256 want. Its errors
// name the file and say what to do.
func Verify(path, want string) error {
	name := filepath.Base(path)
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w %s: %s", ErrModel, name, fmt.Sprintf(format, args...))
	}
	want = strings.ToLower(strings.TrimSpace(want))
	if len(want) != sha256.Size*2 || !isHex(want) {
		return fail("no valid sha256 configured (%q): set sha256 to the output of `sha256sum %s`", want, path)
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return fail("not found at %s: restore it from vision/models, or set the model's file to where it is", path)
	}
	if err != nil {
		return fail("%v", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fail("read %s: %v", path, err)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if got != want {
		return fail("sha256 mismatch (got %s, want %s): the file is altered or not the shipped one; "+
			"restore it from vision/models, or set the model's file and sha256 to the model you mean", got, want)
	}
	return nil
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// Installed is where the roomgate package puts the models it ships.
const Installed = "/usr/share/roomgate/models"

// Dir finds the models directory: $ROOMGATE_MODELS if set, else
// vision/models in the working directory or the nearest parent holding
// it, so tests and `go run` work from anywhere in the checkout, else the
// package's Installed directory (the agent, doctor and enroll of a box).
func Dir() (string, error) {
	if d := os.Getenv("ROOMGATE_MODELS"); d != "" {
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("vision: models directory: %w", err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		for _, c := range []string{filepath.Join(d, "vision", "models"), d} {
			if _, err := os.Stat(filepath.Join(c, YuNet2022Mar.File)); err == nil && filepath.Base(c) == "models" {
				return c, nil
			}
		}
		if filepath.Dir(d) == d {
			if _, err := os.Stat(filepath.Join(Installed, YuNet2022Mar.File)); err == nil {
				return Installed, nil
			}
			return "", fmt.Errorf("vision: models directory not found from %s nor at %s: run inside the roomgate checkout, install the roomgate package or set ROOMGATE_MODELS", wd, Installed)
		}
	}
}
