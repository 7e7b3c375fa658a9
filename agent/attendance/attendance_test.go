package attendance

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/meeting"
	"github.com/roomgate/roomgate/agent/schedule"
	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/agent/wire"
)

// room is a register with a real store and schedule, without devices:
// the attendance rules as the agent applies them.
type room struct {
	*Register
	sched *schedule.Room
	st    *store.Store
}

func meetingBox(t *testing.T, sched wire.Schedule) *room {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "roomgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh") // the config's default
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	b := &room{sched: schedule.New(st, log, nil), st: st}
	b.Register = New(st, b.sched, Settings{Site: "hq", Gate: "room-1", Device: "box-1", Rules: meeting.Rules{LateAfter: 10 * time.Minute},
		Location: loc, Log: log})
	if err := b.sched.Load(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	if err := b.sched.Apply(context.Background(), sched); err != nil {
		t.Fatal(err)
	}
	return b
}

// morning is a meeting that started 5 minutes before now, check-in open
// from 30 minutes before to 50 minutes after.
func morning(now time.Time, version int64, invitees ...wire.Invitee) wire.Schedule {
	return wire.Schedule{Version: version, Meetings: []wire.Meeting{{
		ID: "m-1", Title: "Giao ban", Room: "Phòng 1", Start: now.Add(-5 * time.Minute), End: now.Add(time.Hour),
		CheckInOpens: now.Add(-30 * time.Minute), CheckInCloses: now.Add(50 * time.Minute), Invitees: invitees,
	}}}
}

var (
	an   = wire.Invitee{Person: "P-an", Name: "Nguyễn Văn An", Unit: "Văn phòng", Seat: "A1"}
	binh = wire.Invitee{Person: "P-binh", Name: "Trần Thị Bình", Unit: "Sở Tài chính", Seat: "A2"}
)

