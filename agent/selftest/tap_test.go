package selftest

import "testing"

// A value reaches only the one waiting for its key, once; with nobody
// waiting Give says so, so the caller handles the value itself.
func TestTap(t *testing.T) {
	var tap Tap[int]
	if tap.Give("front", 1) {
		t.Fatal("Give with nobody waiting reported a taker")
	}
	next, cancel := tap.Wait("front")
	defer cancel()
	if tap.Give("back", 2) {
		t.Fatal("a value for another key was taken")
	}
	if !tap.Give("front", 3) {
		t.Fatal("the waiting test did not take the value")
	}
	if got := <-next; got != 3 {
		t.Fatalf("got %d, want 3", got)
	}
	if tap.Give("front", 4) {
		t.Fatal("a second value was taken by a test that already had one")
	}
	_, withdraw := tap.Wait("front")
	withdraw()
	if tap.Give("front", 5) {
		t.Fatal("a withdrawn wait took a value")
	}
}
