//go:build vision

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/roomgate/roomgate/agent"
	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/vision/engine"
	"github.com/roomgate/roomgate/vision/track"
)

const visionUsage = `usage: roomgate vision run [--config FILE] [--for DURATION] [--every DURATION]

Runs the config's camera through the face engine, against the gallery in
the box's store, and prints what it sees: the faces of a frame (at most
once per --every) with their quality verdict and best match, and every
decision the moment it is made. Nothing is recorded; the door is not
touched. Stop it with Ctrl-C, or after --for.

`

func runVision(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("roomgate vision run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, visionUsage); fs.PrintDefaults() }
	configPath := fs.String("config", "/etc/roomgate/roomgate.yaml", "config file")
	runFor := fs.Duration("for", 0, "stop after this long (0: until Ctrl-C)")
	every := fs.Duration("every", time.Second, "print a frame's faces at most this often")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || *every < 0 || *runFor < 0 {
		if err == nil {
			fs.Usage()
		}
		return errUsage
	}
	cfg, err := config.Load(*configPath)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *runFor > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *runFor)
		defer cancel()
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	var last time.Time
	onFrame := func(r engine.Result) {
		if len(r.Faces) == 0 || r.At.Sub(last) < *every {
			return
		}
		last = r.At
		fmt.Fprintf(stdout, "%s  %s\n", r.At.Format("15:04:05.000"), describeFaces(r))
	}
	onDecision := func(d track.Decision) {
		fmt.Fprintf(stdout, "%s  %s\n", d.At.Format("15:04:05.000"), describeDecision(d))
	}
	return agent.WatchCamera(ctx, cfg, filepath.Dir(*configPath), log, onFrame, onDecision)
}

func describeFaces(r engine.Result) string {
	parts := make([]string, len(r.Faces))
	for i, f := range r.Faces {
		b := f.Face.Box
		p := fmt.Sprintf("face %.0fx%.0f at %.0f,%.0f", b.W, b.H, b.X, b.Y)
		switch {
		case !f.Looked && f.Named != "":
			p += fmt.Sprintf(": %s named, not embedded this frame", f.Named)
		case !f.Looked:
			p += ": not embedded this frame (its track is decided, or its last frame counted moments ago)"
		case !f.Quality.OK():
			p += fmt.Sprintf(": refused, %s (%s)", f.Quality.Reason, f.Quality.Detail)
		case len(f.Matches) == 0:
			p += ": good, gallery empty"
		default:
			p += fmt.Sprintf(": best %s %.3f", f.Matches[0].Person, f.Matches[0].Score)
			if len(f.Matches) > 1 {
				p += fmt.Sprintf(", runner-up %s %.3f", f.Matches[1].Person, f.Matches[1].Score)
			}
		}
		parts[i] = p
	}
	return strings.Join(parts, "; ")
}

func describeDecision(d track.Decision) string {
	if d.Unknown {
		return fmt.Sprintf("DECISION track %d: unknown (%s) after %d frames", d.Track, d.Reason, d.Frames)
	}
	return fmt.Sprintf("DECISION track %d: %s, score %.3f, margin %.3f, %d frames agreed", d.Track, d.Person, d.Score, d.Margin, d.Frames)
}
