package fleetbench

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/citylink"
	"github.com/roomgate/roomgate/agent/event"
	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/internal/mqtttest"
	"github.com/roomgate/roomgate/internal/tlsfiles"
)

// box is one simulated box: a meeting room's (attendance) or a gate's
// (entries). It has no devices; its records are written the way the
// agent's attendance and gate features write them, and its link is the
// agent's.
type box struct {
	name, site string
	room       bool
	st         *store.Store
	link       *citylink.Link
	n          int // records kept so far, for unique people and passes
	stop       context.CancelFunc
	done       chan struct{}
}

// newBox opens the box's store in dir and makes its link with a client
// certificate of its own from the broker's CA.
func newBox(t testing.TB, broker *mqtttest.Broker, dir, name, site string, room bool) *box {
	t.Helper()
	st, err := store.Open(filepath.Join(dir, name+".db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	certFile, keyFile := broker.ClientCert(t, name)
	tlsCfg, err := tlsfiles.Client(broker.CAFile, certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	b := &box{name: name, site: site, room: room, st: st}
	b.link, err = citylink.New(citylink.Settings{
		Broker: broker.URL, TLS: tlsCfg, Device: name, Site: site,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, st, quietDownlink{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *box) start() {
	ctx, cancel := context.WithCancel(context.Background())
	b.stop, b.done = cancel, make(chan struct{})
	go func() { defer close(b.done); b.link.Run(ctx) }()
}

func (b *box) halt() {
	if b.stop != nil {
		b.stop()
		<-b.done
	}
}

// event makes the box's next record as its feature would: a delegate's
// check-in in a room, a pass granted at a gate.
func (b *box) event(at time.Time) (store.Event, any, error) {
	b.n++
	var env event.Envelope
	var payload []byte
	var err error
	var rec any
	if b.room {
		a := store.Attendance{Meeting: "m-0800", Title: "Giao ban sáng", Person: fmt.Sprintf("d-%06d", b.n), Name: "Đại biểu " + fmt.Sprint(b.n),
			Unit: "UBND " + b.site, Seat: fmt.Sprintf("A%d", b.n%40), Method: "face", Score: 0.62, Invited: true, At: at}
		env, payload, err = event.New(event.Source(b.site, b.name), event.TypeAttendance, at, wire.Attendance{
			Site: b.site, Room: b.name, Device: b.name, Meeting: a.Meeting, Title: a.Title, Person: a.Person, Name: a.Name,
			Unit: a.Unit, Seat: a.Seat, Method: a.Method, Score: a.Score, Invited: true, At: at.UTC(),
		})
		a.ID = env.ID
		rec = a
	} else {
		e := store.Entry{At: at, Gate: b.name, Scanner: "front", Method: "pass", Granted: true, Reason: "valid",
			PassID: fmt.Sprintf("p-%s-%d", b.name, b.n), Subject: "visitor", Name: "Khách " + fmt.Sprint(b.n), Host: "Văn phòng", ClockTrusted: true}
		env, payload, err = event.New(event.Source(b.site, b.name), event.TypeEntry, at, map[string]any{
			"gate": e.Gate, "scanner": e.Scanner, "method": e.Method, "granted": true, "reason": e.Reason,
			"pass_id": e.PassID, "subject": e.Subject, "name": e.Name, "host": e.Host,
		})
		e.ID = env.ID
		rec = e
	}
	return store.Event{ID: env.ID, Type: env.Type, Time: env.Time, Payload: payload}, rec, err
}

// record keeps one record now, in its own transaction as the box does, and
// tells the link; it returns the event's id.
func (b *box) record(ctx context.Context) (string, error) {
	ev, rec, err := b.event(time.Now())
	if err != nil {
		return "", err
	}
	switch r := rec.(type) {
	case store.Attendance:
		_, err = b.st.AddAttendance(ctx, r, ev)
	case store.Entry:
		err = b.st.AddEntry(ctx, r, ev)
	}
	if err != nil {
		return "", err
	}
	b.link.Notify()
	return ev.ID, nil
}

// fillOutbox puts n events spread over the past span into the outbox in
// one transaction: what a box holds after that long offline. Keeping them
// one by one (as record does) would take an fsync each.
func (b *box) fillOutbox(path string, n int, span time.Duration) ([]string, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	ins, err := tx.Prepare(`INSERT INTO outbox(id, type, created_ns, payload) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, n)
	from := time.Now().Add(-span)
	for i := range n {
		ev, _, err := b.event(from.Add(span * time.Duration(i) / time.Duration(n)))
		if err != nil {
			return nil, err
		}
		if _, err := ins.Exec(ev.ID, ev.Type, ev.Time.UnixNano(), ev.Payload); err != nil {
			return nil, err
		}
		ids = append(ids, ev.ID)
	}
	return ids, tx.Commit()
}

// quietDownlink takes what the city sends besides acks and does nothing:
// the simulated boxes have no city key (so config, trust and commands are
// refused before they get here), no schedule to show and no gallery.
type quietDownlink struct{}

func (quietDownlink) Config(context.Context, wire.Config) error                   { return nil }
func (quietDownlink) Trust(context.Context, wire.Trust) error                     { return nil }
func (quietDownlink) Visits(context.Context, wire.Visits) error                   { return nil }
func (quietDownlink) Meetings(context.Context, wire.Schedule) error               { return nil }
func (quietDownlink) GalleryManifest(context.Context, wire.GalleryManifest) error { return nil }
func (quietDownlink) GalleryChunk(context.Context, wire.GalleryChunk, []byte) error {
	return nil
}
func (quietDownlink) Uses(context.Context, wire.Uses) error { return nil }
func (quietDownlink) Command(_ context.Context, c wire.Command) wire.CommandResult {
	return wire.CommandResult{Error: "a simulated box runs no commands"}
}

// ledger is every event id the fleet kept, for the count at the city.
type ledger struct {
	mu   sync.Mutex
	ids  map[string]bool
	live int          // kept during the run, not in the outbox beforehand
	busy atomic.Int64 // records refused by a locked store and tried again
}

func (l *ledger) add(live bool, ids ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range ids {
		l.ids[id] = true
	}
	if live {
		l.live += len(ids)
	}
}

func (l *ledger) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.ids)
}
