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
)

// cameraClaims reads QR codes held up to the camera of the package's config
// (a room's box may have no scanner): only QR codes, no face engine runs
// before provisioning, five times a second of camera time as in service.
// It returns nil when the config has no camera.
func cameraClaims(local *config.Config, dir string, log *slog.Logger) (read func(context.Context, func(scanner.Line)), name string) {
	if !local.Vision.HasCamera() {
		return nil, ""
	}
	name = local.Vision.Camera.Name
	return func(ctx context.Context, take func(scanner.Line)) {
		cam, err := camera.New(cameraConfig(local.Vision.Camera, dir))
		if err != nil {
			log.Error("claims held to the camera are not read", "component", "provision", "camera", name, "err", err)
			return
		}
		log.Info("claims held to the camera are read", "component", "provision", "camera", name)
		qrs := newCameraQR()
		cam.Run(ctx, func(m gocv.Mat, at time.Time) { qrs.frame(m, at, take) })
	}, name
}
