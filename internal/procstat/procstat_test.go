package procstat

import (
	"os"
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
	_ = buf[len(buf)-1]
	if _, _, err := Memory(-1); err == nil {
		t.Error("Memory(-1) gave no error")
	}
}
