//go:build !vision

package agent

import (
	"context"
	"log/slog"

	"github.com/roomgate/roomgate/devices/scanner"
	config "github.com/roomgate/roomgate/firmware-config"
)

// cameraClaims: this build reads no camera; claims come from the scanners
// and `roomgate provision`.
func cameraClaims(local *config.Config, _ string, log *slog.Logger) (read func(context.Context, func(scanner.Line)), name string) {
	if local.Vision.HasCamera() {
		log.Warn("claims held to the camera are not read: this roomgate was built without the face engine (-tags vision)", "component", "provision", "camera", local.Vision.Camera.Name)
	}
	return nil, ""
}
