// Package track turns per-frame face matches into decisions: it follows
// each face from frame to frame by its box and names a person only when
// the frames of that face give enough evidence. Two rules are offered:
// the k-of-n vote (k of the last n frames agree, within a time window, on
// the same person with a clear score and margin) and the sequential rule
// (Evidence: per-frame log likelihood ratios summed until a bound). One
// good frame is not enough under either: a single lucky match between
// look-alikes must not check the wrong delegate in.
package track

import (
	"fmt"
	"time"

	"github.com/roomgate/roomgate/vision/geom"
	"github.com/roomgate/roomgate/vision/quality"
)

// Config holds the agreement rule's thresholds.
type Config struct {
	Threshold float32       `yaml:"threshold"`  // cosine a frame's best match must reach
	MinMargin float32       `yaml:"min_margin"` // over the runner-up person
	Agree     int           `yaml:"agree"`      // k: frames that must name the same person...
	Frames    int           `yaml:"frames"`     // n: ...among this face's last n frames
	Window    time.Duration `yaml:"window"`     // frames older than this do not count
	Spacing   time.Duration `yaml:"spacing"`    // a frame votes only this long after the face's last vote
	MinIoU    float32       `yaml:"min_iou"`    // box overlap that continues a track
	Lost      time.Duration `yaml:"lost"`       // a face unseen this long, while frames came without it, is gone
}

// Defaults suit a check-in camera at any rate from 1 to 30 frames per
// second. The vote counts frames, and frames a few milliseconds apart show
// the same instant: votes are taken 100 ms apart at least (the old 10 fps
// camera's interval), so 3 of 5 still means 200 ms of camera time or more
// however fast the camera runs.
func Defaults(threshold float32) Config {
	return Config{Threshold: threshold, MinMargin: 0.05, Agree: 3, Frames: 5, Window: 3 * time.Second, Spacing: 100 * time.Millisecond, MinIoU: 0.3, Lost: time.Second}
}

// Validate reports a rule that can never or always decide.
func (c Config) Validate() error {
	switch {
	case c.Threshold <= 0 || c.Threshold >= 1:
		return fmt.Errorf("track: threshold %v, want between 0 and 1", c.Threshold)
	case c.MinMargin < 0:
		return fmt.Errorf("track: min_margin %v must not be negative", c.MinMargin)
	case c.Agree < 1 || c.Frames < c.Agree:
		return fmt.Errorf("track: agree %d of frames %d: want 1 <= agree <= frames", c.Agree, c.Frames)
	case c.Window <= 0 || c.Lost <= 0:
		return fmt.Errorf("track: window and lost must be positive")
	case c.Spacing < 0 || c.Spacing*time.Duration(c.Frames-1) >= c.Window:
		return fmt.Errorf("track: spacing %v: want not negative, and frames−1 spacings shorter than the window %v", c.Spacing, c.Window)
	case c.MinIoU <= 0 || c.MinIoU > 1:
		return fmt.Errorf("track: min_iou %v, want more than 0, at most 1", c.MinIoU)
	}
	return nil
}

// Observation is one face in one frame: its box and either the gallery's
// best match with the runner-up person's score, or why it was not
// matched, or that it was not looked at (Plan said its track needed no
// look this frame).
type Observation struct {
	Box      geom.Rect
	Skipped  bool           // not embedded: the face moves its track and adds no evidence
	Rejected quality.Reason // set when the face failed the quality gate
	Person   string         // best match; "" when the gallery is empty
	Score    float32
	RunnerUp float32 // the best score of any other person
	People   int     // in the gallery searched (the sequential rule weighs a match by it)
}

// Look is what Plan says of one face of a frame.
type Look struct {
	Track   int    // the track that will take the face; 0 for a new one
	Named   string // the person the track named; "" while undecided or unknown
	Unknown bool   // the track said the face is unknown, and has named nobody since
	Embed   bool   // the face needs the recogniser this frame
}

// Confirm is how often the face of a decided track is embedded again. A
// decided face costs only its share of the frame's detection while it
// stays, so a delegate chatting at the door or a stranger waiting does not
// hold the recogniser at the camera's rate; and a confirmation that
// disagrees with the decision (another person stepped into the same place)
// is caught within half a second, about one step through the camera's view.
const Confirm = 500 * time.Millisecond

