package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/deploy/city/ingest"
)

// Store is an ingest.Store with the query helpers the suite checks with.
type Store interface {
	ingest.Store
	Count(ctx context.Context) (int64, error)
	IDs(ctx context.Context, source string) ([]string, error)
	Rejections(ctx context.Context, device string) ([]ingest.Rejection, error)
	Latest(ctx context.Context, f ingest.Filter) ([]ingest.StoredEvent, error)
	CountRejected(ctx context.Context, device string) (map[string]int64, error)
	Attendance(ctx context.Context, meeting string) ([]ingest.StoredEvent, error)
	RecordSchedule(ctx context.Context, device string, s wire.Schedule, at time.Time) (bool, error)
	Bridges(ctx context.Context, at time.Time, within time.Duration) ([]ingest.RoomBridge, error)
}

// Event returns a valid event number n of device at site "hq".
func Event(device string, n int) ingest.Event {
	return ingest.Event{
		Source: "roomgate://hq/" + device,
		ID:     fmt.Sprintf("0190f0c0-0000-7000-8000-%012d", n),
		Type:   "vn.roomgate.entry.v1",
		Time:   time.Date(2026, 3, 2, 8, 0, 0, n*1000, time.UTC),
		Data:   json.RawMessage(fmt.Sprintf(`{"n":%d,"name":"Nguyễn Văn An"}`, n)),
	}
}

// Run runs the suite; open returns an empty store that lives until the
// test ends.
func Run(t *testing.T, open func(t *testing.T) Store) {
	t.Run("StoreOnce", func(t *testing.T) { testStoreOnce(t, open(t)) })
	t.Run("Rejected", func(t *testing.T) { testRejected(t, open(t)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, open(t)) })
	t.Run("Cancelled", func(t *testing.T) { testCancelled(t, open(t)) })
	t.Run("Latest", func(t *testing.T) { testLatest(t, open(t)) })
	t.Run("CountRejected", func(t *testing.T) { testCountRejected(t, open(t)) })
	t.Run("Attendance", func(t *testing.T) { testAttendance(t, open(t)) })
	t.Run("PassUses", func(t *testing.T) { testPassUses(t, open(t)) })
	t.Run("Bridges", func(t *testing.T) { testBridges(t, open(t)) })
}

// Batch returns a batch of device with events number from to to-1.
func Batch(device string, from, to int) ingest.Batch {
	return ingest.Batch{Device: device, Events: events(device, from, to)}
}

func events(device string, from, to int) []ingest.Event {
	var es []ingest.Event
	for n := from; n < to; n++ {
		es = append(es, Event(device, n))
	}
	return es
}

func ids(es []ingest.Event) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.ID)
	}
	sort.Strings(out)
	return out
}

func checkIDs(t *testing.T, s Store, device string, want []string) {
	t.Helper()
	ctx := context.Background()
	got, err := s.IDs(ctx, "roomgate://hq/"+device)
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("IDs(%s) = %v, %v, want %v", device, got, err, want)
	}
}

func testStoreOnce(t *testing.T, s Store) {
	ctx := context.Background()
	first := events("dev-a", 0, 5)
	// The second batch repeats three events, one of them twice within the
	// batch, and brings two new ones.
	second := append(events("dev-a", 3, 7), Event("dev-a", 4))
	for _, c := range []struct {
		b    ingest.Batch
		want ingest.Saved
	}{
		{ingest.Batch{Device: "dev-a", Events: first}, ingest.Saved{Stored: 5}},
		{ingest.Batch{Device: "dev-a", Events: first}, ingest.Saved{Duplicates: 5}},
		{ingest.Batch{Device: "dev-a", Events: second}, ingest.Saved{Stored: 2, Duplicates: 3}},
		{ingest.Batch{Device: "dev-b", Events: events("dev-b", 0, 1)}, ingest.Saved{Stored: 1}},
		{ingest.Batch{Device: "dev-b"}, ingest.Saved{}},
	} {
		got, err := s.Save(ctx, c.b)
		if err != nil || !sameCounts(got, c.want) {
			t.Errorf("Save(%s, %d events) = %+v, %v, want %+v", c.b.Device, len(c.b.Events), got, err, c.want)
		}
	}
	if n, err := s.Count(ctx); err != nil || n != 8 {
		t.Errorf("Count() = %d, %v, want 8", n, err)
	}
	checkIDs(t, s, "dev-a", ids(events("dev-a", 0, 7)))
	checkIDs(t, s, "dev-b", ids(events("dev-b", 0, 1)))
	checkIDs(t, s, "dev-c", nil)
}

