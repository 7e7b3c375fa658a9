package track

import (
	"testing"
	"time"

	"github.com/roomgate/roomgate/vision/geom"
	"github.com/roomgate/roomgate/vision/quality"
)

// rules are both decision rules at their defaults.
func rules(t *testing.T) map[string]*Tracker {
	t.Helper()
	return map[string]*Tracker{"vote": newTracker(t), "sequential": newSequential(t)}
}

// camera plays frames through Plan and Update as the engine does: a face
// Plan does not ask to embed is passed on skipped. It returns the
// decisions and how many faces were embedded.
func camera(tr *Tracker, times []time.Time, obs func(i int) Observation) (got []Decision, embedded int) {
	for i, at := range times {
		o := obs(i)
		if look := tr.Plan(at, []geom.Rect{o.Box}); !look[0].Embed {
			o = Observation{Box: o.Box, Skipped: true}
		} else {
			embedded++
		}
		got = append(got, tr.Update(at, []Observation{o})...)
	}
	return got, embedded
}

func TestVoteNotFasterThanTheCamera(t *testing.T) {
	floor := 2*Defaults(0.30).Spacing - time.Millisecond // agree 3: two spacings after the first vote
	clearFace := func(int) Observation { return match(left, "P-an", 0.6, 0.1) }
	for _, tt := range []struct {
		name  string
		times []time.Time
	}{
		{"1 fps", every(time.Second, 10)},
		{"5 fps", every(200*time.Millisecond, 20)},
		{"30 fps", every(time.Second/30, 60)},
		{"60 fps", every(time.Second/60, 120)},
	} {
		for _, planned := range []bool{false, true} {
			var got []Decision
			if planned {
				got, _ = camera(newTracker(t), tt.times, clearFace)
			} else {
				got = feed(newTracker(t), tt.times, clearFace)
			}
			if len(got) != 1 || got[0].Person != "P-an" || got[0].Frames != 3 {
				t.Errorf("%s (planned %v): decisions = %+v, want P-an once, from 3 votes", tt.name, planned, got)
				continue
			}
			if after := got[0].At.Sub(t0); after < floor || after > 2*time.Second+time.Millisecond {
				t.Errorf("%s (planned %v): named after %v of camera time, want %v to 2 s", tt.name, planned, after, floor)
			}
		}
	}
}

func TestSlowCameraKeepsItsTracks(t *testing.T) {
	// 1 fps with a little jitter: each frame comes just over Lost after the
	// last, yet the face never missed a frame.
	for name, tr := range rules(t) {
		var times []time.Time
		for i := range 5 {
			times = append(times, t0.Add(time.Duration(i)*(time.Second+3*time.Millisecond)))
		}
		got := feed(tr, times, func(int) Observation { return match(left, "P-an", clear[0], clear[1]) })
		if len(got) != 1 || got[0].Track != 1 || got[0].Person != "P-an" {
			t.Errorf("%s at 1 fps: decisions = %+v, want P-an on track 1", name, got)
		}
	}
}

func TestLateFrameIgnored(t *testing.T) {
	for name, tr := range rules(t) {
		tr.Update(t0.Add(300*time.Millisecond), []Observation{match(left, "P-an", clear[0], clear[1])})
		// A frame stamped before the last one, with a clear face of
		// someone else where P-an stands and a face elsewhere.
		late := t0.Add(100 * time.Millisecond)
		if look := tr.Plan(late, []geom.Rect{left, right}); look[0].Embed || look[1].Embed {
			t.Errorf("%s: Plan(late frame) = %+v, want nothing embedded", name, look)
		}
		if got := tr.Update(late, []Observation{match(left, "P-binh", clear[0], clear[1]), match(right, "P-binh", clear[0], clear[1])}); got != nil {
			t.Errorf("%s: late frame decided %+v", name, got)
		}
		if len(tr.faces) != 1 || !tr.faces[0].seen.Equal(t0.Add(300*time.Millisecond)) {
			t.Errorf("%s: after a late frame the tracks are %+v, want P-an's alone, unmoved", name, tr.faces)
		}
	}
}