// Decision is the outcome for one tracked face. A track names its person
// once; before that it may say once that it is unknown (the kiosk invites
// the person to use a QR pass), and still name them later, when they come
// closer or face the camera. If the frames come to agree on someone else
// (one delegate stepped in where another stood), it names them too; if
// clear frames match nobody any more, a stranger stepped in, and it says
// the face is unknown.
type Decision struct {
	Track   int
	At      time.Time // the frame that completed the decision
	First   time.Time // the track's first frame: the person came into view
	Person  string    // "" for an unknown face
	Score   float32   // mean over the agreeing frames
	Margin  float32   // mean margin over the runner-up
	Frames  int       // frames that agreed
	Box     geom.Rect
	Unknown bool
	Reason  string // for an unknown face: not_recognised, or the quality reason seen most
}

// notRecognised is an unknown face's reason when its frames were good
// enough and matched nobody.
const notRecognised = "not_recognised"

type vote struct {
	at       time.Time
	person   string // "" when the frame named nobody
	score    float32
	margin   float32
	rejected quality.Reason
}

type face struct {
	id      int
	box     geom.Rect
	first   time.Time
	seen    time.Time
	looked  time.Time // the last frame the face was embedded in
	votes   []vote    // the last Frames, oldest first
	named   string    // the person the track named last
	unknown bool      // said so already
	settled bool      // decided by clear frames (named, or matched nobody): only confirmations are embedded
	ev      evidence
}

// Tracker follows faces across frames. It is not safe for concurrent use:
// one camera's frames come in order.
type Tracker struct {
	cfg    Config
	ev     *Evidence // the sequential rule; nil for the k-of-n vote
	faces  []*face
	nextID int
	last   time.Time // of the last frame taken
}

// New returns a tracker; cfg must be valid.
func New(cfg Config) (*Tracker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Tracker{cfg: cfg}, nil
}

// NewSequential returns a tracker that decides by ev instead of the k-of-n
// vote; cfg's threshold, margin and vote counts are not used, its box
// overlap and lost time are.
func NewSequential(cfg Config, ev Evidence) (*Tracker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := ev.Validate(); err != nil {
		return nil, err
	}
	return &Tracker{cfg: cfg, ev: &ev}, nil
}

// Plan says, before a frame's faces are embedded, which tracks will take
// them and which need the recogniser: a new or undecided track's face
// does (under the vote, once per Spacing: closer frames do not vote), a
// decided one's once per Confirm. It changes nothing; Update with the same
// time and boxes pairs them the same way.
func (t *Tracker) Plan(at time.Time, boxes []geom.Rect) []Look {
	out := make([]Look, len(boxes))
	if at.Before(t.last) {
		return out // Update ignores the frame
	}
	for i, f := range t.assign(at, boxes) {
		if f == nil {
			out[i].Embed = true
			continue
		}
		out[i] = Look{Track: f.id, Named: f.named, Unknown: f.unknown && f.named == "", Embed: t.due(f, at)}
	}
	return out
}

// due says whether f's face in a frame at at is worth embedding.
func (t *Tracker) due(f *face, at time.Time) bool {
	switch n := len(f.votes); {
	case f.settled:
		return at.Sub(f.looked) >= Confirm
	case t.ev == nil && n > 0:
		return at.Sub(f.votes[n-1].at) >= t.cfg.Spacing
	}
	return true
}

