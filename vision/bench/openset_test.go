package bench

import (
	"reflect"
	"testing"
	"testing/fstest"
)

func TestReadIdentities(t *testing.T) {
	fsys := fstest.MapFS{
		"B/B_0002.jpg": {},
		"B/B_0001.jpg": {},
		"A/A_0001.jpg": {},
		"A/notes.txt":  {},
		"C/.keep":      {},
		"README":       {},
	}
	got, err := ReadIdentities(fsys)
	want := []Identity{{"A", []string{"A/A_0001.jpg"}}, {"B", []string{"B/B_0001.jpg", "B/B_0002.jpg"}}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ReadIdentities = %v, %v; want %v", got, err, want)
	}
}

func TestNewOpenSet(t *testing.T) {
	s := NewOpenSet([]Identity{{"A", []string{"a1", "a2", "a3"}}, {"B", []string{"b1"}}, {"C", []string{"c1", "c2"}}})
	want := OpenSet{
		Enrol:    []Probe{{"A", "a1"}, {"C", "c1"}},
		Genuine:  []Probe{{"A", "a2"}, {"A", "a3"}, {"C", "c2"}},
		Impostor: []Probe{{"B", "b1"}},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("NewOpenSet = %+v, want %+v", s, want)
	}
}

func TestIdentify(t *testing.T) {
	ss := []Search{
		{Truth: "A", Enrolled: true, Best: "A", Score: 0.6, RunnerUp: 0.1},   // identified
		{Truth: "A", Enrolled: true, Best: "A", Score: 0.25, RunnerUp: 0.1},  // too low: rejected, but rank-1
		{Truth: "A", Enrolled: true, Best: "A", Score: 0.40, RunnerUp: 0.38}, // no margin: rejected
		{Truth: "A", Enrolled: true, Best: "B", Score: 0.5, RunnerUp: 0.2},   // misidentified
		{Truth: "X", Best: "B", Score: 0.31, RunnerUp: 0.1},                  // false accept
		{Truth: "Y", Best: "B", Score: 0.2, RunnerUp: 0.1},                   // rejected
	}
	got := Identify(ss, 0.30, 0.05)
	want := IDRates{Genuine: 4, Impostor: 2, Rank1: 3, Identified: 1, FalseRejected: 2, Misidentified: 1, FalseAccepted: 1}
	if got != want {
		t.Errorf("Identify(0.30, 0.05) = %+v, want %+v", got, want)
	}
	if got.DIR() != 0.25 || got.FRR() != 0.5 || got.MisID() != 0.25 || got.FAR() != 0.5 || got.ClosedRank1() != 0.75 {
		t.Errorf("rates of %+v = %v %v %v %v %v", got, got.DIR(), got.FRR(), got.MisID(), got.FAR(), got.ClosedRank1())
	}
	if got := Identify(ss, 0.20, 0); got.Identified != 3 || got.FalseAccepted != 2 {
		t.Errorf("Identify(0.20, 0) = %+v, want 3 identified, 2 false accepts", got)
	}
	if got := Identify(nil, 0.3, 0); got.DIR() != 0 || got.FAR() != 0 {
		t.Errorf("Identify(nil) rates = %v, %v; want 0, 0", got.DIR(), got.FAR())
	}
}

func TestSeparate(t *testing.T) {
	s := Separate([]float32{0.7, 0.35, 0.1, 0.32}, []bool{true, true, false, false}, 0.30)
	want := Separation{Same: 2, Diff: 2, MinSame: 0.35, MaxDiff: 0.32, SameOK: 2, DiffOK: 1}
	if s != want {
		t.Errorf("Separate = %+v, want %+v", s, want)
	}
	if m := s.Margin(); m < 0.0299 || m > 0.0301 {
		t.Errorf("Margin = %v, want 0.03", m)
	}
}
