//go:build !vision

package main

import (
	"strings"
	"testing"
)

func TestPublishGalleryNeedsVision(t *testing.T) {
	_, _, err := runAt(testNow, "", "publish", "gallery", "-device", "dev-a", "-csv", "people.csv")
	if err == nil || !strings.Contains(err.Error(), "-tags vision") {
		t.Errorf("publish gallery without the face engine = %v, want a pointer to -tags vision", err)
	}
}
