package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/roomgate/roomgate/agent/attendance"
	"github.com/roomgate/roomgate/agent/calls"
	"github.com/roomgate/roomgate/agent/citylink"
	"github.com/roomgate/roomgate/agent/clock"
	"github.com/roomgate/roomgate/agent/event"
	"github.com/roomgate/roomgate/agent/gallerysync"
	"github.com/roomgate/roomgate/agent/gate"
	"github.com/roomgate/roomgate/agent/meeting"
	"github.com/roomgate/roomgate/agent/metrics"
	"github.com/roomgate/roomgate/agent/recognition"
	"github.com/roomgate/roomgate/agent/retention"
	"github.com/roomgate/roomgate/agent/schedule"
	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/devices/door"
	"github.com/roomgate/roomgate/devices/door/doortest"
	"github.com/roomgate/roomgate/devices/scanner"
	"github.com/roomgate/roomgate/devices/terminal"
	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/kiosk"
)

// ErrReload is what Run returns after the city's new config was written to
// the config file: the caller loads the file and runs again.
var ErrReload = errors.New("agent: config changed; reload")

// Scanner is what the agent needs from a QR scanner driver.
type Scanner interface {
	Run(ctx context.Context, emit func(scanner.Line)) error
	Status() scanner.Status
	String() string
}

// Options are what the caller of Run chooses besides the config.
type Options struct {
	ConfigPath string // the local config file; the city's config is checked as if it were this file
	ConfigDir  string // relative paths in the config are taken from here
	Version    string
	Log        *slog.Logger
	Ready      func(httpAddr net.Addr) // called once the box accepts scans
	// Lines replaces the door's hardware; the sim board uses an in-memory fake
	// when it is nil. Benchmarks and tests set it.
	Lines func(onInput func(config.Role, bool, time.Time)) (door.Lines, error)
	// CityConfigPath is where the city's config is written, in the state
	// directory: the unit lets the agent write nowhere else. CityConfig says
	// the config given to Run is the one read from there.
	CityConfigPath string
	CityConfig     bool
	// ProvisioningDir is the directory provisioning by claim wrote the
	// config into; the box renews its certificate there when the config
	// names the enrolment server (provisioning.url). Empty for a config
	// written by hand, which nothing renews.
	ProvisioningDir string
}

// System is the running box, one slot per subsystem; only Run fills it.
type System struct {
	cfg      *config.Config
	opts     Options
	log      *slog.Logger
	store    *store.Store
	door     doorSlot
	gate     *gate.Gate
	scanners []Scanner
	kiosk    *kiosk.Server
	link     *citylink.Link // nil when the box has no broker configured
	clk      clock.Source   // whether the wall clock has synced since boot
	faces    faces          // nil without a camera, or when the face engine could not start
	facesErr error          // why a configured camera is not used
	recent   recognition.Recent
	gallery  *gallerysync.Receiver // the city's gallery on its way
	purger   *retention.Purger
	preview  recognition.Preview
	sched    *schedule.Room
	attend   *attendance.Register
	calls    *calls.Room      // nil without a terminal, or when it could not be set up
	terminal *terminal.Driver // the room's conference terminal, under calls
	callsErr error            // why a configured terminal is not driven
	loc      *time.Location   // the room's time zone
	started  time.Time
	scans    chan scan
	stop     context.CancelCauseFunc // ends Run; ErrReload as the cause reloads
	taps     taps                    // scans and door events a self-test waits for
	doctor   doctorRun
	// watchdogEvery is how often systemd's watchdog wants a ping; 0: off.
	watchdogEvery time.Duration
	// metrics counts what the box does; nil unless metrics.listen is set.
	metrics *metrics.Metrics
}

type scan struct {
	scanner string
	line    scanner.Line
}

