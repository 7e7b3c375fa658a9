package agent

import (
	"context"
	"crypto/rand"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/roomgate/roomgate/agent/citylink"
	"github.com/roomgate/roomgate/agent/clock"
	"github.com/roomgate/roomgate/agent/selftest"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/devices/door"
	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/internal/syncfile"
	"github.com/roomgate/roomgate/internal/tlsfiles"
	"github.com/roomgate/roomgate/kiosk"
	"github.com/roomgate/roomgate/provisioning/doctor"
)

// What the agent needs of the memory available, for the self-test: the
// gate-only agent, and what the face engine adds (its models, a gallery
// and frames in flight). Measured here: the gate-only agent idles at about
// 17 MiB RSS; with the face engine and 10,000 people about 180 MiB at its
// peak (BenchmarkVisionAgentMemory). The needs leave room for a larger
// gallery and bursts.
const (
	gateMemoryNeed   = 96 << 20
	visionMemoryNeed = 384 << 20
)

// KindTestPulse is the door event kept when a technician's self-test
// releases the door.
const KindTestPulse = "test_pulse"

// meminfo is where the memory check reads what is available.
const meminfo = "/proc/meminfo"

// taps hand the next scan or door event to a self-test waiting for it.
type taps struct {
	scans selftest.Tap[int]      // by scanner: the length of the line
	door  selftest.Tap[struct{}] // by door event kind
}

// doctorRun is the self-test's state on the box: one run at a time, and
// the last one's summary for the city's state.
type doctorRun struct {
	mu   sync.Mutex // held for a whole run
	last sync.Mutex
	sum  *doctor.Summary
}

func (d *doctorRun) summary() *doctor.Summary {
	d.last.Lock()
	defer d.last.Unlock()
	return d.sum
}

// RunDoctor runs the self-test over the devices the running box holds:
// every check, and the interactive ones named in asked. The summary goes
// to the city in the next state.
func (s *System) RunDoctor(ctx context.Context, asked []string, emit func(doctor.Event)) (doctor.Report, error) {
	if !s.doctor.mu.TryLock() {
		return doctor.Report{}, kiosk.ErrDoctorBusy
	}
	defer s.doctor.mu.Unlock()
	rep := doctor.Run(ctx, s.doctorChecks(false), asked, emit)
	sum := rep.Summary()
	s.doctor.last.Lock()
	s.doctor.sum = &sum
	s.doctor.last.Unlock()
	s.log.Info("self-test done", "component", "doctor", "ok", sum.OK, "warnings", sum.Warnings, "failures", sum.Failures, "failing", sum.Failing, "took", rep.Took)
	if s.link != nil {
		s.link.StateChanged()
	}
	return rep, nil
}

// doctorState is the last self-test for the city's state.
func (s *System) doctorState() *wire.DoctorState {
	sum := s.doctor.summary()
	if sum == nil {
		return nil
	}
	return &wire.DoctorState{Time: sum.Time, OK: sum.OK, Warnings: sum.Warnings, Failures: sum.Failures, Failing: sum.Failing}
}

// doctorChecks are the self-test's checks. standalone means no agent runs:
// the devices are opened here for the test instead of asked of the loops
// that hold them.
func (s *System) doctorChecks(standalone bool) []doctor.Check {
	var cs []doctor.Check
	if s.cfg.Vision.HasCamera() {
		cs = append(cs, s.cameraCheck(standalone))
	}
	for _, sc := range s.scanners {
		p := selftest.ScannerProbe{Scanner: sc, Scans: &s.taps.scans, Standalone: standalone}
		name := sc.Status().Name
		cs = append(cs, doctor.ScannerCheck(name, p), doctor.ScanTest(name, p, doctor.PersonWait))
	}
	d := doorProbe{s}
	cs = append(cs, doctor.DoorCheck(d), doctor.DoorLoop(d, doctor.PersonWait), doctor.ExitButton(d, doctor.PersonWait))
	switch {
	case s.terminal != nil:
		cs = append(cs, doctor.TerminalCheck(s.terminal.Name, selftest.TerminalProbe{Driver: s.terminal, Standalone: standalone}))
	case s.callsErr != nil:
		cs = append(cs, doctor.TerminalCheck(s.cfg.Terminal.Name, selftest.TerminalProbe{Err: s.callsErr}))
	}
	cs = append(cs, s.cityCheck(standalone), doctor.ClockCheck(s.clk),
		doctor.DiskCheck(filepath.Dir(resolve(s.opts.ConfigDir, s.cfg.Store.Path)), s.store), doctor.MemoryCheck(meminfo, s.memoryNeed()))
	return cs
}

func (s *System) memoryNeed() uint64 {
	if s.cfg.Vision.HasCamera() {
		return gateMemoryNeed + visionMemoryNeed
	}
	return gateMemoryNeed
}

