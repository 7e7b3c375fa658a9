package procstat

import (
	"os"
	"testing"
	"time"
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
	if _, err := CPU(-1); err == nil {
		t.Error("CPU(-1) gave no error")
	}
	before, err := CPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Spin until the kernel has charged at least 50 ms more.
	for start := time.Now(); time.Since(start) < 5*time.Second; {
		after, err := CPU(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		if after >= before+50*time.Millisecond {
			return
		}
	}
	t.Error("5 s of spinning charged under 50 ms of CPU")
}
