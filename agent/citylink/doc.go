// Package citylink is the box's side of the link to the city: it carries
// the records waiting in the store's outbox to the city's MQTT broker and
// applies what the city sends back (acks, config, trust, commands).
//
// The outbox in SQLite is the only buffer. Events are forgotten only when
// the city acknowledges their ids on the ack topic (or, in puback mode, when
// the broker acknowledges the message that carried them); anything not
// acknowledged in time is read again from the store and resent, and after
// every reconnect everything unacknowledged is resent from the oldest.
// What "in time" is, and how many messages wait for acks at once, follow
// the acks as they come (pace.go), so that a city slow to answer is not
// sent again what it has queued. The
// city stores each event id once, so a resend costs bandwidth, never a
// duplicate record.
//
// Config, trust and commands count only when the city's pinned key signed
// them for this box (agent/citysign). A command runs at most once per id,
// remembered in the store across restarts, and never after its exp: a
// persistent session delivers what was sent while the box was away, and a
// door must not open late.
//
// This is the only package of the agent that imports paho.mqtt.golang, and
// it uses paho as a bare connection: a fresh client (with an in-memory store)
// per connection, no automatic reconnect and no resend of paho's own, a
// persistent session (clean session false) so acks published while the box
// was away still arrive, and incoming messages acknowledged to the broker
// only once they have been dealt with.
package citylink
