//go:build !vision

package agent

import (
	"context"
	"log/slog"

	"github.com/roomgate/roomgate/devices/scanner"
	config "github.com/roomgate/roomgate/firmware-config"
)

// readsCameraClaims says whether this build reads claims held to a camera.
const readsCameraClaims = false

// cameraClaims: this build reads no camera; claims come from the scanners
// and `roomgate provision`.
func cameraClaims(_ context.Context, local *config.Config, _ string, log *slog.Logger, _ func(scanner.Line)) {
	if local.Vision.HasCamera() {
		log.Warn("claims held to the camera are not read: this roomgate was built without the face engine (-tags vision)", "camera", local.Vision.Camera.Name)
	}
}
