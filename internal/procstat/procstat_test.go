package procstat

import (
	"os"
	"os/exec"
	"slices"
	"testing"
)

func TestMemory(t *testing.T) {
	before, _, err := Memory(os.Getpid())
	if err != nil || before <= 0 {
		t.Fatalf("Memory(self) = %d, %v", before, err)
	}
	buf := make([]byte, 64<<20)
	for i := range buf {
		buf[i] = 1
	}
	rss, peak, err := Memory(os.Getpid())
	if err != nil || rss < before+32<<20 || peak < rss {
		t.Errorf("after touching 64 MiB: rss %d (was %d), peak %d, %v", rss, before, peak, err)
	}
	r, err := SmapsRollup(os.Getpid())
	if err != nil || r.PSS < 32<<20 || r.PSS > r.RSS || r.Anon < 32<<20 || r.Anon > r.RSS {
		t.Errorf("after touching 64 MiB: %+v (status rss %d), %v", r, rss, err)
	}
	_ = buf[len(buf)-1]
	if _, _, err := Memory(-1); err == nil {
		t.Error("Memory(-1) gave no error")
	}
	if _, err := SmapsRollup(-1); err == nil {
		t.Error("SmapsRollup(-1) gave no error")
	}
}

func TestCPU(t *testing.T) {
	cmd := exec.Command("sh", "-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if kids := Children(os.Getpid()); !slices.Contains(kids, cmd.Process.Pid) {
		t.Errorf("Children(self) = %v, want it to hold %d", kids, cmd.Process.Pid)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	// The busy loop was waited for: its time is the test's reaped time.
	used, reaped, err := CPU(os.Getpid())
	if err != nil || used <= 0 || reaped <= 0 {
		t.Errorf("CPU(self) = %v, %v, %v; want both positive", used, reaped, err)
	}
	if _, _, err := CPU(-1); err == nil {
		t.Error("CPU(-1) gave no error")
	}
}
