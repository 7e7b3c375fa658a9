package wire

import (
	"regexp"
	"strings"
)

// Root is the prefix of every device topic.
const Root = "roomgate/v1/dev/"

// Topic leaves under a device's root.
const (
	LeafEvents    = "events"     // up: batches of CloudEvents
	LeafAck       = "ack"        // down: ids the city stored
	LeafState     = "state"      // up, retained: health and versions
	LeafConfig    = "config"     // down, retained: desired config
	LeafTrust     = "trust"      // down, retained: issuers and revocations
	LeafCmd       = "cmd"        // down: commands
	LeafCmdResult = "cmd/result" // up: command results
)

var leaves = map[string]bool{
	LeafEvents: true, LeafAck: true, LeafState: true, LeafConfig: true,
	LeafTrust: true, LeafCmd: true, LeafCmdResult: true,
}

// namePattern is what a device id and a site id must match: they are topic
// levels, certificate CNs and ACL user names.
var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ValidName reports whether s can be a device or site id.
func ValidName(s string) bool { return namePattern.MatchString(s) }

// Topic returns the topic of leaf for device: roomgate/v1/dev/<device>/<leaf>.
func Topic(device, leaf string) string { return Root + device + "/" + leaf }

// ParseTopic splits a device topic into its device id and leaf. It refuses
// anything but a valid device id followed by one of the known leaves.
func ParseTopic(topic string) (device, leaf string, err error) {
	rest, ok := strings.CutPrefix(topic, Root)
	if !ok {
		return "", "", errorf(ErrTopic, "topic %.100q: want prefix %s", topic, Root)
	}
	device, leaf, _ = strings.Cut(rest, "/")
	if !ValidName(device) {
		return "", "", errorf(ErrTopic, "topic %.100q: bad device id", topic)
	}
	if !leaves[leaf] {
		return "", "", errorf(ErrTopic, "topic %.100q: unknown leaf", topic)
	}
	return device, leaf, nil
}
