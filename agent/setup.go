package agent

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/roomgate/roomgate/devices/scanner"
	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/internal/syncfile"
	"github.com/roomgate/roomgate/kiosk"
	"github.com/roomgate/roomgate/provisioning/claim"
	"github.com/roomgate/roomgate/provisioning/provision"
)

// ProvisionTokenName is the file, beside the provisioning directory, that
// holds the local token `roomgate provision` shows the unprovisioned agent.
const ProvisionTokenName = "provision.token"

// ProvisionTokenPath is where the agent waiting for provisioning in dir
// keeps that token.
func ProvisionTokenPath(dir string) string {
	return filepath.Join(filepath.Dir(filepath.Clean(dir)), ProvisionTokenName)
}

// SetupOptions are what Unprovisioned needs besides the package's config.
type SetupOptions struct {
	ConfigDir string // relative paths in the config are taken from here
	Dir       string // the provisioning directory
	Version   string
	Log       *slog.Logger
	Connect   provision.Connect       // reaches a claim's enrolment server
	Ready     func(httpAddr net.Addr) // called once the first screen is served (tests)
	// Provisioned, when not nil, is told each time provisioning succeeded,
	// so the caller takes the new config at once rather than at its next look.
	Provisioned func()
}

// Unprovisioned is the box before provisioning: no door, no sync. It serves
// the technician's first screen on http.listen and provisions the box from
// a claim scanned on one of the config's scanners, held to its camera (the
// vision build), or sent by `roomgate provision`. It returns when ctx ends: the caller ends it once a
// provisioned config is there, and the devices are free again when it
// returns.
//
// Only the configured scanners are read, not every serial port: a room's
// conference terminal may sit on one, and opening it at a scanner's speed
// can reset it or eat its replies. The package's config may name the
// scanner by a glob (/dev/serial/by-id/usb-Newland*).
func Unprovisioned(ctx context.Context, local *config.Config, opts SetupOptions) error {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	log := opts.Log.With("component", "provision")
	p := &provisioner{opts: opts, log: log}
	s := &System{cfg: local, opts: Options{ConfigDir: opts.ConfigDir}, log: opts.Log}
	scanners, err := s.buildScanners()
	if err != nil {
		return err
	}
	var names []string
	for _, sc := range scanners {
		names = append(names, sc.Status().Name)
	}
	if readsCameraClaims && local.Vision.HasCamera() {
		names = append(names, local.Vision.Camera.Name+" (camera)")
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	if local.HTTP.Listen != "" {
		host, _ := os.Hostname()
		tokenPath := ProvisionTokenPath(opts.Dir)
		token := rand.Text()
		if err := os.MkdirAll(filepath.Dir(tokenPath), 0o700); err == nil {
			err = syncfile.Replace(tokenPath, []byte(token), 0o600)
		}
		if err != nil {
			log.Warn("roomgate provision cannot reach this agent; it will provision by itself", "err", err)
			token = ""
		}
		p.screen = kiosk.NewFirstScreen(kiosk.BoxInfo{Version: opts.Version, Hostname: host, Scanners: names}, p, token,
			kiosk.Config{Language: local.Kiosk.Language, AllowRemote: local.RemoteKiosk()})
		ln, err := net.Listen("tcp", local.HTTP.Listen)
		if err != nil {
			return fmt.Errorf("http: %w", err)
		}
		srv := p.screen.HTTPServer()
		wg.Add(2)
		go func() { defer wg.Done(); srv.Serve(ln) }()
		go func() {
			defer wg.Done()
			<-ctx.Done()
			// Close, not Shutdown: the pages' event streams never go idle,
			// and the provisioned agent takes the same address next.
			srv.Close()
			if token != "" {
				os.Remove(tokenPath)
			}
		}()
		log.Info("unprovisioned: the first screen is served", "http", ln.Addr())
		if opts.Ready != nil {
			opts.Ready(ln.Addr())
		}
	}
	for _, sc := range scanners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := sc.Status().Name
			if err := sc.Run(ctx, func(l scanner.Line) { p.scanned(ctx, name, l) }); err != nil {
				log.Error("scanner stopped", "scanner", name, "err", err)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		cameraClaims(ctx, local, opts.ConfigDir, log, func(l scanner.Line) { p.scanned(ctx, "camera", l) })
	}()
	<-ctx.Done()
	return nil
}

// provisioner runs one provisioning at a time, from a scan or a request,
// and shows its steps on the first screen.
type provisioner struct {
	opts   SetupOptions
	log    *slog.Logger
	screen *kiosk.Server // nil without http.listen
	busy   sync.Mutex
}

// scanned takes a claim from a scanner. Anything else is not for a box
// waiting to be provisioned: it is logged, by its length only (a visitor's
// pass or ID card scanned here by mistake is theirs), and ignored.
func (p *provisioner) scanned(ctx context.Context, name string, l scanner.Line) {
	switch {
	case l.Reject != "":
		p.log.Warn("scan ignored: garbage", "scanner", name, "reason", l.Reject)
		return
	case !strings.HasPrefix(strings.TrimSpace(l.Text), claim.Prefix):
		p.log.Warn("scan ignored: not a claim", "scanner", name, "bytes", len(l.Text))
		return
	}
	p.log.Info("claim scanned; provisioning", "scanner", name)
	go func() {
		if err := p.Provision(ctx, l.Text, func(provision.Event) {}); errors.Is(err, kiosk.ErrProvisionBusy) {
			p.log.Warn("claim ignored: provisioning is already running", "scanner", name)
		}
	}()
}

// Provision runs provisioning for a claim's text; the steps go to the log
// (without the claim), the first screen and emit.
func (p *provisioner) Provision(ctx context.Context, text string, emit func(provision.Event)) error {
	if !p.busy.TryLock() {
		return kiosk.ErrProvisionBusy
	}
	defer p.busy.Unlock()
	opts := provision.Options{Dir: p.opts.Dir, Connect: p.opts.Connect}
	res, err := provision.Run(ctx, text, opts, func(ev provision.Event) {
		switch ev.State {
		case provision.Failed:
			p.log.Warn("provisioning failed", "step", ev.Step, "reason", ev.Reason, "detail", ev.Detail)
		case provision.Warning:
			p.log.Warn("provisioning step warns", "step", ev.Step, "reason", ev.Reason, "detail", ev.Detail)
		case provision.OK:
			p.log.Info("provisioning step done", "step", ev.Step, "detail", ev.Detail)
		}
		if p.screen != nil {
			p.screen.ShowProvision(ev)
		}
		emit(ev)
	})
	if err == nil {
		p.log.Info("provisioned", "device", res.Device, "kind", res.Kind, "site", res.Site, "config", res.Config)
		if p.opts.Provisioned != nil {
			p.opts.Provisioned()
		}
	}
	return err
}
