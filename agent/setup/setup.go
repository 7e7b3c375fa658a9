// Package setup is the box before provisioning: no door, no sync. It serves
// the technician's first screen and provisions the box from a claim scanned
// on a scanner, held to the camera, or sent by `roomgate provision`.
package setup

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
	"github.com/roomgate/roomgate/internal/syncfile"
	"github.com/roomgate/roomgate/kiosk"
	"github.com/roomgate/roomgate/provisioning/claim"
	"github.com/roomgate/roomgate/provisioning/provision"
)

// TokenName is the file, beside the provisioning directory, that holds the
// local token `roomgate provision` shows the unprovisioned agent.
const TokenName = "provision.token"

// TokenPath is where the agent waiting for provisioning in dir keeps that
// token.
func TokenPath(dir string) string {
	return filepath.Join(filepath.Dir(filepath.Clean(dir)), TokenName)
}

// Scanner is a source of scanned lines: a serial or keyboard scanner.
type Scanner interface {
	Run(ctx context.Context, emit func(scanner.Line)) error
	Status() scanner.Status
}

// Options are what Run needs.
type Options struct {
	Dir     string // the provisioning directory
	Version string
	Log     *slog.Logger
	Connect provision.Connect // reaches a claim's enrolment server

	// HTTPListen is where the first screen is served; none when empty.
	HTTPListen string
	Kiosk      kiosk.Config
	Scanners   []Scanner
	// Camera, when not nil, reads QR codes held to the camera named
	// CameraName until ctx ends.
	Camera     func(ctx context.Context, take func(scanner.Line))
	CameraName string

	Ready func(httpAddr net.Addr) // called once the first screen is served (tests)
	// Provisioned, when not nil, is told each time provisioning succeeded,
	// so the caller takes the new config at once rather than at its next look.
	Provisioned func()
}

// Run serves the first screen and provisions from claims until ctx ends:
// the caller ends it once a provisioned config is there, and the devices
// are free again when it returns.
func Run(ctx context.Context, opts Options) error {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	log := opts.Log.With("component", "provision")
	p := &provisioner{opts: opts, log: log}
	var names []string
	for _, sc := range opts.Scanners {
		names = append(names, sc.Status().Name)
	}
	if opts.Camera != nil {
		names = append(names, opts.CameraName+" (camera)")
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	if opts.HTTPListen != "" {
		host, _ := os.Hostname()
		tokenPath := TokenPath(opts.Dir)
		token := rand.Text()
		err := os.MkdirAll(filepath.Dir(tokenPath), 0o700)
		if err == nil {
			err = syncfile.Replace(tokenPath, []byte(token), 0o600)
		}
		if err != nil {
			log.Warn("roomgate provision cannot reach this agent; it will provision by itself", "err", err)
			token = ""
		}
		p.screen = kiosk.NewFirstScreen(kiosk.BoxInfo{Version: opts.Version, Hostname: host, Scanners: names}, p, token, opts.Kiosk)
		ln, err := net.Listen("tcp", opts.HTTPListen)
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
	for _, sc := range opts.Scanners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := sc.Status().Name
			if err := sc.Run(ctx, func(l scanner.Line) { p.scanned(ctx, name, l) }); err != nil {
				log.Error("scanner stopped", "scanner", name, "err", err)
			}
		}()
	}
	if opts.Camera != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			opts.Camera(ctx, func(l scanner.Line) { p.scanned(ctx, "camera", l) })
		}()
	}
	<-ctx.Done()
	return nil
}

// provisioner runs one provisioning at a time, from a scan or a request,
// and shows its steps on the first screen.
type provisioner struct {
	opts   Options
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
