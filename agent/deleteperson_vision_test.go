//go:build vision

package agent

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/internal/mqtttest"
	"github.com/roomgate/roomgate/internal/shared"
	"github.com/roomgate/roomgate/internal/socat"
	"github.com/roomgate/roomgate/kiosk"
)

// TestDeletePersonFromGalleryStopsRecognition: a delegate enrolled on the
// box is recognised on the camera until the city deletes them; from the
// answer on, the face engine's gallery no longer holds them and the
// camera names them no more.
func TestDeletePersonFromGalleryStopsRecognition(t *testing.T) {
	faces := shared.Need(t, "datasets/known_faces_small")
	c := &city{broker: mqtttest.Start(t)}
	o := startOps(t, c.broker)
	dir := t.TempDir()
	sampleVideo(t, filepath.Join(faces, "obama", "obama2.jpg"), filepath.Join(dir, "door.avi"))
	path := c.boxConfig(t, dir, socat.Pair(t, dir).Device, newIssuer(t))
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("vision:\n  camera: {name: door-cam, kind: file, path: door.avi, max_fps: 10}\n")
	f.Close()
	enrolObama(t, path, faces)

	ra := startAgent(t, path)
	o.waitState(t, "the box online", func(st wire.State) bool { return st.Online && st.Link.Connected })
	named := func(snap kiosk.Snapshot) bool {
		for _, r := range snap.Recognitions {
			if r.Person == "P-obama" {
				return true
			}
		}
		return false
	}
	deadline := time.Now().Add(20 * time.Second)
	for !named(ra.status(t)) {
		if time.Now().After(deadline) {
			t.Fatalf("P-obama not recognised within 20 s; log:\n%s", ra.logBuf)
		}
		time.Sleep(100 * time.Millisecond)
	}

	r, res := o.deletePerson(t, "del-obama", "P-obama")
	if !r.OK || res["found"] != true || res["gallery_reloaded"] != true || res["recognitions"] == 0.0 {
		t.Fatalf("delete_person P-obama = %+v %v, want ok, found, the engine's gallery reloaded, recognitions forgotten", r, res)
	}
	snap := ra.status(t)
	if snap.Gallery.People != 0 || named(snap) {
		t.Errorf("status right after the answer: gallery %+v, recognitions %+v; want nobody in the engine's gallery and no P-obama", snap.Gallery, snap.Recognitions)
	}
	// The video loops at 10 frames a second: three seconds of it.
	time.Sleep(3 * time.Second)
	if snap := ra.status(t); named(snap) {
		t.Errorf("P-obama recognised after being deleted: %+v", snap.Recognitions)
	}
}
