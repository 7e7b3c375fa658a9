package doctor

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

type fakeClock struct {
	synced bool
	off    time.Duration
	known  bool
}

func (c fakeClock) Synced() bool                                 { return c.synced }
func (c fakeClock) String() string                               { return "fake" }
func (c fakeClock) Offset() (time.Duration, bool)                { return c.off, c.known }
func (f fakeStore) QuickCheck(context.Context) ([]string, error) { return f.rows, f.err }

type fakeStore struct {
	rows []string
	err  error
}

func run1(t *testing.T, c Check) Result {
	t.Helper()
	rep := Run(context.Background(), []Check{c}, []string{c.Name}, nil)
	if len(rep.Results) != 1 {
		t.Fatalf("Run(%s) gave %d results, want 1", c.Name, len(rep.Results))
	}
	r := rep.Results[0]
	if r.Check != c.Name || r.Summary.EN == "" || r.Summary.VI == "" {
		t.Errorf("%s: result %+v lacks its name or a summary in both languages", c.Name, r)
	}
	if (r.Verdict == OK) != (r.Remedy == nil) {
		t.Errorf("%s: verdict %s with remedy %v: a remedy goes with every warning and failure only", c.Name, r.Verdict, r.Remedy)
	}
	if r.Remedy != nil && (r.Remedy.EN == "" || r.Remedy.VI == "") {
		t.Errorf("%s: remedy %+v not in both languages", c.Name, r.Remedy)
	}
	return r
}

func TestClock(t *testing.T) {
	for _, tc := range []struct {
		clock fakeClock
		want  Verdict
	}{
		{fakeClock{synced: false}, Failure},
		{fakeClock{synced: true}, OK},
		{fakeClock{synced: true, off: 3 * time.Millisecond, known: true}, OK},
		{fakeClock{synced: true, off: -2 * time.Second, known: true}, Warning},
	} {
		if got := run1(t, ClockCheck(tc.clock)).Verdict; got != tc.want {
			t.Errorf("ClockCheck(%+v) = %s, want %s", tc.clock, got, tc.want)
		}
	}
}

func TestDisk(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		st   fakeStore
		want Verdict
	}{
		{fakeStore{rows: []string{"ok"}}, OK},
		{fakeStore{rows: []string{"*** in database main ***", "Page 5: btreeInitPage() returns error code 11"}}, Failure},
		{fakeStore{err: errors.New("database is locked")}, Failure},
	} {
		if got := run1(t, DiskCheck(dir, tc.st)).Verdict; got != tc.want {
			t.Errorf("DiskCheck(%+v) = %s, want %s", tc.st, got, tc.want)
		}
	}
	if got := run1(t, DiskCheck(filepath.Join(dir, "missing"), fakeStore{rows: []string{"ok"}})).Verdict; got != Failure {
		t.Errorf("DiskCheck(missing dir) = %s, want failure", got)
	}
}

func TestMemory(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	plenty := write("plenty", "MemTotal:        8000000 kB\nMemFree:  100 kB\nMemAvailable:    4000000 kB\n")
	short := write("short", "MemAvailable:    300000 kB\n")
	none := write("none", "MemTotal: 1 kB\n")
	garbage := write("garbage", "MemAvailable: lots\n")
	for _, tc := range []struct {
		path string
		want Verdict
	}{
		{plenty, OK}, {short, Warning}, {none, Failure}, {garbage, Failure}, {filepath.Join(dir, "absent"), Failure},
	} {
		if got := run1(t, MemoryCheck(tc.path, 200<<20)).Verdict; got != tc.want {
			t.Errorf("MemoryCheck(%s) = %s, want %s", filepath.Base(tc.path), got, tc.want)
		}
	}
	if got := run1(t, MemoryCheck(plenty, 8<<30)).Verdict; got != Failure {
		t.Errorf("MemoryCheck(needing 8 GiB) = %s, want failure", got)
	}
}

type fakePort struct{ err error }

func (p fakePort) CheckOpen(context.Context) error { return p.err }

type fakeScans struct{ n int }

