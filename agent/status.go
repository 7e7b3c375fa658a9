package agent

import (
	"context"
	"strings"

	"github.com/roomgate/roomgate/devices/door"

	"github.com/roomgate/roomgate/kiosk"
)

// snapshotSource shows the system on the kiosk's status page.
type snapshotSource struct{ s *System }

func (src snapshotSource) Snapshot(ctx context.Context) (kiosk.Snapshot, error) {
	s := src.s
	snap := kiosk.Snapshot{Site: s.cfg.Identity.Site, Gate: s.cfg.Identity.Gate, Device: s.cfg.Identity.Device, Version: s.opts.Version, Started: s.started}
	snap.Devices = s.devices()
	snap.Call = s.callView()
	if s.cfg.Vision.HasCamera() {
		snap.Recognitions = s.recent.Latest()
	}
	if s.link != nil {
		st := s.link.Status()
		snap.Link = &kiosk.Link{Connected: st.Connected, LastError: st.LastError, Sent: st.Sent, Acked: st.Acked, Resent: st.Resent, Refused: st.Refused, InFlight: st.InFlight, Alarm: st.Alarm}
	}
	entries, err := s.store.LatestEntries(ctx, 20)
	if err != nil {
		return snap, err
	}
	for _, e := range entries {
		snap.Entries = append(snap.Entries, kiosk.Entry{At: e.At, Scanner: e.Scanner, Method: e.Method, Granted: e.Granted, Reason: e.Reason, Detail: e.Detail, Name: e.Name, Host: e.Host, PassID: e.PassID})
	}
	ob, err := s.store.Outbox(ctx)
	if err != nil {
		return snap, err
	}
	snap.Outbox = kiosk.Outbox{Pending: ob.Pending, Oldest: ob.Oldest}
	if s.purger != nil {
		p := s.purger.Last()
		snap.Purge = kiosk.Purge{At: p.At, Deleted: p.Deleted, Error: p.Err}
	}
	return snap, s.meetingView(ctx, &snap)
}

// devices is the health of the door, every scanner and the camera.
func (s *System) devices() []kiosk.Device {
	var out []kiosk.Device
	if ctrl, err := s.door.get(); err != nil {
		out = append(out, kiosk.Device{Name: "door", Kind: "door", Detail: err.Error()})
	} else {
		st := ctrl.Status()
		out = append(out, kiosk.Device{Name: "door", Kind: "door", OK: st.Alarm == "", Detail: doorDetail(st)})
	}
	for _, sc := range s.scanners {
		st := sc.Status()
		detail := st.Path
		if !st.Connected {
			detail = st.LastError
		}
		out = append(out, kiosk.Device{Name: st.Name, Kind: st.Kind, OK: st.Connected, Detail: detail, Since: st.Since})
	}
	switch {
	case s.terminal != nil:
		h := s.terminal.Health()
		detail := h.Addr
		if !h.Connected || h.LastError != "" {
			detail = h.LastError
		}
		out = append(out, kiosk.Device{Name: h.Name, Kind: "terminal/" + h.Kind, OK: h.Connected, Detail: detail, Since: h.Since})
	case s.callsErr != nil:
		out = append(out, kiosk.Device{Name: s.cfg.Terminal.Name, Kind: "terminal/" + s.cfg.Terminal.Kind, Detail: s.callsErr.Error()})
	}
	switch {
	case s.faces != nil:
		out = append(out, s.faces.Status())
	case s.facesErr != nil:
		out = append(out, kiosk.Device{Name: s.cfg.Vision.Camera.Name, Kind: "camera", Detail: s.facesErr.Error()})
	}
	return out
}

func doorDetail(st door.Status) string {
	parts := []string{"locked"}
	if st.Relay {
		parts[0] = "released"
	}
	if st.Open {
		parts = append(parts, "open")
	} else {
		parts = append(parts, "closed")
	}
	if st.Alarm != "" {
		parts = append(parts, "ALARM "+st.Alarm)
	}
	if st.Halted {
		parts = append(parts, "halted")
	}
	return strings.Join(parts, ", ")
}
