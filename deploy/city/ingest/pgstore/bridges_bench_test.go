package pgstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/roomgate/roomgate/agent/event"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/deploy/city/ingest"
	"github.com/roomgate/roomgate/deploy/city/ingest/pgstore"
	"github.com/roomgate/roomgate/deploy/city/ingest/pgstore/pgstoretest"
	"github.com/roomgate/roomgate/deploy/city/ingest/storetest"
)

// The city's scale: 689 bridge points, four meetings a day in each room, a
// week of records.
const (
	benchRooms    = 689
	benchDays     = 7
	benchMeetings = 4  // per room and day
	benchInvitees = 30 // check-ins per meeting
)

// BenchmarkBridges measures roomgate-city bridges' query over a database
// holding a week of call and attendance records for every room (about
// 63,000 call records and 579,000 check-ins) and the schedules published
// to them. The target is 1 s. Seeding takes a while; run it with
//
//	go test -run '^$' -bench Bridges ./deploy/city/ingest/pgstore/
func BenchmarkBridges(b *testing.B) {
	dsn := pgstoretest.Start(b).DSN(b)
	s, err := pgstore.Open(context.Background(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.Close)
	day0 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.FixedZone("ICT", 7*3600))
	seedWeek(b, s, day0)
	// As autovacuum would have by now: statistics, and a visibility map for
	// index-only scans.
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(context.Background(), `VACUUM ANALYZE`); err != nil {
		b.Fatal(err)
	}
	conn.Close(context.Background())
	// The last day, a minute before its 14:00 meeting.
	at := day0.AddDate(0, 0, benchDays-1).Add(13*time.Hour + 59*time.Minute)
	for _, c := range []struct {
		name   string
		within time.Duration
	}{{"next-1m", time.Minute}, {"next-24h", 24 * time.Hour}} {
		b.Run(c.name, func(b *testing.B) {
			var rooms []ingest.RoomBridge
			for b.Loop() {
				var err error
				if rooms, err = s.Bridges(context.Background(), at, c.within); err != nil {
					b.Fatal(err)
				}
			}
			if len(rooms) != benchRooms {
				b.Fatalf("Bridges = %d rooms, want %d", len(rooms), benchRooms)
			}
			connected := 0
			for _, r := range rooms {
				if r.Connected() {
					connected++
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/query")
			b.ReportMetric(float64(connected), "connected")
		})
	}
}

// seedWeek publishes a week's schedule to every room and stores its call
// records (a dial that fails in one meeting of seven, a retry, the call up,
// hung up after the end) and check-ins, as ingest would.
func seedWeek(b *testing.B, s *pgstore.Store, day0 time.Time) {
	b.Helper()
	ctx := context.Background()
	rooms := make(chan int)
	errs := make(chan error, benchRooms)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rooms {
				errs <- seedRoom(ctx, s, day0, r)
			}
		}()
	}
	for r := range benchRooms {
		rooms <- r
	}
	close(rooms)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	n, err := s.Count(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d events for %d rooms", n, benchRooms)
}

// seedRoom publishes room r's week and stores its records.
func seedRoom(ctx context.Context, s *pgstore.Store, day0 time.Time, r int) error {
	device := fmt.Sprintf("room-%03d", r)
	bridge := &wire.Bridge{Dial: fmt.Sprintf("sip:%d@bridge.city.gov.vn", 8000+r%40), Protocol: "sip", Speed: 1920}
	var sched wire.Schedule
	var events []ingest.Event
	n := 0
	add := func(e ingest.Event) { n++; events = append(events, e) }
	for d := range benchDays {
		for k := range benchMeetings {
			start := day0.AddDate(0, 0, d).Add(time.Duration(8+2*k) * time.Hour)
			end := start.Add(90 * time.Minute)
			id := fmt.Sprintf("M-%s-%d", start.Format("0102"), k)
			sched.Meetings = append(sched.Meetings, wire.Meeting{ID: id, Title: "Giao ban " + id, Room: "P." + device, Start: start, End: end,
				CheckInOpens: start.Add(-30 * time.Minute), CheckInCloses: start.Add(15 * time.Minute), Invitees: []wire.Invitee{}, Bridge: bridge})
			call := func(state string, attempt int, at time.Time) {
				c := wire.Call{Meeting: id, Bridge: bridge.Dial, Protocol: "sip", State: state, By: wire.CallBySchedule, Attempt: attempt, At: at}
				if state == wire.CallFailed {
					c.Reason = "486 Busy Here"
				}
				add(storetest.Call(device, r*100_000+n, c))
			}
			dial := start.Add(-2 * time.Minute)
			attempt := 1
			if (r+d+k)%7 == 0 {
				call(wire.CallDialling, 1, dial)
				call(wire.CallFailed, 1, dial.Add(10*time.Second))
				dial, attempt = dial.Add(30*time.Second), 2
			}
			call(wire.CallDialling, attempt, dial)
			call(wire.CallConnected, attempt, dial.Add(5*time.Second))
			call(wire.CallEnded, 0, end.Add(5*time.Minute))
			for p := range benchInvitees {
				data, _ := json.Marshal(wire.Attendance{Site: "hq", Room: "P." + device, Device: device, Meeting: id, Title: "Giao ban " + id,
					Person: fmt.Sprintf("P-%d", p), Name: "Nguyễn Văn An", Method: "face", Score: 0.61, At: start.Add(time.Duration(p-15) * time.Minute), Invited: true})
				add(ingest.Event{Source: wire.Source("hq", device), ID: fmt.Sprintf("0190f0c0-0000-7000-a000-%012d", r*100_000+n), Type: event.TypeAttendance,
					Time: start.Add(time.Duration(p-15) * time.Minute), Data: data})
			}
		}
	}
	sched.Version = 1
	if _, err := s.RecordSchedule(ctx, device, sched, day0); err != nil {
		return err
	}
	_, err := s.Save(ctx, ingest.Batch{Device: device, Events: events})
	return err
}