// Run runs the box until ctx is cancelled. It returns an error only when the
// box cannot keep records (the store will not open) or cannot start at all;
// everything else degrades and is reported.
func Run(ctx context.Context, cfg *config.Config, opts Options) (err error) {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	s := &System{cfg: cfg, opts: opts, log: opts.Log, started: time.Now(), scans: make(chan scan, 64), loc: cfg.Meetings.Location()}
	clk, err := clock.FromConfig(cfg.Policy.ClockSource)
	if err != nil {
		return err
	}
	s.clk = clk
	s.store, err = openStore(cfg, opts.ConfigDir, s.log)
	if err != nil {
		return err
	}
	defer s.store.Close()
	if opts.CityConfigPath != "" && !opts.CityConfig {
		// The local file runs (the city's was set aside, or never came): no
		// city version is in force, so the city's retained config is taken
		// again, or refused with its reason for the city to see.
		if err := s.store.SetSetting(ctx, settingConfigVersion, "0"); err != nil {
			return err
		}
	}
	if err := s.loadTrust(ctx); err != nil {
		return err
	}
	s.gallery = gallerysync.New(s.store, cfg.Vision.RecognizerName, s.log, s.kioskChanged)
	s.sched = schedule.New(s.store, s.log, s.scheduleChanged)
	if err := s.sched.Load(ctx, s.path(cfg.Meetings.File)); err != nil {
		return err
	}
	s.attend = attendance.New(s.store, s.sched, attendance.Settings{
		Site: cfg.Identity.Site, Gate: cfg.Identity.Gate, Device: cfg.Identity.Device,
		Rules:    meeting.Rules{LateAfter: cfg.Meetings.LateAfter.D(), RecordNonInvitees: cfg.Meetings.NonInvitees == "record"},
		Location: s.loc, Log: s.log, OnKept: s.recordKept, Push: s.push,
	})
	s.gate = gate.New(s.store, &s.door, clk, gate.Policy{
		Site: cfg.Identity.Site, Gate: cfg.Identity.Gate, Device: cfg.Identity.Device,
		ClockSkew: cfg.Policy.ClockSkew.D(), AntiPassback: cfg.Policy.AntiPassback.D(),
		AllowUnsyncedClock: cfg.Policy.UnsyncedClock == "allow", AllowCCCD: cfg.Policy.AllowCCCD,
		MaxPassLifetime: cfg.Policy.MaxPassLifetime.D(),
		FaceThreshold:   cfg.Policy.CCCDFace.Threshold, FaceWithin: cfg.Policy.CCCDFace.Within.D(),
	})
	if cfg.Policy.AllowCCCD {
		s.gate.UseFaceCheck(gateFaces{s})
	}
	if err := s.gate.ReloadTrust(ctx); err != nil {
		return err
	}
	s.scanners, err = s.buildScanners()
	if err != nil {
		return err
	}
	if cfg.Sync.Broker != "" {
		if s.link, err = s.newLink(); err != nil {
			return err
		}
	}
	if !clk.Synced() {
		s.log.Warn("clock not synchronised since boot; pass time windows are not trusted", "component", "gate", "policy", cfg.Policy.UnsyncedClock, "source", clk.String())
	}

	var wg sync.WaitGroup
	runCtx, stop := context.WithCancelCause(ctx)
	s.stop = stop
	// Whatever happens below, the door ends in its safe state.
	defer func() {
		stop(nil)
		wg.Wait()
		if herr := s.door.halt(); herr != nil {
			s.log.Error("door halt failed", "component", "door", "err", herr)
			err = errors.Join(err, herr)
		} else {
			s.log.Info("door in safe state", "component", "door", "safe_state", cfg.Policy.SafeState)
		}
		s.door.close()
	}()

	if err := s.openDoor(); err != nil {
		wg.Add(1)
		go func() { defer wg.Done(); s.retryDoor(runCtx, err) }()
	}

	if cfg.HasTerminal() {
		if s.calls, s.callsErr = s.newCalls(); s.callsErr != nil {
			s.log.Warn("conference terminal off; the room's bridge is not dialled", "component", "calls", "err", s.callsErr)
		}
	}

	s.purger = retention.New(s.store, storeRetention(cfg), s.log)
	s.purger.OnPurged = func(retention.Result) {
		s.gallery.Reread() // the staging may be gone
		s.kioskChanged()
	}
	wg.Add(1)
	go func() { defer wg.Done(); s.purger.Run(runCtx) }()

	// Made before the status page starts, which shows it; run after, as
	// its decisions notify the page.
	if cfg.Vision.HasCamera() {
		if s.faces, s.facesErr = s.newFaces(runCtx); s.facesErr != nil {
			s.log.Warn("face check-in off; the gate still takes QR passes", "component", "vision", "err", s.facesErr)
		}
	}

	if cfg.Metrics.Listen != "" {
		addr, err := s.startMetrics(runCtx, &wg)
		if err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
		s.log.Info("metrics served", "component", "metrics", "addr", addr)
	}

	// The link reports the face engine's health in its state: it starts once
	// s.faces is set (a race the detector found).
	if s.link != nil {
		wg.Add(1)
		go func() { defer wg.Done(); s.link.Run(runCtx) }()
	}
	if opts.ProvisioningDir != "" && cfg.Provisioning.URL != "" {
		wg.Add(1)
		go func() { defer wg.Done(); s.renewCertificate(runCtx) }()
	}

	// Warnings pass validation: the operator chose these and is told what they cost.
	for _, w := range cfg.Warnings() {
		s.log.Warn("config: "+w, "component", "config")
	}
	var httpAddr net.Addr
	if cfg.HTTP.Listen != "" {
		var prev kiosk.Preview
		if s.faces != nil {
			prev = &s.preview
		}
		s.kiosk = kiosk.NewServer(snapshotSource{s}, kioskActions{s}, prev, s.kioskConfig())
		s.enableDoctor()
		ln, err := net.Listen("tcp", cfg.HTTP.Listen)
		if err != nil {
			return fmt.Errorf("http: %w", err)
		}
		httpAddr = ln.Addr()
		srv := s.kiosk.HTTPServer()
		wg.Add(1)
		go func() { defer wg.Done(); srv.Serve(ln) }()
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-runCtx.Done()
			shutdownCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			srv.Shutdown(shutdownCtx)
		}()
	}

	if s.faces != nil {
		wg.Add(1)
		go func() { defer wg.Done(); s.faces.Run(runCtx) }()
	}

	for _, sc := range s.scanners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := sc.Status().Name
			if err := sc.Run(runCtx, func(l scanner.Line) { s.scans <- scan{scanner: name, line: l} }); err != nil {
				s.log.Error("scanner stopped", "component", "scanner", "scanner", name, "err", err)
			}
		}()
	}

	s.log.Info("ready", "component", "agent", "site", cfg.Identity.Site, "gate", cfg.Identity.Gate, "device", cfg.Identity.Device, "http", httpAddr)
	// The calls tell the kiosk of every change: they start once it is made.
	if s.calls != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.calls.Run(runCtx); err != nil {
				s.log.Error("calls stopped", "component", "calls", "err", err)
			}
		}()
	}
	if opts.Ready != nil {
		opts.Ready(httpAddr)
	}
	s.watchdogEvery = notifyReady(s.log)
	s.runGate(runCtx, s.watchdogEvery)
	if cause := context.Cause(runCtx); errors.Is(cause, ErrReload) {
		return ErrReload
	}
	return nil
}

