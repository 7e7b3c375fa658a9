//go:build vision

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestVisionRun: a technician watches the demo's sample video against a
// gallery of its delegates and sees them named, and the stranger not.
func TestVisionRun(t *testing.T) {
	dir := t.TempDir()
	cfg := enrolConfig(t, dir)
	media, err := filepath.Abs("../../../deploy/demo/media")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("vision:\n  camera: {name: door-cam, kind: file, path: " + filepath.Join(media, "sample.avi") + ", max_fps: 10}\n")
	f.Close()
	var stdout, stderr bytes.Buffer
	if err := run([]string{"enroll", "--config", cfg, "--csv", filepath.Join(media, "people.csv")}, &stdout, &stderr); err != nil {
		t.Fatalf("enroll the demo delegates: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	stdout.Reset()
	// The video is 15 s at 5 fps; played at 10 fps it takes 7.6 s, and the
	// stranger is decided about 6.8 s in. --for counts the models' loading
	// too (dlib's is 22 MB; seconds on a busy machine), so 15 s.
	if err := run([]string{"vision", "run", "--config", cfg, "--for", "15s"}, &stdout, &stderr); err != nil {
		t.Fatalf("vision run: %v\n%s", err, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{": P-obama, score", ": P-kit, score", ": P-rose, score", "unknown (not_recognised)"} {
		if !strings.Contains(out, want) {
			t.Errorf("vision run printed no %q:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`face \d+x\d+ at \d+,\d+: best P-obama 0\.9`).MatchString(out) {
		t.Errorf("vision run printed no face line (box, best match and score) for Obama:\n%s", out)
	}
}
