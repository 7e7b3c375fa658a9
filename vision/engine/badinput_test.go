//go:build vision

package engine

import (
	"context"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/roomgate/roomgate/internal/shared"
	"github.com/roomgate/roomgate/vision/camera"
	"github.com/roomgate/roomgate/vision/face"
	"github.com/roomgate/roomgate/vision/track"
)

// floor is the least camera time from a track's first frame to a name
// that rule ev allows (nil: the vote), less a millisecond for frame times
// in whole nanoseconds.
func floor(ev *track.Evidence) time.Duration {
	if ev == nil {
		cfg := track.Defaults(0.42)
		return time.Duration(cfg.Agree-1)*cfg.Spacing - time.Millisecond
	}
	return time.Duration(float64(ev.Accept/ev.Cap-1)*float64(ev.Spacing)) - time.Millisecond
}

// leastFrames is the fewest frames rule ev names anyone on.
func leastFrames(ev *track.Evidence) int {
	if ev == nil {
		return track.Defaults(0.42).Agree
	}
	return int(ev.Accept / ev.Cap)
}

// folderCamera writes the frames as PNGs (lossless, so a frame's marker
// pixel survives) into a folder camera played at fps.
func folderCamera(t *testing.T, frames []gocv.Mat, fps float64) *camera.Camera {
	t.Helper()
	dir := t.TempDir()
	for i, m := range frames {
		// JPEG, as a camera sends: the camera decodes only the frames the
		// engine takes, so a slow engine makes it drop frames.
		encoded, err := face.EncodeJPEG(m, 95)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%03d.jpg", i)), encoded, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cam, err := camera.New(camera.Config{Name: "test-cam", Kind: camera.KindFolder, Path: dir, MaxFPS: fps})
	if err != nil {
		t.Fatal(err)
	}
	return cam
}

// seen is one frame the engine processed, by the marker of the file it was.
type seen struct {
	index int
	res   Result
}

// play runs the camera through the engine, taking work longer per frame
// than the engine does, until done says so; it fails after limit.
func play(t *testing.T, cam *camera.Camera, e *Engine, work time.Duration, limit time.Duration, done func([]seen) bool) []seen {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	var out []seen
	var failed error
	cam.Run(ctx, func(m gocv.Mat, at time.Time) {
		res, err := e.Process(m, at)
		if err != nil {
			failed = err
			cancel()
			return
		}
		out = append(out, seen{index: marker(m), res: res})
		if done(out) {
			cancel()
		}
		time.Sleep(work)
	})
	if failed != nil {
		t.Fatal(failed)
	}
	if !done(out) {
		t.Fatalf("not done within %v: %d frames processed, camera %+v", limit, len(out), cam.Status())
	}
	return out
}

// marked paints frame i's index, times 10, into its top-left 16×16 block,
// where JPEG keeps a flat grey within a level or two.
func marked(m gocv.Mat, i int) gocv.Mat {
	c := m.Clone()
	block := c.Region(image.Rect(0, 0, 16, 16))
	block.SetTo(gocv.NewScalar(float64(10*i), float64(10*i), float64(10*i), 0))
	block.Close()
	return c
}

func marker(m gocv.Mat) int {
	inner := m.Region(image.Rect(4, 4, 12, 12))
	defer inner.Close()
	return int(math.Round(inner.Mean().Val1 / 10))
}

func named(frames []seen) []track.Decision {
	var out []track.Decision
	for _, s := range frames {
		for _, d := range s.res.Decisions {
			if !d.Unknown {
				out = append(out, d)
			}
		}
	}
	return out
}

// A camera at 1, 5 or 30 fps, or one whose frames the engine has no time
// for, never has a face named sooner (in camera time, or in frames) than
// the rule's evidence allows; and still names it.
func TestCameraRateDoesNotHurryTheRule(t *testing.T) {
	if testing.Short() {
		t.Skip("plays a camera for seconds")
	}
	fx := newFixture(t)
	fx.enrol(t, map[string]string{"P-obama": "obama/obama.jpg", "P-biden": "biden/biden.jpg", "P-rose": "rose_leslie/img1.jpg"})
	frame := fx.frame(t, "obama/obama2.jpg")
	defer frame.Close()
	for _, r := range rules {
		for _, tt := range []struct {
			name string
			fps  float64
			work time.Duration // beyond the engine's own
		}{
			{"1 fps", 1, 0},
			{"5 fps", 5, 0},
			{"30 fps", 30, 0},
			{"30 fps, engine too slow: frames dropped", 30, 120 * time.Millisecond},
		} {
			t.Run(r.name+"/"+tt.name, func(t *testing.T) {
				cam := folderCamera(t, []gocv.Mat{frame}, tt.fps)
				got := play(t, cam, fx.engineWith(t, r.ev), tt.work, 15*time.Second, func(s []seen) bool { return len(named(s)) > 0 })
				d := named(got)[0]
				if d.Person != "P-obama" {
					t.Fatalf("named %s, want P-obama", d.Person)
				}
				if after := d.At.Sub(d.First); after < floor(r.ev) || d.Frames < leastFrames(r.ev) {
					t.Errorf("named after %v of camera time from %d frames, want at least %v and %d frames", after, d.Frames, floor(r.ev), leastFrames(r.ev))
				}
				st := cam.Status()
				if tt.work > 0 && st.Dropped == 0 {
					t.Errorf("camera %+v: no frame dropped, the case is not tested", st)
				}
				t.Logf("named after %v of camera time, %d frames counted, %d processed; camera %d handed on, %d dropped",
					d.At.Sub(d.First), d.Frames, len(got), st.Frames, st.Dropped)
			})
		}
	}
}

// Frames stamped before the last one, or with its time again, add nothing.
// (A camera stamps frames as it reads them; a source could still deliver
// them late or reordered, and the engine is called with any time.)
func TestLateAndRepeatedFrames(t *testing.T) {
	fx := newFixture(t)
	fx.enrol(t, map[string]string{"P-obama": "obama/obama.jpg", "P-biden": "biden/biden.jpg"})
	frame := fx.frame(t, "obama/obama2.jpg")
	defer frame.Close()
	start := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	for _, r := range rules {
		e := fx.engineWith(t, r.ev)
		var early []track.Decision
		for _, ms := range []int{0, 0, 0, -50, -300, 0, -10, 0} {
			res, err := e.Process(frame, start.Add(time.Duration(ms)*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			early = append(early, res.Decisions...)
		}
		if len(early) != 0 {
			t.Errorf("%s: repeated and late frames of one instant decided %+v", r.name, early)
		}
		// Then frames 100 ms apart: the name comes when the rule's own
		// count of frames allows, as if the late ones were not there.
		got := watch(t, e, frame, start.Add(100*time.Millisecond), 4)
		want := start.Add(floor(r.ev) + time.Millisecond)
		if len(got) != 1 || got[0].Person != "P-obama" || !got[0].At.Equal(want) || !got[0].First.Equal(start) {
			t.Errorf("%s: decisions %+v, want P-obama at %v on the track begun at %v", r.name, got, want, start)
		}
	}
}

// lfwFrame places one LFW crop (an aligned face), doubled, in the middle
// of a grey 640×480 frame: every person's face lands in the same place.
func lfwFrame(t *testing.T, lfw, person string, n int) gocv.Mat {
	t.Helper()
	img, err := face.ReadImage(filepath.Join(lfw, person, fmt.Sprintf("%s_%04d.jpg", person, n)), face.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	frame := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(90, 90, 90, 0), 480, 640, gocv.MatTypeCV8UC3)
	roi := frame.Region(image.Rect(208, 128, 432, 352))
	defer roi.Close()
	gocv.Resize(img, &roi, image.Pt(224, 224), 0, 0, gocv.InterpolationCubic)
	return frame
}

// Two people passing through one place: the second steps in where the
// first stood, in one track. Whether the first was named already or had
// only begun to gather evidence, the second's frames name the second
// person or nobody, from their own frames, never the first.
func TestTwoPeopleInOnePlace(t *testing.T) {
	if testing.Short() {
		t.Skip("plays a camera for seconds")
	}
	fx := newFixture(t)
	lfw := shared.Need(t, "datasets/lfw_112x112/images")
	first, second := "Colin_Powell", "Tony_Blair"
	var enrol []gocv.Mat
	for _, p := range []string{first, second} {
		enrol = append(enrol, lfwFrame(t, lfw, p, 1))
	}
	fx.enrolFrames(t, map[string]gocv.Mat{first: enrol[0], second: enrol[1]})
	for _, m := range enrol {
		m.Close()
	}
	for _, r := range rules {
		for _, lead := range []int{1, 8} { // the first person's frames: undecided, and named
			t.Run(fmt.Sprintf("%s/%d frames of the first", r.name, lead), func(t *testing.T) {
				var frames []gocv.Mat
				for i := range lead + 12 {
					p, n := first, 2+i%4
					if i >= lead {
						p, n = second, 2+i%4
					}
					m := lfwFrame(t, lfw, p, n)
					frames = append(frames, marked(m, i))
					m.Close()
				}
				defer func() {
					for _, m := range frames {
						m.Close()
					}
				}()
				cam := folderCamera(t, frames, 5)
				got := play(t, cam, fx.engineWith(t, r.ev), 0, 20*time.Second, func(s []seen) bool {
					return len(s) > 1 && s[len(s)-1].index < s[len(s)-2].index // the folder begins again
				})
				got = got[:len(got)-1]
				if got[0].index != 0 || len(got[0].res.Faces) != 1 {
					t.Fatalf("the first frame processed is %d with %d faces: want the first person's first frame, one face", got[0].index, len(got[0].res.Faces))
				}
				var firstAt time.Time
				secondFrames := 0
				for _, s := range got {
					if firstAt.IsZero() && len(s.res.Faces) > 0 {
						firstAt = s.res.At
					}
					onSecond := s.index >= lead
					if onSecond && len(s.res.Faces) > 0 {
						secondFrames++
					}
					for _, d := range s.res.Decisions {
						switch {
						case onSecond && d.Person == first:
							t.Errorf("frame %d (%s) named %s", s.index, second, first)
						case !onSecond && d.Person == second:
							t.Errorf("frame %d (%s) named %s", s.index, first, second)
						case onSecond && d.Person == second:
							if !d.First.Equal(firstAt) {
								t.Errorf("%s named on a track begun at %v, not the first person's (%v): the case is not tested", second, d.First, firstAt)
							}
							if d.Frames > secondFrames {
								t.Errorf("%s named from %d frames, more than their own %d: the first person's evidence was counted", second, d.Frames, secondFrames)
							}
						}
						t.Logf("frame %d: %+v", s.index, d)
					}
				}
				if names := named(got); lead > 1 && (len(names) == 0 || names[0].Person != first) {
					t.Errorf("decisions %+v: want %s named on their %d frames first, or the case is not tested", names, first, lead)
				}
			})
		}
	}
}

// Once a face is decided (named, or matched nobody), the recogniser looks
// at it only once per track.Confirm, however fast the camera: at 30 fps
// for 2 s an enrolled person and a stranger are embedded on a few frames
// until their decision and on four confirmations after it, not on 60.
func TestDecidedFacesAreNotEmbeddedEveryFrame(t *testing.T) {
	fx := newFixture(t)
	fx.enrol(t, map[string]string{"P-obama": "obama/obama.jpg", "P-biden": "biden/biden.jpg", "P-rose": "rose_leslie/img1.jpg"})
	start := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	const frames = 60 // 2 s at 30 fps
	for _, photo := range []string{"obama/obama2.jpg", "kit_harington/john2.jpeg"} {
		frame := fx.frame(t, photo)
		for _, r := range rules {
			e := fx.engineWith(t, r.ev)
			embedded, untilDecided := 0, 0
			var decided time.Time
			for i := range frames {
				at := start.Add(time.Duration(i) * time.Second / 30)
				res, err := e.Process(frame, at)
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range res.Faces {
					if s.Looked {
						embedded++
					}
				}
				if len(res.Decisions) > 0 && decided.IsZero() {
					decided, untilDecided = at, embedded
				}
			}
			if decided.IsZero() {
				t.Errorf("%s, %s: no decision in %d frames", photo, r.name, frames)
				continue
			}
			confirmations := int(start.Add(frames*time.Second/30).Sub(decided)/track.Confirm) + 1
			if after := embedded - untilDecided; after > confirmations {
				t.Errorf("%s, %s: embedded on %d frames after the decision, want %d at most", photo, r.name, after, confirmations)
			}
			t.Logf("%s, %s: embedded on %d of %d frames (%d until the decision at %v)", photo, r.name, embedded, frames, untilDecided, decided.Sub(start))
		}
		frame.Close()
	}
}
