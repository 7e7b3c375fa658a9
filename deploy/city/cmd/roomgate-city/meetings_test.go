package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/deploy/city/mqttclient"
	"github.com/roomgate/roomgate/internal/mqtttest"
)

// retained returns what the broker keeps on the device's topics under
// filter (a filter below roomgate/v1/dev/D/), read as the box: by topic.
func retained(t *testing.T, b *mqtttest.Broker, device, filter string) map[string][]byte {
	t.Helper()
	// A live message after the subscription marks the end of the replay:
	// the broker sends what it retained first, and ordered delivery
	// keeps it so.
	marker := wire.Topic(device, wire.LeafAck)
	got := map[string][]byte{}
	done := make(chan struct{})
	cert, key := b.ClientCert(t, device)
	c, err := mqttclient.New(mqttclient.Config{
		Broker: b.URL, CAFile: b.CAFile, CertFile: cert, KeyFile: key, ClientID: fmt.Sprintf("%s-reader-%d", device, testClients.Add(1)),
		Subscriptions: []string{wire.Topic(device, filter), marker}, Ordered: true,
		OnMessage: func(m mqttclient.Message) {
			defer m.Ack()
			switch {
			case m.Topic == marker:
				close(done)
			case m.Retained:
				got[m.Topic] = m.Payload
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The broker makes the CN the client id: a second city-ingest client
	// left open would take this one's connection, and the two would take
	// it from each other for the rest of the test.
	ingest := fakeBoxClient(t, b, "city-ingest")
	defer ingest.Close()
	if err := ingest.Publish(ctx, marker, []byte(`{"ids":[]}`), false); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("the marker on %s did not arrive", marker)
	}
	return got
}

// fakeBoxClient connects as cn without subscriptions.
// testClients numbers the clients of fakeBoxClient: two connected under one
// client id would take the session from each other, reconnecting in turn.
var testClients atomic.Int64

func fakeBoxClient(t *testing.T, b *mqtttest.Broker, cn string) *mqttclient.Client {
	t.Helper()
	cert, key := b.ClientCert(t, cn)
	id := fmt.Sprintf("%s-test-%d", cn, testClients.Add(1))
	c, err := mqttclient.New(mqttclient.Config{Broker: b.URL, CAFile: b.CAFile, CertFile: cert, KeyFile: key, ClientID: id})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const meetingsCSV = `meeting_id,title,room,start,end,checkin_opens,checkin_closes,person,name,unit,role,seat
M-1,Họp giao ban,P.301,2026-03-02 08:00,2026-03-02 09:30,2026-03-02 07:30,2026-03-02 08:30,P-obama,Barack Obama,Khách mời quốc tế,guest,A1
M-1,,,,,,,P-kit,Kit Harington,Sở Văn hóa và Thể thao,member,A2
M-2,Họp chiều,P.301,2026-03-02T14:00:00+07:00,2026-03-02T15:00:00+07:00,2026-03-02T13:30:00+07:00,2026-03-02T14:15:00+07:00,P-rose,Rose Leslie,Văn phòng UBND,chair,
`

func TestPublishMeetings(t *testing.T) {
	b := mqtttest.Start(t)
	dir := t.TempDir()
	file := writeFile(t, dir, "meetings.csv", meetingsCSV)
	ops := brokerArgs(t, b, "city-ops")
	out, _, err := runAt(testNow, "", append([]string{"publish", "meetings", "-device", "dev-a", "-device", "dev-b", "-file", file}, ops...)...)
	if err != nil {
		t.Fatalf("publish meetings = %v", err)
	}
	version := testNow.Unix()
	for _, d := range []string{"dev-a", "dev-b"} {
		if want := d + ": meetings version " + strconv.FormatInt(version, 10) + ", 2 meetings, 3 invitees\n"; !strings.Contains(out, want) {
			t.Errorf("publish meetings printed %q, want %q in it", out, want)
		}
		got := retained(t, b, d, wire.LeafMeetings)
		s, err := wire.DecodeSchedule(got[wire.Topic(d, wire.LeafMeetings)])
		if err != nil {
			t.Fatalf("%s: retained meetings: DecodeSchedule = %v", d, err)
		}
		if s.Version != version || len(s.Meetings) != 2 {
			t.Fatalf("%s: retained schedule version %d, %d meetings, want %d, 2", d, s.Version, len(s.Meetings), version)
		}
		ict := time.FixedZone("ICT", 7*3600)
		m := s.Meetings[0]
		if m.ID != "M-1" || m.Title != "Họp giao ban" || m.Room != "P.301" || !m.Start.Equal(time.Date(2026, 3, 2, 8, 0, 0, 0, ict)) ||
			!m.CheckInCloses.Equal(time.Date(2026, 3, 2, 8, 30, 0, 0, ict)) || len(m.Invitees) != 2 {
			t.Errorf("%s: meeting 0 = %+v, want M-1 from 08:00 ICT with 2 invitees", d, m)
		}
		if inv := m.Invitees[1]; inv != (wire.Invitee{Person: "P-kit", Name: "Kit Harington", Unit: "Sở Văn hóa và Thể thao", Role: "member", Seat: "A2"}) {
			t.Errorf("%s: invitee 1 = %+v", d, inv)
		}
		if m := s.Meetings[1]; m.ID != "M-2" || !m.Start.Equal(time.Date(2026, 3, 2, 14, 0, 0, 0, ict)) || m.Invitees[0].Seat != "" {
			t.Errorf("%s: meeting 1 = %+v", d, m)
		}
	}

	// JSON in the wire's shape, with a version of its own.
	file = writeFile(t, dir, "meetings.json", `{"meetings": [{"id": "M-9", "title": "Tiếp dân", "room": "P.1",
  "start": "2026-03-03T08:00:00+07:00", "end": "2026-03-03T09:00:00+07:00",
  "checkin_opens": "2026-03-03T07:30:00+07:00", "checkin_closes": "2026-03-03T08:30:00+07:00",
  "invitees": [{"person": "P-1", "name": "Trần Thị Bình", "unit": "", "role": "", "seat": ""}]}]}`)
	if _, _, err := runAt(testNow, "", append([]string{"publish", "meetings", "-device", "dev-a", "-file", file, "-version", "5"}, ops...)...); err != nil {
		t.Fatalf("publish meetings -file %s = %v", file, err)
	}
	s, err := wire.DecodeSchedule(retained(t, b, "dev-a", wire.LeafMeetings)[wire.Topic("dev-a", wire.LeafMeetings)])
	if err != nil || s.Version != 5 || len(s.Meetings) != 1 || s.Meetings[0].ID != "M-9" {
		t.Errorf("after the JSON publish the retained schedule = %+v, %v, want version 5 with M-9 alone", s, err)
	}
}

func TestPublishMeetingsRefused(t *testing.T) {
	dir := t.TempDir()
	header := "meeting_id,title,room,start,end,checkin_opens,checkin_closes,person,name,unit,role,seat\n"
	row := "M-1,Họp,P.1,2026-03-02 08:00,2026-03-02 09:00,2026-03-02 07:30,2026-03-02 08:30,"
	for _, c := range []struct {
		name, file, want string
	}{
		{"bad time", header + row + "P-1,An,,,\nM-2,Họp,P.1,tomorrow,2026-03-02 09:00,,,P-1,An,,,\n", "x.csv:3: start \"tomorrow\""},
		{"rows disagree", header + row + "P-1,An,,,\nM-1,Họp khác,,,,,,P-2,Bình,,,\n", "x.csv:3: meeting \"M-1\": title \"Họp khác\" here, \"Họp\" on line 2"},
		{"invited twice", header + row + "P-1,An,,,\n" + row + "P-1,An,,,\n", "x.csv:3: P-1 is invited to meeting \"M-1\" on line 2 already"},
		{"no meeting id", header + ",Họp,P.1,,,,,P-1,An,,,\n", "x.csv:2: empty meeting_id"},
		{"missing column", "meeting_id,title,start,end\n", "x.csv:1: no \"room\" column"},
		{"csv syntax", header + row + "\"P-1,An\n", "x.csv"},
		{"the boxes' rules", header + row + "P-1,An,,,\nM-2,Họp,P.1,2026-03-02 10:00,2026-03-02 09:00,2026-03-02 07:30,2026-03-02 08:30,P-1,An,,,\n", "x.csv:3: meeting \"M-2\""},
		{"json syntax", "{\"meetings\": [\n  {\"id\": \"M-1\",\n   \"title\" \"x\"}]}", "x.json:3:"},
		{"json type", "{\"meetings\": [\n  {\"id\": 7}]}", "x.json:2:"},
		{"json unknown key", "{\"meetings\": [{\"id\": \"M-1\", \"colour\": \"red\"}]}", "x.json: json: unknown field \"colour\""},
		{"json the boxes' rules", `{"meetings": [
  {"id": "M-1", "title": "a", "room": "r", "start": "2026-03-02T08:00:00+07:00", "end": "2026-03-02T09:00:00+07:00",
   "checkin_opens": "2026-03-02T07:30:00+07:00", "checkin_closes": "2026-03-02T08:30:00+07:00", "invitees": []},
  {"id": "M-2", "title": "b", "room": "r", "start": "2026-03-02T10:00:00+07:00", "end": "2026-03-02T09:00:00+07:00",
   "checkin_opens": "2026-03-02T07:30:00+07:00", "checkin_closes": "2026-03-02T08:30:00+07:00", "invitees": []}]}`, "x.json:4: meeting \"M-2\""},
	} {
		ext := ".csv"
		if strings.HasPrefix(c.name, "json") {
			ext = ".json"
		}
		file := writeFile(t, dir, "x"+ext, c.file)
		// No broker: what is refused is refused before connecting.
		_, _, err := runAt(testNow, "", "publish", "meetings", "-device", "dev-a", "-file", file, "-broker", "ssl://127.0.0.1:1")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: publish meetings = %v, want an error with %q", c.name, err, c.want)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-file", "x.csv"}, "-device is required"},
		{[]string{"-device", "Dev A", "-file", "x.csv"}, "not a device id"},
		{[]string{"-device", "dev-a"}, "-file is required"},
		{[]string{"-device", "dev-a", "-file", "x.csv", "-tz", "Mars/Olympus"}, "-tz"},
		{[]string{"-device", "dev-a", "-file", filepath.Join(dir, "none.csv")}, "no such file"},
	} {
		_, _, err := runAt(testNow, "", append([]string{"publish", "meetings"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("publish meetings %q = %v, want an error with %q", c.args, err, c.want)
		}
	}
}

func TestScheduleBridges(t *testing.T) {
	dir := t.TempDir()
	ict := time.FixedZone("ICT", 7*3600)
	csvFile := writeFile(t, dir, "bridges.csv", `meeting_id,title,room,start,end,checkin_opens,checkin_closes,person,name,unit,role,seat,bridge_dial,bridge_protocol,bridge_speed,bridge_auto_join
M-1,Giao ban trực tuyến,P.301,2026-03-02 08:00,2026-03-02 09:30,2026-03-02 07:30,2026-03-02 08:30,P-1,An,,,,sip:giaoban@bridge.hanoi.gov.vn,SIP,1920,
M-1,,,,,,,P-2,Bình,,,,,,,
M-2,Họp chiều,P.301,2026-03-02 14:00,2026-03-02 15:00,2026-03-02 13:30,2026-03-02 14:15,P-1,An,,,,8001@10.0.0.5,h323,,no
M-2,,,,,,,P-2,Bình,,,,8001@10.0.0.5,h323,,no
M-3,Không có cầu,P.301,2026-03-02 16:00,2026-03-02 17:00,2026-03-02 15:30,2026-03-02 16:15,,,,,,,,,
`)
	jsonFile := writeFile(t, dir, "bridges.json", `{"meetings": [{"id": "M-1", "title": "Giao ban trực tuyến", "room": "P.301",
  "start": "2026-03-02T08:00:00+07:00", "end": "2026-03-02T09:30:00+07:00",
  "checkin_opens": "2026-03-02T07:30:00+07:00", "checkin_closes": "2026-03-02T08:30:00+07:00", "invitees": [],
  "bridge": {"dial": "sip:giaoban@bridge.hanoi.gov.vn", "protocol": "sip", "speed": 1920}}]}`)
	no := false
	want := []*wire.Bridge{
		{Dial: "sip:giaoban@bridge.hanoi.gov.vn", Protocol: "sip", Speed: 1920},
		{Dial: "8001@10.0.0.5", Protocol: "h323", AutoJoin: &no},
		nil,
	}
	s, err := readSchedule(csvFile, ict, 7)
	if err != nil || len(s.Meetings) != 3 {
		t.Fatalf("readSchedule(%s) = %+v, %v, want 3 meetings", csvFile, s, err)
	}
	for i, m := range s.Meetings {
		if !reflect.DeepEqual(m.Bridge, want[i]) {
			t.Errorf("%s: meeting %s bridge = %s, want %s", csvFile, m.ID, bridgeText(m.Bridge), bridgeText(want[i]))
		}
	}
	s, err = readSchedule(jsonFile, ict, 7)
	if err != nil || len(s.Meetings) != 1 || s.Meetings[0].Bridge == nil || *s.Meetings[0].Bridge != *want[0] {
		t.Errorf("readSchedule(%s) = %+v, %v, want M-1 on %s", jsonFile, s, err, bridgeText(want[0]))
	}

	header := "meeting_id,title,room,start,end,checkin_opens,checkin_closes,person,name,bridge_dial,bridge_protocol,bridge_speed,bridge_auto_join\n"
	row := "M-1,Họp,P.1,2026-03-02 08:00,2026-03-02 09:00,2026-03-02 07:30,2026-03-02 08:30,P-1,An,"
	for _, c := range []struct {
		name, file, want string
	}{
		{"speed not a number", header + row + "8001,sip,fast,\n", `x.csv:2: bridge_speed "fast"`},
		{"auto_join not yes or no", header + row + "8001,sip,,maybe\n", `x.csv:2: bridge_auto_join "maybe"`},
		{"protocol without dial", header + row + ",sip,,\n", "x.csv:2: bridge_protocol, bridge_speed or bridge_auto_join without bridge_dial"},
		{"rows disagree", header + row + "8001,sip,,\nM-1,,,,,,,P-2,Bình,8002,sip,,\n", `x.csv:3: meeting "M-1": bridge "8002" sip here, "8001" sip on line 2`},
		{"a quote in the dial string", header + row + "\"8001\"\" x\",sip,,\n", `x.csv:2: meeting "M-1": wire: meetings[0] "M-1": bridge: dial`},
		{"a space in the dial string", header + row + "8001 x,sip,,\n", `x.csv:2: meeting "M-1": wire: meetings[0] "M-1": bridge: dial`},
		{"unknown protocol", header + row + "8001,isdn,,\n", `bridge: protocol "isdn"`},
		{"too slow", header + row + "8001,sip,32,\n", "bridge: speed 32 kbit/s"},
		{"json control character", `{"meetings": [{"id": "M-1", "title": "a", "room": "r", "start": "2026-03-02T08:00:00+07:00", "end": "2026-03-02T09:00:00+07:00",
   "checkin_opens": "2026-03-02T07:30:00+07:00", "checkin_closes": "2026-03-02T08:30:00+07:00", "invitees": [], "bridge": {"dial": "8001\rhangup all"}}]}`, `x.json:1: meeting "M-1": wire: meetings[0] "M-1": bridge: dial`},
	} {
		ext := ".csv"
		if strings.HasPrefix(c.name, "json") {
			ext = ".json"
		}
		file := writeFile(t, dir, "x"+ext, c.file)
		if _, err := readSchedule(file, ict, 7); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: readSchedule = %v, want an error with %q", c.name, err, c.want)
		}
	}
}
