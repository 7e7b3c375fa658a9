package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/roomgate/roomgate/deploy/city/ingest"
	"github.com/roomgate/roomgate/deploy/city/ingest/pgstore"
	"github.com/roomgate/roomgate/deploy/city/ingest/pgstore/pgstoretest"
	"github.com/roomgate/roomgate/deploy/city/ingest/sqlitestore"
)

// fill stores events of hq-gate-1 and hq-gate-2 a minute apart, saved out
// of time order, and two rejections from hq-gate-1; it returns the events
// newest first.
func fill(t *testing.T, s ingest.Store) []ingest.Event {
	t.Helper()
	ev := func(dev string, minute int, typ, data string) ingest.Event {
		return ingest.Event{Source: "roomgate://hq/" + dev, ID: fmt.Sprintf("0190f0c0-0000-7000-8000-%012d", minute),
			Type: typ, Time: testNow.Add(time.Duration(minute) * time.Minute), Data: json.RawMessage(data)}
	}
	gate1 := []ingest.Event{
		ev("hq-gate-1", 1, "vn.roomgate.entry.v1", `{"decision":"granted","method":"pass","name":"Nguyễn Văn An"}`),
		ev("hq-gate-1", 2, "vn.roomgate.door.v1", `{"kind":"forced_open","alarm":true}`),
		ev("hq-gate-1", 4, "vn.roomgate.heartbeat.v1", `{"note": "`+strings.Repeat("x", 100)+`"}`),
	}
	// A name is whatever the pass said: here with an escape sequence and
	// a right-to-left override.
	gate2 := []ingest.Event{
		ev("hq-gate-2", 3, "vn.roomgate.entry.v1", `{"decision":"denied","reason":"revoked","name":"Trần Thị Bình\u001b[2J\u202e"}`),
	}
	rejected := []ingest.Rejection{{ID: "x", Reason: "not an object", Raw: []byte("42")}, {Reason: "no id", Raw: []byte("{}")}}
	for _, b := range []ingest.Batch{{Device: "hq-gate-2", Events: gate2}, {Device: "hq-gate-1", Events: gate1, Rejected: rejected}} {
		if _, err := s.Save(context.Background(), b); err != nil {
			t.Fatalf("Save(%s) = %v", b.Device, err)
		}
	}
	return []ingest.Event{gate1[2], gate2[0], gate1[1], gate1[0]}
}

func TestEvents(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "city.db")
	s, err := sqlitestore.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dsn := pgstoretest.Start(t).DSN(t)
	p, err := pgstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	t.Run("sqlite", func(t *testing.T) { testEvents(t, "sqlite:"+path, fill(t, s)) })
	t.Run("postgres", func(t *testing.T) { testEvents(t, dsn, fill(t, p)) })
}

// columns splits a table line at runs of two or more spaces.
var columns = regexp.MustCompile(`  +`)