// runGate handles scans one at a time, in the order they arrived, and pings
// systemd's watchdog between them.
func (s *System) runGate(ctx context.Context, watchdogEvery time.Duration) {
	var watchdog <-chan time.Time
	if watchdogEvery > 0 {
		t := time.NewTicker(watchdogEvery)
		defer t.Stop()
		watchdog = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-watchdog:
			pingWatchdog()
		case sc := <-s.scans:
			if s.taps.scans.Give(sc.scanner, len(sc.line.Text)) {
				s.log.Info("test scan taken by the self-test", "component", "doctor", "scanner", sc.scanner)
				continue
			}
			entry, err := s.gate.Handle(ctx, sc.scanner, sc.line)
			if err != nil {
				s.log.Error("entry not kept; door stays shut", "component", "gate", "scanner", sc.scanner, "err", err)
				continue
			}
			s.log.Info("entry kept", "component", "gate", "id", entry.ID, "granted", entry.Granted, "reason", entry.Reason, "method", entry.Method, "pass", entry.PassID, "scanner", sc.scanner)
			s.recordKept()
			s.push("gate", gateResult{Granted: entry.Granted, Reason: entry.Reason, At: entry.At, Method: entry.Method})
			s.attend.ByPass(ctx, entry)
		}
	}
}

