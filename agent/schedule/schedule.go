package schedule

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"

	"github.com/roomgate/roomgate/agent/meeting"
	"github.com/roomgate/roomgate/agent/wire"
)

// Store is what the schedule keeps in the box's store.
type Store interface {
	Schedule(ctx context.Context) (*meeting.Schedule, string, error)
	ReplaceSchedule(ctx context.Context, sched *meeting.Schedule, source string) error
}

// Room holds the room's schedule in force.
type Room struct {
	store    Store
	log      *slog.Logger
	onChange func()
	sched    atomic.Pointer[meeting.Schedule] // never nil once Load has run
}

// New makes a room with no schedule yet; Load reads it. onChange, if set,
// is called after the city's schedule was applied.
func New(st Store, log *slog.Logger, onChange func()) *Room {
	return &Room{store: st, log: log, onChange: onChange}
}

// Current is the schedule in force; nil before Load.
func (r *Room) Current() *meeting.Schedule { return r.sched.Load() }

// Load puts the stored schedule in force; the local file (a path, "" for
// none) replaces it until the city has sent one. A missing or broken file
// is reported and leaves the stored schedule: the box still works as a gate.
func (r *Room) Load(ctx context.Context, file string) error {
	sched, source, err := r.store.Schedule(ctx)
	if err != nil {
		return err
	}
	if file != "" && source != "city" {
		if local, err := readFile(file); err != nil {
			r.log.Error("local schedule not loaded; the stored one stays", "component", "meetings", "file", file, "err", err, "stored_version", sched.Version)
		} else if err := r.store.ReplaceSchedule(ctx, local, "file"); err != nil {
			return err
		} else {
			sched = local
			r.log.Info("schedule loaded from file", "component", "meetings", "file", file, "version", sched.Version, "meetings", len(sched.Meetings))
		}
	}
	r.sched.Store(sched)
	return nil
}

func readFile(file string) (*meeting.Schedule, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	m, err := wire.DecodeSchedule(data)
	if err != nil {
		return nil, err
	}
	return fromWire(m), nil
}

// Apply makes the city's schedule the room's, whole; check-ins already
// kept stay, also for meetings the new schedule drops.
func (r *Room) Apply(ctx context.Context, m wire.Schedule) error {
	if cur := r.sched.Load(); cur != nil && m.Version < cur.Version {
		return fmt.Errorf("schedule v%d is older than v%d in force", m.Version, cur.Version)
	}
	sched := fromWire(m)
	if err := r.store.ReplaceSchedule(ctx, sched, "city"); err != nil {
		return err
	}
	r.sched.Store(sched)
	r.log.Info("schedule applied", "component", "meetings", "version", sched.Version, "meetings", len(sched.Meetings))
	if r.onChange != nil {
		r.onChange()
	}
	return nil
}

func fromWire(m wire.Schedule) *meeting.Schedule {
	sched := &meeting.Schedule{Version: m.Version, Meetings: make([]meeting.Meeting, 0, len(m.Meetings))}
	for _, w := range m.Meetings {
		mt := meeting.Meeting{ID: w.ID, Title: w.Title, Room: w.Room, Start: w.Start, End: w.End, CheckInOpens: w.CheckInOpens, CheckInCloses: w.CheckInCloses,
			Invitees: make([]meeting.Invitee, 0, len(w.Invitees))}
		if b := w.Bridge; b != nil {
			mt.Bridge = &meeting.Bridge{Dial: b.Dial, Protocol: b.Protocol, Speed: b.Speed, AutoJoin: b.AutoJoin == nil || *b.AutoJoin}
		}
		for _, in := range w.Invitees {
			mt.Invitees = append(mt.Invitees, meeting.Invitee{Person: in.Person, Name: in.Name, Unit: in.Unit, Role: in.Role, Seat: in.Seat})
		}
		sched.Meetings = append(sched.Meetings, mt)
	}
	return sched
}