func testRejected(t *testing.T, s Store) {
	ctx := context.Background()
	rs := []ingest.Rejection{
		{ID: "x-1", Reason: "source names another device", Raw: []byte(`{"id":"x-1"}`)},
		{ID: "", Reason: "not an object", Raw: []byte(`42`)},
		{ID: "bad\x00id\xff", Reason: "odd bytes are kept", Raw: []byte("\x00\xff")},
	}
	got, err := s.Save(ctx, ingest.Batch{Device: "dev-a", Events: events("dev-a", 0, 2), Rejected: rs})
	if want := (ingest.Saved{Stored: 2, Rejected: 3}); err != nil || !sameCounts(got, want) {
		t.Fatalf("Save(2 events, 3 rejections) = %+v, %v, want %+v", got, err, want)
	}
	back, err := s.Rejections(ctx, "dev-a")
	if err != nil || len(back) != len(rs) {
		t.Fatalf("Rejections(dev-a) = %+v, %v, want %d", back, err, len(rs))
	}
	for i, r := range back {
		// Stores may make an id storable (PostgreSQL text takes no NUL),
		// but the reason and the raw bytes come back as they went in.
		if r.Reason != rs[i].Reason || string(r.Raw) != string(rs[i].Raw) {
			t.Errorf("Rejections(dev-a)[%d] = %+v, want %+v", i, r, rs[i])
		}
	}
	if back[0].ID != "x-1" {
		t.Errorf("Rejections(dev-a)[0].ID = %q, want x-1", back[0].ID)
	}
	if other, err := s.Rejections(ctx, "dev-b"); err != nil || len(other) != 0 {
		t.Errorf("Rejections(dev-b) = %+v, %v, want none", other, err)
	}
	if n, err := s.Count(ctx); err != nil || n != 2 {
		t.Errorf("Count() = %d, %v, want 2", n, err)
	}
}

// sameCounts compares what two Saves counted, and checks that got's count
// by type adds up to its stored events.
func sameCounts(got, want ingest.Saved) bool {
	byType := 0
	for _, n := range got.Types {
		byType += n
	}
	return got.Stored == want.Stored && got.Duplicates == want.Duplicates && got.Rejected == want.Rejected && byType == got.Stored
}