// cityCheck checks the link to the city's broker; a box without one keeps
// its records and is told so.
func (s *System) cityCheck(standalone bool) doctor.Check {
	y := s.cfg.Sync
	if y.Broker == "" {
		return doctor.Check{Name: "city", Run: func(context.Context) doctor.Result {
			return doctor.Result{Verdict: doctor.Warning,
				Summary: doctor.Text{EN: "no city link is configured: records stay on the box", VI: "chưa cấu hình kết nối tới thành phố: bản ghi chỉ lưu trên thiết bị"},
				Remedy:  &doctor.Text{EN: "Provision the box with a claim from city IT.", VI: "Cấp phát thiết bị bằng mã do CNTT thành phố cung cấp."}}
		}}
	}
	tlsCfg, err := tlsfiles.Client(s.path(y.CAFile), s.path(y.CertFile), s.path(y.KeyFile))
	if err != nil {
		return doctor.Check{Name: "city", Run: func(context.Context) doctor.Result {
			return doctor.Result{Verdict: doctor.Failure, Detail: err.Error(),
				Summary: doctor.Text{EN: "the box's certificate or key cannot be read", VI: "không đọc được chứng thư hoặc khóa của thiết bị"},
				Remedy:  &doctor.Text{EN: "Provision the box again with a new claim from city IT.", VI: "Cấp phát lại thiết bị bằng mã mới từ CNTT thành phố."}}
		}}
	}
	var ping doctor.Pinger = s.link
	if standalone || s.link == nil {
		ping = selftest.CityProbe{Settings: citylink.Settings{Broker: y.Broker, TLS: tlsCfg, Device: s.cfg.Identity.Device}}
	}
	return doctor.CityCheck(doctor.City{Broker: y.Broker, TLS: tlsCfg, Ping: ping})
}

// doorProbe is the door as the agent holds it (standalone, the doctor
// opened its lines the way the agent does).
type doorProbe struct{ s *System }

func (d doorProbe) Ready() error { return d.s.door.Ready() }

func (d doorProbe) Wired() (relay, sensor, exit bool) {
	lines, err := d.s.cfg.Lines()
	if err != nil {
		return false, false, false
	}
	has := func(r config.Role) bool { _, ok := lines[r]; return ok }
	return has(config.RoleRelay), has(config.RoleDoorSensor), has(config.RoleExitButton)
}

func (d doorProbe) PulseAndWatch(ctx context.Context) (bool, error) {
	opened, cancel := d.s.taps.door.Wait(door.EventOpened)
	defer cancel()
	if err := d.s.door.Grant(); err != nil {
		return false, err
	}
	d.s.recordDoorEvent(door.Event{Kind: KindTestPulse, At: time.Now(), Detail: "technician's self-test"})
	select {
	case <-opened:
		return true, nil
	case <-ctx.Done():
		return false, nil
	}
}

func (d doorProbe) WaitExit(ctx context.Context) error {
	pressed, cancel := d.s.taps.door.Wait(door.EventExitRequest)
	defer cancel()
	select {
	case <-pressed:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// DoctorTokenName is the file, beside the store, holding the token with
// which `roomgate doctor` asks the running agent for a self-test. The agent
// makes a new one at every start, readable by its user only.
const DoctorTokenName = "doctor.token"

// DoctorTokenPath is where the agent of cfg keeps its doctor token;
// relative paths in cfg are taken from dir.
func DoctorTokenPath(cfg *config.Config, dir string) string {
	return filepath.Join(filepath.Dir(resolve(dir, cfg.Store.Path)), DoctorTokenName)
}

// enableDoctor lets the technician's view and `roomgate doctor` run the
// self-test through the kiosk's server. Without a token file the command
// cannot reach the agent, but the technician's view still can.
func (s *System) enableDoctor() {
	token := rand.Text()
	if err := syncfile.Replace(DoctorTokenPath(s.cfg, s.opts.ConfigDir), []byte(token), 0o600); err != nil {
		s.log.Warn("roomgate doctor cannot reach this agent; it will test the devices itself", "component", "doctor", "err", err)
		token = ""
	}
	s.kiosk.EnableDoctor(s, token)
}

// Doctor runs the self-test while no agent runs: it opens the store, the
// scanners, the door's lines and the terminal as the agent would, and
// leaves the door in its safe state. The door's test pulse, when asked
// for, is kept as a door event for the city.
func Doctor(ctx context.Context, cfg *config.Config, opts Options, asked []string, emit func(doctor.Event)) (doctor.Report, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	s := &System{cfg: cfg, opts: opts, log: opts.Log, started: time.Now(), loc: cfg.Meetings.Location()}
	var err error
	if s.clk, err = clock.FromConfig(cfg.Policy.ClockSource); err != nil {
		return doctor.Report{}, err
	}
	if s.store, err = openStore(cfg, opts.ConfigDir, s.log); err != nil {
		return doctor.Report{}, err
	}
	defer s.store.Close()
	if s.scanners, err = s.buildScanners(); err != nil {
		return doctor.Report{}, err
	}
	if err := s.openDoor(); err != nil {
		s.door.set(nil, nil, err)
	}
	defer func() {
		s.door.halt()
		s.door.close()
	}()
	if cfg.HasTerminal() {
		s.terminal, s.callsErr = s.terminalDriver(cfg.Terminal)
		if s.callsErr != nil {
			s.terminal = nil
		}
	}
	return doctor.Run(ctx, s.doctorChecks(true), asked, emit), nil
}
