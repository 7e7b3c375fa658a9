package scannertest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/roomgate/roomgate/devices/scanner"
)

func TestFake(t *testing.T) {
	var mu sync.Mutex
	var reports []scanner.Status
	f := &Fake{Name: "gate-1", OnStatus: func(st scanner.Status) {
		mu.Lock()
		reports = append(reports, st)
		mu.Unlock()
	}}
	if st := f.Status(); st.Connected || st.Name != "gate-1" || st.Kind != "fake" {
		t.Errorf("Status() before Run = %+v, want gate-1 fake, not connected", st)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var got []scanner.Line
	done := make(chan error)
	go func() { done <- f.Run(ctx, func(l scanner.Line) { got = append(got, l) }) }()

	f.Send("PASS")
	// Send has returned: the line was emitted, no waiting needed.
	if len(got) != 1 || got[0].Text != "PASS" || got[0].At.IsZero() {
		t.Errorf("after Send(PASS) emitted %+v, want one PASS line", got)
	}
	f.SendLine(scanner.Line{Text: "xx", Reject: "line longer than 2 bytes"})
	if len(got) != 2 || got[1].Reject == "" {
		t.Errorf("after SendLine(reject) emitted %+v, want the reject", got)
	}
	if st := f.Status(); !st.Connected || st.Lines != 2 {
		t.Errorf("Status() = %+v, want connected with 2 lines", st)
	}
	f.SetConnected(false)
	if st := f.Status(); st.Connected || st.LastError != ErrUnplugged.Error() {
		t.Errorf("Status() after SetConnected(false) = %+v, want unplugged", st)
	}
	f.SetConnected(true)
	if st := f.Status(); !st.Connected || st.LastError != "" {
		t.Errorf("Status() after SetConnected(true) = %+v, want connected", st)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run() = %v, want nil", err)
		}
	case <-time.After(time.Second):
		t.Fatal("Run() did not return after cancel")
	}
	mu.Lock()
	defer mu.Unlock()
	var conn []bool
	for _, st := range reports {
		conn = append(conn, st.Connected)
	}
	if want := []bool{true, false, true, false}; !slices.Equal(conn, want) {
		t.Errorf("OnStatus Connected = %v, want %v", conn, want)
	}
}
