//go:build vision

package agent

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/internal/socat"
	"github.com/roomgate/roomgate/provisioning/doctor"
)

// TestDoctorCamera: the camera check counts the frames the running engine
// gets, opens the camera itself when no agent runs, checks the shipped
// models' hashes, and fails when the camera gives nothing.
func TestDoctorCamera(t *testing.T) {
	dir := t.TempDir()
	frame := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(90, 120, 150, 0), 480, 640, gocv.MatTypeCV8UC3)
	writeVideo(t, frame, filepath.Join(dir, "door.avi"))
	frame.Close()
	link := socat.Pair(t, dir)
	path := writeConfig(t, dir, link.Device, "fail-secure", newIssuer(t))
	appendConfig(t, path, "vision:\n  camera: {name: door-cam, kind: file, path: door.avi, max_fps: 10}\n")

	camera := func(rep doctor.Report) doctor.Result {
		for _, r := range rep.Results {
			if r.Check == "camera:door-cam" {
				return r
			}
		}
		t.Fatalf("no camera check in %+v", rep.Results)
		return doctor.Result{}
	}
	ra := startAgent(t, path)
	token, err := os.ReadFile(filepath.Join(dir, DoctorTokenName))
	if err != nil {
		t.Fatal(err)
	}
	_, rep := postDoctor(t, ra, string(token), nil, func(doctor.Event) {})
	if r := camera(rep); r.Verdict != doctor.OK || !strings.Contains(r.Detail, "640x480") || !strings.Contains(r.Detail, "models 2 checked") {
		t.Errorf("camera over the running agent = %+v, want ok at 640x480 with both models checked", r)
	}
	ra.shutdown(t)

	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{ConfigPath: path, ConfigDir: dir}
	rep, err = Doctor(context.Background(), cfg, opts, nil, nil)
	if r := camera(rep); err != nil || r.Verdict != doctor.OK || !strings.Contains(r.Detail, "640x480") {
		t.Errorf("camera standalone = %+v, %v; want ok at 640x480", r, err)
	}
	// The research model runs, with a warning that it may not be deployed.
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	research, err := config.Parse(path, []byte(strings.Replace(string(text), "vision:\n", "vision:\n  recognizer: mobilefacenet_y1\n", 1)))
	if err != nil {
		t.Fatal(err)
	}
	rep, err = Doctor(context.Background(), research, opts, nil, nil)
	if r := camera(rep); err != nil || r.Verdict != doctor.Warning || !strings.Contains(r.Detail, "licensed for non-commercial research only") ||
		r.Remedy == nil || !strings.Contains(r.Remedy.EN, "dlib_resnet_v1") {
		t.Errorf("camera with MobileFaceNet = %+v, %v; want a warning that it may not be deployed, with the remedy", r, err)
	}
	if err := os.Remove(filepath.Join(dir, "door.avi")); err != nil {
		t.Fatal(err)
	}
	rep, err = Doctor(context.Background(), cfg, opts, nil, nil)
	if r := camera(rep); err != nil || r.Verdict != doctor.Failure || r.Remedy == nil {
		t.Errorf("camera with its video gone = %+v, %v; want a failure with a remedy", r, err)
	}
}
