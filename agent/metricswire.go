package agent

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"sync"
	"time"

	"github.com/roomgate/roomgate/agent/metrics"
	"github.com/roomgate/roomgate/vision/track"
)

// startMetrics builds the box's metrics from the parts it runs and serves
// them on metrics.listen until ctx ends. A port that will not open stops
// the box, as the kiosk's does: the config asked for it.
func (s *System) startMetrics(ctx context.Context, wg *sync.WaitGroup) (net.Addr, error) {
	src := metrics.Sources{
		StoreSize: func() (int64, error) { return fileSizes(s.path(s.cfg.Store.Path), "", "-wal") },
		Gallery:   func() int64 { return s.gallery.State().Applied },
		Terminal:  s.calls != nil,
	}
	if s.link != nil {
		src.Link = s.link.Status
	}
	if s.faces != nil {
		src.Camera = s.faces.CameraCounts
	}
	m := metrics.New(metrics.Box{Site: s.cfg.Identity.Site, Gate: s.cfg.Identity.Gate, Device: s.cfg.Identity.Device, Version: s.opts.Version}, src)
	ln, err := net.Listen("tcp", s.cfg.Metrics.Listen)
	if err != nil {
		return nil, err
	}
	s.metrics = m
	s.gate.Observe(m)
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := m.Serve(ctx, ln); err != nil {
			s.log.Error("metrics stopped", "component", "metrics", "err", err)
		}
	}()
	return ln.Addr(), nil
}

// countFace counts a face decision, when the box serves metrics.
func (s *System) countFace(d track.Decision, decided time.Time) {
	if s.metrics == nil {
		return
	}
	outcome := metrics.OutcomeRecognised
	if d.Unknown {
		outcome = d.Reason
	}
	s.metrics.FaceDecided(outcome, decided.Sub(d.First))
}

// callChanged tells the metrics the room's call state.
func (s *System) callChanged(state string) {
	if s.metrics != nil {
		s.metrics.CallChanged(state)
	}
}

// fileSizes adds up the sizes of path with each suffix; a file that is not
// there counts 0 (SQLite's WAL comes and goes).
func fileSizes(path string, suffixes ...string) (int64, error) {
	var n int64
	for _, sfx := range suffixes {
		fi, err := os.Stat(path + sfx)
		if errors.Is(err, fs.ErrNotExist) && sfx != "" {
			continue
		}
		if err != nil {
			return 0, err
		}
		n += fi.Size()
	}
	return n, nil
}
