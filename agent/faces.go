package agent

import (
	"context"

	"github.com/roomgate/roomgate/agent/gate"
	"github.com/roomgate/roomgate/kiosk"
)

// faces is the face engine as the rest of the agent sees it; the vision
// build provides it (vision.go), other builds say why there is none.
type faces interface {
	// Run reads the camera until ctx ends and frees the models then.
	Run(ctx context.Context)
	Status() kiosk.Device
	// CameraCounts is the frames handed on and dropped since the camera started.
	CameraCounts() (frames, dropped int64)
	// GallerySize is the people and templates the engine searches.
	GallerySize() (people, templates int)
	// reloadGallery reads the store's templates again if they changed.
	reloadGallery(ctx context.Context) error
	// checkFace looks for a chip ID card holder's face (package gate).
	checkFace(ctx context.Context, p gate.FaceProbe) (gate.FaceResult, error)
}
