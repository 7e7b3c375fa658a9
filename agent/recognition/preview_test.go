package recognition

import (
	"testing"
	"time"
)

func TestPreviewNamesAreLookedUpOncePerPeriod(t *testing.T) {
	var p Preview
	lookups := map[string]int{}
	names := map[string]string{"P-an": "Nguyễn Văn An", "P-binh": "Trần Thị Bình"}
	lookup := func(id string) string { lookups[id]++; return names[id] }
	t0 := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	for i := range 40 { // ten seconds of frames at 4 a second
		at := t0.Add(time.Duration(i) * previewEvery)
		if got := p.Name("P-an", at, lookup); got != "Nguyễn Văn An" {
			t.Fatalf("frame %d: name %q", i, got)
		}
	}
	if lookups["P-an"] != 1 {
		t.Fatalf("%d store lookups in %v of frames, want 1", lookups["P-an"], nameFor)
	}
	names["P-an"] = "Nguyễn Văn Ân" // renamed by a new gallery
	if got := p.Name("P-an", t0.Add(nameFor), lookup); got != "Nguyễn Văn Ân" || lookups["P-an"] != 2 {
		t.Fatalf("after %v: name %q, %d lookups; want the new name from a second lookup", nameFor, got, lookups["P-an"])
	}
	p.Name("P-binh", t0.Add(3*nameFor), lookup)
	if _, kept := p.names["P-an"]; kept || len(p.names) != 1 {
		t.Fatalf("names kept %v, want only P-binh once P-an has been gone for %v", p.names, nameFor)
	}
	// A video file that starts over goes back in time: look up again.
	if p.Name("P-binh", t0, lookup); lookups["P-binh"] != 2 {
		t.Fatalf("%d lookups of P-binh, want 2 after the clock went back", lookups["P-binh"])
	}
}

func TestRecentKeepsTheLastFewNewestFirst(t *testing.T) {
	var r Recent
	t0 := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	for i := range kept + 5 {
		person := "P-an"
		if i%2 == 1 {
			person = "P-binh"
		}
		r.Add(Record{At: t0.Add(time.Duration(i) * time.Second), Person: person})
	}
	got := r.Latest()
	if len(got) != kept || !got[0].At.Equal(t0.Add((kept+4)*time.Second)) || !got[kept-1].At.Equal(t0.Add(5*time.Second)) {
		t.Fatalf("Latest() = %d from %v to %v, want the last %d newest first", len(got), got[0].At, got[len(got)-1].At, kept)
	}
	if n := r.Forget("P-binh"); n != kept/2 {
		t.Fatalf("Forget(P-binh) = %d, want %d", n, kept/2)
	}
	for _, x := range r.Latest() {
		if x.Person == "P-binh" {
			t.Fatalf("P-binh still listed after Forget: %+v", x)
		}
	}
}
