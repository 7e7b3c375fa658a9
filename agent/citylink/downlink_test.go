package citylink

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/citysign"
	"github.com/roomgate/roomgate/agent/wire"
)

const key1 = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"

func TestMalformedDownlinkIsRefused(t *testing.T) {
	dl := &fakeDownlink{}
	log, logs := testLog(t)
	l, s, pub := newTestLink(t, Settings{Log: log}, &memOutbox{}, dl)
	topic := func(leaf string) string { return wire.Topic(testDevice, leaf) }
	for _, tt := range []struct {
		name, topic, payload string
	}{
		{"ack bad json", topic(wire.LeafAck), `{"ids":[`},
		{"ack wrong type", topic(wire.LeafAck), `{"ids":"a"}`},
		{"ack empty", topic(wire.LeafAck), `{"ids":[]}`},
		{"config wrong type", topic(wire.LeafConfig), `{"version":"3","yaml":"a"}`},
		{"config unknown field", topic(wire.LeafConfig), `{"version":3,"yaml":"a","force":true}`},
		{"config huge", topic(wire.LeafConfig), `{"version":3,"yaml":"` + strings.Repeat("a", wire.MaxConfigSize) + `"}`},
		{"trust bad key", topic(wire.LeafTrust), `{"version":1,"issuers":[{"kid":"k","public_key":"AAAA"}]}`},
		{"cmd bad json", topic(wire.LeafCmd), `{"id":"c1","name":`},
		{"cmd no id", topic(wire.LeafCmd), `{"name":"ping"}`},
		{"other device", wire.Topic("gate-8", wire.LeafAck), `{"ids":["a"]}`},
		{"meetings bad json", topic(wire.LeafMeetings), `{"version":1,"meetings":[`},
		{"meetings invalid", topic(wire.LeafMeetings), `{"version":0}`},
		{"manifest invalid", topic(wire.LeafGalleryManifest), `{"version":1,"model":"m"}`},
		{"chunk invalid", wire.GalleryChunkTopic(testDevice, 0), `{"version":1,"index":0,"people":[]}`},
		{"not ours", "roomgate/v1/dev/gate-7/gallery/other", `{}`},
		{"leaf we publish", topic(wire.LeafState), `{"online":true}`},
		{"binary", topic(wire.LeafCmd), "\x00\xff\xfe"},
		{"uses invalid", topic(wire.LeafUses), `{"site":"hq","passes":[{"id":"p","count":0}]}`},
		{"visits unsigned", topic(wire.LeafVisits), `{"version":1,"visits":[]}`},
		{"uses of another site", topic(wire.LeafUses), `{"site":"annex","passes":[{"id":"p","count":1}]}`},
	} {
		before := l.Status().Refused
		if !l.handle(s, tt.topic, []byte(tt.payload)) {
			t.Errorf("%s: handle() = false, want a refused message acknowledged (it will not get better)", tt.name)
		}
		if got := l.Status().Refused; got != before+1 {
			t.Errorf("%s: Refused = %d, want %d", tt.name, got, before+1)
		}
	}
	if c, tr, cmd := dl.counts(); c+tr+cmd+len(dl.schedules)+len(dl.uses)+len(dl.visits) != 0 {
		t.Errorf("malformed messages reached the agent: %d configs, %d trusts, %d schedules, %d commands", c, tr, len(dl.schedules), cmd)
	}
	if st := l.state(); !strings.Contains(st.Schedule.Error, "version 0") || st.Schedule.Applied {
		t.Errorf("state().Schedule after a malformed schedule = %+v, want its error", st.Schedule)
	}
	if n := len(pub.take(l.topics.cmdResult)); n != 0 {
		t.Errorf("%d results published for commands without an id", n)
	}
	if n := strings.Count(logs.String(), `msg="downlink message refused" component=citylink`); n != 20 {
		t.Errorf("%d refusals logged with component=citylink, want 20", n)
	}
}

