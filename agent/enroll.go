//go:build vision

package agent

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/roomgate/roomgate/agent/enrol"
	"github.com/roomgate/roomgate/agent/facekit"
	config "github.com/roomgate/roomgate/firmware-config"
)

// Enroll adds faces from photos to the store the config names, with the
// models it names (package enrol says how each photo is judged); paths
// in the config are taken from configDir.
func Enroll(ctx context.Context, cfg *config.Config, configDir string, photos []enrol.Photo, opt enrol.Options) ([]enrol.PhotoReport, error) {
	st, err := openStore(cfg, configDir, slog.Default())
	if err != nil {
		return nil, fmt.Errorf("enroll: %w", err)
	}
	defer st.Close()
	kit, err := facekit.Open(cfg.Vision, configDir)
	if err != nil {
		return nil, fmt.Errorf("enroll: %w", err)
	}
	defer kit.Close()
	return enrol.Run(ctx, st, kit, cfg.Vision, photos, opt)
}
