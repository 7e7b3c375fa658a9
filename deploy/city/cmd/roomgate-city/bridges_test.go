package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/deploy/city/ingest"
	"github.com/roomgate/roomgate/deploy/city/ingest/pgstore"
	"github.com/roomgate/roomgate/deploy/city/ingest/pgstore/pgstoretest"
	"github.com/roomgate/roomgate/deploy/city/ingest/storetest"
	"github.com/roomgate/roomgate/internal/mqtttest"
)

const bridgesCSV = `meeting_id,title,room,start,end,checkin_opens,checkin_closes,person,name,bridge_dial,bridge_protocol,bridge_speed,bridge_auto_join
M-1,Giao ban trực tuyến,P.301,2026-03-02 14:00,2026-03-02 15:30,2026-03-02 13:30,2026-03-02 14:15,P-1,An,sip:giaoban@bridge.hanoi.gov.vn,sip,1920,
`

// TestBridges publishes a schedule with a bridge to three rooms, recording
// it in PostgreSQL, stores the call records their boxes would send, and
// asks which rooms are not connected a minute before the meeting.
func TestBridges(t *testing.T) {
	b := mqtttest.Start(t)
	dsn := pgstoretest.Start(t).DSN(t)
	file := writeFile(t, t.TempDir(), "meetings.csv", bridgesCSV)
	ops := brokerArgs(t, b, "city-ops")
	args := append([]string{"publish", "meetings", "-file", file, "-db", dsn, "-device", "room-a", "-device", "room-b", "-device", "room-c"}, ops...)
	if _, stderr, err := runAt(testNow, "", args...); err != nil {
		t.Fatalf("publish meetings -db = %v; %s", err, stderr)
	}
	// An older version, as from a stale spreadsheet: the city keeps the newer.
	if _, stderr, err := runAt(testNow, "", append(args[:len(args):len(args)], "-version", "1")...); err != nil || !strings.Contains(stderr, "records a newer schedule for room-a") {
		t.Errorf("publish meetings -version 1 = %v, stderr %q, want a warning that the database keeps the newer", err, stderr)
	}

	ctx := context.Background()
	s, err := pgstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ict := time.FixedZone("ICT", 7*3600)
	at := func(h, m, sec int) time.Time { return time.Date(2026, 3, 2, h, m, sec, 0, ict) }
	dial := "sip:giaoban@bridge.hanoi.gov.vn"
	for _, batch := range []ingest.Batch{
		{Device: "room-a", Events: []ingest.Event{
			storetest.Call("room-a", 1, wire.Call{Room: "P.301", Meeting: "M-1", Bridge: dial, State: wire.CallDialling, By: wire.CallBySchedule, Attempt: 1, At: at(13, 58, 0)}),
			storetest.Call("room-a", 2, wire.Call{Room: "P.301", Meeting: "M-1", Bridge: dial, State: wire.CallConnected, By: wire.CallBySchedule, At: at(13, 58, 4)}),
		}},
		{Device: "room-b", Events: []ingest.Event{
			storetest.Call("room-b", 3, wire.Call{Room: "P.301", Meeting: "M-1", Bridge: dial, State: wire.CallDialling, By: wire.CallBySchedule, Attempt: 1, At: at(13, 58, 0)}),
			storetest.Call("room-b", 4, wire.Call{Room: "P.301", Meeting: "M-1", Bridge: dial, State: wire.CallFailed, Reason: "486 Busy Here\x1b[2J", By: wire.CallBySchedule, Attempt: 1, At: at(13, 58, 9)}),
		}},
		// room-c's box has said nothing about calls.
	} {
		if _, err := s.Save(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}

	out, stderr, err := runAt(testNow, "", "bridges", "-db", dsn, "-at", "13:59", "-within", "1m", "-not-connected")
	if err != nil {
		t.Fatalf("bridges -not-connected = %v; %s", err, stderr)
	}
	for _, want := range []string{
		"As of 2026-03-02 13:59:00 +07\n",
		"room-b (P.301)  next 14:00–15:30 M-1 Giao ban trực tuyến  \"sip:giaoban@bridge.hanoi.gov.vn\" sip 1920 kbit/s  failed  13:58:09  13:58:09 failed: 486 Busy Here\uFFFD[2J",
		"room-c (P.301)  next 14:00–15:30 M-1 Giao ban trực tuyến  \"sip:giaoban@bridge.hanoi.gov.vn\" sip 1920 kbit/s  none    -",
		"2 rooms, 0 connected to their meeting's bridge\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("bridges -not-connected printed\n%s\nwant %q in it", out, want)
		}
	}
	if strings.Contains(out, "room-a") {
		t.Errorf("bridges -not-connected listed room-a, which is connected:\n%s", out)
	}

	// Every room, as JSON; at 13:58:05 room-a had just connected.
	out, _, err = runAt(testNow, "", "bridges", "-db", dsn, "-at", "2026-03-02T13:58:05+07:00", "-json")
	if err != nil {
		t.Fatalf("bridges -json = %v", err)
	}
	var lines []bridgeLine
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var bl bridgeLine
		if err := json.Unmarshal([]byte(l), &bl); err != nil {
			t.Fatalf("bridges -json line %q: %v", l, err)
		}
		lines = append(lines, bl)
	}
	if len(lines) != 3 || lines[0].Device != "room-a" || !lines[0].Connected || lines[0].Call == nil || lines[0].Call.State != wire.CallConnected ||
		lines[0].Meeting == nil || lines[0].Meeting.Now || lines[0].Meeting.Bridge == nil || lines[0].Meeting.Bridge.Speed != 1920 ||
		lines[1].Device != "room-b" || lines[1].Connected || lines[1].Call.State != wire.CallDialling || lines[1].LastFailure != nil ||
		lines[2].Device != "room-c" || lines[2].Call != nil {
		t.Errorf("bridges -json printed\n%s\nwant room-a connected, room-b dialling, room-c without a call", out)
	}
}

