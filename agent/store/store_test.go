package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func entryAndEvent(id string, at time.Time) (Entry, Event) {
	return Entry{ID: id, At: at, Gate: "g1", Scanner: "s1", Method: "pass", PassID: "p1", ClockTrusted: true},
		Event{ID: id, Type: "vn.roomgate.entry.v1", Time: at, Payload: []byte(`{"id":"` + id + `"}`)}
}

func TestOpenSetsDurability(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	for pragma, want := range map[string]string{"journal_mode": "wal", "synchronous": "2"} {
		var got string
		if err := s.db.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %q, want %q", pragma, got, want)
		}
	}
	// Numbers are reserved for work in parallel, so there may be gaps.
	files, _ := fs.Glob(migrationFiles, "migrations/*.sql")
	last, _ := strconv.Atoi(path.Base(files[len(files)-1])[:4])
	v, err := s.SchemaVersion(ctx)
	if err != nil || v != last {
		t.Errorf("SchemaVersion() = %d, %v, want %d (the last migration), nil", v, err, last)
	}
}

func TestReopenKeepsRecordsAndSkipsMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "test.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	e, ev := entryAndEvent("e1", time.Now())
	if err := s.AddEntry(context.Background(), e, ev); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	ids, err := s.EntryIDs(context.Background())
	if err != nil || !ids["e1"] {
		t.Errorf("EntryIDs() after reopen = %v, %v, want e1 with its outbox row", ids, err)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "test.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`INSERT INTO schema_migrations(version, applied_ns) VALUES (99, 0)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(path); !errors.Is(err, ErrNewerSchema) {
		t.Errorf("Open(newer db) = %v, want ErrNewerSchema", err)
	}
}

func TestOpenFailsClearly(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "no", "such", "dir", "x.db"))
	if err == nil {
		t.Fatal("Open(missing dir) = nil error")
	}
}