func testEvents(t *testing.T, db string, newest []ingest.Event) {
	out, stderr, err := runAt(testNow, "", "events", "-db", db)
	if err != nil {
		t.Fatalf("events = %v\n%s", err, stderr)
	}
	local := func(i int) string { return newest[i].Time.Local().Format(time.DateTime) }
	long := `{"note":"` + strings.Repeat("x", maxSummary-10) + `…`
	want := [][]string{
		{"TIME", "DEVICE", "TYPE", "SUMMARY"},
		{local(0), "hq-gate-1", "vn.roomgate.heartbeat.v1", long},
		{local(1), "hq-gate-2", "vn.roomgate.entry.v1", "denied (revoked) Trần Thị Bình\uFFFD[2J\uFFFD"},
		{local(2), "hq-gate-1", "vn.roomgate.door.v1", "forced_open (alarm)"},
		{local(3), "hq-gate-1", "vn.roomgate.entry.v1", "granted Nguyễn Văn An"},
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("events printed %d lines, want %d:\n%s", len(lines), len(want), out)
	}
	summaryAt := strings.Index(lines[0], "SUMMARY")
	for i, l := range lines {
		if got := columns.Split(l, -1); strings.Join(got, "|") != strings.Join(want[i], "|") {
			t.Errorf("events line %d = %q, want columns %q", i, got, want[i])
		}
		if at := strings.LastIndex(l, want[i][3]); utf8.RuneCountInString(l[:at]) != summaryAt {
			t.Errorf("events line %d = %q, want the summary at column %d", i, l, summaryAt)
		}
	}
	if want := "warning: rejected elements, which did not validate (see rejected_events): hq-gate-1 2\n"; stderr != want {
		t.Errorf("events stderr = %q, want %q", stderr, want)
	}

	for _, c := range []struct {
		args       []string
		want       []ingest.Event
		wantStderr string
	}{
		{nil, newest, "hq-gate-1 2"},
		{[]string{"-n", "2"}, newest[:2], "hq-gate-1 2"},
		{[]string{"-device", "hq-gate-1"}, []ingest.Event{newest[0], newest[2], newest[3]}, "hq-gate-1 2"},
		{[]string{"-device", "hq-gate-2"}, newest[1:2], ""},
		{[]string{"-type", "vn.roomgate.entry.v1"}, []ingest.Event{newest[1], newest[3]}, "hq-gate-1 2"},
		{[]string{"-device", "hq-gate-1", "-type", "vn.roomgate.door.v1", "-n", "10000"}, newest[2:3], "hq-gate-1 2"},
		{[]string{"-device", "hq-gate-2", "-type", "vn.roomgate.door.v1"}, nil, "no matching events"},
	} {
		out, stderr, err := runAt(testNow, "", append([]string{"events", "-db", db, "-json"}, c.args...)...)
		if err != nil {
			t.Errorf("events -json %q = %v", c.args, err)
			continue
		}
		var got []eventLine
		for _, l := range strings.SplitAfter(out, "\n") {
			if l == "" {
				continue
			}
			var e eventLine
			if err := json.Unmarshal([]byte(l), &e); err != nil {
				t.Errorf("events -json %q printed %q: %v", c.args, l, err)
			}
			got = append(got, e)
		}
		if len(got) != len(c.want) {
			t.Errorf("events -json %q printed %d events, want %d:\n%s", c.args, len(got), len(c.want), out)
			continue
		}
		for i, e := range got {
			w := c.want[i]
			if e.ID != w.ID || e.Source != w.Source || "roomgate://hq/"+e.Device != w.Source || e.Type != w.Type ||
				!e.Time.Equal(w.Time) || e.Time.Location() != time.UTC || e.ReceivedAt.IsZero() || len(e.Data) == 0 {
				t.Errorf("events -json %q [%d] = %+v, want %+v", c.args, i, e, w)
			}
		}
		if !strings.Contains(stderr, c.wantStderr) || (c.wantStderr == "" && stderr != "") {
			t.Errorf("events -json %q stderr = %q, want %q", c.args, stderr, c.wantStderr)
		}
	}
}

func TestEventsErrors(t *testing.T) {
	db := filepath.Join(t.TempDir(), "city.db")
	s, err := sqlitestore.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	typo := filepath.Join(t.TempDir(), "typo.db")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-db", "mysql://x"}, "want postgres://... or sqlite:PATH"},
		{[]string{"-db", "sqlite:" + typo}, "no such file"},
		{[]string{"-db", "postgres://127.0.0.1:1/city?connect_timeout=2"}, "pgstore"},
		{[]string{"-n", "0"}, "-n 0: want 1..10000"},
		{[]string{"-n", "-5"}, "-n -5: want 1..10000"},
		{[]string{"-n", "10001"}, "-n 10001: want 1..10000"},
		{[]string{"-n", "many"}, "invalid value"},
		{[]string{"-device", "Gate 1"}, "want a device id"},
		{[]string{"-bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		out, _, err := runAt(testNow, "", append([]string{"events", "-db", "sqlite:" + db}, c.args...)...)
		if err == nil || !strings.HasPrefix(err.Error(), "roomgate-city events: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("events %q = %v, want an error about %q", c.args, err, c.want)
		}
		if out != "" {
			t.Errorf("events %q printed %q with an error", c.args, out)
		}
	}
	if _, err := os.Stat(typo); !os.IsNotExist(err) {
		t.Errorf("events -db sqlite:%s: stat = %v, want the file not created", typo, err)
	}
}