func TestDecidedFacesAreOnlyConfirmed(t *testing.T) {
	const fps = 30
	times := every(time.Second/fps, 3*fps)
	for name := range rules(t) {
		// P-an for 2 s, then P-binh steps into the same place for 1 s.
		got, embedded := camera(rules(t)[name], times, func(i int) Observation {
			if i < 2*fps {
				return match(moved(left, i%3), "P-an", clear[0], clear[1])
			}
			return match(moved(left, i%3), "P-binh", clear[0], clear[1])
		})
		if len(got) != 2 || got[0].Person != "P-an" || got[1].Person != "P-binh" || got[0].Track != got[1].Track {
			t.Fatalf("%s: decisions = %+v, want P-an then P-binh on one track", name, got)
		}
		if !got[1].At.After(times[2*fps]) {
			t.Errorf("%s: P-binh named at %v, before their first frame", name, got[1].At)
		}
		// Undecided: every frame (sequential) or every vote's spacing;
		// decided: one in Confirm. 90 frames at 30 fps would be 90.
		if embedded > 30 {
			t.Errorf("%s: %d of %d faces embedded, want 30 at most", name, embedded, len(times))
		}
		t.Logf("%s: %d of %d faces embedded; P-an named after %v, P-binh %v after stepping in", name, embedded, len(times),
			got[0].At.Sub(t0), got[1].At.Sub(times[2*fps]))
	}
}

func TestPlanPairsAsUpdate(t *testing.T) {
	tr := newSequential(t)
	tr.Update(t0, []Observation{match(left, "P-an", clear[0], clear[1]), match(right, "P-binh", weak[0], weak[1])})
	d := tr.Update(at(1), []Observation{match(left, "P-an", clear[0], clear[1]), match(right, "P-binh", weak[0], weak[1])})
	boxes := []geom.Rect{moved(right, 1), moved(left, 1), {X: 250, Y: 300, W: 100, H: 100}}
	look := tr.Plan(at(2), boxes)
	if len(d) != 2 || look[0].Track != 2 || look[1].Track != 1 || look[1].Named != "P-an" || look[2].Track != 0 || !look[2].Embed {
		t.Fatalf("decisions %+v (want P-an and an unknown face), then Plan = %+v: want the right box on track 2, the left on track 1 named P-an, the third new", d, look)
	}
	if look[1].Embed {
		t.Errorf("Plan = %+v: P-an was named 100 ms ago, want no embedding before %v", look, Confirm)
	}
}

// TestPlanSaysWhatTheTrackSaid: the kiosk labels a face by its track's
// verdict before each frame: nothing while undecided, unknown once said,
// the name once named (also after an unknown), and unknown again when a
// stranger steps into a named face's place.
func TestPlanSaysWhatTheTrackSaid(t *testing.T) {
	tr := newTracker(t)
	var verdicts []Decision
	for i := range 24 {
		o := Observation{Box: moved(left, i), Rejected: quality.TooSmall} // too far for 5 frames: unknown
		switch {
		case i >= 14:
			o = match(moved(left, i), "P-an", 0.1, 0.05) // someone else stands there
		case i >= 7:
			o = match(moved(left, i), "P-an", 0.7, 0.1)
		}
		var want Look
		if n := len(verdicts); n > 0 {
			want.Named, want.Unknown = verdicts[n-1].Person, verdicts[n-1].Unknown
		}
		if look := tr.Plan(at(i), []geom.Rect{o.Box})[0]; i > 0 && (look.Named != want.Named || look.Unknown != want.Unknown) {
			t.Errorf("frame %d: Plan says named %q, unknown %v; after %d decisions want %q, %v", i, look.Named, look.Unknown, len(verdicts), want.Named, want.Unknown)
		}
		verdicts = append(verdicts, tr.Update(at(i), []Observation{o})...)
	}
	if len(verdicts) != 3 || !verdicts[0].Unknown || verdicts[1].Person != "P-an" || !verdicts[2].Unknown {
		t.Errorf("decisions = %+v, want unknown, P-an, unknown", verdicts)
	}
}