// testConcurrent saves overlapping batches from many goroutines, as several
// ingest processes do when a box resends: each event is stored once, and
// exactly one Save counts it as stored.
func testConcurrent(t *testing.T, s Store) {
	ctx := context.Background()
	const workers, perBatch, total = 8, 50, 200
	var mu sync.Mutex
	var sum ingest.Saved
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for from := (w % 4) * perBatch; from < total; from += perBatch {
				got, err := s.Save(ctx, ingest.Batch{Device: "dev-a", Events: events("dev-a", from, from+perBatch)})
				if err != nil {
					t.Errorf("Save(worker %d, from %d) = %v", w, from, err)
					return
				}
				mu.Lock()
				sum.Stored += got.Stored
				sum.Duplicates += got.Duplicates
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if sum.Stored != total {
		t.Errorf("sum of Stored = %d, want %d (duplicates %d)", sum.Stored, total, sum.Duplicates)
	}
	if n, err := s.Count(ctx); err != nil || n != total {
		t.Errorf("Count() = %d, %v, want %d", n, err, total)
	}
}

// testCancelled checks that a Save that fails leaves nothing behind and the
// store usable.
func testCancelled(t *testing.T, s Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got, err := s.Save(ctx, ingest.Batch{Device: "dev-a", Events: events("dev-a", 0, 3)}); err == nil {
		t.Errorf("Save(cancelled context) = %+v, nil, want an error", got)
	}
	if n, err := s.Count(context.Background()); err != nil || n != 0 {
		t.Errorf("Count() after a failed Save = %d, %v, want 0", n, err)
	}
	got, err := s.Save(context.Background(), ingest.Batch{Device: "dev-a", Events: events("dev-a", 0, 3)})
	if want := (ingest.Saved{Stored: 3}); err != nil || !sameCounts(got, want) {
		t.Errorf("Save after a failed Save = %+v, %v, want %+v", got, err, want)
	}
}

// testLatest lists events newest first by event time, whatever order they
// arrived in, filtered by device and type.
func testLatest(t *testing.T, s Store) {
	ctx := context.Background()
	start := time.Now()
	// Times 0 (a whole second), 1, 10 and 11 µs: text that trims trailing
	// zeros would sort them wrong.
	a := events("dev-a", 0, 12)
	door := Event("dev-a", 20)
	door.Type, door.Data = "vn.roomgate.door.v1", json.RawMessage(`{"kind": "opened", "alarm": false}`)
	b := events("dev-b", 15, 17)
	for _, batch := range []ingest.Batch{
		{Device: "dev-b", Events: b},
		{Device: "dev-a", Events: append([]ingest.Event{door}, a[6:]...)},
		{Device: "dev-a", Events: a[:6]},
	} {
		if _, err := s.Save(ctx, batch); err != nil {
			t.Fatalf("Save(%s) = %v", batch.Device, err)
		}
	}
	// newest lists the events newest first: each slice's events are in
	// time order, and later slices are newer.
	newest := func(groups ...[]ingest.Event) []ingest.Event {
		var out []ingest.Event
		for _, g := range groups {
			out = append(out, g...)
		}
		slices.Reverse(out)
		return out
	}
	for _, c := range []struct {
		f    ingest.Filter
		want []ingest.Event
	}{
		{ingest.Filter{Limit: 100}, newest(a, b, []ingest.Event{door})},
		{ingest.Filter{Limit: 3}, newest(b, []ingest.Event{door})},
		{ingest.Filter{Device: "dev-a", Limit: 100}, newest(a, []ingest.Event{door})},
		{ingest.Filter{Device: "dev-a", Limit: 4}, newest(a[9:], []ingest.Event{door})},
		{ingest.Filter{Type: "vn.roomgate.entry.v1", Limit: 3}, newest(a[11:], b)},
		{ingest.Filter{Device: "dev-a", Type: "vn.roomgate.entry.v1", Limit: 2}, newest(a[10:])},
		{ingest.Filter{Type: "vn.roomgate.door.v1", Limit: 10}, []ingest.Event{door}},
		{ingest.Filter{Device: "dev-b", Type: "vn.roomgate.door.v1", Limit: 10}, nil},
		{ingest.Filter{Device: "dev-c", Limit: 10}, nil},
	} {
		got, err := s.Latest(ctx, c.f)
		if err != nil {
			t.Errorf("Latest(%+v) = %v", c.f, err)
			continue
		}
		var gotEvents []ingest.Event
		for _, e := range got {
			gotEvents = append(gotEvents, e.Event)
		}
		if !slices.Equal(keys(gotEvents), keys(c.want)) {
			t.Errorf("Latest(%+v) = %v, want %v", c.f, keys(gotEvents), keys(c.want))
			continue
		}
		for i, e := range got {
			w := c.want[i]
			if e.Source != w.Source || e.Type != w.Type || !e.Time.Equal(w.Time) || e.Device != strings.TrimPrefix(w.Source, "roomgate://hq/") || !sameJSON(e.Data, w.Data) {
				t.Errorf("Latest(%+v)[%d] = %+v, want %+v from %s", c.f, i, e, w, strings.TrimPrefix(w.Source, "roomgate://hq/"))
			}
			// A second of slack for the database's clock and rounding.
			if e.ReceivedAt.Before(start.Add(-time.Second)) || e.ReceivedAt.After(time.Now().Add(time.Second)) {
				t.Errorf("Latest(%+v)[%d].ReceivedAt = %v, want between %v and now", c.f, i, e.ReceivedAt, start)
			}
		}
	}
	for _, limit := range []int{0, -1} {
		if got, err := s.Latest(ctx, ingest.Filter{Limit: limit}); err == nil {
			t.Errorf("Latest(limit %d) = %d events, nil, want an error", limit, len(got))
		}
	}
}

func testCountRejected(t *testing.T, s Store) {
	ctx := context.Background()
	if got, err := s.CountRejected(ctx, ""); err != nil || len(got) != 0 {
		t.Errorf("CountRejected(\"\") on an empty store = %v, %v, want none", got, err)
	}
	r := ingest.Rejection{ID: "x", Reason: "invalid", Raw: []byte(`{}`)}
	for _, b := range []ingest.Batch{
		{Device: "dev-a", Events: events("dev-a", 0, 2), Rejected: []ingest.Rejection{r, r}},
		{Device: "dev-a", Rejected: []ingest.Rejection{r}},
		{Device: "dev-b", Rejected: []ingest.Rejection{r}},
		{Device: "dev-c", Events: events("dev-c", 0, 1)},
	} {
		if _, err := s.Save(ctx, b); err != nil {
			t.Fatalf("Save(%s) = %v", b.Device, err)
		}
	}
	for _, c := range []struct {
		device string
		want   map[string]int64
	}{
		{"", map[string]int64{"dev-a": 3, "dev-b": 1}},
		{"dev-a", map[string]int64{"dev-a": 3}},
		{"dev-c", map[string]int64{}},
	} {
		if got, err := s.CountRejected(ctx, c.device); err != nil || !maps.Equal(got, c.want) {
			t.Errorf("CountRejected(%q) = %v, %v, want %v", c.device, got, err, c.want)
		}
	}
}

// keys names events by (source, id), in the order given.
func keys(es []ingest.Event) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Source+" "+e.ID)
	}
	return out
}