// cancelAfter is stdout for -watch: it cancels the run once it has seen n
// tables.
type cancelAfter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf.Write(p)
	if strings.Count(c.buf.String(), " connected to their meeting's bridge\n") >= c.n {
		c.cancel()
	}
	return len(p), nil
}

func TestBridgesWatch(t *testing.T) {
	dsn := pgstoretest.Start(t).DSN(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	orig := signalContext
	signalContext = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	t.Cleanup(func() { signalContext = orig })
	out := &cancelAfter{n: 2, cancel: cancel}
	a := &app{stdin: strings.NewReader(""), stdout: out, stderr: &bytes.Buffer{}, now: func() time.Time { return testNow }}
	if err := a.dispatch("roomgate-city", topCommands, []string{"bridges", "-db", dsn, "-watch", "1ms"}); err != nil {
		t.Fatalf("bridges -watch = %v", err)
	}
	if n := strings.Count(out.buf.String(), "As of "); n < 2 {
		t.Errorf("bridges -watch printed %d tables before it was interrupted, want 2:\n%s", n, out.buf.String())
	}
}

func TestBridgesErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-at", "yesterday"}, "-at \"yesterday\""},
		{[]string{"-at", "13:59", "-watch", "5s"}, "leave out -at"},
		{[]string{"-within", "-1m"}, "-within"},
		{[]string{"-tz", "Mars/Olympus"}, "-tz"},
		{[]string{"-db", "sqlite:/nonexistent/city.db"}, "no such file"},
		{[]string{"-db", "mysql://x"}, "want postgres://"},
	} {
		if _, _, err := runAt(testNow, "", append([]string{"bridges"}, c.args...)...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("bridges %q = %v, want an error about %q", c.args, err, c.want)
		}
	}
	at, err := parseAt("13:59", testNow)
	if want := time.Date(2026, 3, 2, 13, 59, 0, 0, testNow.Location()); err != nil || !at.Equal(want) {
		t.Errorf("parseAt(13:59) = %v, %v, want %v", at, err, want)
	}
}
