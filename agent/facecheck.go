package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/roomgate/roomgate/agent/gate"
)

// gateFaces is the gate's second factor for chip ID cards: the face
// engine's camera, when this box runs one.
type gateFaces struct{ s *System }

// faceCheckPrompt is what the kiosk shows while the camera looks for the
// card holder's face; it names nobody.
type faceCheckPrompt struct {
	WithinMS int64 `json:"within_ms"`
}

// CheckFace asks the card holder to look at the camera and waits for the
// face engine's answer, keeping systemd's watchdog fed meanwhile: the gate
// loop that feeds it is waiting too.
func (g gateFaces) CheckFace(ctx context.Context, p gate.FaceProbe) (gate.FaceResult, error) {
	s := g.s
	if s.faces == nil {
		why := errors.New("no camera is configured")
		if s.facesErr != nil {
			why = s.facesErr
		}
		return gate.FaceResult{}, fmt.Errorf("no face engine: %w", why)
	}
	s.push("gate_face", faceCheckPrompt{WithinMS: p.Within.Milliseconds()})
	type answer struct {
		res gate.FaceResult
		err error
	}
	done := make(chan answer, 1)
	go func() {
		res, err := s.faces.checkFace(ctx, p)
		done <- answer{res, err}
	}()
	var watchdog <-chan time.Time
	if s.watchdogEvery > 0 {
		t := time.NewTicker(s.watchdogEvery)
		defer t.Stop()
		watchdog = t.C
	}
	for {
		select {
		case a := <-done:
			return a.res, a.err
		case <-watchdog:
			pingWatchdog()
		}
	}
}
