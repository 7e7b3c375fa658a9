package progressbar

import (
	"bytes"
	"testing"
)

func TestNotATerminal(t *testing.T) {
	var w bytes.Buffer
	b := New(&w, "publishing")
	for i := 1; i <= 3; i++ {
		b.Update(i, 3)
	}
	b.Done()
	if want := "publishing 1/3\npublishing 2/3\npublishing 3/3\n"; w.String() != want {
		t.Errorf("Update(1..3, 3) wrote %q, want %q", w.String(), want)
	}
}

func TestOneStepShowsNothing(t *testing.T) {
	var w bytes.Buffer
	b := New(&w, "enrolling")
	b.Update(1, 1)
	b.Done()
	if w.Len() != 0 {
		t.Errorf("Update(1, 1) wrote %q, want nothing", w.String())
	}
}

func TestTerminal(t *testing.T) {
	var w bytes.Buffer
	b := &Bar{w: &w, label: "enrolling", tty: true}
	b.Update(1, 2)
	b.Update(2, 2)
	b.Done()
	want := "\renrolling [###############...............] 1/2\renrolling [##############################] 2/2\n"
	if w.String() != want {
		t.Errorf("terminal bar wrote %q, want %q", w.String(), want)
	}
}