// recordKept tells those who show or send records that there is a new one.
func (s *System) recordKept() {
	if s.link != nil {
		s.link.Notify()
	}
	s.kioskChanged()
}

// scheduleChanged gives the room's new meetings to those who follow them.
func (s *System) scheduleChanged() {
	if s.calls != nil {
		s.calls.SetSchedule(s.sched.Current())
	}
	s.recordKept()
}

// kioskChanged tells live pages to fetch the status again.
func (s *System) kioskChanged() {
	if s.kiosk != nil {
		s.kiosk.Notify()
	}
}

// push sends an event to the kiosk's live pages, when there is a kiosk.
func (s *System) push(kind string, v any) {
	if s.kiosk != nil {
		s.kiosk.Push(kind, v)
	}
}

// now is the time in the room's time zone, whose days the schedule's
// "today" follows.
func (s *System) now() time.Time { return time.Now().In(s.loc) }

// gateResult is what the kiosk shows of a scan at the gate: the verdict
// and its reason code, for whoever stands there. Who it was, and the
// details, are for staff (the entries of the staff status).
type gateResult struct {
	Granted bool      `json:"granted"`
	Reason  string    `json:"reason,omitempty"`
	At      time.Time `json:"at"`
	Method  string    `json:"method"`
}

// path resolves a config path against the config's directory.
func (s *System) path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(s.opts.ConfigDir, p)
}

// resolve takes a config path relative to the config's directory.
func resolve(dir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// openStore opens the store the config names, with its template key, and
// logs what opening it changed on disk.
func openStore(cfg *config.Config, dir string, log *slog.Logger) (*store.Store, error) {
	var keyFile string
	if cfg.Store.KeyFile != "" {
		keyFile = resolve(dir, cfg.Store.KeyFile)
	}
	st, err := store.OpenWith(resolve(dir, cfg.Store.Path), store.Options{KeyFile: keyFile})
	if err != nil {
		return nil, err
	}
	for _, n := range st.Notes() {
		log.Warn("store: "+n, "component", "store")
	}
	return st, nil
}

// storeRetention is the config's retention as the store takes it. A
// chip ID card visit goes once its window has ended by more than the clock
// skew the gate allows: the gate would refuse it by then.
func storeRetention(cfg *config.Config) store.Retention {
	r := cfg.Store.Retention
	return store.Retention{Entries: r.Entries.D(), Attendance: r.Attendance.D(), DoorEvents: r.DoorEvents.D(),
		Actions: r.Actions.D(), Uses: r.Uses.D(), Staging: r.Staging.D(), Visits: cfg.Policy.ClockSkew.D()}
}

// loadTrust makes the config's issuers and revocations the store's config-sourced trust.
func (s *System) loadTrust(ctx context.Context) error {
	keys, err := s.cfg.PublicKeys(s.opts.ConfigDir)
	if err != nil {
		return err
	}
	issuers := make([]store.Issuer, 0, len(keys))
	for kid, k := range keys {
		issuers = append(issuers, store.Issuer{Kid: kid, Iss: k.Iss, PublicKey: k.Key})
	}
	return s.store.ReplaceTrust(ctx, "config", issuers, s.cfg.Trust.Revoked)
}

func (s *System) buildScanners() ([]Scanner, error) {
	var out []Scanner
	for _, c := range s.cfg.Scanners {
		var sc Scanner
		switch c.Type {
		case "serial":
			ser := scanner.NewSerial(c.Name, s.path(c.Path), c.Baud, scanner.Framing{Terminator: c.Terminator, MaxLength: c.MaxLength})
			ser.OnStatus = s.logScannerStatus
			sc = ser
		case "hid":
			kb := scanner.NewKeyboard(c.Name, s.path(c.Path), c.MaxLength)
			kb.OnStatus = s.logScannerStatus
			sc = kb
		default:
			return nil, fmt.Errorf("scanner %q: unknown type %q", c.Name, c.Type)
		}
		out = append(out, sc)
	}
	return out, nil
}

func (s *System) logScannerStatus(st scanner.Status) {
	if st.Connected {
		s.log.Info("scanner connected", "component", "scanner", "scanner", st.Name, "path", st.Path)
	} else {
		s.log.Warn("scanner disconnected; retrying", "component", "scanner", "scanner", st.Name, "err", st.LastError)
	}
	s.kioskChanged()
}

// retryDoor keeps trying to open the door's lines while they cannot be
// opened (a missing gpiochip, a line held by another program).
func (s *System) retryDoor(ctx context.Context, err error) {
	for err != nil {
		s.door.set(nil, nil, err)
		s.log.Error("door unavailable; scans are denied until it is fixed", "component", "door", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Second):
		}
		err = s.openDoor()
	}
}

