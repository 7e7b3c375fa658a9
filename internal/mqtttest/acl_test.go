package mqtttest

import (
	"fmt"
	"strings"
	"testing"
)

// marker returns who publishes a message that subscriber cn may receive, and
// where: sent after the message under test, its arrival proves that the
// broker has decided about the earlier one, since a subscriber gets messages
// in the order the broker handled them.
func marker(cn string) (publisher, topic string) {
	switch cn {
	case "city-ingest":
		return "dev-m", "roomgate/v1/dev/dev-m/events"
	case "city-ops":
		return "dev-m", "roomgate/v1/dev/dev-m/state"
	default:
		return "city-ingest", "roomgate/v1/dev/" + cn + "/ack"
	}
}

// The shipped ACL, seen from the receiving side.
func TestACL(t *testing.T) {
	b := Start(t)
	for _, tc := range []struct {
		pub, topic  string
		sub, filter string
		want        bool
	}{
		{"city-ops", "roomgate/v1/dev/dev-a/config", "dev-a", "roomgate/v1/dev/dev-a/config", true},
		{"city-ops", "roomgate/v1/dev/dev-a/trust", "dev-a", "roomgate/v1/dev/dev-a/trust", true},
		{"city-ops", "roomgate/v1/dev/dev-a/cmd", "dev-a", "roomgate/v1/dev/dev-a/cmd", true},
		{"city-ops", "roomgate/v1/dev/dev-a/visits", "dev-a", "roomgate/v1/dev/dev-a/visits", true},
		{"city-ops", "roomgate/v1/dev/dev-a/meetings", "dev-a", "roomgate/v1/dev/dev-a/meetings", true},
		{"city-ops", "roomgate/v1/dev/dev-a/gallery/v3/chunk/1", "dev-a", "roomgate/v1/dev/dev-a/gallery/#", true},
		{"city-ingest", "roomgate/v1/dev/dev-a/ack", "dev-a", "roomgate/v1/dev/dev-a/ack", true},
		{"city-ingest", "roomgate/v1/dev/dev-a/uses", "dev-a", "roomgate/v1/dev/dev-a/uses", true},
		{"dev-a", "roomgate/v1/dev/dev-a/events", "city-ingest", "$share/ingest/roomgate/v1/dev/+/events", true},
		{"dev-a", "roomgate/v1/dev/dev-a/state", "city-ingest", "roomgate/v1/dev/+/state", true},
		{"dev-a", "roomgate/v1/dev/dev-a/state", "city-ops", "roomgate/v1/dev/+/state", true},
		{"dev-a", "roomgate/v1/dev/dev-a/cmd/result", "city-ops", "roomgate/v1/dev/+/cmd/result", true},

		// Boxes stay inside their own root: B cannot publish as A, nor
		// read A's acks or commands.
		{"dev-b", "roomgate/v1/dev/dev-a/events", "city-ingest", "$share/ingest/roomgate/v1/dev/+/events", false},
		{"dev-b", "roomgate/v1/dev/dev-a/state", "city-ops", "roomgate/v1/dev/+/state", false},
		{"city-ingest", "roomgate/v1/dev/dev-a/ack", "dev-b", "roomgate/v1/dev/dev-a/ack", false},
		{"city-ops", "roomgate/v1/dev/dev-a/cmd", "dev-b", "roomgate/v1/dev/dev-a/cmd", false},
		{"city-ops", "roomgate/v1/dev/dev-a/config", "dev-b", "roomgate/v1/dev/+/config", false},
		{"dev-b", "roomgate/v1/dev/dev-a/cmd", "dev-a", "roomgate/v1/dev/dev-a/cmd", false},
		{"dev-b", "roomgate/v1/dev/dev-a/trust", "dev-a", "roomgate/v1/dev/dev-a/trust", false},
		{"dev-a", "roomgate/v1/dev/dev-a/state", "dev-b", "roomgate/v1/dev/+/state", false},
		{"dev-a", "roomgate/v1/dev/dev-a/events", "dev-b", "#", false},
		// Within its root a box cannot write what the city sends it.
		{"dev-a", "roomgate/v1/dev/dev-a/config", "dev-a", "roomgate/v1/dev/dev-a/config", false},
		{"dev-a", "roomgate/v1/dev/dev-a/trust", "dev-a", "roomgate/v1/dev/dev-a/trust", false},
		{"dev-a", "roomgate/v1/dev/dev-a/visits", "dev-a", "roomgate/v1/dev/dev-a/visits", false},
		{"city-ops", "roomgate/v1/dev/dev-a/visits", "dev-b", "roomgate/v1/dev/dev-a/visits", false},
		{"dev-a", "roomgate/v1/dev/dev-a/ack", "dev-a", "roomgate/v1/dev/dev-a/ack", false},
		{"dev-a", "roomgate/v1/dev/dev-a/uses", "dev-a", "roomgate/v1/dev/dev-a/uses", false},
		{"dev-b", "roomgate/v1/dev/dev-a/uses", "dev-a", "roomgate/v1/dev/dev-a/uses", false},
		{"city-ingest", "roomgate/v1/dev/dev-a/uses", "dev-b", "roomgate/v1/dev/dev-a/uses", false},
		{"city-ops", "roomgate/v1/dev/dev-a/uses", "dev-a", "roomgate/v1/dev/dev-a/uses", false},
		// Each city client only has its own part.
		{"city-ingest", "roomgate/v1/dev/dev-a/config", "dev-a", "roomgate/v1/dev/dev-a/config", false},
		{"city-ingest", "roomgate/v1/dev/dev-a/cmd", "dev-a", "roomgate/v1/dev/dev-a/cmd", false},
		{"city-ops", "roomgate/v1/dev/dev-a/ack", "dev-a", "roomgate/v1/dev/dev-a/ack", false},
		{"dev-a", "roomgate/v1/dev/dev-a/events", "city-ops", "roomgate/v1/dev/+/events", false},
		{"dev-a", "roomgate/v1/dev/dev-a/cmd/result", "city-ingest", "roomgate/v1/dev/+/cmd/result", false},
		// Neither may publish as a box.
		{"city-ops", "roomgate/v1/dev/dev-a/events", "city-ingest", "roomgate/v1/dev/+/events", false},
		{"city-ingest", "roomgate/v1/dev/dev-a/state", "city-ops", "roomgate/v1/dev/+/state", false},
	} {
		name := fmt.Sprintf("%s publishes %s, %s reads %s", tc.pub, tc.topic, tc.sub, tc.filter)
		t.Run(strings.ReplaceAll(name, "/", "."), func(t *testing.T) {
			mpub, mtopic := marker(tc.sub)
			sub, in := connect(t, b, tc.sub)
			subscribe(t, sub, tc.filter)
			if !strings.HasSuffix(tc.filter, mtopic) {
				subscribe(t, sub, mtopic)
			}
			pub := sub // one connection per client id: a second would take the first over
			if tc.pub != tc.sub {
				pub, _ = connect(t, b, tc.pub)
			}
			publish(t, pub, tc.topic, "under test")
			markerClient := pub
			if mpub != tc.pub {
				markerClient, _ = connect(t, b, mpub)
			}
			publish(t, markerClient, mtopic, "marker")

			got := false
			for {
				msg := in.next(t)
				if string(msg.Payload()) == "marker" {
					break
				}
				got = got || string(msg.Payload()) == "under test" && msg.Topic() == tc.topic
			}
			if got != tc.want {
				t.Errorf("%s: delivered = %v, want %v", name, got, tc.want)
			}
		})
	}
}
