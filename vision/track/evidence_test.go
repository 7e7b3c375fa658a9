package track

import (
	"math"
	"testing"
	"time"

	"github.com/roomgate/roomgate/vision/quality"
)

func newSequential(t *testing.T) *Tracker {
	t.Helper()
	tr, err := NewSequential(Defaults(0.42), EvidenceDefaults())
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// Scores whose evidence under EvidenceDefaults is known: clear is capped
// at +Cap, weak at −Cap, and modest adds about +2 nats.
var (
	clear  = [2]float32{0.7, 0.1}
	weak   = [2]float32{0.2, 0.15}
	modest = [2]float32{0.55, 0.45}
)

func TestEvidenceScores(t *testing.T) {
	e := EvidenceDefaults()
	if l := e.LLR(clear[0], clear[1], e.People); l != e.Cap {
		t.Errorf("LLR(clear) = %v, want the cap %v", l, e.Cap)
	}
	if l := e.LLR(weak[0], weak[1], e.People); l != -e.Cap {
		t.Errorf("LLR(weak) = %v, want −cap", l)
	}
	if l := e.LLR(modest[0], modest[1], e.People); l < 1.5 || l > 2.5 {
		t.Errorf("LLR(modest) = %v, want about 2", l)
	}
}

// TestEvidenceFollowsTheGallery: the same match is more evidence in a
// gallery larger than people, by people_slope per e-fold; a smaller one
// keeps the intercept, and a slope of 0 ignores the gallery.
func TestEvidenceFollowsTheGallery(t *testing.T) {
	e := EvidenceDlibResNetV1()
	e.Cap = 100 // to see the sums uncapped
	at := func(people int) float32 { return e.LLR(0.95, 0.93, people) }
	if d := at(100*int(math.Round(math.E*1000))/1000) - at(100); math.Abs(float64(d-e.PeopleSlope)) > 0.01 {
		t.Errorf("an e-fold more people adds %v nats, want people_slope %v", d, e.PeopleSlope)
	}
	if at(1000) <= at(100) || at(10) != at(100) || at(0) != at(100) {
		t.Errorf("LLR at 0, 10, 100, 1000 people = %v, %v, %v, %v: want the same up to 100, then more", at(0), at(10), at(100), at(1000))
	}
	e.PeopleSlope = 0
	if at(10) != at(100000) {
		t.Errorf("people_slope 0: LLR %v at 10 people, %v at 100,000, want the same", at(10), at(100000))
	}
}

// minTime is the least camera time after a track's first frame in which
// the default rule may name anyone, less a millisecond for frame times
// that are whole nanoseconds (3 × 1/30 s is 99.999999 ms).
func minTime() time.Duration {
	e := EvidenceDefaults()
	return time.Duration(float64(e.Accept/e.Cap-1)*float64(e.Spacing)) - time.Millisecond
}

// feed sends frames at the given times, each one observation of the same
// face, and returns the decisions.
func feed(tr *Tracker, times []time.Time, obs func(i int) Observation) []Decision {
	var got []Decision
	for i, at := range times {
		got = append(got, tr.Update(at, []Observation{obs(i)})...)
	}
	return got
}

func every(d time.Duration, n int) []time.Time {
	out := make([]time.Time, n)
	for i := range out {
		out[i] = t0.Add(time.Duration(i) * d)
	}
	return out
}

func TestEvidenceNotFasterThanTheCamera(t *testing.T) {
	clearFace := func(int) Observation { return match(left, "P-an", clear[0], clear[1]) }
	dup := func(ts []time.Time, k int) []time.Time { // each frame delivered k times
		var out []time.Time
		for _, at := range ts {
			for range k {
				out = append(out, at)
			}
		}
		return out
	}
	dropped := func(ts []time.Time) []time.Time { // two of every three frames lost
		var out []time.Time
		for i, at := range ts {
			if i%3 == 0 {
				out = append(out, at)
			}
		}
		return out
	}
	shuffled := func(ts []time.Time) []time.Time { // late frames arrive after their successors
		out := append([]time.Time(nil), ts...)
		for i := 0; i+1 < len(out); i += 2 {
			out[i], out[i+1] = out[i+1], out[i]
		}
		return out
	}
	for _, tt := range []struct {
		name   string
		times  []time.Time
		within time.Duration // camera time by which a clear face must be named
	}{
		{"1 fps", every(time.Second, 10), time.Second},
		{"5 fps", every(200*time.Millisecond, 20), 200 * time.Millisecond},
		{"30 fps", every(time.Second/30, 60), 200 * time.Millisecond},
		{"30 fps, each frame three times", dup(every(time.Second/30, 60), 3), 200 * time.Millisecond},
		{"30 fps, two of three dropped", dropped(every(time.Second/30, 60)), 200 * time.Millisecond},
		{"30 fps, pairs out of order", shuffled(every(time.Second/30, 60)), 200 * time.Millisecond},
		{"30 fps then 1 fps", append(every(time.Second/30, 2), every(time.Second, 10)[1:]...), time.Second},
	} {
		got := feed(newSequential(t), tt.times, clearFace)
		if len(got) != 1 || got[0].Person != "P-an" {
			t.Errorf("%s: decisions = %+v, want P-an once", tt.name, got)
			continue
		}
		after := got[0].At.Sub(t0)
		if after < minTime() || after > tt.within {
			t.Errorf("%s: named after %v of camera time, want between %v (the evidence's floor) and %v", tt.name, after, minTime(), tt.within)
		}
	}
}

func TestEvidenceDuplicatesAddNothing(t *testing.T) {
	// A modest face needs several frames; the same frame sent again and
	// again must not stand in for them.
	tr := newSequential(t)
	var got []Decision
	for range 50 {
		got = append(got, tr.Update(t0, []Observation{match(left, "P-an", modest[0], modest[1])})...)
	}
	if len(got) != 0 {
		t.Errorf("50 copies of one frame: %+v, want no decision", got)
	}
	got = feed(tr, every(200*time.Millisecond, 8)[1:], func(int) Observation { return match(left, "P-an", modest[0], modest[1]) })
	if len(got) != 1 || got[0].Person != "P-an" || got[0].Frames < 4 {
		t.Errorf("then 7 frames at 5 fps: %+v, want P-an from 4 or more frames", got)
	}
}

func TestEvidenceIdentityChange(t *testing.T) {
	// P-an gives modest evidence for three frames, then P-binh steps into
	// the same box: P-binh needs evidence of their own.
	tr := newSequential(t)
	times := every(200*time.Millisecond, 12)
	got := feed(tr, times, func(i int) Observation {
		if i < 3 {
			return match(left, "P-an", modest[0], modest[1])
		}
		return match(left, "P-binh", modest[0], modest[1])
	})
	if len(got) != 1 || got[0].Person != "P-binh" || got[0].Frames < 4 || got[0].At.Before(times[6]) {
		t.Errorf("decisions = %+v, want only P-binh, from 4 or more of their own frames", got)
	}

	// Look-alikes named clearly in turn: neither's evidence ever adds up.
	tr = newSequential(t)
	got = feed(tr, every(200*time.Millisecond, 20), func(i int) Observation {
		if i%2 == 0 {
			return match(left, "P-an", clear[0], clear[1])
		}
		return match(left, "P-binh", clear[0], clear[1])
	})
	if len(got) != 0 {
		t.Errorf("alternating look-alikes: %+v, want no decision", got)
	}
}

func TestEvidenceStrangerAndQuality(t *testing.T) {
	tr := newSequential(t)
	times := every(200*time.Millisecond, 20)
	got := feed(tr, times, func(i int) Observation {
		switch {
		case i < 2:
			return match(left, "P-an", clear[0], clear[1])
		case i < 8:
			return Observation{Box: left, Rejected: quality.TurnedAway} // P-an looks away: no evidence
		}
		return match(left, "P-an", weak[0], weak[1]) // a stranger where P-an stood
	})
	if len(got) != 2 || got[0].Person != "P-an" || !got[1].Unknown || got[1].Reason != notRecognised || got[1].At.Before(times[9]) {
		t.Errorf("decisions = %+v, want P-an, then not_recognised from the stranger's own frames", got)
	}

	// Too far away to use: unknown for that reason after the patience.
	tr = newSequential(t)
	got = feed(tr, times, func(int) Observation { return Observation{Box: left, Rejected: quality.TooSmall} })
	if len(got) != 1 || got[0].Reason != string(quality.TooSmall) || got[0].At.Sub(t0) != EvidenceDefaults().Patience {
		t.Errorf("too small: %+v, want one too_small after %v", got, EvidenceDefaults().Patience)
	}
}

func TestEvidenceValidate(t *testing.T) {
	for _, change := range []func(*Evidence){
		func(e *Evidence) { e.Score = 0 },
		func(e *Evidence) { e.Margin = -1 },
		func(e *Evidence) { e.Cap = 0 },
		func(e *Evidence) { e.Accept = e.Cap },
		func(e *Evidence) { e.Reject = 0 },
		func(e *Evidence) { e.Spacing = 0 },
		func(e *Evidence) { e.Patience = 0 },
		func(e *Evidence) { e.People = 0 },
		func(e *Evidence) { e.PeopleSlope = 6 },
		func(e *Evidence) { e.PeopleSlope = float32(math.NaN()) },
	} {
		e := EvidenceDefaults()
		change(&e)
		if _, err := NewSequential(Defaults(0.42), e); err == nil {
			t.Errorf("NewSequential(%+v) accepted a broken rule", e)
		}
	}
}