func TestConfigOutcomeInState(t *testing.T) {
	dl := &fakeDownlink{}
	l, s, _ := newTestLink(t, Settings{}, &memOutbox{}, dl)
	cfg := func(v int, yaml string) []byte {
		return signed(t, testDevice, wire.Config{Version: int64(v), YAML: yaml})
	}
	refused := cfg(4, "sync:\n  window: bogus\n")
	l.handle(s, l.topics.config, refused)
	st := l.state()
	if st.Config.Version != 4 || st.Config.Applied || !strings.Contains(st.Config.Error, "sync.window") || !strings.Contains(st.LastError, "config version 4 refused") {
		t.Errorf("state() after a refused config: config %+v, last_error %q", st.Config, st.LastError)
	}
	if l.Status().Refused != 1 {
		t.Errorf("Refused = %d, want 1", l.Status().Refused)
	}
	// The retained message again (a reconnect) is not applied twice.
	l.handle(s, l.topics.config, refused)
	if c, _, _ := dl.counts(); c != 1 {
		t.Errorf("the same config reached the agent %d times, want 1", c)
	}
	l.handle(s, l.topics.config, cfg(5, "sync:\n  window: 8\n"))
	st = l.state()
	if st.Config != (wire.Applied{Version: 5, Applied: true}) || st.LastError != "" {
		t.Errorf("state() after an applied config: config %+v, last_error %q", st.Config, st.LastError)
	}
	// An older version that arrives late is ignored.
	l.handle(s, l.topics.config, cfg(3, "old"))
	if c, _, _ := dl.counts(); c != 2 || l.state().Config.Version != 5 {
		t.Errorf("an older config reached the agent (%d configs) or replaced state %+v", c, l.state().Config)
	}

	trust := signed(t, testDevice, wire.Trust{Version: 2, Issuers: []wire.TrustIssuer{{Kid: "k1", PublicKey: key1}}, Revoked: []string{"p1"}})
	l.handle(s, l.topics.trust, trust)
	if st := l.state(); st.Trust != (wire.Applied{Version: 2, Applied: true}) {
		t.Errorf("state().Trust = %+v, want version 2 applied", st.Trust)
	}
	if len(dl.trusts) != 1 || dl.trusts[0].Issuers[0].Kid != "k1" || dl.trusts[0].Revoked[0] != "p1" {
		t.Errorf("agent got trust %+v", dl.trusts)
	}

	l.handle(s, l.topics.visits, signed(t, testDevice, wire.Visits{Version: 7, Visits: []wire.Visit{}}))
	l.handle(s, l.topics.visits, signed(t, "gate-8", wire.Visits{Version: 8, Visits: []wire.Visit{}}))
	if st := l.state(); len(dl.visits) != 1 || dl.visits[0].Version != 7 || !strings.Contains(st.Visits.Error, "for another device") {
		t.Errorf("agent got visits %+v, state().Visits = %+v; want v7 applied and v8, signed for another box, refused", dl.visits, st.Visits)
	}
}

func TestCommands(t *testing.T) {
	dl := &fakeDownlink{}
	ob := &memOutbox{}
	l, s, pub := newTestLink(t, Settings{}, ob, dl)
	results := func() []wire.CommandResult {
		var out []wire.CommandResult
		for _, m := range pub.take(l.topics.cmdResult) {
			r, err := wire.DecodeCommandResult(m.payload)
			if err != nil {
				t.Fatalf("published result %s does not decode: %v", m.payload, err)
			}
			out = append(out, r)
		}
		return out
	}
	cmd := func(id, name string) []byte { return signed(t, testDevice, wire.Command{ID: id, Name: name}) }
	if !l.handle(s, l.topics.cmd, cmd("c1", "ping")) {
		t.Fatal("handle(ping) = false")
	}
	if r := results(); len(r) != 1 || r[0].ID != "c1" || !r[0].OK || string(r[0].Result.(json.RawMessage)) != `{"pong":true}` {
		t.Errorf("ping results = %+v", r)
	}
	l.handle(s, l.topics.cmd, signed(t, testDevice, wire.Command{ID: "c2", Name: "open_door", Args: json.RawMessage(`{}`)}))
	if r := results(); len(r) != 1 || r[0].ID != "c2" || r[0].OK || r[0].Error != "door: not configured" {
		t.Errorf("open_door results = %+v", r)
	}
	l.handle(s, l.topics.cmd, cmd("c3", "format_disk"))
	if r := results(); len(r) != 1 || r[0].ID != "c3" || r[0].OK || !strings.Contains(r[0].Error, "unknown command") {
		t.Errorf("unknown command results = %+v", r)
	}
	if l.Status().Refused != 1 {
		t.Errorf("Refused = %d, want 1 (the unknown command)", l.Status().Refused)
	}

	// Redeliveries of an id, even concurrent ones, run the command once
	// and answer each.
	var wg sync.WaitGroup
	resync := cmd("c4", "resync")
	for range 5 {
		wg.Add(1)
		go func() { defer wg.Done(); l.handle(s, l.topics.cmd, resync) }()
	}
	wg.Wait()
	r := results()
	if _, _, n := dl.counts(); n != 3 {
		t.Errorf("the agent ran %d commands, want 3 (ping, open_door, resync once)", n)
	}
	if len(r) != 5 {
		t.Errorf("%d results for 5 deliveries of c4, want 5", len(r))
	}
	for _, x := range r {
		if x.ID != "c4" || !x.OK {
			t.Errorf("result %+v, want c4 ok", x)
		}
	}

	// After a restart (a new link on the same store) a redelivered id is
	// answered as before and not run.
	l2, s2, pub2 := newTestLink(t, Settings{}, ob, dl)
	l2.handle(s2, l2.topics.cmd, cmd("c1", "ping"))
	if msgs := pub2.take(l2.topics.cmdResult); len(msgs) != 1 || !strings.Contains(string(msgs[0].payload), `"pong":true`) {
		t.Errorf("c1 redelivered after a restart: results %v, want the first answer", msgs)
	}
	if _, _, n := dl.counts(); n != 3 {
		t.Errorf("the agent ran %d commands, want still 3", n)
	}
}

