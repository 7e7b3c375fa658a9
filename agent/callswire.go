package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/roomgate/roomgate/agent/calls"
	"github.com/roomgate/roomgate/agent/meeting"
	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/devices/terminal"
	"github.com/roomgate/roomgate/devices/terminal/cisco"
	"github.com/roomgate/roomgate/devices/terminal/generic"
	"github.com/roomgate/roomgate/devices/terminal/generic/genericsim"
	"github.com/roomgate/roomgate/devices/terminal/poly"
	"github.com/roomgate/roomgate/devices/terminal/poly/polysim"
	"github.com/roomgate/roomgate/devices/terminal/sshport"
	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/kiosk"
)

// newCalls makes the room's calls feature on the configured terminal; the
// driver is chosen here and nowhere else.
func (s *System) newCalls() (*calls.Room, error) {
	tc := s.cfg.Terminal
	drv, err := s.terminalDriver(tc)
	if err != nil {
		return nil, err
	}
	drv.OnHealth = func(h terminal.Health) {
		s.kioskChanged()
		if s.link != nil {
			s.link.StateChanged()
		}
	}
	drv.OnUnknown = func(kind, line string) {
		s.log.Warn("terminal sent a line of an unknown kind; ignored (said once per kind)", "component", "terminal", "kind", kind, "line", fmt.Sprintf("%.120q", line))
	}
	r := tc.Calls
	rules := calls.DefaultRules()
	if d := r.JoinBefore.D(); d > 0 {
		rules.JoinBefore = d
	}
	if d := r.HangUpAfter.D(); d > 0 {
		rules.HangUpAfter = d
	}
	if d := r.RetryMin.D(); d > 0 {
		rules.RetryFirst = d
	}
	if d := r.RetryMax.D(); d > 0 {
		rules.RetryMax = d
	}
	rules.RedialOnDrop = r.RedialOnDrop
	room := calls.New(calls.Config{
		Site: s.cfg.Identity.Site, Room: s.cfg.Identity.Gate, Device: s.cfg.Identity.Device,
		Terminal: tc.Name, Rules: rules, Settings: s.store, Log: s.log, Synced: s.clk.Synced,
		Keep: func(ctx context.Context, _ wire.Call, ev store.Event) error {
			if err := s.store.AddCallEvent(ctx, ev); err != nil {
				return err
			}
			s.recordKept()
			return nil
		},
		OnChange: func(st wire.CallState) {
			s.callChanged(st.State)
			s.kioskChanged()
			if s.link != nil {
				s.link.StateChanged()
			}
		},
	}, drv)
	room.SetSchedule(s.sched.Current())
	s.terminal = drv
	return room, nil
}

func (s *System) terminalDriver(tc config.Terminal) (*terminal.Driver, error) {
	password, err := tc.Password(s.opts.ConfigDir)
	if err != nil {
		return nil, err
	}
	d := &terminal.Driver{Name: tc.Name, Timeout: tc.Timeout.D(), PollInterval: tc.Poll.D()}
	switch tc.Kind {
	case "poly":
		d.Protocol = &poly.Protocol{Password: password}
	case "cisco":
		d.Protocol = &cisco.Protocol{User: tc.User, Password: password}
	case "generic":
		if d.Protocol, err = generic.New(tc.Generic, password); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("terminal: kind %q", tc.Kind)
	}
	switch {
	case tc.Sim:
		d.Transport, err = newSim(tc.Kind, password)
	case tc.Port != "":
		d.Transport = terminal.Serial{Path: s.path(tc.Port), Baud: tc.Baud}
	case tc.Kind == "cisco":
		keyFile := tc.KeyFile
		if keyFile != "" {
			keyFile = s.path(keyFile)
		}
		d.Transport = sshport.Transport{Addr: tc.Address, User: tc.User, Password: password, KeyFile: keyFile, HostKey: tc.HostKey}
	default:
		d.Transport = terminal.TCP{Addr: tc.Address}
	}
	return d, err
}