func outboxEvents(t *testing.T, s *room) []map[string]any {
	t.Helper()
	pending, err := s.st.Pending(context.Background(), 0, 1000, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, ev := range pending {
		var env struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal(ev.Payload, &env); err != nil {
			t.Fatal(err)
		}
		if env.Type != "vn.roomgate.attendance.v1" {
			t.Fatalf("event type %s", env.Type)
		}
		out = append(out, env.Data)
	}
	return out
}

func TestFaceCheckInFirstWinsAndLate(t *testing.T) {
	now := time.Now()
	s := meetingBox(t, morning(now, 1, an, binh))
	ctx := context.Background()
	res, err := s.Keep(ctx, CheckIn{Person: "P-an", Method: MethodFace, At: now, Score: 0.63})
	if err != nil || !res.Recorded || res.Attendance.Late || res.Attendance.Seat != "A1" {
		t.Fatalf("first sighting: %+v %v", res, err)
	}
	again, err := s.Keep(ctx, CheckIn{Person: "P-an", Method: MethodFace, At: now.Add(time.Minute), Score: 0.7})
	if err != nil || again.Recorded || again.Notice != meeting.NoticeAlreadyCheckedIn || again.Attendance.ID != res.Attendance.ID {
		t.Fatalf("later sighting: %+v %v; want no record and the first check-in", again, err)
	}
	late, err := s.Keep(ctx, CheckIn{Person: "P-binh", Method: MethodFace, At: now.Add(6 * time.Minute), Score: 0.5})
	if err != nil || !late.Recorded || !late.Attendance.Late {
		t.Fatalf("after start + grace: %+v %v; want a late record", late, err)
	}
	evs := outboxEvents(t, s)
	if len(evs) != 2 {
		t.Fatalf("%d attendance events, want 2", len(evs))
	}
	if e := evs[0]; e["meeting"] != "m-1" || e["person"] != "P-an" || e["method"] != "face" || e["late"] != false || e["score"].(float64) < 0.62 || e["room"] != "Phòng 1" {
		t.Fatalf("event data %v", e)
	}
}

func TestNonInviteeAndOutsideWindowGetNotices(t *testing.T) {
	now := time.Now()
	s := meetingBox(t, morning(now, 1, an))
	ctx := context.Background()
	if err := s.st.AddTemplates(ctx, store.Person{ID: "P-chi", Name: "Lê Chi", Source: "local"}, nil); err != nil {
		t.Fatal(err)
	}
	res, err := s.Keep(ctx, CheckIn{Person: "P-chi", Method: MethodFace, At: now, Score: 0.6})
	if err != nil || res.Recorded || res.Notice != meeting.NoticeNotInvited {
		t.Fatalf("non-invitee: %+v %v", res, err)
	}
	res, err = s.Keep(ctx, CheckIn{Person: "P-an", Method: MethodFace, At: now.Add(51 * time.Minute), Score: 0.6})
	if err != nil || res.Recorded || res.Notice != meeting.NoticeClosed {
		t.Fatalf("after check-in closed: %+v %v", res, err)
	}
	if evs := outboxEvents(t, s); len(evs) != 0 {
		t.Fatalf("notices made records: %v", evs)
	}
	// The config may record non-invitees instead.
	s.set.Rules.RecordNonInvitees = true
	res, err = s.Keep(ctx, CheckIn{Person: "P-chi", Method: MethodFace, At: now, Score: 0.6})
	if err != nil || !res.Recorded || res.Attendance.Invited || res.Attendance.Name != "Lê Chi" {
		t.Fatalf("non-invitee with non_invitees: record: %+v %v", res, err)
	}
	// The board lists the guest but counts only invitees as present.
	_, b, err := s.Today(ctx, s.now())
	if err != nil {
		t.Fatal(err)
	}
	if b == nil || b.Present != 0 || b.Expected != 1 || len(b.Invitees) != 2 {
		t.Fatalf("board %+v, want 0 of 1 present and two rows", b)
	}
	if g := b.Invitees[1]; g.Person != "P-chi" || !g.Guest || !g.Present || b.Invitees[0].Guest {
		t.Fatalf("board rows %+v, want P-an invited and absent, then P-chi as a present guest", b.Invitees)
	}
}

func TestQRCheckIn(t *testing.T) {
	now := time.Now()
	s := meetingBox(t, morning(now, 1, an))
	ctx := context.Background()
	// A visitor's pass is the gate's business only; a denied delegate gets nothing.
	s.ByPass(ctx, store.Entry{ID: "e-visitor", At: now, Granted: true, Subject: "V-1"})
	s.ByPass(ctx, store.Entry{ID: "e-denied", At: now, Granted: false, Subject: "P-an"})
	if evs := outboxEvents(t, s); len(evs) != 0 {
		t.Fatalf("records from a visitor's or a denied pass: %v", evs)
	}
	s.ByPass(ctx, store.Entry{ID: "e-an", At: now, Granted: true, Subject: "P-an", Name: "Nguyễn Văn An"})
	evs := outboxEvents(t, s)
	if len(evs) != 1 || evs[0]["method"] != "qr" || evs[0]["entry"] != "e-an" || evs[0]["person"] != "P-an" {
		t.Fatalf("QR check-in events %v", evs)
	}
}

func TestManualCheckIn(t *testing.T) {
	now := time.Now()
	s := meetingBox(t, morning(now, 1, an, binh))
	ctx := context.Background()
	if _, err := s.Manual(ctx, "m-1", "P-an", "  ", "secretary"); !errors.Is(err, errReasonRequired) {
		t.Fatalf("no reason: %v", err)
	}
	if _, err := s.Manual(ctx, "m-1", "P-nobody", "came late", "secretary"); err == nil {
		t.Fatal("a person neither invited nor known was checked in")
	}
	if _, err := s.Manual(ctx, "m-2", "P-an", "came", "secretary"); err == nil {
		t.Fatal("a check-in to a meeting not in the schedule was kept")
	}
	res, err := s.Manual(ctx, "m-1", "P-an", "camera could not see him", "secretary")
	if err != nil || !res.Recorded || res.Attendance.Method != MethodManual || res.Attendance.Reason != "camera could not see him" {
		t.Fatalf("manual check-in: %+v %v", res, err)
	}
	// Accent-insensitive search finds the invitees; one is present already.
	cands, err := s.Candidates(ctx, "m-1", "nguyen")
	if err != nil || len(cands) != 1 || cands[0].Person != "P-an" || !cands[0].CheckedIn {
		t.Fatalf("candidates(nguyen) = %+v %v", cands, err)
	}
	if cands, _ := s.Candidates(ctx, "m-1", "THI binh"); len(cands) != 1 || cands[0].Person != "P-binh" {
		t.Fatalf("candidates(THI binh) = %+v", cands)
	}
	if cands, _ := s.Candidates(ctx, "m-1", ""); len(cands) != 1 || cands[0].Person != "P-binh" {
		t.Fatalf("candidates() = %+v, want the invitee not yet present", cands)
	}
	var buf bytes.Buffer
	if err := s.WriteCSV(ctx, "m-1", &buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\ufeff"))).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("CSV %q %v", buf.String(), err)
	}
	if rows[1][3] != "Nguyễn Văn An" || rows[1][7] != "present" || rows[1][8] != "manual" || rows[2][7] != "absent" {
		t.Fatalf("CSV rows %q", rows)
	}
}

func TestScheduleReplacedMidMeeting(t *testing.T) {
	now := time.Now()
	s := meetingBox(t, morning(now, 1, an))
	ctx := context.Background()
	if res, _ := s.Keep(ctx, CheckIn{Person: "P-an", Method: MethodFace, At: now}); !res.Recorded {
		t.Fatalf("An's check-in: %+v", res)
	}
	if res, _ := s.Keep(ctx, CheckIn{Person: "P-binh", Method: MethodFace, At: now}); res.Recorded || res.Notice != meeting.NoticeNotInvited {
		t.Fatalf("Bình before she is invited: %+v", res)
	}
	// The city adds Bình and drops An mid-meeting.
	if err := s.sched.Apply(ctx, morning(now, 2, binh)); err != nil {
		t.Fatal(err)
	}
	if res, _ := s.Keep(ctx, CheckIn{Person: "P-binh", Method: MethodFace, At: now.Add(time.Second)}); !res.Recorded {
		t.Fatalf("Bình after the new schedule: %+v", res)
	}
	if list, _ := s.st.Attendance(ctx, "m-1"); len(list) != 2 {
		t.Fatalf("attendance %+v: An's check-in must stay", list)
	}
	if err := s.sched.Apply(ctx, morning(now, 1, an)); err == nil {
		t.Fatal("an older schedule replaced a newer one")
	}
	got, source, _ := s.st.Schedule(ctx)
	if got.Version != 2 || source != "city" {
		t.Fatalf("schedule in store v%d from %s", got.Version, source)
	}
}
