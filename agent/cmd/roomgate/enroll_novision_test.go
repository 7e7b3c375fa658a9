//go:build !vision

package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestEnrollWithoutVision(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run([]string{"enroll", "--id", "P-1", "--name", "An", "a.jpg"}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "built without the face engine") || !strings.Contains(err.Error(), "-tags vision") {
		t.Errorf("enroll in a build without vision = %v, want it to say how to build with the face engine", err)
	}
}
