package gate

import (
	"context"
	"fmt"
	"time"

	"github.com/roomgate/roomgate/agent/store"
)

// Denial reasons of a chip ID card's second factor.
const (
	ReasonFaceMismatch    = "face_mismatch"          // faces were seen, none matched the visit's template
	ReasonNoFace          = "no_face"                // no usable face in view within the window
	ReasonFaceUnavailable = "face_check_unavailable" // no camera or face engine, or the visit has no template of its model
)

// DefaultFaceWithin is how long the camera looks for a card holder's face
// when Policy.FaceWithin is zero.
const DefaultFaceWithin = 10 * time.Second

// FaceCheck looks for a face at the gate's camera that matches a template:
// the second factor of an unsigned chip ID card.
type FaceCheck interface {
	// CheckFace looks for up to p.Within and returns as soon as a face
	// scores p.Threshold or more, or at the end with the best score seen.
	// An error means the check could not be made (no camera, another
	// model), not that the face did not match.
	CheckFace(ctx context.Context, p FaceProbe) (FaceResult, error)
}

// FaceProbe is what to look for.
type FaceProbe struct {
	Model     string // the recognizer Template is for
	Template  []byte // vision/gallery.Encode
	Threshold float32
	Within    time.Duration
}

// FaceResult is what the camera saw.
type FaceResult struct {
	Faces int     // faces good enough to compare, over all frames
	Best  float32 // the best score among them
}

// UseFaceCheck gives the gate its second factor for chip ID cards; call it
// before the first scan. Without one, every card is refused with
// face_check_unavailable.
func (g *Gate) UseFaceCheck(fc FaceCheck) { g.faces = fc }

// checkFace asks the camera for the card holder's face and says why the
// door stays shut, or "" when the face matched.
func (g *Gate) checkFace(ctx context.Context, v store.Visit) (reason, detail string) {
	switch {
	case g.faces == nil:
		return ReasonFaceUnavailable, "this gate has no face check: an ID card needs the vision build and a camera"
	case len(v.Template) == 0:
		return ReasonFaceUnavailable, "the visit was registered without a face template"
	}
	within := g.policy.FaceWithin
	if within <= 0 {
		within = DefaultFaceWithin
	}
	res, err := g.faces.CheckFace(ctx, FaceProbe{Model: v.Model, Template: v.Template, Threshold: g.policy.FaceThreshold, Within: within})
	switch {
	case err != nil:
		return ReasonFaceUnavailable, err.Error()
	case res.Faces == 0:
		return ReasonNoFace, fmt.Sprintf("no face in view for %s", within)
	case res.Best < g.policy.FaceThreshold:
		return ReasonFaceMismatch, fmt.Sprintf("best score %.2f of %d faces, below %.2f", res.Best, res.Faces, g.policy.FaceThreshold)
	}
	return "", ""
}
