package track

import (
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/vision/geom"
	"github.com/roomgate/roomgate/vision/quality"
)

var t0 = time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)

func newTracker(t *testing.T) *Tracker {
	t.Helper()
	tr, err := New(Defaults(0.30))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// at is frame i of a 10 fps camera.
func at(i int) time.Time { return t0.Add(time.Duration(i) * 100 * time.Millisecond) }

var left, right = geom.Rect{X: 50, Y: 100, W: 120, H: 120}, geom.Rect{X: 400, Y: 100, W: 120, H: 120}

func match(box geom.Rect, person string, score, runnerUp float32) Observation {
	return Observation{Box: box, Person: person, Score: score, RunnerUp: runnerUp}
}

// moved shifts a box a little, as a face moves between frames.
func moved(b geom.Rect, i int) geom.Rect { b.X += float32(3 * i); return b }

func TestAgreementNamesOnce(t *testing.T) {
	tr := newTracker(t)
	var got []Decision
	for i := range 10 {
		got = append(got, tr.Update(at(i), []Observation{match(moved(left, i), "P-an", 0.6, 0.1)})...)
	}
	if len(got) != 1 {
		t.Fatalf("decisions = %+v, want exactly one", got)
	}
	d := got[0]
	if d.Person != "P-an" || d.Unknown || d.Frames != 3 || d.At != at(2) || d.Score != 0.6 || d.Margin != 0.5 {
		t.Errorf("decision = %+v, want P-an after the 3rd frame, score 0.6, margin 0.5", d)
	}
}

func TestAnotherPersonStepsIn(t *testing.T) {
	tr := newTracker(t)
	var got []Decision
	for i := range 12 {
		who := "P-an"
		if i >= 5 {
			who = "P-binh"
		}
		got = append(got, tr.Update(at(i), []Observation{match(left, who, 0.6, 0.1)})...)
	}
	if len(got) != 2 || got[0].Person != "P-an" || got[1].Person != "P-binh" || got[0].Track != got[1].Track || got[1].At != at(7) {
		t.Errorf("decisions = %+v, want P-an, then P-binh at frame 7 on the same track", got)
	}
}

func TestStrangerStepsIn(t *testing.T) {
	tr := newTracker(t)
	var got []Decision
	for i := range 16 {
		o := match(left, "P-an", 0.6, 0.1)
		switch {
		case i >= 11:
			o = match(left, "P-an", 0.1, 0.05) // a stranger where P-an stood
		case i >= 5:
			o = Observation{Box: left, Rejected: quality.TurnedAway} // P-an looks away
		}
		got = append(got, tr.Update(at(i), []Observation{o})...)
	}
	if len(got) != 2 || got[0].Person != "P-an" || !got[1].Unknown || got[1].Reason != "not_recognised" || got[1].At != at(13) {
		t.Errorf("decisions = %+v, want P-an, nothing while they look away, then unknown at frame 13, when clear frames are most of the last five", got)
	}
}

func TestNoDecisionWithoutAgreement(t *testing.T) {
	for _, tt := range []struct {
		name string
		obs  func(i int) Observation
	}{
		{"below threshold", func(i int) Observation { return match(left, "P-an", 0.29, 0) }},
		{"margin too small", func(i int) Observation { return match(left, "P-an", 0.5, 0.47) }},
		{"look-alikes alternate", func(i int) Observation {
			if i%2 == 0 {
				return match(left, "P-an", 0.5, 0.2)
			}
			return match(left, "P-binh", 0.5, 0.2)
		}},
	} {
		tr := newTracker(t)
		var named []Decision
		for i := range 5 {
			for _, d := range tr.Update(at(i), []Observation{tt.obs(i)}) {
				if !d.Unknown {
					named = append(named, d)
				}
			}
		}
		if tt.name == "look-alikes alternate" {
			// 3 of 5 frames name P-an: that is agreement by the rule.
			if len(named) != 1 || named[0].Person != "P-an" {
				t.Errorf("%s: %+v, want P-an on its 3rd vote", tt.name, named)
			}
			continue
		}
		if len(named) != 0 {
			t.Errorf("%s: named %+v, want nobody", tt.name, named)
		}
	}
}

func TestUnknownOnceThenNamed(t *testing.T) {
	tr := newTracker(t)
	var got []Decision
	// Too far away for five frames, then close enough and recognised.
	for i := range 12 {
		o := Observation{Box: moved(left, i), Rejected: quality.TooSmall}
		if i >= 7 {
			o = match(moved(left, i), "P-an", 0.7, 0.1)
		}
		got = append(got, tr.Update(at(i), []Observation{o})...)
	}
	if len(got) != 2 {
		t.Fatalf("decisions = %+v, want unknown then named", got)
	}
	if !got[0].Unknown || got[0].Reason != string(quality.TooSmall) || got[0].At != at(4) {
		t.Errorf("first decision = %+v, want unknown (too_small) at the 5th frame", got[0])
	}
	if got[1].Person != "P-an" || got[1].Track != got[0].Track || got[1].At != at(9) {
		t.Errorf("second decision = %+v, want P-an on the same track at frame 9", got[1])
	}
}

func TestUnknownFace(t *testing.T) {
	tr := newTracker(t)
	var got []Decision
	for i := range 8 {
		got = append(got, tr.Update(at(i), []Observation{match(left, "P-an", 0.1, 0.05)})...)
	}
	if len(got) != 1 || !got[0].Unknown || got[0].Reason != "not_recognised" {
		t.Errorf("decisions = %+v, want one not_recognised", got)
	}
}

func TestTwoFacesTrackedApart(t *testing.T) {
	tr := newTracker(t)
	var got []Decision
	for i := range 4 {
		// Reported in either order: boxes, not positions in the list, keep them apart.
		obs := []Observation{match(moved(left, i), "P-an", 0.6, 0.1), match(moved(right, -i), "P-binh", 0.55, 0.2)}
		if i%2 == 1 {
			obs[0], obs[1] = obs[1], obs[0]
		}
		got = append(got, tr.Update(at(i), obs)...)
	}
	if len(got) != 2 || got[0].Track == got[1].Track {
		t.Fatalf("decisions = %+v, want two, on two tracks", got)
	}
	names := got[0].Person + "," + got[1].Person
	if !strings.Contains(names, "P-an") || !strings.Contains(names, "P-binh") {
		t.Errorf("named %s, want P-an and P-binh", names)
	}
}

func TestWindowAndLostTrack(t *testing.T) {
	tr := newTracker(t)
	// Two good frames, then frames without the face for 2 s: a new track
	// starts and the old votes do not count.
	tr.Update(at(0), []Observation{match(left, "P-an", 0.6, 0.1)})
	tr.Update(at(1), []Observation{match(left, "P-an", 0.6, 0.1)})
	for i := 2; i < 21; i++ {
		tr.Update(at(i), nil)
	}
	d := tr.Update(at(21), []Observation{match(left, "P-an", 0.6, 0.1)})
	if len(d) != 0 {
		t.Fatalf("decision from votes across a lost track: %+v", d)
	}
	d = append(d, tr.Update(at(22), []Observation{match(left, "P-an", 0.6, 0.1)})...)
	d = append(d, tr.Update(at(23), []Observation{match(left, "P-an", 0.6, 0.1)})...)
	if len(d) != 1 || d[0].Track != 2 {
		t.Errorf("decisions = %+v, want one, on a new track 2", d)
	}

	// Slow frames: votes older than the window drop out.
	tr = newTracker(t)
	var named []Decision
	for i := range 6 {
		named = append(named, tr.Update(t0.Add(time.Duration(i)*900*time.Millisecond), []Observation{match(left, "P-an", 0.6, 0.1)})...)
	}
	if len(named) != 1 || named[0].Frames != 3 {
		t.Errorf("at 0.9 s a frame: %+v, want a decision from 3 frames inside the 3 s window", named)
	}
}

func TestValidate(t *testing.T) {
	for _, change := range []func(*Config){
		func(c *Config) { c.Threshold = 0 },
		func(c *Config) { c.Threshold = 1 },
		func(c *Config) { c.MinMargin = -0.1 },
		func(c *Config) { c.Agree = 0 },
		func(c *Config) { c.Agree = 6 },
		func(c *Config) { c.Window = 0 },
		func(c *Config) { c.MinIoU = 0 },
	} {
		c := Defaults(0.3)
		change(&c)
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted a broken rule", c)
		}
	}
}
