package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/event"
	"github.com/roomgate/roomgate/deploy/city/ingest"
	"github.com/roomgate/roomgate/deploy/city/ingest/sqlitestore"
)

func checkIn(n int, meeting, title, person, name, method string, late bool, extra string) ingest.Event {
	at := time.Date(2026, 3, 2, 1, n, 0, 0, time.UTC) // 08:0n in Hà Nội
	return ingest.Event{
		Source: "roomgate://hq/hq-room-1", ID: fmt.Sprintf("0190f0c0-0000-7000-8000-%012d", n), Type: event.TypeAttendance, Time: at,
		Data: json.RawMessage(fmt.Sprintf(`{"site":"hq","room":"P.301","device":"spoofed","meeting":%q,"title":%q,"person":%q,"name":%q,"unit":"Sở Tư pháp","seat":"A%d","method":%q,"late":%v,"at":%q%s}`,
			meeting, title, person, name, n, method, late, at.Format(time.RFC3339), extra)),
	}
}

func TestAttendance(t *testing.T) {
	db := filepath.Join(t.TempDir(), "city.db")
	s, err := sqlitestore.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	batch := ingest.Batch{Device: "hq-room-1", Events: []ingest.Event{
		checkIn(1, "M-1", "Họp giao ban", "P-obama", "Barack Obama", "face", false, `,"score":0.63`),
		checkIn(2, "M-1", "Họp giao ban", "P-kit", "Kit Harington", "qr", false, `,"entry":"e-1"`),
		checkIn(12, "M-1", "Họp giao ban", "P-rose", "=Rose Leslie", "manual", true, `,"operator":"secretary","reason":"camera off"`),
		checkIn(40, "M-2", "Họp chiều", "P-obama", "Barack Obama", "face", false, `,"score":0.7`),
	}}
	if _, err := s.Save(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	s.Close()

	out, stderr, err := runAt(testNow, "", "attendance", "-db", "sqlite:"+db)
	if err != nil {
		t.Fatalf("attendance = %v; %s", err, stderr)
	}
	for _, want := range []string{
		"M-1  Họp giao ban (P.301)\n3 attended: 1 face, 1 manual, 1 qr; 1 late\n",
		"2026-03-02 08:01:00  Barack Obama", "face 0.63", "manual (camera off)", "late", "hq-room-1",
		"M-2  Họp chiều (P.301)\n1 attended: 1 face; 0 late\n",
		"2 meetings, 4 check-ins\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("attendance printed\n%s\nwant %q in it", out, want)
		}
	}
	if strings.Contains(out, "spoofed") {
		t.Errorf("attendance printed the device the data claims, not the topic's:\n%s", out)
	}
	if strings.Index(out, "M-1") > strings.Index(out, "M-2") {
		t.Errorf("attendance lists M-2 before M-1, whose first check-in is earlier:\n%s", out)
	}

	out, _, err = runAt(testNow, "", "attendance", "-db", "sqlite:"+db, "-meeting", "M-1", "-csv")
	if err != nil {
		t.Fatalf("attendance -csv = %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || lines[0] != "meeting,title,room,person,name,unit,seat,method,score,late,at,device,operator,reason" {
		t.Fatalf("attendance -meeting M-1 -csv printed\n%s\nwant a header and 3 rows", out)
	}
	if want := "M-1,Họp giao ban,P.301,P-obama,Barack Obama,Sở Tư pháp,A1,face,0.63,false,2026-03-02T08:01:00+07:00,hq-room-1,,"; lines[1] != want {
		t.Errorf("row 1 = %q, want %q", lines[1], want)
	}
	if !strings.Contains(lines[3], ",'=Rose Leslie,") || !strings.HasSuffix(lines[3], ",true,2026-03-02T08:12:00+07:00,hq-room-1,secretary,camera off") {
		t.Errorf("row 3 = %q, want the name kept from running as a formula, late, the operator and reason", lines[3])
	}

	_, stderr, err = runAt(testNow, "", "attendance", "-db", "sqlite:"+db, "-meeting", "M-9")
	if err != nil || !strings.Contains(stderr, "no attendance") {
		t.Errorf("attendance -meeting M-9 = %v, stderr %q, want no error and a note", err, stderr)
	}
	if _, _, err := runAt(testNow, "", "attendance", "-db", "sqlite:"+filepath.Join(t.TempDir(), "none.db")); err == nil {
		t.Error("attendance on a missing database = nil, want an error")
	}
}
