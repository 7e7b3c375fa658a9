package main

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"path/filepath"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"github.com/roomgate/roomgate/agent"
	"github.com/roomgate/roomgate/agent/setup"
	config "github.com/roomgate/roomgate/firmware-config"
)

// provisionedName is the box's own config in the provisioning directory.
const provisionedName = "roomgate.yaml"

// provisionedPoll is how often a box waiting for provisioning looks for its
// config (a provisioning of its own is taken at once; this finds one done
// by hand); it also pings the unit's watchdog (10 s) meanwhile.
const provisionedPoll = time.Second

// provisionedHold is how long the first screen stays after provisioning
// succeeded: its last step and "Provisioned" reach the technician's page
// before the agent restarts on the new config and the board takes over.
const provisionedHold = 2 * time.Second

// awaitProvisioned returns the config the agent runs on. A config that names
// its box is run as it is. The package's config names none: the box's own is
// <provisioning.dir>/roomgate.yaml, which provisioning writes; until one is
// there and validates, the box is unprovisioned (no door, no sync): it serves
// the technician's first screen and provisions itself from a scanned claim
// or `roomgate provision` (agent.Unprovisioned), telling systemd it is up so
// the unit is not restarted in a loop. It returns "" when ctx ends first.
// ready, when not nil, hears the first screen's address (tests).
func awaitProvisioned(ctx context.Context, path string, log *slog.Logger, ready func(net.Addr)) (string, error) {
	own, unprovisioned, err := runConfigPath(path)
	if err != nil || !unprovisioned {
		return own, err
	}
	local, err := config.Load(path)
	if err != nil {
		return "", err
	}
	setupCtx, stopSetup := context.WithCancel(ctx)
	setupDone := make(chan struct{})
	provisioned := make(chan struct{}, 1)
	// The first screen and the scanners are let go before the provisioned
	// agent opens them again.
	defer func() { stopSetup(); <-setupDone }()
	go func() {
		defer close(setupDone)
		err := agent.Unprovisioned(setupCtx, local, filepath.Dir(path), setup.Options{
			Dir: filepath.Dir(own), Version: versionString(), Log: log, Connect: connectCity, Ready: ready,
			Provisioned: func() {
				select {
				case provisioned <- struct{}{}:
				default:
				}
			},
		})
		if err != nil {
			// Provisioning by hand (the files put in place) still works.
			log.Error("unprovisioned: no first screen and no scanner", "component", "agent", "err", err)
		}
	}()
	told, lastProblem := false, ""
	for {
		_, err := config.Load(own)
		if err == nil {
			log.Info("running on the provisioned config", "component", "agent", "config", own)
			return own, nil
		}
		if problem := err.Error(); !errors.Is(err, fs.ErrNotExist) && problem != lastProblem {
			// A half-written or wrong config is not run; provisioning writes it again.
			log.Warn("the provisioned config does not validate; still unprovisioned", "component", "agent", "config", own, "err", err)
			lastProblem = problem
		}
		if !told {
			log.Info("unprovisioned: waiting for the box's config from provisioning", "component", "agent", "config", own)
			daemon.SdNotify(false, daemon.SdNotifyReady+"\nSTATUS=unprovisioned: waiting for "+own)
			told = true
		}
		daemon.SdNotify(false, daemon.SdNotifyWatchdog)
		select {
		case <-ctx.Done():
			return "", nil
		case <-time.After(provisionedPoll):
		case <-provisioned:
			select {
			case <-ctx.Done():
				return "", nil
			case <-time.After(provisionedHold):
			}
		}
	}
}

// runConfigPath names the config the box runs on: path itself when it names
// its box, else the provisioned config in its provisioning directory, which
// may not be there yet (unprovisioned is then true).
func runConfigPath(path string) (own string, unprovisioned bool, err error) {
	local, err := config.Load(path)
	if err != nil || !local.Unprovisioned() {
		return path, false, err
	}
	dir := local.Provisioning.Dir
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(filepath.Dir(path), dir)
	}
	return filepath.Join(dir, provisionedName), true, nil
}
