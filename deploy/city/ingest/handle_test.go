package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/agent/wire"
)

func event(id, source string) string {
	return fmt.Sprintf(`{"specversion":"1.0","id":%q,"source":%q,"type":"vn.roomgate.entry.v1","time":"2026-03-02T08:00:00Z","datacontenttype":"application/json","data":{"ok":true}}`, id, source)
}

// call is a vn.roomgate.call.v1 event of dev-a at hq in state (JSON).
func call(id, source, state string) string {
	return fmt.Sprintf(`{"specversion":"1.0","id":%q,"source":%q,"type":"vn.roomgate.call.v1","time":"2026-03-02T08:00:00Z","datacontenttype":"application/json",`+
		`"data":{"site":"hq","room":"P.301","device":"dev-a","meeting":"M-1","bridge":"sip:a@b","terminal":"poly","state":%s,"by":"schedule","at":"2026-03-02T08:00:00Z"}}`, id, source, state)
}

func TestDecode(t *testing.T) {
	good := event("e-1", "roomgate://hq/dev-a")
	for _, c := range []struct {
		name, payload    string
		events, rejected int
		ids              []string
		malformed        bool
	}{
		{"one", "[" + good + "]", 1, 0, []string{"e-1"}, false},
		// A type ingest has no summary for (a kiosk's wrong PIN) is stored like any other.
		{"login failure", "[" + strings.Replace(good, "entry.v1", "login_failed.v1", 1) + "]", 1, 0, []string{"e-1"}, false},
		{"foreign source", "[" + good + "," + event("e-2", "roomgate://hq/dev-b") + "]", 1, 1, []string{"e-1", "e-2"}, false},
		{"no id", `[` + good + `,{"source":"roomgate://hq/dev-a"}]`, 1, 1, []string{"e-1"}, false},
		{"id the box cannot be told", "[" + event("has space", "roomgate://hq/dev-a") + "]", 0, 1, []string{}, false},
		{"unknown key", `[` + strings.Replace(good, `"data"`, `"extra":1,"data"`, 1) + `]`, 0, 1, []string{"e-1"}, false},
		{"call", "[" + call("e-1", "roomgate://hq/dev-a", `"connected"`) + "]", 1, 0, []string{"e-1"}, false},
		{"call in an unknown state", "[" + call("e-1", "roomgate://hq/dev-a", `"ringing"`) + "," + call("e-2", "roomgate://hq/dev-a", `"failed"`) + "]", 1, 1, []string{"e-1", "e-2"}, false},
		{"call without a state", "[" + call("e-1", "roomgate://hq/dev-a", `null`) + "]", 0, 1, []string{"e-1"}, false},
		{"call of another box", "[" + strings.Replace(call("e-1", "roomgate://hq/dev-a", `"connected"`), `"device":"dev-a"`, `"device":"dev-b"`, 1) + "]", 0, 1, []string{"e-1"}, false},
		{"call with an unknown field", "[" + strings.Replace(call("e-1", "roomgate://hq/dev-a", `"connected"`), `"by"`, `"volume":3,"by"`, 1) + "]", 0, 1, []string{"e-1"}, false},
		{"not json", "nope", 0, 0, nil, true},
		{"empty", "[]", 0, 0, nil, true},
		{"not objects", "[1]", 0, 0, nil, true},
	} {
		b, ids, err := Decode("dev-a", []byte(c.payload))
		if c.malformed {
			if err == nil {
				t.Errorf("Decode(%s) = nil error, want malformed", c.name)
			}
			continue
		}
		if err != nil || len(b.Events) != c.events || len(b.Rejected) != c.rejected || !slices.Equal(ids, c.ids) || b.Device != "dev-a" {
			t.Errorf("Decode(%s) = %d events, %d rejected, ids %q, %v, want %d, %d, %q", c.name, len(b.Events), len(b.Rejected), ids, err, c.events, c.rejected, c.ids)
		}
	}
}

