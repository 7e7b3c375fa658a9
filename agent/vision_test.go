//go:build vision

package agent

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"io"
	"log/slog"
	"path/filepath"
	"runtime/debug"
	"sync"
	"testing"
	"time"

	qrcode "github.com/skip2/go-qrcode"
	"gocv.io/x/gocv"

	"github.com/roomgate/roomgate/vision/camera"

	"github.com/roomgate/roomgate/agent/facekit"
	"github.com/roomgate/roomgate/agent/recognition"
	"github.com/roomgate/roomgate/agent/store"
	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/internal/shared"
	"github.com/roomgate/roomgate/internal/socat"
	"github.com/roomgate/roomgate/vision/engine"
	"github.com/roomgate/roomgate/vision/face"
	"github.com/roomgate/roomgate/vision/gallery"
	"github.com/roomgate/roomgate/vision/geom"
)

func readPhoto(t testing.TB, path string) gocv.Mat {
	t.Helper()
	m, err := face.ReadImage(path, face.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// sampleVideo writes an MJPG video showing photo, letterboxed to 640×480.
func sampleVideo(t *testing.T, photo, path string) {
	t.Helper()
	img := readPhoto(t, photo)
	defer img.Close()
	frame := face.Letterbox(img, 640, 480, color.RGBA{})
	defer frame.Close()
	writeVideo(t, frame, path)
}

// writeVideo writes a second of a 640×480 frame as an MJPG video at 10 fps.
func writeVideo(t testing.TB, frame gocv.Mat, path string) {
	t.Helper()
	vw, err := camera.CreateVideo(path, 640, 480, 10)
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if err := vw.Write(frame); err != nil {
			t.Fatal(err)
		}
	}
	if err := vw.Close(); err != nil {
		t.Fatal(err)
	}
}

// enrolObama enrols one photo of the delegate in the store of the config
// at path, as roomgate enroll would, and returns the config.
func enrolObama(t *testing.T, path, faces string) *config.Config {
	t.Helper()
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(path)
	model, vec := embedPhoto(t, cfg, dir, filepath.Join(faces, "obama", "obama.jpg"))
	st, err := store.Open(filepath.Join(dir, "roomgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.AddTemplates(context.Background(), store.Person{ID: "P-obama", Name: "Barack Obama", Unit: "Guests", Source: "local"},
		[]store.Template{{Model: model, Vec: vec, EnrolledAt: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// embedPhoto returns the template of the largest face in photo, made with
// the face engine of cfg as enrolment makes it, and the model's name.
func embedPhoto(t *testing.T, cfg *config.Config, dir, photo string) (model string, vec []byte) {
	t.Helper()
	kit, err := facekit.Open(cfg.Vision, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer kit.Close()
	img := readPhoto(t, photo)
	defer img.Close()
	found, err := kit.Detector.Detect(img)
	largest, ok := face.Largest(found)
	if err != nil || !ok {
		t.Fatalf("no face in %s: %v", photo, err)
	}
	emb, err := kit.Recognizer.Embed(img, largest)
	if err != nil {
		t.Fatal(err)
	}
	return kit.Model, gallery.Encode(emb)
}

// obamaAtTheDoor writes a box's config in a new folder whose camera plays
// a video of the delegate, enrolled with another photo in its store.
func obamaAtTheDoor(t *testing.T) (dir, path string, cfg *config.Config) {
	t.Helper()
	faces := shared.Need(t, "datasets/known_faces_small")
	dir = t.TempDir()
	sampleVideo(t, filepath.Join(faces, "obama", "obama2.jpg"), filepath.Join(dir, "door.avi"))
	link := socat.Pair(t, dir)
	path = writeConfig(t, dir, link.Device, "fail-secure", newIssuer(t))
	appendConfig(t, path, "vision:\n  camera: {name: door-cam, kind: file, path: door.avi, max_fps: 10}\n")
	return dir, path, enrolObama(t, path, faces)
}

// TestAgentRecognisesFromCamera: a delegate enrolled in the store walks in
// front of the camera (a video file) and the status page names them.
func TestAgentRecognisesFromCamera(t *testing.T) {
	_, path, cfg := obamaAtTheDoor(t)

	ra := startAgent(t, path)
	deadline := time.Now().Add(20 * time.Second)
	for {
		snap := ra.status(t)
		if len(snap.Recognitions) > 0 {
			r := snap.Recognitions[0]
			if r.Person != "P-obama" || r.Name != "Barack Obama" || r.Score < cfg.Vision.Threshold {
				t.Errorf("recognition = %+v, want P-obama (Barack Obama) above the threshold", r)
			}
			var cam bool
			for _, d := range snap.Devices {
				cam = cam || d.Kind == "camera" && d.Name == "door-cam" && d.OK
			}
			if !cam {
				t.Errorf("devices %+v: want the camera, healthy", snap.Devices)
			}
			if len(snap.Recognitions) != 1 {
				t.Errorf("recognitions %+v: one face in a looping video is named once", snap.Recognitions)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nobody recognised within 20 s; log:\n%s", ra.logBuf)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestPassShownToCamera: with no scanner in reach, a visitor holds their
// pass up to the camera; the gate decides it once, however long it is held.
func TestPassShownToCamera(t *testing.T) {
	dir := t.TempDir()
	is := newIssuer(t)
	png := filepath.Join(dir, "pass.png")
	if err := qrcode.WriteFile(is.pass(t, "p-camera", "test-site/test-gate"), qrcode.Medium, 360, png); err != nil {
		t.Fatal(err)
	}
	code, err := face.ReadImage(png, face.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	defer code.Close()
	frame := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(255, 255, 255, 0), 480, 640, gocv.MatTypeCV8UC3)
	defer frame.Close()
	roi := frame.Region(image.Rect(140, 60, 500, 420))
	code.CopyTo(&roi)
	roi.Close()
	writeVideo(t, frame, filepath.Join(dir, "door.avi"))

	link := socat.Pair(t, dir)
	path := writeConfig(t, dir, link.Device, "fail-secure", is)
	appendConfig(t, path, "vision:\n  camera: {name: door-cam, kind: file, path: door.avi, max_fps: 10}\n")
	ra := startAgent(t, path)
	entries := ra.waitEntries(t, 1)
	if e := entries[0]; !e.Granted || e.PassID != "p-camera" || e.Scanner != "door-cam" {
		t.Fatalf("entry = %+v, want p-camera granted from door-cam", e)
	}
	time.Sleep(2 * time.Second) // the looping video shows the code 20 times more
	if n := len(ra.status(t).Entries); n != 1 {
		t.Errorf("%d entries for one pass held up to the camera, want 1", n)
	}
}

// TestGalleryReloadsOneAtATime: the city's deletions and the store's
// poller may reload the gallery at once. Each load collects its garbage
// eagerly (a lower GC percent while it runs); loads taking turns leave the
// collector's setting as it was, and the gallery as the store is at the end.
func TestGalleryReloadsOneAtATime(t *testing.T) {
	dir, _, cfg := obamaAtTheDoor(t)
	st, err := store.Open(filepath.Join(dir, "roomgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	f, err := newFaceEngine(ctx, cfg.Vision, dir, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.kit.Close()
	const setting = 73
	defer debug.SetGCPercent(debug.SetGCPercent(setting))

	vec := make([]float32, f.kit.Recognizer.Dim())
	var wg sync.WaitGroup
	for i := range 8 {
		vec[i] = 1
		p := store.Person{ID: fmt.Sprintf("P-%d", i), Name: fmt.Sprintf("Người %d", i), Source: "local"}
		if err := st.AddTemplates(ctx, p, []store.Template{{Model: f.kit.Model, Vec: gallery.Encode(vec), EnrolledAt: time.Now()}}); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f.reloadGallery(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := debug.SetGCPercent(setting); got != setting {
		t.Errorf("GC percent after concurrent loads = %d, want %d as before them", got, setting)
	}
	if got := f.set.Load().People(); got != 9 {
		t.Errorf("gallery holds %d people after the loads, want 9 (the delegate and 8 added)", got)
	}
}

// TestFaceBoxShowsTheTracksVerdict: the camera pane names a face only once
// its track has; one frame's strong match is not a name.
func TestFaceBoxShowsTheTracksVerdict(t *testing.T) {
	names := map[string]string{"P-an": "Nguyễn Văn An"}
	name := func(person string) string { return names[person] }
	at := face.Face{Box: geom.Rect{X: 10, Y: 20, W: 30, H: 40}}
	strong := []gallery.Match{{Person: "P-an", Score: 0.99}, {Person: "P-binh", Score: 0.5}}
	for _, c := range []struct {
		name string
		seen engine.Seen
		want recognition.FaceBox
	}{
		{"deciding, with a strong frame", engine.Seen{Face: at, Looked: true, Matches: strong}, recognition.FaceBox{}},
		{"named, not looked at", engine.Seen{Face: at, Named: "P-an"}, recognition.FaceBox{Name: "Nguyễn Văn An"}},
		{"named, a confirmation", engine.Seen{Face: at, Named: "P-an", Looked: true, Matches: strong}, recognition.FaceBox{Name: "Nguyễn Văn An"}},
		{"said unknown, with a strong frame", engine.Seen{Face: at, Unknown: true, Looked: true, Matches: strong}, recognition.FaceBox{Unknown: true}},
	} {
		c.want.X, c.want.Y, c.want.W, c.want.H = 10, 20, 30, 40
		if got := faceBox(c.seen, name); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}
