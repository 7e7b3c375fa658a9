package track

import (
	"fmt"
	"math"
	"time"

	"github.com/roomgate/roomgate/vision/quality"
)

// Evidence is the sequential rule: each frame's best match adds the log
// likelihood ratio of "this face is that person" against "a stranger or
// someone else", fitted on the dev data (visionbench -sections fit), and a
// track names the person once the sum reaches Accept, or calls the face
// unknown once it falls to -Reject. A clear face decides in a frame or
// two; a borderline one waits.
//
// Frames of one face are not independent (the same pose, light and
// camera noise), so no frame counts for more than Cap, and a frame counts
// in full only when it comes Spacing or more after the last one counted:
// at 30 fps three frames weigh as one, a duplicated or out-of-order frame
// weighs nothing, and a late one no more than one. A name thus needs at
// least (Accept/Cap − 1) × Spacing of camera time after the first frame,
// whatever the frame rate.
type Evidence struct {
	Intercept float32       `yaml:"intercept"` // LLR = intercept + score·best + margin·(best − runner-up), in nats, for a gallery of up to People
	Score     float32       `yaml:"score"`     // weight of the best cosine
	Margin    float32       `yaml:"margin"`    // weight of the lead over the runner-up person
	Cap       float32       `yaml:"cap"`       // no frame adds more than this, or less than −cap
	Accept    float32       `yaml:"accept"`    // evidence that names the person
	Reject    float32       `yaml:"reject"`    // evidence against everyone that calls the face unknown
	Spacing   time.Duration `yaml:"spacing"`   // frames closer than this count in part: they show the same instant
	Patience  time.Duration `yaml:"patience"`  // a face with no usable frame this long is unknown, for the reason seen most

	// A gallery larger than People adds PeopleSlope nats to the intercept
	// per e-fold of people: more people crowd the runner-up closer, so the
	// same face shows less margin. Smaller galleries keep the intercept
	// (none smaller was measured); 0 ignores the gallery's size.
	People      int     `yaml:"people"`       // the gallery's size the intercept is for
	PeopleSlope float32 `yaml:"people_slope"` // nats per e-fold of people beyond it
}

// EvidenceDefaults is the rule fitted for the shipped model
// (mobilefacenet-insightface-y1) by visionbench -sections fit: half the LFW
// dev people with 2+ photos, 6 perturbed versions of each photo, a gallery
// of 1,000. The bounds are the middle of those make bench-sequence
// compared (vision/README.md).
func EvidenceDefaults() Evidence {
	return Evidence{Intercept: -9.2, Score: 16.9, Margin: 22.3, Cap: 4, Accept: 8, Reject: 6, Spacing: 100 * time.Millisecond, Patience: time.Second, People: 1000}
}

// EvidenceDlibResNetV1 is the rule fitted the same way for dlib's ResNet
// (visionbench -rec dlib_resnet_v1 -sections fit, the same people and
// perturbations): its cosines sit near 0.9 and close together, so its
// weights are larger. The fit's intercept is -90.0; the rule's is stricter,
// because one face's frames are correlated and the per-frame fit overstates
// what they add up to (at -90, 4.1 % of strangers' tracks were checked in
// with 100 people enrolled). The intercept and its rise with the gallery's
// size were chosen on whole tracks of the fit half's people
// (visionbench -seq-calibrate 0.0033): the highest intercept keeping their
// strangers' tracks checked in at or below 0.33 % with 100, 1,000 and 3,348
// people enrolled, -92.4 at 100 and 0.40 nats per e-fold of people beyond.
// On the benchmark's half, which the choice never saw, that checked in
// 0.17 %, 0.14 % and 0.12 % of strangers' tracks, against the vote's 0.78 %,
// 3.0 % and 5.2 % at 0.95 (vision/README.md). The bounds are
// EvidenceDefaults'.
func EvidenceDlibResNetV1() Evidence {
	e := EvidenceDefaults()
	e.Intercept, e.Score, e.Margin = -92.4, 94.2, 142.0
	e.People, e.PeopleSlope = 100, 0.40
	return e
}