// TestCommandsRefused: what is late, unsigned or not for this box never
// reaches the agent; only a command signed for it takes its id.
func TestCommandsRefused(t *testing.T) {
	dl := &fakeDownlink{}
	ob := &memOutbox{}
	l, s, pub := newTestLink(t, Settings{}, ob, dl)
	answer := func() string {
		msgs := pub.take(l.topics.cmdResult)
		if len(msgs) != 1 {
			return fmt.Sprintf("%d results", len(msgs))
		}
		r, err := wire.DecodeCommandResult(msgs[0].payload)
		if err != nil || r.OK {
			return fmt.Sprintf("%+v, %v", r, err)
		}
		return r.Error
	}
	late, err := testCity.Command(testDevice, wire.Command{ID: "c-late", Name: wire.CmdOpenDoor}, time.Now().Add(-time.Minute), 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	l.handle(s, l.topics.cmd, late)
	if a := answer(); !strings.Contains(a, "expired") {
		t.Errorf("an expired open_door: answer %q, want expired", a)
	}
	ahead, _ := testCity.Command(testDevice, wire.Command{ID: "c-ahead", Name: wire.CmdOpenDoor}, time.Now().Add(time.Minute), 30*time.Second)
	l.handle(s, l.topics.cmd, ahead)
	if a := answer(); !strings.Contains(a, "ahead of the box's clock") {
		t.Errorf("an open_door issued a minute ahead: answer %q, want refused", a)
	}
	long, _ := testCity.Command(testDevice, wire.Command{ID: "c-long", Name: wire.CmdOpenDoor}, time.Now(), time.Hour)
	l.handle(s, l.topics.cmd, long)
	if a := answer(); !strings.Contains(a, "limit") {
		t.Errorf("an open_door living an hour: answer %q, want refused", a)
	}
	// The expired one redelivered gets the same answer.
	l.handle(s, l.topics.cmd, late)
	if a := answer(); !strings.Contains(a, "expired") {
		t.Errorf("the expired open_door again: answer %q, want expired", a)
	}

	other := citysign.Signer{Key: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, ed25519.SeedSize)), Kid: "city-ops"}
	forged, _ := other.Command(testDevice, wire.Command{ID: "c-next", Name: wire.CmdOpenDoor}, time.Now(), 0)
	for _, p := range [][]byte{
		[]byte(`{"id":"c-next","name":"open_door"}`),
		forged,
		signed(t, "gate-8", wire.Command{ID: "c-next", Name: wire.CmdOpenDoor}),
	} {
		l.handle(s, l.topics.cmd, p)
		pub.take(l.topics.cmdResult)
	}
	if _, _, n := dl.counts(); n != 0 {
		t.Fatalf("the agent ran %d commands, want none", n)
	}
	// None of them took the id: the real command still runs.
	l.handle(s, l.topics.cmd, signed(t, testDevice, wire.Command{ID: "c-next", Name: wire.CmdOpenDoor}))
	if a := answer(); a != "door: not configured" {
		t.Errorf("the signed c-next: answer %q, want it run", a)
	}
	if l.Status().Refused != 6 {
		t.Errorf("Refused = %d, want 6", l.Status().Refused)
	}
}

