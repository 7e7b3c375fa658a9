package scanner_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/devices/scanner"
	"github.com/roomgate/roomgate/devices/scanner/scannertest"
	"github.com/roomgate/roomgate/internal/socat"
)

// driver is the scanner interface as the agent consumes it.
type driver interface {
	Run(context.Context, func(scanner.Line)) error
	Status() scanner.Status
	String() string
}

// testDriver is the shared suite: every driver, real or fake, must pass it.
// scan makes the device deliver one scan.
func testDriver(t *testing.T, d driver, scan func(text string)) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lines := make(chan scanner.Line, 10)
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx, func(l scanner.Line) { lines <- l }) }()

	deadline := time.Now().Add(5 * time.Second)
	for !d.Status().Connected {
		if time.Now().After(deadline) {
			t.Fatalf("Status() = %+v, want connected", d.Status())
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, want := range []string{"PASS-1", "eyJhbGciOiJFZERTQSJ9.e30.Xy_9-Q"} {
		scan(want)
		select {
		case l := <-lines:
			if l.Text != want || l.Reject != "" || l.At.IsZero() {
				t.Errorf("line = %+v, want %q", l, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no line for scan %q", want)
		}
	}
	st := d.Status()
	if st.Name != "gate-1" || st.Lines != 2 || !st.Connected || st.Path == "" {
		t.Errorf("Status() = %+v, want gate-1 connected with 2 lines and a path", st)
	}
	if !strings.Contains(d.String(), "gate-1") {
		t.Errorf("String() = %q, want the name in it", d.String())
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run() after cancel = %v, want nil", err)
		}
	case <-time.After(time.Second):
		t.Fatal("Run() did not return within 1s of cancel")
	}
	if st := d.Status(); st.Connected {
		t.Errorf("Status() after Run = %+v, want disconnected", st)
	}
}

func TestDriverSerial(t *testing.T) {
	link := socat.Pair(t, t.TempDir())
	s := scanner.NewSerial("gate-1", link.Device, 9600, scanner.Framing{Terminator: "cr"})
	testDriver(t, s, func(text string) { link.Write([]byte(text + "\r")) })
}

func TestDriverFake(t *testing.T) {
	f := &scannertest.Fake{Name: "gate-1"}
	testDriver(t, f, f.Send)
}
