package citylink

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

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
	if c, tr, cmd := dl.counts(); c+tr+cmd+len(dl.schedules)+len(dl.uses) != 0 {
		t.Errorf("malformed messages reached the agent: %d configs, %d trusts, %d schedules, %d commands", c, tr, len(dl.schedules), cmd)
	}
	if st := l.state(); !strings.Contains(st.Schedule.Error, "version 0") || st.Schedule.Applied {
		t.Errorf("state().Schedule after a malformed schedule = %+v, want its error", st.Schedule)
	}
	if n := len(pub.take(l.topics.cmdResult)); n != 0 {
		t.Errorf("%d results published for commands without an id", n)
	}
	if n := strings.Count(logs.String(), `msg="downlink message refused" component=citylink`); n != 19 {
		t.Errorf("%d refusals logged with component=citylink, want 19", n)
	}
}

func TestConfigOutcomeInState(t *testing.T) {
	dl := &fakeDownlink{}
	l, s, _ := newTestLink(t, Settings{}, &memOutbox{}, dl)
	cfg := func(v int, yaml string) []byte {
		b, _ := json.Marshal(wire.Config{Version: int64(v), YAML: yaml})
		return b
	}
	l.handle(s, l.topics.config, cfg(4, "sync:\n  window: bogus\n"))
	st := l.state()
	if st.Config.Version != 4 || st.Config.Applied || !strings.Contains(st.Config.Error, "sync.window") || !strings.Contains(st.LastError, "config version 4 refused") {
		t.Errorf("state() after a refused config: config %+v, last_error %q", st.Config, st.LastError)
	}
	if l.Status().Refused != 1 {
		t.Errorf("Refused = %d, want 1", l.Status().Refused)
	}
	// The retained message again (a reconnect) is not applied twice.
	l.handle(s, l.topics.config, cfg(4, "sync:\n  window: bogus\n"))
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

	trust, _ := json.Marshal(wire.Trust{Version: 2, Issuers: []wire.TrustIssuer{{Kid: "k1", PublicKey: key1}}, Revoked: []string{"p1"}})
	l.handle(s, l.topics.trust, trust)
	if st := l.state(); st.Trust != (wire.Applied{Version: 2, Applied: true}) {
		t.Errorf("state().Trust = %+v, want version 2 applied", st.Trust)
	}
	if len(dl.trusts) != 1 || dl.trusts[0].Issuers[0].Kid != "k1" || dl.trusts[0].Revoked[0] != "p1" {
		t.Errorf("agent got trust %+v", dl.trusts)
	}
}

func TestCommands(t *testing.T) {
	dl := &fakeDownlink{}
	l, s, pub := newTestLink(t, Settings{}, &memOutbox{}, dl)
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
	if !l.handle(s, l.topics.cmd, []byte(`{"id":"c1","name":"ping"}`)) {
		t.Fatal("handle(ping) = false")
	}
	if r := results(); len(r) != 1 || r[0].ID != "c1" || !r[0].OK || string(r[0].Result.(json.RawMessage)) != `{"pong":true}` {
		t.Errorf("ping results = %+v", r)
	}
	l.handle(s, l.topics.cmd, []byte(`{"id":"c2","name":"open_door","args":{}}`))
	if r := results(); len(r) != 1 || r[0].ID != "c2" || r[0].OK || r[0].Error != "door: not configured" {
		t.Errorf("open_door results = %+v", r)
	}
	l.handle(s, l.topics.cmd, []byte(`{"id":"c3","name":"format_disk"}`))
	if r := results(); len(r) != 1 || r[0].ID != "c3" || r[0].OK || !strings.Contains(r[0].Error, "unknown command") {
		t.Errorf("unknown command results = %+v", r)
	}
	if l.Status().Refused != 1 {
		t.Errorf("Refused = %d, want 1 (the unknown command)", l.Status().Refused)
	}

	// Redeliveries of an id, even concurrent ones, run the command once
	// and answer each.
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() { defer wg.Done(); l.handle(s, l.topics.cmd, []byte(`{"id":"c4","name":"resync"}`)) }()
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
	// The cache is bounded: an id evicted long ago runs again.
	for i := range commandCache {
		l.handle(s, l.topics.cmd, []byte(`{"id":"fill-`+string(rune('a'+i%26))+strings.Repeat("x", i/26)+`","name":"ping"}`))
	}
	if len(l.cmds) > commandCache || len(l.cmdOrder) > commandCache {
		t.Errorf("command cache holds %d/%d ids, limit %d", len(l.cmds), len(l.cmdOrder), commandCache)
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
