package config

import (
	"fmt"

	"github.com/roomgate/roomgate/vision/models"
)

// recognizerDefaults are what a shipped recognition model (vision.recognizer)
// sets when the config leaves a field out: embeddings, and so thresholds and
// the sequential rule's likelihoods, differ from one model to the next.
type recognizerDefaults struct {
	name      string  // vision.recognizer_name: the model of the templates in the store and the city's galleries
	input     int     // vision.recognizer_input
	threshold float32 // vision.threshold and policy.cccd_face.threshold
	fitted    bool    // the sequential rule's defaults (track.EvidenceDefaults) are fitted to this model's scores
	research  bool    // licensed for non-commercial research only: selectable for comparison, never for a city site
}

// defaultRecognizer is the model a config that names none runs: dlib's
// ResNet, the one shipped model a city may deploy (vision/models/MODELS.md).
const defaultRecognizer = "dlib_resnet_v1"

var recognizers = map[string]recognizerDefaults{
	"dlib_resnet_v1":   {name: "dlib-resnet-v1", input: 150, threshold: dlibThreshold},
	"mobilefacenet_y1": {name: "mobilefacenet-insightface-y1", input: 112, threshold: mobileFaceNetThreshold, fitted: true, research: true},
}

// applyRecognizer gives the fields v leaves out the defaults of the model
// v.Recognizer names, where they differ from the default model's.
func applyRecognizer(v *Vision, cccd *CCCDFace, set map[string]bool) {
	d, ok := recognizers[v.Recognizer]
	if !ok || v.Recognizer == defaultRecognizer {
		return // an unknown model is reported by the enum rule
	}
	if !set["vision.recognizer_name"] {
		v.RecognizerName = d.name
	}
	if !set["vision.recognizer_input"] {
		v.RecognizerInput = d.input
	}
	if !set["vision.threshold"] {
		v.Threshold = d.threshold
	}
	if !set["policy.cccd_face.threshold"] {
		cccd.Threshold = d.threshold
	}
}

// ResearchModel is the warning for a recognizer licensed for research only
// ("" for one a city may deploy): it is allowed, because comparisons and
// benchmarks run it, but it must not reach a city site.
func (v Vision) ResearchModel() string {
	if d, ok := recognizers[v.Recognizer]; !ok || !d.research || v.RecognizerModel != "" {
		return ""
	}
	return fmt.Sprintf("vision.recognizer: %s is licensed for non-commercial research only, for comparison on a developer's machine: "+
		"it must not be deployed at a city site; remove vision.recognizer to run %s (public domain) and re-enrol from the city's photos", v.Recognizer, defaultRecognizer)
}

// fittedEvidence reports whether the sequential rule has likelihoods fitted
// to v's recognizer, so decision: sequential may use the defaults.
func (v Vision) fittedEvidence() bool {
	d, ok := recognizers[v.Recognizer]
	return v.RecognizerModel == "" && ok && d.fitted
}

// dlibThreshold is dlib_resnet_v1's vision.threshold: provisional (see
// models.DlibResNetV1 and vision/README.md).
var dlibThreshold = models.DlibResNetV1.Threshold