// simTransport is a simulated terminal in the agent's process, for a
// laptop without one; the demo runs its Poly on a pty instead.
type simTerminal struct {
	kind  string
	serve func(context.Context, io.ReadWriter) error
}

func newSim(kind, password string) (terminal.Transport, error) {
	switch kind {
	case "poly":
		t := &polysim.Terminal{Password: password}
		return simTerminal{kind, t.Serve}, nil
	case "generic":
		t := genericsim.New()
		return simTerminal{kind, func(_ context.Context, rw io.ReadWriter) error { return t.Serve(rw) }}, nil
	}
	return nil, fmt.Errorf("terminal: no simulated %s terminal in the agent; run ciscosim and give its address", kind)
}

func (t simTerminal) Open(ctx context.Context) (io.ReadWriteCloser, error) {
	box, sim := net.Pipe()
	go func() {
		t.serve(context.WithoutCancel(ctx), simLine{sim})
		sim.Close()
	}()
	return box, nil
}

func (t simTerminal) String() string { return "simulated " + t.kind }

// simLine hides the pipe's net.Conn, so the simulator treats it as a serial
// line (a reboot prints a banner rather than closing it).
type simLine struct{ io.ReadWriteCloser }

// callView is the call as the kiosk shows it.
func (s *System) callView() *kiosk.Call {
	if s.calls == nil {
		return nil
	}
	st := s.calls.State()
	return &kiosk.Call{Terminal: st.Terminal, Reachable: st.Reachable, State: st.State, Since: st.Since, Reason: st.Reason,
		Retrying: st.State == wire.CallFailed || st.State == wire.CallDropped, Meeting: st.Meeting, Bridge: st.Bridge, ByBox: st.ByBox, Held: st.Held}
}

// controlCall runs a person's command on the room's call.
func (s *System) controlCall(ctx context.Context, action kiosk.CallAction, by string) error {
	if s.calls == nil {
		return &kiosk.CallRefusedError{Reason: "no_terminal", Err: errors.New("this box drives no conference terminal")}
	}
	var err error
	switch action {
	case kiosk.CallNow:
		err = s.calls.DialNow(ctx, by)
	case kiosk.CallHangUp:
		err = s.calls.HangUp(ctx, by)
	case kiosk.CallRedial:
		err = s.calls.Redial(ctx, by)
	default:
		return fmt.Errorf("call: unknown action %q", action)
	}
	return refusalForKiosk(err)
}

// refusalForKiosk names the room's refusals so the page can say them in
// the secretary's language.
func refusalForKiosk(err error) error {
	for _, r := range []struct {
		err    error
		reason string
	}{
		{calls.ErrInCall, "in_call"}, {calls.ErrNoCall, "no_call"}, {calls.ErrNotPlaced, "not_placed"},
		{calls.ErrNoMeeting, "no_meeting"}, {calls.ErrNotReached, "not_reached"},
	} {
		if errors.Is(err, r.err) {
			return &kiosk.CallRefusedError{Reason: r.reason, Err: err}
		}
	}
	return err
}

// callCommand runs the city's dial, hang_up and call_status; each answers
// with the call as it stands after.
func (s *System) callCommand(ctx context.Context, c wire.Command) (map[string]any, error) {
	if s.calls == nil {
		return nil, errors.New("this box drives no conference terminal")
	}
	var err error
	switch c.Name {
	case wire.CmdDial:
		var a wire.DialArgs
		if a, err = wire.DecodeDialArgs(c.Args); err != nil {
			return nil, err
		}
		var bridge *meeting.Bridge
		if b := a.Bridge(); b != nil {
			bridge = &meeting.Bridge{Dial: b.Dial, Protocol: b.Protocol, Speed: b.Speed}
		}
		err = s.calls.DialMeeting(ctx, wire.CallByCity, a.Meeting, bridge)
	case wire.CmdHangUp:
		err = s.controlCall(ctx, kiosk.CallHangUp, wire.CallByCity)
	}
	if err != nil {
		return nil, err
	}
	return map[string]any{"call": s.calls.State()}, nil
}
