package agent

import (
	"context"
	"log/slog"

	"github.com/roomgate/roomgate/agent/setup"
	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/kiosk"
)

// Unprovisioned runs the box before provisioning (package setup) on the
// package's config, local, whose relative paths are taken from configDir;
// opts brings the rest. It returns when ctx ends.
//
// Only the configured scanners are read, not every serial port: a room's
// conference terminal may sit on one, and opening it at a scanner's speed
// can reset it or eat its replies. The package's config may name the
// scanner by a glob (/dev/serial/by-id/usb-Newland*).
func Unprovisioned(ctx context.Context, local *config.Config, configDir string, opts setup.Options) error {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	s := &System{cfg: local, opts: Options{ConfigDir: configDir}, log: opts.Log}
	scanners, err := s.buildScanners()
	if err != nil {
		return err
	}
	for _, sc := range scanners {
		opts.Scanners = append(opts.Scanners, sc)
	}
	opts.HTTPListen = local.HTTP.Listen
	opts.Kiosk = kiosk.Config{Language: local.Kiosk.Language, AllowRemote: local.RemoteKiosk()}
	opts.Camera, opts.CameraName = cameraClaims(local, configDir, opts.Log)
	return setup.Run(ctx, opts)
}
