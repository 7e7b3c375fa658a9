//go:build !vision

package main

import (
	"errors"
	"io"
)

// errNoVision is what enroll says in a build without the face engine (the
// gate-only build for CGO_ENABLED=0 and small boards).
var errNoVision = errors.New("enroll: this roomgate was built without the face engine: build with -tags vision (needs OpenCV 4.6: apt-get install libopencv-dev)")

func runEnroll(args []string, stdout, stderr io.Writer) error { return errNoVision }