// Validate reports a rule that can never decide, or decides on one frame.
func (e Evidence) Validate() error {
	switch {
	case e.Score <= 0 || e.Margin < 0:
		return fmt.Errorf("track: evidence score %v and margin %v: want score positive, margin not negative (a better match must be more evidence)", e.Score, e.Margin)
	case e.Cap <= 0:
		return fmt.Errorf("track: evidence cap %v must be positive", e.Cap)
	case e.Accept <= e.Cap:
		return fmt.Errorf("track: evidence accept %v must exceed cap %v: one frame must never name a person", e.Accept, e.Cap)
	case e.Reject <= 0:
		return fmt.Errorf("track: evidence reject %v must be positive", e.Reject)
	case e.Spacing <= 0 || e.Patience <= 0:
		return fmt.Errorf("track: evidence spacing and patience must be positive")
	case isBad(e.Intercept) || isBad(e.Score) || isBad(e.Margin) || isBad(e.Cap) || isBad(e.Accept) || isBad(e.Reject) || isBad(e.PeopleSlope):
		return fmt.Errorf("track: evidence holds a number that is not finite")
	case e.People < 1:
		return fmt.Errorf("track: evidence people %d: want the gallery's size the intercept is for, 1 or more", e.People)
	case e.PeopleSlope < -maxPeopleSlope || e.PeopleSlope > maxPeopleSlope:
		return fmt.Errorf("track: evidence people_slope %v: want −%v to %v nats per e-fold of people", e.PeopleSlope, maxPeopleSlope, maxPeopleSlope)
	}
	return nil
}

// maxPeopleSlope bounds people_slope: at 5 nats per e-fold, ten times the
// people would move every frame's evidence by more than a cap's worth.
const maxPeopleSlope = 5

func isBad(v float32) bool { return math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) }

// LLR is one frame's evidence for its best match in a gallery of people,
// capped.
func (e Evidence) LLR(score, runnerUp float32, people int) float32 {
	l := e.Intercept + e.Score*score + e.Margin*(score-runnerUp)
	if e.PeopleSlope != 0 && people > e.People {
		l += e.PeopleSlope * float32(math.Log(float64(people)/float64(e.People)))
	}
	return max(-e.Cap, min(e.Cap, l))
}

// evidence is one track's running sum for one candidate person.
type evidence struct {
	person        string // "" until a frame names someone
	sum           float32
	frames        int
	score, margin float32 // sums over the counted frames, for the decision
	last          time.Time
	counted       bool      // last is set
	unclear       time.Time // first of the frames with no evidence since the last usable one; zero when none
	reasons       map[quality.Reason]int
}

func (ev *evidence) restart() {
	*ev = evidence{last: ev.last, counted: ev.counted}
}

// weigh adds one observation to f's evidence and reports a decision when a
// bound is crossed. The sum starts again after each decision, so a person
// named stays named (Update says so once) while a stranger stepping in
// must gather evidence of their own.
func (t *Tracker) weigh(f *face, at time.Time, o Observation) (Decision, bool) {
	e, ev := t.ev, &f.ev
	if o.Rejected != quality.OK || o.Person == "" {
		// No evidence either way; a face that stays unusable is unknown
		// for its likeliest reason, as the vote rule says.
		if ev.unclear.IsZero() || at.Before(ev.unclear) {
			ev.unclear = at
		}
		if ev.reasons == nil {
			ev.reasons = map[quality.Reason]int{}
		}
		ev.reasons[o.Rejected]++
		if at.Sub(ev.unclear) < e.Patience {
			return Decision{}, false
		}
		reason, most := notRecognised, ev.reasons[quality.OK]
		for r, n := range ev.reasons {
			if r != quality.OK && n > most {
				reason, most = string(r), n
			}
		}
		n := 0
		for _, c := range ev.reasons {
			n += c
		}
		ev.unclear, ev.reasons = time.Time{}, nil
		return Decision{Unknown: true, Reason: reason, Frames: n}, true
	}
	ev.unclear, ev.reasons = time.Time{}, nil

	// A frame counts by the camera time since the last counted one: a
	// duplicate or an out-of-order frame adds nothing.
	w := float32(1)
	if ev.counted {
		gap := at.Sub(ev.last)
		if gap <= 0 {
			return Decision{}, false
		}
		w = min(1, float32(gap)/float32(e.Spacing))
	}
	ev.last, ev.counted = at, true

	l := e.LLR(o.Score, o.RunnerUp, o.People)
	if ev.person != "" && o.Person != ev.person && l > 0 {
		// Another person, clearly: a new face where the last one stood.
		// Their evidence must not pool with the last one's.
		ev.restart()
	}
	if ev.person == "" && l > 0 {
		ev.person = o.Person
	}
	// A weak frame naming someone else counts against the candidate too:
	// the candidate scored no higher than its best match.
	ev.sum += w * l
	ev.frames++
	ev.score += o.Score
	ev.margin += o.Score - o.RunnerUp
	switch {
	case ev.person != "" && ev.sum >= e.Accept:
		d := Decision{Person: ev.person, Score: ev.score / float32(ev.frames), Margin: ev.margin / float32(ev.frames), Frames: ev.frames}
		ev.restart()
		return d, true
	case ev.sum <= -e.Reject:
		d := Decision{Unknown: true, Reason: notRecognised, Frames: ev.frames}
		ev.restart()
		return d, true
	}
	return Decision{}, false
}
