package gate

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/store"
)

// face1 is a template as vision/gallery.Encode writes one (1, 0).
var face1 = []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0}

// fakeFaces answers every check the same way and keeps what it was asked.
type fakeFaces struct {
	res    FaceResult
	err    error
	probes []FaceProbe
}

func (f *fakeFaces) CheckFace(_ context.Context, p FaceProbe) (FaceResult, error) {
	f.probes = append(f.probes, p)
	return f.res, f.err
}

func TestCCCDSecondFactor(t *testing.T) {
	visit := store.Visit{ID: "v1", Gates: []string{"hq/main-gate"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), Uses: 1, Model: "m1", Template: face1}
	for _, c := range []struct {
		name        string
		faces       *fakeFaces // nil: the gate has no face check
		noTemplate  bool
		granted     bool
		reason      string
		detailHolds string
	}{
		{name: "the visitor's face", faces: &fakeFaces{res: FaceResult{Faces: 4, Best: 0.62}}, granted: true},
		{name: "just at the threshold", faces: &fakeFaces{res: FaceResult{Faces: 1, Best: 0.4}}, granted: true},
		{name: "another face", faces: &fakeFaces{res: FaceResult{Faces: 9, Best: 0.21}}, reason: ReasonFaceMismatch, detailHolds: "0.21"},
		{name: "nobody in view", faces: &fakeFaces{}, reason: ReasonNoFace, detailHolds: "10s"},
		{name: "camera down", faces: &fakeFaces{err: errors.New("camera gate-cam: not connected")}, reason: ReasonFaceUnavailable, detailHolds: "not connected"},
		{name: "no face check in this build", reason: ReasonFaceUnavailable, detailHolds: "vision build"},
		{name: "a visit without a template", faces: &fakeFaces{res: FaceResult{Faces: 4, Best: 0.9}}, noTemplate: true, reason: ReasonFaceUnavailable, detailHolds: "without a face template"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, Policy{AllowCCCD: true, FaceThreshold: 0.4}, true)
			if c.faces != nil {
				f.gate.UseFaceCheck(c.faces)
			}
			v := visit
			if c.noTemplate {
				v.Template = nil
			}
			addVisit(t, f, v)
			e := f.scan(t, cccd)
			if e.Granted != c.granted || e.Reason != c.reason || !strings.Contains(e.Detail, c.detailHolds) {
				t.Fatalf("Handle(cccd) = granted %v %q (%s), want granted %v %q holding %q", e.Granted, e.Reason, e.Detail, c.granted, c.reason, c.detailHolds)
			}
			if c.granted && (f.door.grants != 1 || f.door.denys != 0) || !c.granted && (f.door.grants != 0 || f.door.denys != 1) {
				t.Errorf("door: %d grants, %d denials", f.door.grants, f.door.denys)
			}
			if c.faces != nil && !c.noTemplate {
				p := c.faces.probes[0]
				if len(c.faces.probes) != 1 || p.Model != "m1" || string(p.Template) != string(face1) || p.Threshold != 0.4 || p.Within != DefaultFaceWithin {
					t.Errorf("face check asked %+v, want one probe of v1's m1 template at 0.4 within %s", c.faces.probes, DefaultFaceWithin)
				}
			}
			// A denial leaves the one-time visit's use for the real visitor.
			if !c.granted && !c.noTemplate {
				f.gate.UseFaceCheck(&fakeFaces{res: FaceResult{Faces: 1, Best: 0.8}})
				if e := f.scan(t, cccd); !e.Granted {
					t.Errorf("the visitor after a %s denial = %q (%s), want granted", c.reason, e.Reason, e.Detail)
				}
			}
		})
	}
}

// The camera is asked only once the card names a current visit here: a
// card of nobody costs the queue no wait.
func TestCCCDFaceAskedOnlyForACurrentVisit(t *testing.T) {
	f := newFixture(t, Policy{AllowCCCD: true, FaceThreshold: 0.4, FaceWithin: 3 * time.Second}, true)
	faces := &fakeFaces{res: FaceResult{Faces: 1, Best: 0.9}}
	f.gate.UseFaceCheck(faces)
	addVisit(t, f, store.Visit{ID: "v-old", Gates: []string{"hq/main-gate"}, NotBefore: now.Add(-3 * time.Hour), NotAfter: now.Add(-2 * time.Hour), Uses: 1, Model: "m1", Template: face1})
	if e := f.scan(t, cccd); e.Reason != "expired" || len(faces.probes) != 0 {
		t.Errorf("an ended visit = %q with %d face checks, want expired and none", e.Reason, len(faces.probes))
	}
	addVisit(t, f, store.Visit{ID: "v1", Gates: []string{"hq/main-gate"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), Uses: 1, Model: "m1", Template: face1})
	if e := f.scan(t, cccd); !e.Granted || len(faces.probes) != 1 || faces.probes[0].Within != 3*time.Second {
		t.Errorf("a current visit = %v %q, probes %+v; want granted after one check of 3s", e.Granted, e.Reason, faces.probes)
	}
}
