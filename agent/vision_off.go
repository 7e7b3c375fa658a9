//go:build !vision

package agent

import (
	"context"
	"errors"

	"github.com/roomgate/roomgate/provisioning/doctor"
)

func (s *System) newFaces(context.Context) (faces, error) {
	return nil, errors.New("this roomgate was built without the face engine: build it with -tags vision (OpenCV 4.6: apt-get install libopencv-dev)")
}

// cameraCheck says the camera check is not in this build.
func (s *System) cameraCheck(bool) doctor.Check {
	return doctor.CameraNotBuilt(s.cfg.Vision.Camera.Name)
}
