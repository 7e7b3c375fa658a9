//go:build !vision

package main

import (
	"context"
	"errors"
)

// enrolGallery needs the face engine, which needs cgo and OpenCV.
func enrolGallery(ctx context.Context, csvPath, configPath string, largest bool, progress func(done, total int)) (enrolment, error) {
	return enrolment{}, errors.New("build roomgate-city with -tags vision to publish galleries (needs OpenCV 4.6: apt-get install libopencv-dev)")
}
