package bench

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Identity is one person's images, as paths relative to the images
// directory, in name order (LFW's Name_0001.jpg first).
type Identity struct {
	Name   string
	Images []string
}

// ReadIdentities lists an LFW-style images directory: one folder per
// person holding that person's .jpg files. People are in name order.
func ReadIdentities(fsys fs.FS) ([]Identity, error) {
	dirs, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("identities: %w", err)
	}
	var out []Identity
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		files, err := fs.ReadDir(fsys, d.Name())
		if err != nil {
			return nil, fmt.Errorf("identities: %w", err)
		}
		id := Identity{Name: d.Name()}
		for _, f := range files {
			if !f.IsDir() && strings.EqualFold(path.Ext(f.Name()), ".jpg") {
				id.Images = append(id.Images, path.Join(d.Name(), f.Name()))
			}
		}
		if len(id.Images) > 0 {
			sort.Strings(id.Images)
			out = append(out, id)
		}
	}
	return out, nil
}

// Probe is one image with the person it shows.
type Probe struct {
	Person, Image string
}

// OpenSet is the check-in protocol on a set of identities: everyone with
// at least two images is enrolled with the first; the rest of their images
// are genuine probes, and every image of a person with only one is an
// impostor probe, of someone the gallery does not know.
type OpenSet struct {
	Enrol, Genuine, Impostor []Probe
}

// NewOpenSet splits ids into the open-set protocol.
func NewOpenSet(ids []Identity) OpenSet {
	var s OpenSet
	for _, id := range ids {
		if len(id.Images) == 1 {
			s.Impostor = append(s.Impostor, Probe{id.Name, id.Images[0]})
			continue
		}
		for i, img := range id.Images {
			p := Probe{id.Name, img}
			if i == 0 {
				s.Enrol = append(s.Enrol, p)
			} else {
				s.Genuine = append(s.Genuine, p)
			}
		}
	}
	return s
}

// Search is a gallery's answer to one probe: the best person and score and
// the runner-up person's score (0 when the gallery knows one person).
type Search struct {
	Truth    string
	Enrolled bool // false for an impostor probe
	Best     string
	Score    float32
	RunnerUp float32
}

// Accepted is the engine's per-frame rule (track.Config): the best match
// names its person when it reaches the threshold and leads the runner-up
// by the margin.
func (s Search) Accepted(th, margin float32) bool {
	return s.Best != "" && s.Score >= th && s.Score-s.RunnerUp >= margin
}

// IDRates counts the outcomes of open-set identification at one threshold
// and margin. Every genuine probe is exactly one of Identified,
// FalseRejected and Misidentified.
type IDRates struct {
	Genuine, Impostor int
	Rank1             int // genuine probes whose best match is right, whatever the score
	Identified        int // genuine, right and accepted
	FalseRejected     int // genuine, not accepted
	Misidentified     int // genuine, accepted as someone else
	FalseAccepted     int // impostors accepted as anyone
}

// Identify scores searches at one threshold and margin.
func Identify(ss []Search, th, margin float32) IDRates {
	var r IDRates
	for _, s := range ss {
		ok := s.Accepted(th, margin)
		if !s.Enrolled {
			r.Impostor++
			if ok {
				r.FalseAccepted++
			}
			continue
		}
		r.Genuine++
		right := s.Best == s.Truth
		if right {
			r.Rank1++
		}
		switch {
		case !ok:
			r.FalseRejected++
		case right:
			r.Identified++
		default:
			r.Misidentified++
		}
	}
	return r
}

// DIR is the detection-and-identification rate: the share of genuine
// probes named rightly and accepted.
func (r IDRates) DIR() float64 { return ratio(r.Identified, r.Genuine) }

// FRR is the share of genuine probes not accepted.
func (r IDRates) FRR() float64 { return ratio(r.FalseRejected, r.Genuine) }

// MisID is the share of genuine probes accepted as someone else.
func (r IDRates) MisID() float64 { return ratio(r.Misidentified, r.Genuine) }

// FAR is the share of impostor probes accepted as anyone.
func (r IDRates) FAR() float64 { return ratio(r.FalseAccepted, r.Impostor) }

// ClosedRank1 is the share of genuine probes whose best match is right.
func (r IDRates) ClosedRank1() float64 { return ratio(r.Rank1, r.Genuine) }

func ratio(n, d int) float64 { return float64(n) / float64(max(d, 1)) }

// Separation summarises same-person against different-person scores.
type Separation struct {
	Same, Diff       int     // pairs of each kind
	MinSame, MaxDiff float32 // the hardest pair of each kind
	SameOK, DiffOK   int     // pairs decided right at the threshold
}

// Margin is how far the weakest same-person pair lies above the strongest
// different-person pair; negative when they overlap.
func (s Separation) Margin() float32 { return s.MinSame - s.MaxDiff }

// Separate summarises scores with "same" meaning score >= th.
func Separate(scores []float32, same []bool, th float32) Separation {
	s := Separation{MinSame: 2, MaxDiff: -2}
	for i, c := range scores {
		if same[i] {
			s.Same++
			s.MinSame = min(s.MinSame, c)
			if c >= th {
				s.SameOK++
			}
		} else {
			s.Diff++
			s.MaxDiff = max(s.MaxDiff, c)
			if c < th {
				s.DiffOK++
			}
		}
	}
	return s
}
