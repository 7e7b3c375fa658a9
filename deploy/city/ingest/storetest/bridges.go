package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/event"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/deploy/city/ingest"
)

// Call returns call event number n of device at site "hq" recording c
// (its site, device and at filled in), at c.At.
func Call(device string, n int, c wire.Call) ingest.Event {
	c.Site, c.Device = "hq", device
	if c.Terminal == "" {
		c.Terminal = "poly"
	}
	data, err := json.Marshal(c)
	if err != nil {
		panic(err)
	}
	return ingest.Event{
		Source: wire.Source("hq", device),
		ID:     fmt.Sprintf("0190f0c0-0000-7000-9000-%012d", n),
		Type:   event.TypeCall,
		Time:   c.At,
		Data:   data,
	}
}

func testBridges(t *testing.T, s Store) {
	ctx := context.Background()
	ict := time.FixedZone("ICT", 7*3600)
	at := func(h, m int) time.Time { return time.Date(2026, 3, 2, h, m, 0, 0, ict).UTC() }
	no := false
	sipBridge := &wire.Bridge{Dial: "sip:giaoban@bridge.hanoi.gov.vn", Protocol: "sip", Speed: 1920}
	h323Bridge := &wire.Bridge{Dial: "8001@10.0.0.5", Protocol: "h323", AutoJoin: &no}
	meeting := func(id string, from, to int, b *wire.Bridge) wire.Meeting {
		start, end := at(from, 0), at(to, 0)
		return wire.Meeting{ID: id, Title: "Họp " + id, Room: "P.301", Start: start, End: end, CheckInOpens: start.Add(-30 * time.Minute), CheckInCloses: start.Add(15 * time.Minute), Invitees: []wire.Invitee{}, Bridge: b}
	}
	roomA := wire.Schedule{Version: 2, Meetings: []wire.Meeting{meeting("M-1", 8, 10, sipBridge), meeting("M-2", 14, 15, h323Bridge), meeting("M-3", 16, 17, nil)}}
	published := at(7, 0)
	for _, c := range []struct {
		device string
		sched  wire.Schedule
		want   bool
	}{
		{"room-a", wire.Schedule{Version: 1, Meetings: []wire.Meeting{meeting("M-0", 8, 9, sipBridge)}}, true},
		{"room-a", roomA, true},
		// Older than what was recorded: the box ignores it, and so does the city.
		{"room-a", wire.Schedule{Version: 1, Meetings: []wire.Meeting{meeting("M-0", 8, 9, sipBridge)}}, false},
		// Meetings without a bridge: a room without a terminal.
		{"room-b", wire.Schedule{Version: 1, Meetings: []wire.Meeting{meeting("M-9", 8, 9, nil)}}, true},
	} {
		if got, err := s.RecordSchedule(ctx, c.device, c.sched, published); err != nil || got != c.want {
			t.Fatalf("RecordSchedule(%s, version %d) = %v, %v, want %v", c.device, c.sched.Version, got, err, c.want)
		}
	}
	sec := func(h, m, s int) time.Time { return at(h, m).Add(time.Duration(s) * time.Second) }
	calls := []ingest.Event{
		Call("room-a", 1, wire.Call{Meeting: "M-1", Bridge: sipBridge.Dial, State: wire.CallDialling, By: wire.CallBySchedule, Attempt: 1, At: sec(7, 58, 0)}),
		Call("room-a", 2, wire.Call{Meeting: "M-1", Bridge: sipBridge.Dial, State: wire.CallFailed, Reason: "486 Busy Here", By: wire.CallBySchedule, Attempt: 1, At: sec(7, 58, 10)}),
		Call("room-a", 3, wire.Call{Meeting: "M-1", Bridge: sipBridge.Dial, State: wire.CallDialling, By: wire.CallBySchedule, Attempt: 2, At: sec(7, 59, 0)}),
		Call("room-a", 4, wire.Call{Meeting: "M-1", Bridge: sipBridge.Dial, State: wire.CallConnected, By: wire.CallBySchedule, At: sec(7, 59, 5)}),
		Call("room-a", 5, wire.Call{Meeting: "M-1", Bridge: sipBridge.Dial, State: wire.CallEnded, By: wire.CallBySchedule, Duration: 7500, At: sec(10, 5, 0)}),
		// Dialled by hand on a room with no schedule.
		Call("room-c", 6, wire.Call{Bridge: "9001", State: wire.CallConnected, By: wire.CallByTerminal, At: sec(8, 0, 0)}),
	}
	for _, b := range []ingest.Batch{
		{Device: "room-a", Events: calls[:5]},
		{Device: "room-c", Events: calls[5:]},
		// Attendance and a gate's entries are no calls.
		{Device: "room-a", Events: []ingest.Event{Event("room-a", 100)}},
		{Device: "gate-1", Events: []ingest.Event{Event("gate-1", 101)}},
	} {
		if _, err := s.Save(ctx, b); err != nil {
			t.Fatalf("Save(%s) = %v", b.Device, err)
		}
	}

	type row struct {
		device, meeting, call, failure string
		connected                      bool
	}
	for _, c := range []struct {
		name   string
		at     time.Time
		within time.Duration
		want   []row
	}{
		{"before any call", at(7, 30), time.Hour, []row{{"room-a", "M-1", "", "", false}, {"room-c", "", "", "", false}}},
		{"the first dial failed", sec(7, 58, 30), time.Hour, []row{{"room-a", "M-1", "failed", "failed", false}, {"room-c", "", "", "", false}}},
		{"connected", at(8, 30), time.Hour, []row{{"room-a", "M-1", "connected", "failed", true}, {"room-c", "", "connected", "", false}}},
		{"a minute before the 14:00 meeting", at(13, 59), time.Minute, []row{{"room-a", "M-2", "ended", "failed", false}, {"room-c", "", "connected", "", false}}},
		{"the 14:00 meeting not within 30s", at(13, 59), 30 * time.Second, []row{{"room-a", "", "ended", "failed", false}, {"room-c", "", "connected", "", false}}},
		{"a meeting without a bridge", at(16, 30), 0, []row{{"room-a", "M-3", "ended", "failed", false}, {"room-c", "", "connected", "", false}}},
	} {
		got, err := s.Bridges(ctx, c.at, c.within)
		if err != nil {
			t.Errorf("%s: Bridges(%s, %v) = %v", c.name, c.at.Format(time.RFC3339), c.within, err)
			continue
		}
		var rows []row
		for _, r := range got {
			w := row{device: r.Device, connected: r.Connected()}
			if r.Meeting != nil {
				w.meeting = r.Meeting.ID
			}
			if r.Call != nil {
				w.call = r.Call.State
			}
			if r.Failure != nil {
				w.failure = r.Failure.State
			}
			rows = append(rows, w)
		}
		if fmt.Sprint(rows) != fmt.Sprint(c.want) {
			t.Errorf("%s: Bridges(%s, %v) = %+v, want %+v", c.name, c.at.Format(time.RFC3339), c.within, rows, c.want)
		}
	}

	// What comes back is what was published and recorded.
	got, err := s.Bridges(ctx, at(13, 59), time.Minute)
	if err != nil || len(got) == 0 || got[0].Meeting == nil {
		t.Fatalf("Bridges(13:59) = %+v, %v, want room-a with M-2", got, err)
	}
	m, want := got[0].Meeting, roomA.Meetings[1]
	if m.Title != want.Title || m.Room != want.Room || !m.Start.Equal(want.Start) || !m.End.Equal(want.End) ||
		m.Bridge == nil || m.Bridge.Dial != h323Bridge.Dial || m.Bridge.Protocol != "h323" || m.Bridge.AutoJoin == nil || *m.Bridge.AutoJoin {
		t.Errorf("Bridges(13:59) meeting = %+v (bridge %+v), want %+v", m, m.Bridge, want)
	}
	if f := got[0].Failure; f == nil || f.Reason != "486 Busy Here" || !f.At.Equal(sec(7, 58, 10)) || f.Attempt != 1 {
		t.Errorf("Bridges(13:59) failure = %+v, want the busy at 07:58:10", f)
	}
}