// sameJSON reports whether a and b are the same JSON value: PostgreSQL's
// jsonb gives data back normalized, not byte for byte.
func sameJSON(a, b []byte) bool {
	var va, vb any
	return json.Unmarshal(a, &va) == nil && json.Unmarshal(b, &vb) == nil && reflect.DeepEqual(va, vb)
}

// Attendance returns an attendance event number n of device for meeting.
func Attendance(device string, n int, meeting, person string) ingest.Event {
	e := Event(device, n)
	e.Type = "vn.roomgate.attendance.v1"
	e.Data = json.RawMessage(fmt.Sprintf(`{"meeting":%q,"title":"Họp giao ban","person":%q,"name":"Nguyễn Văn An","method":"face","score":0.61,"late":false,"at":%q}`,
		meeting, person, e.Time.Format(time.RFC3339Nano)))
	return e
}

func testAttendance(t *testing.T, s Store) {
	ctx := context.Background()
	m1a := Attendance("dev-a", 3, "M-1", "P-1")
	m1b := Attendance("dev-b", 1, "M-1", "P-2")
	m2 := Attendance("dev-a", 2, "M-2", "P-1")
	other := Event("dev-a", 4) // an entry that names a meeting is no attendance
	other.Data = json.RawMessage(`{"meeting":"M-1"}`)
	for _, b := range []ingest.Batch{
		{Device: "dev-a", Events: []ingest.Event{m1a, m2, other}},
		{Device: "dev-b", Events: []ingest.Event{m1b}},
	} {
		if _, err := s.Save(ctx, b); err != nil {
			t.Fatalf("Save(%s) = %v", b.Device, err)
		}
	}
	for _, c := range []struct {
		meeting string
		want    []ingest.Event
	}{
		{"", []ingest.Event{m1b, m2, m1a}},
		{"M-1", []ingest.Event{m1b, m1a}},
		{"M-2", []ingest.Event{m2}},
		{"M-3", nil},
	} {
		got, err := s.Attendance(ctx, c.meeting)
		if err != nil {
			t.Errorf("Attendance(%q) = %v", c.meeting, err)
			continue
		}
		var gotEvents []ingest.Event
		for _, e := range got {
			gotEvents = append(gotEvents, e.Event)
			if want := strings.TrimPrefix(e.Source, "roomgate://hq/"); e.Device != want {
				t.Errorf("Attendance(%q): event %s of device %s, want %s", c.meeting, e.ID, e.Device, want)
			}
		}
		if !slices.Equal(keys(gotEvents), keys(c.want)) {
			t.Errorf("Attendance(%q) = %v, want %v (oldest first)", c.meeting, keys(gotEvents), keys(c.want))
		}
		for i := range min(len(got), len(c.want)) {
			if !sameJSON(got[i].Data, c.want[i].Data) {
				t.Errorf("Attendance(%q)[%d].Data = %s, want %s", c.meeting, i, got[i].Data, c.want[i].Data)
			}
		}
	}
}

