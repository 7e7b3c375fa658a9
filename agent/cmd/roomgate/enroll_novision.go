//go:build !vision

package main

import (
	"errors"
	"fmt"
	"io"
)

// errNoVision is what the face commands say in a build without the face
// engine (the gate-only build for CGO_ENABLED=0 and small boards).
var errNoVision = errors.New("this roomgate was built without the face engine: build with -tags vision (needs OpenCV 4.6: apt-get install libopencv-dev)")

func runEnroll(args []string, stdout, stderr io.Writer) error {
	return fmt.Errorf("enroll: %w", errNoVision)
}

func runVision(args []string, stdout, stderr io.Writer) error {
	return fmt.Errorf("vision run: %w", errNoVision)
}
