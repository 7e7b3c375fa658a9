//go:build vision

package agent

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/enrol"
	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/internal/socat"
)

// TestFaceCheckInOnTheSampleVideo: the demo's video, where Obama, Kit
// Harington, Rose Leslie and a stranger walk past. Obama and Kit are
// invited and are greeted once each however often the video loops; Rose
// is known but not invited and is told so; the stranger is asked to use a
// QR or see the secretary.
func TestFaceCheckInOnTheSampleVideo(t *testing.T) {
	dir := t.TempDir()
	link := socat.Pair(t, dir)
	path := writeConfig(t, dir, link.Device, "fail-secure", newIssuer(t))
	demo, err := filepath.Abs("../deploy/demo")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ts := func(d time.Duration) string { return now.Add(d).UTC().Format(time.RFC3339) }
	schedule := fmt.Sprintf(`{"version": 1, "meetings": [{"id": "m-1", "title": "Giao ban", "room": "P1",
		"start": %q, "end": %q, "checkin_opens": %q, "checkin_closes": %q, "invitees": [
		{"person": "P-obama", "name": "Barack Obama", "unit": "Khách mời", "role": "", "seat": "A1"},
		{"person": "P-kit", "name": "Kit Harington", "unit": "Sở Văn hóa", "role": "", "seat": "A2"}]}]}`,
		ts(-5*time.Minute), ts(time.Hour), ts(-30*time.Minute), ts(30*time.Minute))
	if err := os.WriteFile(filepath.Join(dir, "meetings.json"), []byte(schedule), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "vision:\n  camera: {name: door-cam, kind: file, path: %q, max_fps: 10}\nmeetings: {file: meetings.json}\n", filepath.Join(demo, "media", "sample.avi"))
	f.Close()
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	photos, err := enrol.ReadCSV(filepath.Join(demo, "media", "people.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Enroll(context.Background(), cfg, dir, photos, enrol.Options{}); err != nil {
		t.Fatal(err)
	}

	ra := startAgent(t, path)
	events := kioskEvents(t, ra)
	greeted := map[string]int{}
	notices := map[string]string{}
	// One loop of the video is 15 s: the second shows that later
	// sightings make no new records.
	deadline := time.After(40 * time.Second)
	done := func() bool {
		return len(greeted) >= 2 && notices["not_invited"] != "" && hasKey(notices, "unknown_face") && notices["already_checked_in"] != ""
	}
wait:
	for !done() {
		select {
		case ev := <-events:
			switch ev.kind {
			case "greeting":
				greeted[ev.data["name"].(string)]++
				for _, k := range []string{"first_frame_at", "decided_at", "stored_at"} {
					if _, ok := ev.data[k].(string); !ok {
						t.Errorf("greeting %v: no %s", ev.data, k)
					}
				}
			case "notice":
				who, _ := ev.data["name"].(string)
				notices[ev.data["kind"].(string)] = who
			}
		case <-deadline:
			break wait
		}
	}
	if greeted["Barack Obama"] != 1 || greeted["Kit Harington"] != 1 || len(greeted) != 2 {
		t.Errorf("greetings %v: want Obama and Kit once each", greeted)
	}
	if notices["not_invited"] != "Rose Leslie" || !hasKey(notices, "unknown_face") || notices["already_checked_in"] == "" {
		t.Errorf("notices %v: want Rose not invited, the stranger unknown, and a later sighting already checked in", notices)
	}
	snap := ra.status(t)
	if b := snap.Meeting; b == nil || b.Present != 2 || b.Expected != 2 {
		t.Fatalf("board %+v: want 2 of 2 present", b)
	}
	for _, in := range snap.Meeting.Invitees {
		if !in.Present || in.Method != "face" || in.Late {
			t.Errorf("invitee %+v: want present by face, on time", in)
		}
	}
	if snap.Outbox.Pending < 2 {
		t.Errorf("outbox %+v: the two attendance records wait for the city", snap.Outbox)
	}
	// The log names people by id: names and match scores are personal data
	// that a log shipped off the box must not carry.
	logged := ra.logBuf.String()
	if !strings.Contains(logged, "msg=\"face recognised\" component=vision person=P-obama") {
		t.Errorf("log lacks Obama's recognition by person id:\n%s", logged)
	}
	for _, name := range []string{"Barack Obama", "Kit Harington", "Rose Leslie", "score="} {
		if strings.Contains(logged, name) {
			t.Errorf("log contains %q:\n%s", name, logged)
		}
	}
}

func hasKey(m map[string]string, k string) bool { _, ok := m[k]; return ok }