func (f fakeScans) WaitScan(ctx context.Context) (int, error) {
	if f.n == 0 {
		<-ctx.Done()
		return 0, ctx.Err()
	}
	return f.n, nil
}

func TestScanner(t *testing.T) {
	if got := run1(t, ScannerCheck("front", fakePort{})).Verdict; got != OK {
		t.Errorf("ScannerCheck(open) = %s, want ok", got)
	}
	if got := run1(t, ScannerCheck("front", fakePort{errors.New("no such file")})).Verdict; got != Failure {
		t.Errorf("ScannerCheck(missing) = %s, want failure", got)
	}
	r := run1(t, ScanTest("front", fakeScans{n: 42}, time.Second))
	if r.Verdict != OK || r.Detail != "42 bytes" {
		t.Errorf("ScanTest(scan) = %s %q, want ok \"42 bytes\"", r.Verdict, r.Detail)
	}
	if got := run1(t, ScanTest("front", fakeScans{}, 20*time.Millisecond)).Verdict; got != Failure {
		t.Errorf("ScanTest(no scan) = %s, want failure", got)
	}
}

type fakeDoor struct {
	ready               error
	relay, sensor, exit bool
	opened              bool
	pulseErr, exitErr   error
	pulses              int
}

func (d *fakeDoor) Ready() error                   { return d.ready }
func (d *fakeDoor) Wired() (bool, bool, bool)      { return d.relay, d.sensor, d.exit }
func (d *fakeDoor) WaitExit(context.Context) error { return d.exitErr }
func (d *fakeDoor) PulseAndWatch(context.Context) (bool, error) {
	d.pulses++
	return d.opened, d.pulseErr
}

func TestDoor(t *testing.T) {
	if got := run1(t, DoorCheck(&fakeDoor{ready: errors.New("gpiochip0: no such device")})).Verdict; got != Failure {
		t.Errorf("DoorCheck(unopened) = %s, want failure", got)
	}
	for _, tc := range []struct {
		name string
		door fakeDoor
		want Verdict
	}{
		{"loop works", fakeDoor{relay: true, sensor: true, opened: true}, OK},
		{"sensor silent", fakeDoor{relay: true, sensor: true}, Failure},
		{"relay fails", fakeDoor{relay: true, sensor: true, pulseErr: errors.New("line busy")}, Failure},
		{"no sensor", fakeDoor{relay: true}, OK},
	} {
		d := tc.door
		if got := run1(t, DoorLoop(&d, time.Second)).Verdict; got != tc.want {
			t.Errorf("DoorLoop(%s) = %s, want %s", tc.name, got, tc.want)
		}
		if wantPulses := map[bool]int{true: 1, false: 0}[d.relay && d.sensor]; d.pulses != wantPulses {
			t.Errorf("DoorLoop(%s) pulsed %d times, want %d", tc.name, d.pulses, wantPulses)
		}
	}
	if got := run1(t, ExitButton(&fakeDoor{exit: true, exitErr: context.DeadlineExceeded}, time.Second)).Verdict; got != Failure {
		t.Errorf("ExitButton(not pressed) = %s, want failure", got)
	}
	if got := run1(t, ExitButton(&fakeDoor{exit: true}, time.Second)).Verdict; got != OK {
		t.Errorf("ExitButton(pressed) = %s, want ok", got)
	}
}

func TestInteractiveRunOnlyWhenAsked(t *testing.T) {
	d := &fakeDoor{relay: true, sensor: true, opened: true}
	checks := []Check{DoorCheck(d), DoorLoop(d, time.Second), ExitButton(d, time.Second)}
	var running []string
	rep := Run(context.Background(), checks, nil, func(e Event) {
		if e.Running != "" {
			running = append(running, e.Running)
		}
	})
	if d.pulses != 0 || !slices.Equal(running, []string{"door"}) || len(rep.Results) != 1 {
		t.Errorf("Run(not asked): ran %v, %d pulses; want only door and no pulse", running, d.pulses)
	}
	if got := Names(checks, true); !slices.Equal(got, []string{"door-loop", "exit-button"}) {
		t.Errorf("Names(interactive) = %v", got)
	}
}

