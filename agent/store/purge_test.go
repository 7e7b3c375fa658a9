package store

import (
	"context"
	"reflect"
	"testing"
	"time"
)

func TestPurgeKeepsWhatTheCityHasNot(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	const day = 24 * time.Hour
	// Acknowledgements carry the real time; the purges below are run at
	// times after it, and "recent" records are made later than the cutoffs.
	real := time.Now()
	old, recent := real.Add(-200*day), real.Add(60*day)
	ev := func(id string, at time.Time) Event {
		return Event{ID: id, Type: "t", Time: at, Payload: []byte(`{}`)}
	}

	// Entries: old and acknowledged, old and waiting, recent and acknowledged,
	// old whose outbox row was purged after its ack.
	for _, c := range []struct {
		id string
		at time.Time
	}{{"e-old-acked", old}, {"e-old-waiting", old}, {"e-recent", recent}, {"e-old-forgotten", old}} {
		e, _ := entryAndEvent(c.id, c.at)
		if err := s.AddEntry(ctx, e, ev(c.id, c.at)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.AddAttendance(ctx, Attendance{ID: "a-old", Meeting: "m", Person: "P-1", Method: "face", At: old}, ev("a-old", old)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddAttendance(ctx, Attendance{ID: "a-waiting", Meeting: "m", Person: "P-2", Method: "face", At: old}, ev("a-waiting", old)); err != nil {
		t.Fatal(err)
	}
	if err := s.AddDoorEvent(ctx, DoorEvent{ID: "d-old", At: old, Kind: "opened"}, ev("d-old", old)); err != nil {
		t.Fatal(err)
	}
	for _, a := range []Action{{At: old, Role: "technician", Action: "login"}, {At: recent, Role: "secretary", Action: "export"}} {
		if err := s.AddAction(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	grant := func(Use, bool) Decision { return Decision{Granted: true} }
	for _, u := range []struct {
		key string
		at  time.Time
	}{{"pass:old", real.Add(-500 * day)}, {"pass:live", recent}} {
		_, err := s.Decide(ctx, u.key, "p", grant, func(Decision) (Entry, Event, error) {
			e, _ := entryAndEvent("e-"+u.key, u.at)
			e.Granted = true
			return e, ev("e-"+u.key, u.at), nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.StageGalleryManifest(ctx, 5, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StageGalleryChunk(ctx, 5, 0, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Ack(ctx, []string{"e-old-acked", "e-recent", "e-old-forgotten", "a-old", "d-old", "e-pass:old", "e-pass:live"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`DELETE FROM outbox WHERE id = 'e-old-forgotten'`); err != nil {
		t.Fatal(err)
	}

	r := Retention{Entries: 90 * day, Attendance: 90 * day, DoorEvents: 90 * day, Actions: 90 * day, Uses: 400 * day, Staging: 7 * day}
	// Today nothing acknowledged is 90 days past its acknowledgement.
	got, err := s.Purge(ctx, real, r)
	want := Purged{"entries": 1, "attendance": 0, "door_events": 0, "actions": 1, "uses": 1, "city_gallery_chunks": 0, "city_gallery_manifest": 0, "visits": 0}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Purge(now) = %v, %v, want %v (only what left the outbox, the old action and the old use)", got, err, want)
	}
	// 91 days on, the acknowledgements are old enough too.
	later := real.Add(91 * day)
	got, err = s.Purge(ctx, later, r)
	want = Purged{"entries": 2, "attendance": 1, "door_events": 1, "actions": 0, "uses": 0, "city_gallery_chunks": 1, "city_gallery_manifest": 1, "visits": 0}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Purge(+91 days) = %v, %v, want %v", got, err, want)
	}
	ids, err := s.EntryIDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantIDs := map[string]bool{"e-old-waiting": true, "e-recent": true, "e-pass:live": true}
	if !reflect.DeepEqual(ids, wantIDs) {
		t.Errorf("entries left = %v, want %v: the one the city has not, and the recent ones", ids, wantIDs)
	}
	if list, err := s.Attendance(ctx, "m"); err != nil || len(list) != 1 || list[0].ID != "a-waiting" {
		t.Errorf("attendance left = %+v, %v, want a-waiting only", list, err)
	}
	if st, err := s.GalleryStaging(ctx); err != nil || st.Version != 0 || st.Manifest != nil || len(st.Chunks) != 0 {
		t.Errorf("GalleryStaging() after 91 days = %+v, %v, want nothing staged", st, err)
	}
	// What the city has not acknowledged stays, however late.
	got, err = s.Purge(ctx, real.Add(3650*day), r)
	if err != nil || got["entries"] != 2 || got["attendance"] != 0 {
		t.Errorf("Purge(+10 years) = %v, %v, want the 2 recent entries (the waiting ones stay)", got, err)
	}
	if ids, _ := s.EntryIDs(ctx); !ids["e-old-waiting"] {
		t.Errorf("the unacknowledged entry was purged")
	}
}

func TestPurgeInBatches(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	old := time.Now().Add(-1000 * 24 * time.Hour)
	for range purgeBatch + 5 {
		if err := s.AddAction(ctx, Action{At: old, Role: "technician", Action: "login"}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Purge(ctx, time.Now(), Retention{Entries: time.Hour, Attendance: time.Hour, DoorEvents: time.Hour, Actions: time.Hour, Uses: time.Hour, Staging: time.Hour})
	if err != nil || got["actions"] != purgeBatch+5 {
		t.Errorf("Purge() = %v, %v, want all %d actions, over two batches", got, err, purgeBatch+5)
	}
}
