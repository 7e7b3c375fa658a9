package wire

import (
	"regexp"
	"strconv"
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
	LeafMeetings  = "meetings"   // down, retained: the room's schedule
	LeafUses      = "uses"       // down: passes' use counts across the site
	LeafVisits    = "visits"     // down, retained: chip ID card visits with the visitor's face template
	// LeafPing is the self-test's round trip: the box publishes there and
	// reads back its own message. Only the box may use it (the broker's ACL).
	LeafPing = "doctor/ping"

	LeafGallery         = "gallery"          // the root of a gallery's topics
	LeafGalleryManifest = "gallery/manifest" // down, retained: what a gallery holds
	LeafGalleryChunk    = "gallery/chunk"    // down, retained: gallery/chunk/<i>, one part of it
)

var leaves = map[string]bool{
	LeafEvents: true, LeafAck: true, LeafState: true, LeafConfig: true,
	LeafTrust: true, LeafCmd: true, LeafCmdResult: true, LeafMeetings: true, LeafUses: true, LeafVisits: true,
	LeafGalleryManifest: true,
}

// GalleryChunkTopic returns the topic of a gallery's chunk index.
func GalleryChunkTopic(device string, index int) string {
	return Topic(device, LeafGalleryChunk+"/"+strconv.Itoa(index))
}

// GalleryChunkIndex reports whether leaf is gallery/chunk/<i>, written as
// GalleryChunkTopic writes it (no sign, no leading zeros), and returns i.
func GalleryChunkIndex(leaf string) (int, bool) {
	n, ok := strings.CutPrefix(leaf, LeafGalleryChunk+"/")
	if !ok || n == "" || len(n) > len(strconv.Itoa(MaxGalleryChunks-1)) || (n[0] == '0' && n != "0") {
		return 0, false
	}
	i, err := strconv.Atoi(n)
	if err != nil || i < 0 || i >= MaxGalleryChunks || n[0] == '+' || n[0] == '-' {
		return 0, false
	}
	return i, true
}

// namePattern is what a device id and a site id must match: they are topic
// levels, certificate CNs and ACL user names.
var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ValidName reports whether s can be a device or site id.
func ValidName(s string) bool { return namePattern.MatchString(s) }

// Topic returns the topic of leaf for device: roomgate/v1/dev/<device>/<leaf>.
func Topic(device, leaf string) string { return Root + device + "/" + leaf }

// ParseTopic splits a device topic into its device id and leaf. It refuses
// anything but a valid device id followed by one of the known leaves; a
// chunk's leaf comes whole (gallery/chunk/7), for GalleryChunkIndex.
func ParseTopic(topic string) (device, leaf string, err error) {
	rest, ok := strings.CutPrefix(topic, Root)
	if !ok {
		return "", "", errorf(ErrTopic, "topic %.100q: want prefix %s", topic, Root)
	}
	device, leaf, _ = strings.Cut(rest, "/")
	if !ValidName(device) {
		return "", "", errorf(ErrTopic, "topic %.100q: bad device id", topic)
	}
	if _, chunk := GalleryChunkIndex(leaf); !leaves[leaf] && !chunk {
		return "", "", errorf(ErrTopic, "topic %.100q: unknown leaf", topic)
	}
	return device, leaf, nil
}