// Update takes one frame's faces and returns the decisions they complete.
// A frame older than the last one taken is ignored: a camera's late or
// reordered frame must not move the tracks back in time.
func (t *Tracker) Update(at time.Time, obs []Observation) []Decision {
	if at.Before(t.last) {
		return nil
	}
	boxes := make([]geom.Rect, len(obs))
	for i, o := range obs {
		boxes[i] = o.Box
	}
	owners := t.assign(at, boxes)
	kept := t.faces[:0]
	for _, f := range t.faces {
		if !t.gone(f, at) {
			kept = append(kept, f)
		}
	}
	t.faces, t.last = kept, at

	var out []Decision
	for i, o := range obs {
		f := owners[i]
		if f == nil {
			t.nextID++
			f = &face{id: t.nextID, first: at}
			t.faces = append(t.faces, f)
		}
		f.box, f.seen = o.Box, at
		if o.Skipped {
			continue
		}
		f.looked = at
		var d Decision
		var ok bool
		if t.ev != nil {
			d, ok = t.weigh(f, at, o)
		} else {
			if n := len(f.votes); n > 0 && at.Sub(f.votes[n-1].at) < t.cfg.Spacing {
				continue // the same instant as the last vote
			}
			f.votes = append(f.votes, t.vote(at, o))
			if len(f.votes) > t.cfg.Frames {
				f.votes = f.votes[len(f.votes)-t.cfg.Frames:]
			}
			d, ok = t.decide(f)
		}
		// Settled while the clear frames agree with the verdict; one that
		// disagrees (someone else stepped in) has every frame embedded
		// again until the rule decides anew.
		verdict, decided := f.named, f.settled
		if ok && (!d.Unknown || d.Reason == notRecognised) {
			verdict, decided = d.Person, true
		}
		f.settled = decided && (o.Rejected != quality.OK || t.names(at, o) == verdict)
		switch {
		case !ok, !d.Unknown && d.Person == f.named:
			continue
		case d.Unknown && f.named != "" && d.Reason == notRecognised:
			// Clear faces that are not the named person: someone else
			// stepped in. (Frames refused for quality are no such sign.)
			f.named, f.unknown = "", true
		case d.Unknown && (f.named != "" || f.unknown):
			continue
		case d.Unknown:
			f.unknown = true
		default:
			f.named = d.Person
		}
		d.Track, d.At, d.First, d.Box = f.id, at, f.first, f.box
		out = append(out, d)
	}
	return out
}

// names is the person one frame speaks for under the rule, "" for nobody.
func (t *Tracker) names(at time.Time, o Observation) string {
	if t.ev == nil {
		return t.vote(at, o).person
	}
	if o.Person == "" || t.ev.LLR(o.Score, o.RunnerUp, o.People) <= 0 {
		return ""
	}
	return o.Person
}

// gone says whether f has left: unseen for Lost while frames came without
// it. A slow camera's next frame (1 fps) is no sign that the face left.
func (t *Tracker) gone(f *face, at time.Time) bool {
	return at.Sub(f.seen) > t.cfg.Lost && f.seen.Before(t.last)
}

// assign pairs each box with the track that is not gone and that it
// overlaps most, if enough; nil starts a new track. It changes nothing,
// so Plan and Update pair alike.
func (t *Tracker) assign(at time.Time, boxes []geom.Rect) []*face {
	taken := make([]bool, len(t.faces))
	out := make([]*face, len(boxes))
	for i, box := range boxes {
		best, bestIoU := -1, t.cfg.MinIoU
		for j, f := range t.faces {
			if iou := geom.IoU(f.box, box); !taken[j] && !t.gone(f, at) && iou >= bestIoU {
				best, bestIoU = j, iou
			}
		}
		if best >= 0 {
			taken[best] = true
			out[i] = t.faces[best]
		}
	}
	return out
}

func (t *Tracker) vote(at time.Time, o Observation) vote {
	v := vote{at: at, rejected: o.Rejected}
	if o.Rejected == quality.OK && o.Person != "" && o.Score >= t.cfg.Threshold && o.Score-o.RunnerUp >= t.cfg.MinMargin {
		v.person, v.score, v.margin = o.Person, o.Score, o.Score-o.RunnerUp
	}
	return v
}

// decide names the person k recent frames agree on; or, when all of the
// last n frames named nobody, calls the face unknown with the likeliest
// reason. Frames that named someone without agreement keep it waiting.
func (t *Tracker) decide(f *face) (Decision, bool) {
	now := f.seen
	type tally struct {
		n             int
		score, margin float32
	}
	people := map[string]*tally{}
	reasons := map[quality.Reason]int{}
	recent := 0
	for _, v := range f.votes {
		if now.Sub(v.at) > t.cfg.Window {
			continue
		}
		recent++
		if v.person == "" {
			reasons[v.rejected]++
			continue
		}
		p := people[v.person]
		if p == nil {
			p = &tally{}
			people[v.person] = p
		}
		p.n++
		p.score += v.score
		p.margin += v.margin
		if p.n >= t.cfg.Agree {
			return Decision{Person: v.person, Score: p.score / float32(p.n), Margin: p.margin / float32(p.n), Frames: p.n}, true
		}
	}
	if recent < t.cfg.Frames || len(people) > 0 {
		return Decision{}, false
	}
	reason, most := notRecognised, reasons[quality.OK]
	for r, n := range reasons {
		if r != quality.OK && n > most {
			reason, most = string(r), n
		}
	}
	return Decision{Unknown: true, Reason: reason, Frames: recent}, true
}
