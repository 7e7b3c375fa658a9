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

func TestVisitAddNeedsVision(t *testing.T) {
	keyFile, _ := signKey(t)
	_, _, err := runAt(testNow, "", "visit", "add", "-sign-key", keyFile, "-visits", t.TempDir()+"/visits.json", "-device", "dev-a",
		"-id-number", "001099012345", "-name", "An", "-gate", "hq", "-from", "2026-03-02T08:00:00+07:00", "-until", "2026-03-02T17:00:00+07:00", "-photo", "an.jpg")
	if err == nil || !strings.Contains(err.Error(), "-tags vision") {
		t.Errorf("visit add without the face engine = %v, want a pointer to -tags vision", err)
	}
}