func (s *System) openDoor() error {
	// Inputs can fire as soon as the lines are requested, before the
	// controller exists; until then there is nothing to tell.
	var ctrl atomic.Pointer[door.Controller]
	onInput := func(role config.Role, on bool, at time.Time) {
		if c := ctrl.Load(); c != nil {
			c.Input(role, on, at)
		}
	}
	lines, err := s.openLines(onInput)
	if err != nil {
		return err
	}
	p := s.cfg.Policy
	c := door.NewController(lines, door.Settings{
		Pulse: p.Pulse.D(), HeldOpenAfter: p.HeldOpenAfter.D(), Indicator: p.Indicator.D(), FailSafe: p.SafeState == "fail-safe",
	}, s.recordDoorEvent)
	ctrl.Store(c)
	// A door already open at start has had no grant: the controller raises forced_open.
	if g, ok := lines.(*door.GPIO); ok {
		if open, err := g.Value(config.RoleDoorSensor); err == nil {
			c.Input(config.RoleDoorSensor, open, time.Now())
		}
	}
	s.door.set(c, lines, nil)
	s.log.Info("door ready", "component", "door", "lines", fmt.Sprint(lines))
	return nil
}

func (s *System) openLines(onInput func(config.Role, bool, time.Time)) (door.Lines, error) {
	if s.opts.Lines != nil {
		return s.opts.Lines(onInput)
	}
	if s.cfg.Board == "sim" {
		return &doortest.Lines{OnInput: onInput}, nil
	}
	lines, err := s.cfg.Lines()
	if err != nil {
		return nil, err
	}
	return door.OpenGPIO(lines, map[config.Role]bool{config.RoleRelay: false}, onInput)
}

// recordDoorEvent keeps what the door did. It runs on the controller's timers
// and input callbacks: rare events, so writing synchronously is cheap and
// nothing is queued in memory where a power cut could lose it.
func (s *System) recordDoorEvent(ev door.Event) {
	s.taps.door.Give(ev.Kind, struct{}{})
	alarm := ev.Kind == door.EventForcedOpen || ev.Kind == door.EventHeldOpen
	env, payload, err := event.New(event.Source(s.cfg.Identity.Site, s.cfg.Identity.Device), event.TypeDoor, ev.At, doorData{
		Site: s.cfg.Identity.Site, Gate: s.cfg.Identity.Gate, Kind: ev.Kind, Alarm: alarm, Detail: ev.Detail,
	})
	if err == nil {
		err = s.store.AddDoorEvent(context.Background(), store.DoorEvent{ID: env.ID, At: ev.At, Kind: ev.Kind, Alarm: alarm, Detail: ev.Detail},
			store.Event{ID: env.ID, Type: env.Type, Time: env.Time, Payload: payload})
	}
	if err != nil {
		s.log.Error("door event not kept", "component", "door", "kind", ev.Kind, "err", err)
		return
	}
	level := slog.LevelInfo
	if alarm {
		level = slog.LevelWarn
	}
	s.log.Log(context.Background(), level, "door event kept", "component", "door", "id", env.ID, "kind", ev.Kind, "alarm", alarm)
	s.recordKept()
}

// doorData is the data of a vn.roomgate.door.v1 event.
type doorData struct {
	Site   string `json:"site"`
	Gate   string `json:"gate"`
	Kind   string `json:"kind"`
	Alarm  bool   `json:"alarm"`
	Detail string `json:"detail,omitempty"`
}