type fakeTerminal struct{ err error }

func (f fakeTerminal) Status(context.Context) error { return f.err }

func TestTerminal(t *testing.T) {
	if got := run1(t, TerminalCheck("poly", fakeTerminal{})).Verdict; got != OK {
		t.Errorf("TerminalCheck(answers) = %s, want ok", got)
	}
	if got := run1(t, TerminalCheck("poly", fakeTerminal{errors.New("timed out")})).Verdict; got != Failure {
		t.Errorf("TerminalCheck(silent) = %s, want failure", got)
	}
}

type fakeCamera struct {
	s   CameraSample
	err error
}

func (c fakeCamera) Sample(context.Context, time.Duration) (CameraSample, error) { return c.s, c.err }

func TestCamera(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.onnx")
	if err := os.WriteFile(model, []byte("model"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := []ModelFile{{Name: "m", Path: model, SHA256: "9372c470eeadd5ecd9c3c74c2b3cb633f8e2f2fad799250a0f70d652b6b825e4"}}
	bad := []ModelFile{{Name: "m", Path: model, SHA256: "00"}}
	research := []ModelFile{{Name: "m", Path: model, SHA256: good[0].SHA256, ResearchOnly: true}}
	want := CameraWant{Width: 640, Height: 480, FPS: 10}
	for _, tc := range []struct {
		name   string
		cam    fakeCamera
		models []ModelFile
		want   Verdict
	}{
		{"as configured", fakeCamera{s: CameraSample{640, 480, 20, 9.8}}, good, OK},
		{"wrong model", fakeCamera{s: CameraSample{640, 480, 20, 9.8}}, bad, Failure},
		{"no frames", fakeCamera{}, good, Failure},
		{"unplugged", fakeCamera{err: errors.New("open /dev/video0: no such file")}, good, Failure},
		{"other size", fakeCamera{s: CameraSample{1280, 720, 20, 9.8}}, good, Warning},
		{"slow", fakeCamera{s: CameraSample{640, 480, 4, 2}}, good, Warning},
		{"research-only recogniser", fakeCamera{s: CameraSample{640, 480, 20, 9.8}}, research, Warning},
	} {
		if got := run1(t, CameraCheck("front", tc.cam, want, tc.models)).Verdict; got != tc.want {
			t.Errorf("CameraCheck(%s) = %s, want %s", tc.name, got, tc.want)
		}
	}
	if got := run1(t, CameraNotBuilt("front")).Verdict; got != Warning {
		t.Errorf("CameraNotBuilt = %s, want warning", got)
	}
}

func TestPanicIsAFailure(t *testing.T) {
	c := Check{Name: "boom", Run: func(context.Context) Result { panic("bad bytes") }}
	r := run1(t, c)
	if r.Verdict != Failure || r.Detail != "bad bytes" {
		t.Errorf("panicking check = %s %q, want failure", r.Verdict, r.Detail)
	}
}

func TestSummaryAndExitCode(t *testing.T) {
	rep := Report{Results: []Result{{Check: "a", Verdict: OK}, {Check: "b", Verdict: Warning}}}
	if s := rep.Summary(); s.OK != 1 || s.Warnings != 1 || s.Failures != 0 || !slices.Equal(s.Failing, []string{"b"}) {
		t.Errorf("Summary = %+v", s)
	}
	if got := rep.ExitCode(); got != ExitWarnings {
		t.Errorf("ExitCode(warnings) = %d, want %d", got, ExitWarnings)
	}
	rep.Results = append(rep.Results, Result{Check: "c", Verdict: Failure})
	if got := rep.ExitCode(); got != ExitFailure {
		t.Errorf("ExitCode(failure) = %d, want %d", got, ExitFailure)
	}
	if got := (Report{Results: []Result{{Verdict: OK}}}).ExitCode(); got != ExitOK {
		t.Errorf("ExitCode(ok) = %d, want 0", got)
	}
}
