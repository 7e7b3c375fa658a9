//go:build !vision

package agent

import (
	"context"
	"errors"
)

func (s *System) newFaces(context.Context) (faces, error) {
	return nil, errors.New("this roomgate was built without the face engine: build it with -tags vision (OpenCV 4.6: apt-get install libopencv-dev)")
}
