package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/roomgate/roomgate/agent/wire"
)

const publishConfigHelp = `
Publishes a box's config file, signed with -sign-key for that box, retained
on roomgate/v1/dev/D/config. The box checks it as "roomgate config validate"
would, refuses one that changes its identity, and otherwise writes it over
its config and reloads; its state reports the version applied or why not. A
box ignores a version not newer than the one it has.

Example:
  roomgate-city publish config -cert city-ops.pem -key city-ops.key -sign-key keys/city-ops.key \
    -device hq-gate-1 -version 12 -file hq-gate-1.yaml
`

func (a *app) publishConfig(path string, args []string) error {
	f := newFlags(path, "-device D -version N -file FILE -sign-key FILE [flags]", publishConfigHelp)
	broker := addBrokerFlags(f, "city-ops")
	device := f.String("device", "", "`D`: the device id, required")
	version := f.Int64("version", 0, "config `N`, required, at least 1; newer configs take higher numbers")
	file := f.String("file", "", "`FILE`: the box's config file (YAML), required")
	timeout := f.Duration("timeout", 10*time.Second, "give up after `DURATION`")
	signKey := addSignFlag(f)
	pos, err := a.parse(f, args)
	switch {
	case err != nil:
		return err
	case len(pos) > 0:
		return usageError(f, "unexpected argument %q", pos[0])
	case !wire.ValidName(*device):
		return usageError(f, "-device %q: want a device id", *device)
	case *version < 1:
		return usageError(f, "-version is required and must be at least 1")
	case *file == "":
		return usageError(f, "-file is required")
	}
	yaml, err := os.ReadFile(*file)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	cfg := wire.Config{Version: *version, YAML: string(yaml)}
	// What the box would refuse as malformed is refused here.
	plain, err := json.Marshal(cfg)
	if err == nil {
		_, err = wire.DecodeConfig(plain)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	signer, err := loadSigner(f, *signKey)
	if err != nil {
		return err
	}
	payload, err := signer.Config(*device, cfg, a.now())
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	c, err := broker.connect(ctx, nil, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer c.Close()
	if err := c.Publish(ctx, wire.Topic(*device, wire.LeafConfig), payload, true); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(a.stdout, "%s: config version %d, %d bytes\n", *device, *version, len(yaml))
	return nil
}
