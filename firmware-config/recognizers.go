package config

import (
	"fmt"

	"github.com/roomgate/roomgate/vision/models"
	"github.com/roomgate/roomgate/vision/track"
)

// recognizerDefaults are what a shipped recognition model (vision.recognizer)
// sets when the config leaves a field out: embeddings, and so thresholds and
// the sequential rule's likelihoods, differ from one model to the next.
type recognizerDefaults struct {
	name      string          // vision.recognizer_name: the model of the templates in the store and the city's galleries
	input     int             // vision.recognizer_input
	threshold float32         // vision.threshold: a check-in searches the gallery, over frames
	match     float32         // vision.match_threshold and policy.cccd_face.threshold: one face against one photo
	margin    float32         // vision.agreement.min_margin where it differs from the default model's (0: the same)
	fitted    bool            // the sequential rule's defaults (track.EvidenceDefaults) are fitted to this model's scores
	evidence  *track.Evidence // or its own fitted likelihoods (intercept, score, margin, people, people_slope), which the config then defaults to
	research  bool            // licensed for non-commercial research only: selectable for comparison, never for a city site
}

// defaultRecognizer is the model a config that names none runs: dlib's
// ResNet, the one shipped model a city may deploy (vision/models/MODELS.md).
const defaultRecognizer = "dlib_resnet_v1"

var recognizers = map[string]recognizerDefaults{
	"dlib_resnet_v1":   {name: "dlib-resnet-v1", input: 150, threshold: dlibThreshold, match: models.DlibResNetV1.Threshold, margin: 0.01, evidence: &dlibEvidence},
	"mobilefacenet_y1": {name: "mobilefacenet-insightface-y1", input: 112, threshold: mobileFaceNetThreshold, match: mobileFaceNetThreshold, fitted: true, research: true},
}

// applyRecognizer gives the fields v leaves out the defaults of the model
// v.Recognizer names.
func applyRecognizer(v *Vision, cccd *CCCDFace, set map[string]bool) {
	d, ok := recognizers[v.Recognizer]
	if !ok {
		return // an unknown model is reported by the enum rule
	}
	if v.Recognizer != defaultRecognizer { // the defaults are the default model's already
		applyModel(v, cccd, d, set)
	}
	if !set["vision.decision"] && !v.fittedEvidence() && !evidenceGiven(set) {
		// The sequential rule's likelihoods are another model's; the vote's
		// threshold and margin are the model's own (Warnings says so).
		v.Decision = "vote"
		v.voteWithoutFit = true
	}
	if v.RecognizerModel != "" {
		return // a model file of one's own brings its own margin and fit
	}
	if d.margin > 0 && !set["vision.agreement.min_margin"] {
		v.Agreement.MinMargin = d.margin
	}
	if e := d.evidence; e != nil {
		if !set["vision.evidence.intercept"] {
			v.Evidence.Intercept = e.Intercept
		}
		if !set["vision.evidence.score"] {
			v.Evidence.Score = e.Score
		}
		if !set["vision.evidence.margin"] {
			v.Evidence.Margin = e.Margin
		}
		if !set["vision.evidence.people"] {
			v.Evidence.People = e.People
		}
		if !set["vision.evidence.people_slope"] {
			v.Evidence.PeopleSlope = e.PeopleSlope
		}
	}
}

func applyModel(v *Vision, cccd *CCCDFace, d recognizerDefaults, set map[string]bool) {
	if !set["vision.recognizer_name"] {
		v.RecognizerName = d.name
	}
	if !set["vision.recognizer_input"] {
		v.RecognizerInput = d.input
	}
	if !set["vision.threshold"] {
		v.Threshold = d.threshold
	}
	if !set["vision.match_threshold"] {
		v.MatchThreshold = d.match
	}
	if !set["policy.cccd_face.threshold"] {
		cccd.Threshold = d.match
	}
}

// VoteWithoutFit is the warning for a box that names faces by the vote
// because its recognizer has no fitted sequential rule ("" otherwise).
func (v Vision) VoteWithoutFit() string {
	if !v.voteWithoutFit {
		return ""
	}
	model := "recognizer " + v.Recognizer
	if v.RecognizerModel != "" {
		model = "recognizer_model " + v.RecognizerModel
	}
	return fmt.Sprintf("vision.decision: vote, because %s has no fitted vision.evidence: a face is named when %d of %d frames agree "+
		"instead of as soon as the evidence suffices; fit intercept, score and margin with visionbench -sections fit and set them in vision.evidence",
		model, v.Agreement.Agree, v.Agreement.Frames)
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
	return v.RecognizerModel == "" && ok && (d.fitted || d.evidence != nil)
}

// evidenceGiven reports whether the config gives the sequential rule's own
// likelihoods, so no fit of a shipped model is needed.
func evidenceGiven(set map[string]bool) bool {
	return set["vision.evidence.intercept"] && set["vision.evidence.score"] && set["vision.evidence.margin"]
}

// dlibThreshold is dlib_resnet_v1's vision.threshold. Its 1:1 figure
// (models.DlibResNetV1, 0.93: 0.20 % of LFW's different-person pairs) is
// the chip ID card check's; a check-in searches a gallery over several
// frames, and on visionbench's sequences with 100 people enrolled the vote
// at 0.93 checked in 24 % of strangers' tracks, at 0.94 6.9 %, at 0.95
// 0.78 % (vision/README.md): a delegate not named can still check in by
// pass or at the secretary's screen, a stranger named stays in the record.
// min_margin 0.01: dlib's cosines sit close together, 0.05 would name
// almost no one.
const dlibThreshold float32 = 0.95

// dlibEvidence is dlib's sequential rule: its fit, with a stricter
// intercept (track.EvidenceDlibResNetV1).
var dlibEvidence = track.EvidenceDlibResNetV1()