func TestScheduleOutcomeInState(t *testing.T) {
	dl := &fakeDownlink{}
	l, s, _ := newTestLink(t, Settings{}, &memOutbox{}, dl)
	sched := func(v int, room string) []byte {
		b, _ := json.Marshal(wire.Schedule{Version: int64(v), Meetings: []wire.Meeting{{ID: "m1", Title: "Họp", Room: room,
			Start: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC),
			CheckInOpens: time.Date(2026, 3, 2, 8, 30, 0, 0, time.UTC), CheckInCloses: time.Date(2026, 3, 2, 9, 15, 0, 0, time.UTC),
			Invitees: []wire.Invitee{{Person: "p1", Name: "Nguyễn Văn A"}}}}})
		return b
	}
	l.handle(s, l.topics.meetings, sched(2, "P.301"))
	if st := l.state(); st.Schedule != (wire.Applied{Version: 2, Applied: true}) {
		t.Errorf("state().Schedule = %+v, want version 2 applied", st.Schedule)
	}
	l.handle(s, l.topics.meetings, sched(2, "P.301")) // the retained one again
	l.handle(s, l.topics.meetings, sched(1, "P.301")) // late and older
	if len(dl.schedules) != 1 || dl.schedules[0].Meetings[0].Invitees[0].Name != "Nguyễn Văn A" {
		t.Errorf("the agent got schedules %+v, want version 2 once", dl.schedules)
	}
	l.handle(s, l.topics.meetings, sched(3, "P.999"))
	if st := l.state(); st.Schedule.Version != 3 || st.Schedule.Applied || !strings.Contains(st.Schedule.Error, "not this one") || !strings.Contains(st.LastError, "meetings version 3 refused") {
		t.Errorf("state() after a refused schedule: schedule %+v, last_error %q", st.Schedule, st.LastError)
	}
}

// TestCommandInterruptedIsNotRunAgain: a command the box took and did not
// answer before it stopped may have run (the door may have opened): its
// redelivery is answered as interrupted, not run.
func TestCommandInterruptedIsNotRunAgain(t *testing.T) {
	dl := &fakeDownlink{}
	ob := &memOutbox{}
	if _, err := ob.StartCommand(context.Background(), "c-crash", wire.CmdOpenDoor, time.Now()); err != nil {
		t.Fatal(err)
	}
	l, s, pub := newTestLink(t, Settings{}, ob, dl)
	l.handle(s, l.topics.cmd, signed(t, testDevice, wire.Command{ID: "c-crash", Name: wire.CmdOpenDoor}))
	msgs := pub.take(l.topics.cmdResult)
	if len(msgs) != 1 || !strings.Contains(string(msgs[0].payload), "interrupted; not run again") {
		t.Errorf("results %v, want one saying interrupted", msgs)
	}
	if _, _, n := dl.counts(); n != 0 {
		t.Errorf("the agent ran %d commands, want 0", n)
	}
}

// Use counts of the box's own site reach the agent; when the agent cannot
// keep them, the message is left for the broker to deliver again.
func TestUsesReachAgent(t *testing.T) {
	dl := &fakeDownlink{}
	l, s, _ := newTestLink(t, Settings{}, &memOutbox{}, dl)
	payload := []byte(`{"site":"hq","passes":[{"id":"p-1","count":2}]}`)
	if !l.handle(s, l.topics.uses, payload) {
		t.Errorf("handle(uses) = false, want acknowledged")
	}
	dl.mu.Lock()
	got := dl.uses
	dl.failUses = true
	dl.mu.Unlock()
	if len(got) != 1 || got[0].Site != "hq" || len(got[0].Passes) != 1 || got[0].Passes[0] != (wire.PassUse{ID: "p-1", Count: 2}) {
		t.Errorf("agent got %+v, want one message with p-1 used twice", got)
	}
	if l.handle(s, l.topics.uses, payload) {
		t.Errorf("handle(uses) with the store failing = true, want left for redelivery")
	}
}
