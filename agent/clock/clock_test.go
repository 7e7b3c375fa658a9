package clock

import (
	"testing"
	"time"
)

// The kernel gives an offset exactly when it calls the clock synchronised,
// and a synchronised clock is not off by an hour.
func TestKernelOffset(t *testing.T) {
	off, ok := Kernel{}.Offset()
	if synced := (Kernel{}).Synced(); ok != synced {
		t.Fatalf("Offset() known = %v, Synced() = %v; want the same", ok, synced)
	}
	if ok && (off > time.Hour || off < -time.Hour) {
		t.Errorf("Offset() = %v on a synchronised clock", off)
	}
	t.Logf("this machine: synced %v, offset %v", ok, off)
}
