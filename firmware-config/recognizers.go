package config

import "github.com/roomgate/roomgate/vision/track"

// recognizerDefaults are what a shipped recognition model (vision.recognizer)
// sets when the config leaves a field out: embeddings, and so thresholds and
// the sequential rule's likelihoods, differ from one model to the next.
type recognizerDefaults struct {
	name      string          // vision.recognizer_name: the model of the templates in the store and the city's galleries
	input     int             // vision.recognizer_input
	threshold float32         // vision.threshold and policy.cccd_face.threshold
	margin    float32         // vision.agreement.min_margin where it differs from the default model's (0: the same)
	fitted    bool            // the sequential rule's defaults (track.EvidenceDefaults) are fitted to this model's scores
	evidence  *track.Evidence // or its own fitted likelihoods (intercept, score, margin), which the config then defaults to
}

// defaultRecognizer is the model a config that names none runs. It stays
// MobileFaceNet until the agent's vision tests are moved to dlib's
// thresholds (issue 15; vision/README.md has the measurements).
const defaultRecognizer = "mobilefacenet_y1"

var recognizers = map[string]recognizerDefaults{
	"dlib_resnet_v1":   {name: "dlib-resnet-v1", input: 150, threshold: dlibThreshold, margin: 0.01, evidence: &dlibEvidence},
	"mobilefacenet_y1": {name: "mobilefacenet-insightface-y1", input: 112, threshold: threshold, fitted: true},
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
	}
}

// fittedEvidence reports whether the sequential rule has likelihoods fitted
// to v's recognizer, so decision: sequential may use the defaults.
func (v Vision) fittedEvidence() bool {
	d, ok := recognizers[v.Recognizer]
	return v.RecognizerModel == "" && ok && (d.fitted || d.evidence != nil)
}

// dlibThreshold is dlib_resnet_v1's vision.threshold: the lowest that keeps
// a stranger's single frame accepted at most 1 % of the time with 25–200
// people enrolled (vision/README.md's open-set table, at min_margin 0.01:
// dlib's cosines sit close together, so 0.05 would name almost no one;
// models.DlibResNetV1's own 0.93 is the 1:1 figure, as MobileFaceNet's 0.30
// is beside its 0.42). dlibEvidence is its sequential rule's fit.
var (
	dlibThreshold float32 = 0.95
	dlibEvidence          = track.EvidenceDlibResNetV1()
)