// Entry returns an entry event number n of device at site, as the gate
// writes it for a pass.
func Entry(site, device string, n int, passID, method, decision string) ingest.Event {
	e := Event(device, n)
	e.Source = "roomgate://" + site + "/" + device
	e.Data = json.RawMessage(fmt.Sprintf(`{"site":%q,"gate":"main-gate","scanner":"front","method":%q,"decision":%q,"pass_id":%q,"clock_trusted":true,"scan_sha256":""}`,
		site, method, decision, passID))
	return e
}

func testPassUses(t *testing.T, s Store) {
	ctx := context.Background()
	for _, b := range []ingest.Batch{
		{Device: "dev-a", Events: []ingest.Event{
			Entry("hq", "dev-a", 1, "P-1", "pass", "granted"),
			Entry("hq", "dev-a", 2, "P-1", "pass", "denied"),
			Entry("hq", "dev-a", 3, "P-2", "pass", "granted"),
		}},
		{Device: "dev-b", Events: []ingest.Event{Entry("hq", "dev-b", 1, "P-1", "pass", "granted")}},
		// Sent again: stored once, counted once.
		{Device: "dev-b", Events: []ingest.Event{Entry("hq", "dev-b", 1, "P-1", "pass", "granted")}},
		// A registered visit's id is no pass id, and another site's box is
		// another site's.
		{Device: "dev-c", Events: []ingest.Event{Event("dev-c", 9), Entry("hq", "dev-c", 1, "P-1", "cccd", "granted")}},
		{Device: "dev-x", Events: []ingest.Event{Entry("annex", "dev-x", 1, "P-1", "pass", "granted")}},
	} {
		if _, err := s.Save(ctx, b); err != nil {
			t.Fatalf("Save(%s) = %v", b.Device, err)
		}
	}
	for _, c := range []struct {
		site, pass string
		want       int
		devices    []string
	}{
		{"hq", "P-1", 2, []string{"dev-a", "dev-b", "dev-c"}},
		{"hq", "P-2", 1, []string{"dev-a", "dev-b", "dev-c"}},
		{"hq", "P-3", 0, []string{"dev-a", "dev-b", "dev-c"}},
		{"annex", "P-1", 1, []string{"dev-x"}},
		{"h", "P-1", 0, nil},
		{"nowhere", "P-1", 0, nil},
	} {
		n, devices, err := s.PassUses(ctx, c.site, c.pass)
		if err != nil || n != c.want || !slices.Equal(devices, c.devices) {
			t.Errorf("PassUses(%s, %s) = %d, %q, %v, want %d, %q", c.site, c.pass, n, devices, err, c.want, c.devices)
		}
	}
}
