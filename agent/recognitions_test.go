package agent

import (
	"testing"
	"time"
)

func TestPreviewNamesAreLookedUpOncePerPeriod(t *testing.T) {
	var p preview
	lookups := map[string]int{}
	names := map[string]string{"P-an": "Nguyễn Văn An", "P-binh": "Trần Thị Bình"}
	lookup := func(id string) string { lookups[id]++; return names[id] }
	t0 := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	for i := range 40 { // ten seconds of frames at 4 a second
		at := t0.Add(time.Duration(i) * previewEvery)
		if got := p.name("P-an", at, lookup); got != "Nguyễn Văn An" {
			t.Fatalf("frame %d: name %q", i, got)
		}
	}
	if lookups["P-an"] != 1 {
		t.Fatalf("%d store lookups in %v of frames, want 1", lookups["P-an"], nameFor)
	}
	names["P-an"] = "Nguyễn Văn Ân" // renamed by a new gallery
	if got := p.name("P-an", t0.Add(nameFor), lookup); got != "Nguyễn Văn Ân" || lookups["P-an"] != 2 {
		t.Fatalf("after %v: name %q, %d lookups; want the new name from a second lookup", nameFor, got, lookups["P-an"])
	}
	p.name("P-binh", t0.Add(3*nameFor), lookup)
	if _, kept := p.names["P-an"]; kept || len(p.names) != 1 {
		t.Fatalf("names kept %v, want only P-binh once P-an has been gone for %v", p.names, nameFor)
	}
	// A video file that starts over goes back in time: look up again.
	if p.name("P-binh", t0, lookup); lookups["P-binh"] != 2 {
		t.Fatalf("%d lookups of P-binh, want 2 after the clock went back", lookups["P-binh"])
	}
}
