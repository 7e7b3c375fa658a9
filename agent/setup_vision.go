//go:build vision

package agent

import (
	"context"
	"log/slog"
	"time"

	"gocv.io/x/gocv"

	"github.com/roomgate/roomgate/devices/scanner"
	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/vision/camera"
	"github.com/roomgate/roomgate/vision/qr"
)

// readsCameraClaims says whether this build reads claims held to a camera.
const readsCameraClaims = true

// cameraClaims reads QR codes held up to the camera of the package's config
// (a room's box may have no scanner) until ctx ends: only QR codes, no face
// engine runs before provisioning.
func cameraClaims(ctx context.Context, local *config.Config, dir string, log *slog.Logger, take func(scanner.Line)) {
	if !local.Vision.HasCamera() {
		return
	}
	cam, err := camera.New(cameraConfig(local.Vision.Camera, dir))
	if err != nil {
		log.Error("claims held to the camera are not read", "camera", local.Vision.Camera.Name, "err", err)
		return
	}
	log.Info("claims held to the camera are read", "camera", local.Vision.Camera.Name)
	r := qr.NewReader(qrRepeat)
	cam.Run(ctx, func(m gocv.Mat, at time.Time) { qrLines(r, m, at, take) })
}
