package agent

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/roomgate/roomgate/agent/event"
	"github.com/roomgate/roomgate/agent/meeting"
	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/kiosk"
)

// kioskActions are the secretary's and technician's doings at the kiosk.
type kioskActions struct{ s *System }

func (k kioskActions) Candidates(ctx context.Context, meetingID, query string) ([]kiosk.Candidate, error) {
	return k.s.candidates(ctx, meetingID, query)
}

func (k kioskActions) CheckIn(ctx context.Context, c kiosk.ManualCheckIn) (kiosk.CheckInResult, error) {
	res, err := k.s.manualCheckIn(ctx, c.Meeting, c.Person, c.Reason, c.Operator)
	if err != nil {
		return kiosk.CheckInResult{}, err
	}
	return kiosk.CheckInResult{Recorded: res.Recorded, Notice: res.Notice, At: res.Attendance.At, Late: res.Attendance.Late}, nil
}

func (k kioskActions) AttendanceCSV(ctx context.Context, meetingID string, w io.Writer) error {
	return k.s.writeAttendanceCSV(ctx, meetingID, w)
}

func (k kioskActions) RecordAction(ctx context.Context, a kiosk.Action) error {
	return k.s.recordAction(ctx, a.Role, a.Action, a.Detail)
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
	sched := s.sched.Load()
	now := s.now()
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
	for _, m := range sched.Today(now) {
		present, err := s.presentAt(ctx, m.ID)
		if err != nil {
			return err
		}
		snap.Meetings = append(snap.Meetings, kiosk.MeetingSummary{ID: m.ID, Title: m.Title, Start: m.Start, End: m.End, Expected: len(m.Invitees), Present: invitedPresent(m, present)})
	}
	m := sched.Current(now)
	if m == nil {
		return nil
	}
	list, err := s.store.Attendance(ctx, m.ID)
	if err != nil {
		return err
	}
	present := byPerson(list)
	b := &kiosk.Board{BoardMeeting: kiosk.BoardMeeting{ID: m.ID, Title: m.Title, Room: m.Room, Start: m.Start, End: m.End,
		CheckInOpens: m.CheckInOpens, CheckInCloses: m.CheckInCloses, Expected: len(m.Invitees), Present: invitedPresent(m, present)}}
	for _, in := range m.Invitees {
		bi := kiosk.BoardInvitee{Person: in.Person, Name: in.Name, Unit: in.Unit, Role: in.Role, Seat: in.Seat}
		if a, ok := present[in.Person]; ok {
			bi.Present, bi.At, bi.Method, bi.Late = true, a.At, a.Method, a.Late
		}
		b.Invitees = append(b.Invitees, bi)
	}
	for _, a := range list {
		if !a.Invited {
			b.Invitees = append(b.Invitees, kiosk.BoardInvitee{Person: a.Person, Name: a.Name, Unit: a.Unit, Seat: a.Seat, Present: true, At: a.At, Method: a.Method, Late: a.Late, Guest: true})
		}
	}
	snap.Meeting = b
	return nil
}

// invitedPresent counts the invitees who are here: the board's
// "present of expected".
func invitedPresent(m *meeting.Meeting, present map[string]store.Attendance) int {
	n := 0
	for _, in := range m.Invitees {
		if _, ok := present[in.Person]; ok {
			n++
		}
	}
	return n
}

// galleryView is the faces the box knows and the city's gallery on its way.
func (s *System) galleryView() kiosk.GalleryState {
	g := kiosk.GalleryState{Model: s.cfg.Vision.RecognizerName}
	if s.faces != nil {
		g.People, g.Templates = s.faces.GallerySize()
	}
	st := s.gallerySync()
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
