package agent

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/roomgate/roomgate/agent/event"
	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/kiosk"
)

// kioskActions are the secretary's and technician's doings at the kiosk.
type kioskActions struct{ s *System }

func (k kioskActions) ControlCall(ctx context.Context, a kiosk.CallAction) error {
	return k.s.controlCall(ctx, a, wire.CallBySecretary)
}

func (k kioskActions) Candidates(ctx context.Context, meetingID, query string) ([]kiosk.Candidate, error) {
	return k.s.attend.Candidates(ctx, meetingID, query)
}

func (k kioskActions) CheckIn(ctx context.Context, c kiosk.ManualCheckIn) (kiosk.CheckInResult, error) {
	res, err := k.s.attend.Manual(ctx, c.Meeting, c.Person, c.Reason, c.Operator)
	if err != nil {
		return kiosk.CheckInResult{}, err
	}
	return kiosk.CheckInResult{Recorded: res.Recorded, Notice: res.Notice, At: res.Attendance.At, Late: res.Attendance.Late}, nil
}

func (k kioskActions) AttendanceCSV(ctx context.Context, meetingID string, w io.Writer) error {
	return k.s.attend.WriteCSV(ctx, meetingID, w)
}

func (k kioskActions) RecordAction(ctx context.Context, a kiosk.Action) error {
	return k.s.recordAction(ctx, a.Role, a.Action, a.Detail)
}

// recordAction keeps what a secretary or technician did, and logs it without
// its detail, which may name a person (it stays in the store).
func (s *System) recordAction(ctx context.Context, role, action, detail string) error {
	s.log.Info("kiosk action", "component", "kiosk", "role", role, "action", action)
	return s.store.AddAction(ctx, store.Action{At: time.Now(), Role: role, Action: action, Detail: detail})
}

func (k kioskActions) Lockout(ctx context.Context, role string) (kiosk.Lockout, error) {
	l, err := k.s.store.Lockout(ctx, role)
	return kiosk.Lockout{Failures: l.Failures, Until: l.Until}, err
}

// loginFailed is the data of a TypeLoginFailed event.
type loginFailed struct {
	Role        string    `json:"role"`
	Failures    int       `json:"failures"` // wrong PINs in a row, this one included
	LockedUntil time.Time `json:"locked_until,omitzero"`
}

// LoginFailed keeps a wrong PIN with its event for the city.
func (k kioskActions) LoginFailed(ctx context.Context, f kiosk.LoginFailure) error {
	s := k.s
	data := loginFailed{Role: f.Role, Failures: f.Lockout.Failures}
	detail := fmt.Sprintf("wrong PIN, %d in a row", f.Lockout.Failures)
	if !f.Lockout.Until.IsZero() {
		data.LockedUntil = f.Lockout.Until.UTC()
		detail += "; locked until " + data.LockedUntil.Format(time.RFC3339)
	}
	env, payload, err := event.New(event.Source(s.cfg.Identity.Site, s.cfg.Identity.Device), event.TypeLoginFailed, f.At, data)
	if err != nil {
		return err
	}
	s.log.Warn("kiosk login failed", "component", "kiosk", "role", f.Role, "failures", f.Lockout.Failures, "locked_until", data.LockedUntil)
	err = s.store.AddLoginFailure(ctx, store.Lockout{Role: f.Role, Failures: f.Lockout.Failures, Until: f.Lockout.Until},
		store.Action{At: f.At, Role: f.Role, Action: "login_failed", Detail: detail},
		store.Event{ID: env.ID, Type: env.Type, Time: env.Time, Payload: payload})
	if err == nil {
		s.recordKept()
	}
	return err
}

func (k kioskActions) LoggedIn(ctx context.Context, a kiosk.Action) error {
	k.s.log.Info("kiosk action", "component", "kiosk", "role", a.Role, "action", a.Action)
	return k.s.store.AddLogin(ctx, store.Action{At: a.At, Role: a.Role, Action: a.Action, Detail: a.Detail})
}

// meetingView adds the room's meetings, versions and gallery to the
// kiosk's snapshot.
func (s *System) meetingView(ctx context.Context, snap *kiosk.Snapshot) error {
	sched := s.sched.Current()
	snap.Versions = kiosk.Versions{Software: s.opts.Version, Schedule: sched.Version}
	if v, err := s.store.Setting(ctx, settingConfigVersion); err != nil {
		return err
	} else if v != "" {
		snap.Versions.Config = "v" + v + " (city)"
	} else {
		snap.Versions.Config = "local file"
	}
	snap.Gallery = s.galleryView()
	snap.Versions.Gallery = snap.Gallery.Version
	var err error
	snap.Meetings, snap.Meeting, err = s.attend.Today(ctx, s.now())
	return err
}

// galleryView is the faces the box knows and the city's gallery on its way.
func (s *System) galleryView() kiosk.GalleryState {
	g := kiosk.GalleryState{Model: s.cfg.Vision.RecognizerName}
	if s.faces != nil {
		g.People, g.Templates = s.faces.GallerySize()
	}
	st := s.gallery.State()
	g.Version = st.Applied
	g.Sync = kiosk.GallerySync{Version: st.Version, Received: st.Received, Total: st.Total, Error: st.Error}
	return g
}

// kioskConfig is the kiosk's part of the config.
func (s *System) kioskConfig() kiosk.Config {
	k := s.cfg.Kiosk
	return kiosk.Config{SecretaryPIN: k.SecretaryPIN, TechnicianPIN: k.TechnicianPIN, Language: k.Language, GreetingHold: s.cfg.Meetings.GreetingHold.D(),
		AllowRemote: s.cfg.RemoteKiosk()}
}
