package store

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/meeting"
)

func testSchedule(version int64, at time.Time) *meeting.Schedule {
	return &meeting.Schedule{Version: version, Meetings: []meeting.Meeting{{
		ID: "m1", Title: "Giao ban tuần", Room: "p201",
		Start: at, End: at.Add(time.Hour), CheckInOpens: at.Add(-30 * time.Minute), CheckInCloses: at.Add(30 * time.Minute),
		Invitees: []meeting.Invitee{{Person: "P-b", Name: "Trần Bình", Seat: "B2"}, {Person: "P-a", Name: "Nguyễn An", Unit: "VP", Role: "chair", Seat: "A1"}},
	}}}
}

func TestScheduleRoundTripAndReplace(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if got, source, err := s.Schedule(ctx); err != nil || got.Version != 0 || len(got.Meetings) != 0 || source != "" {
		t.Fatalf("empty store: %+v %q %v", got, source, err)
	}
	at := time.Unix(1_800_000_000, 0)
	want := testSchedule(3, at)
	if err := s.ReplaceSchedule(ctx, want, "city"); err != nil {
		t.Fatal(err)
	}
	got, source, err := s.Schedule(ctx)
	if err != nil || source != "city" || !reflect.DeepEqual(got, want) {
		t.Fatalf("Schedule() = %+v %q %v, want %+v (invitees in the city's order)", got, source, err, want)
	}
	next := &meeting.Schedule{Version: 4, Meetings: []meeting.Meeting{{ID: "m2", Title: "Other", Start: at, End: at.Add(time.Hour), CheckInOpens: at, CheckInCloses: at.Add(time.Minute)}}}
	if err := s.ReplaceSchedule(ctx, next, "city"); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.Schedule(ctx); got.Version != 4 || len(got.Meetings) != 1 || got.Meetings[0].ID != "m2" {
		t.Fatalf("after replace: %+v", got)
	}
	// A schedule that cannot be stored whole leaves the old one.
	bad := testSchedule(5, at)
	bad.Meetings[0].Invitees = append(bad.Meetings[0].Invitees, bad.Meetings[0].Invitees[0])
	if err := s.ReplaceSchedule(ctx, bad, "city"); err == nil {
		t.Fatal("a schedule with a duplicate invitee was stored")
	}
	if got, _, _ := s.Schedule(ctx); got.Version != 4 || got.Meetings[0].ID != "m2" {
		t.Fatalf("a failed replace changed the schedule: %+v", got)
	}
}

func TestAttendanceFirstWins(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	at := time.Unix(1_800_000_000, 0)
	first := Attendance{ID: "e1", Meeting: "m1", Title: "T", Person: "P-a", Name: "An", Method: "face", Score: 0.61, At: at, Invited: true}
	if got, err := s.AddAttendance(ctx, first, Event{ID: "e1", Type: "vn.roomgate.attendance.v1", Time: at, Payload: []byte(`{}`)}); err != nil || got.ID != "e1" {
		t.Fatalf("first check-in: %+v %v", got, err)
	}
	later := first
	later.ID, later.Method, later.At = "e2", "manual", at.Add(time.Minute)
	got, err := s.AddAttendance(ctx, later, Event{ID: "e2", Type: "vn.roomgate.attendance.v1", Time: later.At, Payload: []byte(`{}`)})
	if !errors.Is(err, ErrAlreadyCheckedIn) || got.ID != "e1" || got.Method != "face" || !got.At.Equal(at) {
		t.Fatalf("second check-in: %+v %v; want the first back and ErrAlreadyCheckedIn", got, err)
	}
	// Another meeting is another record.
	other := first
	other.ID, other.Meeting = "e3", "m2"
	if _, err := s.AddAttendance(ctx, other, Event{ID: "e3", Type: "vn.roomgate.attendance.v1", Time: at, Payload: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	ob, err := s.Outbox(ctx)
	if err != nil || ob.Pending != 2 {
		t.Fatalf("outbox %+v %v: want the two kept check-ins only", ob, err)
	}
	list, err := s.Attendance(ctx, "m1")
	if err != nil || len(list) != 1 || list[0].Score != 0.61 || !list[0].Invited {
		t.Fatalf("Attendance(m1) = %+v %v", list, err)
	}
	// Records outlive a schedule that no longer has their meeting.
	if err := s.ReplaceSchedule(ctx, &meeting.Schedule{Version: 9}, "city"); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.Attendance(ctx, "m1"); len(list) != 1 {
		t.Fatalf("attendance lost with the schedule: %+v", list)
	}
}

func TestActions(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	at := time.Unix(1_800_000_000, 0)
	for i, a := range []string{"login", "checkin", "export"} {
		if err := s.AddAction(ctx, Action{At: at.Add(time.Duration(i) * time.Second), Role: "secretary", Action: a, Detail: "d"}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Actions(ctx, 2)
	if err != nil || len(got) != 2 || got[0].Action != "export" || got[1].Action != "checkin" {
		t.Fatalf("Actions(2) = %+v %v", got, err)
	}
}
