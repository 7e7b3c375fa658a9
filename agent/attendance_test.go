package agent

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/meeting"
	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/agent/wire"
	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/kiosk"
)

// meetingBox is a System with a store and a schedule, without devices: the
// attendance rules as the agent applies them.
func meetingBox(t *testing.T, sched wire.Schedule) *System {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(`identity: {site: hq, gate: room-1, device: box-1}
board: sim
store: {path: roomgate.db}
meetings: {late_after: 10m}
`))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "roomgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := &System{cfg: cfg, store: st, log: slog.New(slog.DiscardHandler), loc: cfg.Meetings.Location()}
	if err := s.loadSchedule(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.applySchedule(context.Background(), sched); err != nil {
		t.Fatal(err)
	}
	return s
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

func outboxEvents(t *testing.T, s *System) []map[string]any {
	t.Helper()
	pending, err := s.store.Pending(context.Background(), 0, 1000, 1<<20)
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
	res, err := s.keepCheckIn(ctx, checkIn{person: "P-an", method: MethodFace, at: now, score: 0.63})
	if err != nil || !res.Recorded || res.Attendance.Late || res.Attendance.Seat != "A1" {
		t.Fatalf("first sighting: %+v %v", res, err)
	}
	again, err := s.keepCheckIn(ctx, checkIn{person: "P-an", method: MethodFace, at: now.Add(time.Minute), score: 0.7})
	if err != nil || again.Recorded || again.Notice != meeting.NoticeAlreadyCheckedIn || again.Attendance.ID != res.Attendance.ID {
		t.Fatalf("later sighting: %+v %v; want no record and the first check-in", again, err)
	}
	late, err := s.keepCheckIn(ctx, checkIn{person: "P-binh", method: MethodFace, at: now.Add(6 * time.Minute), score: 0.5})
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
	if err := s.store.AddTemplates(ctx, store.Person{ID: "P-chi", Name: "Lê Chi", Source: "local"}, nil); err != nil {
		t.Fatal(err)
	}
	res, err := s.keepCheckIn(ctx, checkIn{person: "P-chi", method: MethodFace, at: now, score: 0.6})
	if err != nil || res.Recorded || res.Notice != meeting.NoticeNotInvited {
		t.Fatalf("non-invitee: %+v %v", res, err)
	}
	res, err = s.keepCheckIn(ctx, checkIn{person: "P-an", method: MethodFace, at: now.Add(51 * time.Minute), score: 0.6})
	if err != nil || res.Recorded || res.Notice != meeting.NoticeClosed {
		t.Fatalf("after check-in closed: %+v %v", res, err)
	}
	if evs := outboxEvents(t, s); len(evs) != 0 {
		t.Fatalf("notices made records: %v", evs)
	}
	// The config may record non-invitees instead.
	s.cfg.Meetings.NonInvitees = "record"
	res, err = s.keepCheckIn(ctx, checkIn{person: "P-chi", method: MethodFace, at: now, score: 0.6})
	if err != nil || !res.Recorded || res.Attendance.Invited || res.Attendance.Name != "Lê Chi" {
		t.Fatalf("non-invitee with non_invitees: record: %+v %v", res, err)
	}
	// The board lists the guest but counts only invitees as present.
	var snap kiosk.Snapshot
	if err := s.meetingView(ctx, &snap); err != nil {
		t.Fatal(err)
	}
	b := snap.Meeting
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
	s.checkInByPass(ctx, store.Entry{ID: "e-visitor", At: now, Granted: true, Subject: "V-1"})
	s.checkInByPass(ctx, store.Entry{ID: "e-denied", At: now, Granted: false, Subject: "P-an"})
	if evs := outboxEvents(t, s); len(evs) != 0 {
		t.Fatalf("records from a visitor's or a denied pass: %v", evs)
	}
	s.checkInByPass(ctx, store.Entry{ID: "e-an", At: now, Granted: true, Subject: "P-an", Name: "Nguyễn Văn An"})
	evs := outboxEvents(t, s)
	if len(evs) != 1 || evs[0]["method"] != "qr" || evs[0]["entry"] != "e-an" || evs[0]["person"] != "P-an" {
		t.Fatalf("QR check-in events %v", evs)
	}
}

func TestManualCheckIn(t *testing.T) {
	now := time.Now()
	s := meetingBox(t, morning(now, 1, an, binh))
	ctx := context.Background()
	if _, err := s.manualCheckIn(ctx, "m-1", "P-an", "  ", "secretary"); !errors.Is(err, errReasonRequired) {
		t.Fatalf("no reason: %v", err)
	}
	if _, err := s.manualCheckIn(ctx, "m-1", "P-nobody", "came late", "secretary"); err == nil {
		t.Fatal("a person neither invited nor known was checked in")
	}
	if _, err := s.manualCheckIn(ctx, "m-2", "P-an", "came", "secretary"); err == nil {
		t.Fatal("a check-in to a meeting not in the schedule was kept")
	}
	res, err := s.manualCheckIn(ctx, "m-1", "P-an", "camera could not see him", "secretary")
	if err != nil || !res.Recorded || res.Attendance.Method != MethodManual || res.Attendance.Reason != "camera could not see him" {
		t.Fatalf("manual check-in: %+v %v", res, err)
	}
	// Accent-insensitive search finds the invitees; one is present already.
	cands, err := s.candidates(ctx, "m-1", "nguyen")
	if err != nil || len(cands) != 1 || cands[0].Person != "P-an" || !cands[0].CheckedIn {
		t.Fatalf("candidates(nguyen) = %+v %v", cands, err)
	}
	if cands, _ := s.candidates(ctx, "m-1", "THI binh"); len(cands) != 1 || cands[0].Person != "P-binh" {
		t.Fatalf("candidates(THI binh) = %+v", cands)
	}
	if cands, _ := s.candidates(ctx, "m-1", ""); len(cands) != 1 || cands[0].Person != "P-binh" {
		t.Fatalf("candidates() = %+v, want the invitee not yet present", cands)
	}
	var buf bytes.Buffer
	if err := s.writeAttendanceCSV(ctx, "m-1", &buf); err != nil {
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
	if res, _ := s.keepCheckIn(ctx, checkIn{person: "P-an", method: MethodFace, at: now}); !res.Recorded {
		t.Fatalf("An's check-in: %+v", res)
	}
	if res, _ := s.keepCheckIn(ctx, checkIn{person: "P-binh", method: MethodFace, at: now}); res.Recorded || res.Notice != meeting.NoticeNotInvited {
		t.Fatalf("Bình before she is invited: %+v", res)
	}
	// The city adds Bình and drops An mid-meeting.
	if err := s.applySchedule(ctx, morning(now, 2, binh)); err != nil {
		t.Fatal(err)
	}
	if res, _ := s.keepCheckIn(ctx, checkIn{person: "P-binh", method: MethodFace, at: now.Add(time.Second)}); !res.Recorded {
		t.Fatalf("Bình after the new schedule: %+v", res)
	}
	if list, _ := s.store.Attendance(ctx, "m-1"); len(list) != 2 {
		t.Fatalf("attendance %+v: An's check-in must stay", list)
	}
	if err := s.applySchedule(ctx, morning(now, 1, an)); err == nil {
		t.Fatal("an older schedule replaced a newer one")
	}
	got, source, _ := s.store.Schedule(ctx)
	if got.Version != 2 || source != "city" {
		t.Fatalf("schedule in store v%d from %s", got.Version, source)
	}
}

func TestBrokenScheduleFileKeepsTheStoredOne(t *testing.T) {
	now := time.Now()
	s := meetingBox(t, morning(now, 1, an))
	dir := t.TempDir()
	for name, content := range map[string]string{"garbage.json": `{"version": 2, "meetings": [{"id": ""}]}`, "missing.json": ""} {
		if content != "" {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		// The city's schedule is never replaced by a file; a box that only
		// had a file keeps what it stored.
		if err := s.store.ReplaceSchedule(context.Background(), s.sched.Load(), "file"); err != nil {
			t.Fatal(err)
		}
		s.cfg.Meetings.File = filepath.Join(dir, name)
		if err := s.loadSchedule(context.Background()); err != nil {
			t.Fatalf("%s: %v; want the box to start", name, err)
		}
		if got := s.sched.Load(); got.Version != 1 || got.Find("m-1") == nil {
			t.Fatalf("%s: schedule %+v, want the stored v1", name, got)
		}
	}
}
