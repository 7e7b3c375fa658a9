//go:build !vision

package main

import (
	"context"
	"errors"
)

// errNoFaceEngine says this build cannot compute templates: the face
// engine needs cgo and OpenCV.
var errNoFaceEngine = errors.New("build roomgate-city with -tags vision to publish galleries (needs OpenCV 4.6: apt-get install libopencv-dev)")

func enrolGallery(ctx context.Context, csvPath, configPath string, largest bool, progress func(done, total int)) (enrolment, error) {
	return enrolment{}, errNoFaceEngine
}
