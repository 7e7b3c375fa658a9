package agent

import (
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/internal/mqtttest"
	"github.com/roomgate/roomgate/internal/socat"
)

// The city's schedule reaches the box through the broker and is reported
// in state; a malformed one is refused there with its reason.
func TestMeetingsThroughBroker(t *testing.T) {
	c := &city{broker: mqtttest.Start(t)}
	o := startOps(t, c.broker)
	dir := t.TempDir()
	startAgent(t, c.boxConfig(t, dir, socat.Pair(t, dir).Device, newIssuer(t)))
	o.waitState(t, "the box online", func(st wire.State) bool { return st.Online && st.Link.Connected })

	start := time.Now().Add(time.Hour).Truncate(time.Second).UTC()
	o.publish(t, wire.LeafMeetings, true, wire.Schedule{Version: 5, Meetings: []wire.Meeting{{ID: "m1", Title: "Họp giao ban", Room: "P.301",
		Start: start, End: start.Add(time.Hour), CheckInOpens: start.Add(-30 * time.Minute), CheckInCloses: start.Add(15 * time.Minute),
		Invitees: []wire.Invitee{{Person: "p1", Name: "Nguyễn Văn A"}}}}})
	o.waitState(t, "schedule v5 applied", func(st wire.State) bool {
		return st.Schedule == wire.Applied{Version: 5, Applied: true} && st.Versions.Schedule == 5
	})
	o.publish(t, wire.LeafMeetings, true, map[string]any{"version": 6, "meetings": []map[string]any{{"id": "m1", "title": "x", "start": start, "end": start}}})
	st := o.waitState(t, "the malformed schedule refused", func(st wire.State) bool { return st.Schedule.Error != "" })
	if !strings.Contains(st.Schedule.Error, "are all required") || st.Versions.Schedule != 5 {
		t.Errorf("state after a malformed schedule: schedule %+v, versions %+v; want its reason and v5 still in force", st.Schedule, st.Versions)
	}
}