func TestDecideCountsUsesOnlyOnGrant(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	var seen []Use
	decide := func(grant bool) func(Use, bool) Decision {
		return func(u Use, revoked bool) Decision {
			seen = append(seen, u)
			if grant {
				return Decision{Granted: true}
			}
			return Decision{Reason: "nope"}
		}
	}
	for i, grant := range []bool{true, false, true} {
		at := time.Unix(1000+int64(i), 0)
		_, err := s.Decide(ctx, "pass:p1", "p1", decide(grant), func(d Decision) (Entry, Event, error) {
			e, ev := entryAndEvent(fmt.Sprint("e", i), at)
			e.Granted, e.Reason = d.Granted, d.Reason
			return e, ev, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	wantCounts := []int{0, 1, 1}
	for i, u := range seen {
		if u.Count != wantCounts[i] {
			t.Errorf("scan %d saw count %d, want %d", i, u.Count, wantCounts[i])
		}
	}
	if !seen[1].Last.Equal(time.Unix(1000, 0)) || seen[1].LastGate != "g1" {
		t.Errorf("second scan saw last use %v at %q, want %v at g1", seen[1].Last, seen[1].LastGate, time.Unix(1000, 0))
	}
	ob, err := s.Outbox(ctx)
	if err != nil || ob.Pending != 3 || !ob.Oldest.Equal(time.Unix(1000, 0)) {
		t.Errorf("Outbox() = %+v, %v, want 3 pending from %v", ob, err, time.Unix(1000, 0))
	}
}

func TestDecideSeesRevocation(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if err := s.ReplaceTrust(ctx, "config", nil, []string{"p1", "p1"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		passID string
		want   bool
	}{{"p1", true}, {"p2", false}} {
		var got bool
		_, err := s.Decide(ctx, "pass:"+tc.passID, tc.passID, func(_ Use, revoked bool) Decision { got = revoked; return Decision{} },
			func(d Decision) (Entry, Event, error) {
				e, ev := entryAndEvent("e-"+tc.passID, time.Now())
				return e, ev, nil
			})
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("Decide(%s) saw revoked = %v, want %v", tc.passID, got, tc.want)
		}
	}
}

func TestDecideWritesNothingWhenBuildFails(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	_, err := s.Decide(ctx, "pass:p1", "p1", func(Use, bool) Decision { return Decision{Granted: true} },
		func(Decision) (Entry, Event, error) { return Entry{}, Event{}, errors.New("boom") })
	if err == nil {
		t.Fatal("Decide with failing build = nil error")
	}
	ids, _ := s.EntryIDs(ctx)
	ob, _ := s.Outbox(ctx)
	if len(ids) != 0 || ob.Pending != 0 {
		t.Errorf("after failed Decide: %d entries, %d outbox rows, want none", len(ids), ob.Pending)
	}
}

func TestEntryAndOutboxAreOneTransaction(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	e, ev := entryAndEvent("dup", time.Now())
	if err := s.AddEntry(ctx, e, ev); err != nil {
		t.Fatal(err)
	}
	// A second entry whose outbox row collides must leave no entry behind.
	e2, _ := entryAndEvent("other", time.Now())
	if err := s.AddEntry(ctx, e2, ev); err == nil {
		t.Fatal("AddEntry with duplicate outbox id = nil error")
	}
	ids, _ := s.EntryIDs(ctx)
	if _, ok := ids["other"]; ok || len(ids) != 1 {
		t.Errorf("EntryIDs() = %v, want only dup", ids)
	}
}

func TestLatestEntriesNewestFirst(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	for i := range 5 {
		e, ev := entryAndEvent(fmt.Sprint("e", i), time.Unix(int64(i), 0))
		e.Name = "Nguyễn Văn An"
		if err := s.AddEntry(ctx, e, ev); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.LatestEntries(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].ID != "e4" || got[2].ID != "e2" || got[0].Name != "Nguyễn Văn An" || !got[0].ClockTrusted {
		t.Errorf("LatestEntries(3) = %+v, want e4, e3, e2", got)
	}
}

func TestDoorEvents(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	err := s.AddDoorEvent(ctx, DoorEvent{ID: "d1", At: time.Now(), Kind: "forced_open", Alarm: true},
		Event{ID: "d1", Type: "vn.roomgate.door.v1", Time: time.Now(), Payload: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if ob, _ := s.Outbox(ctx); ob.Pending != 1 {
		t.Errorf("Outbox().Pending = %d, want 1", ob.Pending)
	}
}

func TestReplaceTrustBySource(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	key := make([]byte, 32)
	if err := s.ReplaceTrust(ctx, "city", []Issuer{{Kid: "c1", Iss: "city", PublicKey: key}}, []string{"p9"}); err != nil {
		t.Fatal(err)
	}
	if err := s.ReplaceTrust(ctx, "config", []Issuer{{Kid: "a", PublicKey: key}, {Kid: "b", PublicKey: key}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.ReplaceTrust(ctx, "config", []Issuer{{Kid: "b", Iss: "x", PublicKey: key}}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.Issuers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Kid != "b" || got[0].Iss != "x" || got[1].Kid != "c1" || got[1].Source != "city" {
		t.Errorf("Issuers() = %+v, want b (config, iss x) and c1 (city)", got)
	}
}

func TestVisits(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if _, err := s.VisitsFor(ctx, "001099012345"); !errors.Is(err, ErrNoVisit) {
		t.Errorf("VisitsFor(unknown) = %v, want ErrNoVisit", err)
	}
	v := Visit{ID: "v1", IDNumber: "001099012345", Name: "Trần Thị B", Host: "Sở Nội vụ", Gates: []string{"g1", "hq"}, NotBefore: time.Unix(100, 0), NotAfter: time.Unix(200, 0), Uses: 2}
	if err := s.AddVisit(ctx, v); err != nil {
		t.Fatal(err)
	}
	got, err := s.VisitsFor(ctx, "001099012345")
	if err != nil || len(got) != 1 || got[0].Name != v.Name || len(got[0].Gates) != 2 || !got[0].NotAfter.Equal(v.NotAfter) || got[0].Uses != 2 {
		t.Errorf("VisitsFor() = %+v, %v, want %+v", got, err, v)
	}
}

func TestOutboxPendingAckPurge(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	for i := range 10 {
		e, ev := entryAndEvent(fmt.Sprint("e", i), time.Unix(int64(i), 0))
		ev.Payload = make([]byte, 100)
		if err := s.AddEntry(ctx, e, ev); err != nil {
			t.Fatal(err)
		}
	}
	batch, err := s.Pending(ctx, 0, 4, 1000)
	if err != nil || len(batch) != 4 || batch[0].ID != "e0" || batch[3].ID != "e3" {
		t.Fatalf("Pending(0, 4 events) = %d events, %v; want e0..e3", len(batch), err)
	}
	if batch, _ := s.Pending(ctx, 0, 100, 250); len(batch) != 2 {
		t.Errorf("Pending(250 bytes) = %d events of 100 bytes, want 2", len(batch))
	}
	if batch, _ := s.Pending(ctx, 0, 100, 10); len(batch) != 1 {
		t.Errorf("Pending(10 bytes) = %d events, want 1: a large event must still go", len(batch))
	}
	n, err := s.Ack(ctx, []string{"e1", "e2", "e2", "nope"})
	if err != nil || n != 2 {
		t.Errorf("Ack() = %d, %v, want 2 newly acknowledged", n, err)
	}
	rest, _ := s.Pending(ctx, batch[0].Seq, 100, 1<<20)
	if len(rest) != 7 || rest[0].ID != "e3" {
		t.Errorf("Pending after e0 = %d events starting %s, want 7 from e3", len(rest), rest[0].ID)
	}
	if ob, _ := s.Outbox(ctx); ob.Pending != 8 || !ob.Oldest.Equal(time.Unix(0, 0)) {
		t.Errorf("Outbox() = %+v, want 8 pending from e0", ob)
	}
	if n, err := s.PurgeAcked(ctx, time.Now().Add(time.Minute)); err != nil || n != 2 {
		t.Errorf("PurgeAcked() = %d, %v, want 2", n, err)
	}
	ids, _ := s.EntryIDs(ctx)
	if len(ids) != 10 || ids["e1"] {
		t.Errorf("entries after purge: %d, e1 in outbox %v; want all 10 entries kept, e1's outbox row gone", len(ids), ids["e1"])
	}
}

func TestSettings(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if v, err := s.Setting(ctx, "trust.version"); v != "" || err != nil {
		t.Errorf("Setting(unset) = %q, %v, want empty", v, err)
	}
	for _, v := range []string{"3", "4"} {
		if err := s.SetSetting(ctx, "trust.version", v); err != nil {
			t.Fatal(err)
		}
	}
	if v, _ := s.Setting(ctx, "trust.version"); v != "4" {
		t.Errorf("Setting() = %q, want 4", v)
	}
}
