package wire

import (
	"errors"
	"testing"
)

func TestTopic(t *testing.T) {
	if got, want := Topic("gate-7", LeafCmdResult), "roomgate/v1/dev/gate-7/cmd/result"; got != want {
		t.Errorf("Topic(gate-7, cmd/result) = %q, want %q", got, want)
	}
}

func TestParseTopic(t *testing.T) {
	for _, tt := range []struct {
		topic, device, leaf string
		ok                  bool
	}{
		{"roomgate/v1/dev/gate-7/events", "gate-7", LeafEvents, true},
		{"roomgate/v1/dev/g/ack", "g", LeafAck, true},
		{"roomgate/v1/dev/0a/state", "0a", LeafState, true},
		{"roomgate/v1/dev/gate-7/config", "gate-7", LeafConfig, true},
		{"roomgate/v1/dev/gate-7/trust", "gate-7", LeafTrust, true},
		{"roomgate/v1/dev/gate-7/cmd", "gate-7", LeafCmd, true},
		{"roomgate/v1/dev/gate-7/cmd/result", "gate-7", LeafCmdResult, true},
		{"roomgate/v1/dev/gate-7/cmd/result/x", "", "", false},
		{"roomgate/v1/dev/gate-7/", "", "", false},
		{"roomgate/v1/dev/gate-7", "", "", false},
		{"roomgate/v1/dev//events", "", "", false},
		{"roomgate/v1/dev/Gate/events", "", "", false},
		{"roomgate/v1/dev/-gate/events", "", "", false},
		{"roomgate/v1/dev/+/events", "", "", false},
		{"roomgate/v1/dev/#", "", "", false},
		{"roomgate/v2/dev/gate-7/events", "", "", false},
		{"/roomgate/v1/dev/gate-7/events", "", "", false},
		{"roomgate/v1/dev/gate-7/Events", "", "", false},
		{"roomgate/v1/dev/gate-7/meetings", "gate-7", LeafMeetings, true},
		{"roomgate/v1/dev/gate-7/uses", "gate-7", LeafUses, true},
		{"roomgate/v1/dev/gate-7/gallery/manifest", "gate-7", LeafGalleryManifest, true},
		{"roomgate/v1/dev/gate-7/gallery/chunk/0", "gate-7", "gallery/chunk/0", true},
		{"roomgate/v1/dev/gate-7/gallery/chunk/9999", "gate-7", "gallery/chunk/9999", true},
		{"roomgate/v1/dev/gate-7/gallery/chunk/10000", "", "", false},
		{"roomgate/v1/dev/gate-7/gallery/chunk/07", "", "", false},
		{"roomgate/v1/dev/gate-7/gallery/chunk/-1", "", "", false},
		{"roomgate/v1/dev/gate-7/gallery/chunk/+1", "", "", false},
		{"roomgate/v1/dev/gate-7/gallery/chunk/1x", "", "", false},
		{"roomgate/v1/dev/gate-7/gallery/chunk/", "", "", false},
		{"roomgate/v1/dev/gate-7/gallery/chunk", "", "", false},
		{"roomgate/v1/dev/gate-7/gallery/chunk/1/2", "", "", false},
		{"roomgate/v1/dev/gate-7/gallery", "", "", false},
		{"roomgate/v1/dev/gate-7/gallery/other", "", "", false},
		{"", "", "", false},
	} {
		device, leaf, err := ParseTopic(tt.topic)
		if device != tt.device || leaf != tt.leaf || (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrTopic)) {
			t.Errorf("ParseTopic(%q) = %q, %q, %v, want %q, %q, ok %v", tt.topic, device, leaf, err, tt.device, tt.leaf, tt.ok)
		}
		if tt.ok {
			if back := Topic(device, leaf); back != tt.topic {
				t.Errorf("Topic(ParseTopic(%q)) = %q", tt.topic, back)
			}
		}
	}
}

func TestGalleryChunkTopic(t *testing.T) {
	for _, i := range []int{0, 7, MaxGalleryChunks - 1} {
		topic := GalleryChunkTopic("gate-7", i)
		_, leaf, err := ParseTopic(topic)
		if got, ok := GalleryChunkIndex(leaf); err != nil || !ok || got != i {
			t.Errorf("GalleryChunkIndex(ParseTopic(%q)) = %d, %v (%v), want %d", topic, got, ok, err, i)
		}
	}
	for _, leaf := range []string{LeafGalleryManifest, LeafGalleryChunk, "gallery/chunk/", "gallery/chunk/00", "gallery/chunk/ 1", "gallery/chunk/1e3", "gallery/chunk/99999999999999999999"} {
		if i, ok := GalleryChunkIndex(leaf); ok {
			t.Errorf("GalleryChunkIndex(%q) = %d, true, want false", leaf, i)
		}
	}
}