func TestAckPayloads(t *testing.T) {
	long := strings.Repeat("x", wire.MaxIDSize)
	for _, c := range []struct {
		n, size, want int
	}{
		{1, 36, 1},
		{wire.MaxAckIDs, 36, 1},
		{wire.MaxAckIDs + 1, 36, 2},
		{wire.MaxAckIDs, wire.MaxIDSize, 2}, // 10,000 ids of 64 bytes exceed 512 KiB
	} {
		var ids []string
		for i := range c.n {
			ids = append(ids, fmt.Sprintf("%0*d", c.size, i))
		}
		ps := AckPayloads(ids)
		var back []string
		for _, p := range ps {
			a, err := wire.DecodeAck(p)
			if err != nil {
				t.Fatalf("AckPayloads(%d ids of %d bytes): DecodeAck = %v", c.n, c.size, err)
			}
			back = append(back, a.IDs...)
		}
		if len(ps) != c.want || !slices.Equal(back, ids) {
			t.Errorf("AckPayloads(%d ids of %d bytes) = %d acks with %d ids, want %d acks with all", c.n, c.size, len(ps), len(back), c.want)
		}
	}
	if got := AckPayloads([]string{long, "<&>\"\\"}); len(got) != 1 {
		t.Errorf("AckPayloads(escaped ids) = %d acks, want 1", len(got))
	}
}

type memStore struct{ saved []Batch }

func (m *memStore) Save(_ context.Context, b Batch) (Saved, error) {
	m.saved = append(m.saved, b)
	return Saved{Stored: len(b.Events), Rejected: len(b.Rejected)}, nil
}

func (m *memStore) PassUses(context.Context, string, string) (int, []string, error) {
	return 0, nil, nil
}

type failingPublisher struct{ topics []string }

func (p *failingPublisher) Publish(_ context.Context, topic string, _ []byte, _ bool) error {
	p.topics = append(p.topics, topic)
	return errors.New("connection lost")
}

// TestAckFails: stored, but the ack could not be published, so the
// message is not acknowledged to the broker, which delivers it again.
func TestAckFails(t *testing.T) {
	store, pub := &memStore{}, &failingPublisher{}
	var problems []string
	in := New(Config{Store: store, OnProblem: func(err error) { problems = append(problems, err.Error()) }})
	in.pub = pub
	payload, _ := json.Marshal([]json.RawMessage{json.RawMessage(event("e-1", "roomgate://hq/dev-a"))})
	if in.handle(context.Background(), wire.Topic("dev-a", wire.LeafEvents), payload) {
		t.Errorf("handle with a failing ack = true, want false (not acknowledged to the broker)")
	}
	if len(store.saved) != 1 || !slices.Equal(pub.topics, []string{"roomgate/v1/dev/dev-a/ack"}) {
		t.Errorf("saved %d batches, published to %q, want 1 and the ack topic", len(store.saved), pub.topics)
	}
	if st := in.Stats(); st.AckErrors != 1 || st.Acks != 0 || st.Stored != 1 {
		t.Errorf("Stats() = %+v, want 1 stored, 1 ack error", st)
	}
	if len(problems) != 1 || !strings.Contains(problems[0], "connection lost") {
		t.Errorf("problems = %q, want the ack failure", problems)
	}
	// A message on a topic that is not an events topic is dropped.
	if !in.handle(context.Background(), "roomgate/v1/dev/dev-a/state", payload) || in.Stats().Malformed != 1 {
		t.Errorf("handle(state topic) did not drop the message: %+v", in.Stats())
	}
}

// A revoked device's messages are dropped: nothing stored, no ack, the
// refusal counted and told; another device's go through.
func TestRevokedDeviceRefused(t *testing.T) {
	store, pub := &memStore{}, &failingPublisher{}
	var problems []string
	in := New(Config{Store: store, Revoked: func(device string) bool { return device == "dev-a" },
		OnProblem: func(err error) { problems = append(problems, err.Error()) }})
	in.pub = pub
	payload, _ := json.Marshal([]json.RawMessage{json.RawMessage(event("e-1", "roomgate://hq/dev-a"))})
	if !in.handle(context.Background(), wire.Topic("dev-a", wire.LeafEvents), payload) {
		t.Error("the revoked device's message was not taken off the broker")
	}
	if len(store.saved) != 0 || len(pub.topics) != 0 {
		t.Errorf("a revoked device's message: saved %d batches, acked on %q; want neither", len(store.saved), pub.topics)
	}
	if st := in.Stats(); st.Refused != 1 || st.Stored != 0 {
		t.Errorf("Stats() = %+v, want 1 refused", st)
	}
	if len(problems) != 1 || !strings.Contains(problems[0], "dev-a") || !strings.Contains(problems[0], "revoked") {
		t.Errorf("problems = %q, want the refusal of dev-a", problems)
	}
	other, _ := json.Marshal([]json.RawMessage{json.RawMessage(event("e-2", "roomgate://hq/dev-b"))})
	in.handle(context.Background(), wire.Topic("dev-b", wire.LeafEvents), other)
	if len(store.saved) != 1 || store.saved[0].Device != "dev-b" {
		t.Errorf("another device's message: saved %+v, want dev-b's batch", store.saved)
	}
}
