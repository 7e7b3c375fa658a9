package ingest

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/roomgate/roomgate/agent/wire"
)

// Store keeps what boxes send, durably. Save writes a whole batch in one
// transaction: when it returns nil, every event in it is stored (now or
// before) and every rejection is recorded, so the box may forget them.
//
// PassUses counts the entries stored from the boxes of site (their events'
// source names it) that granted pass passID, and names every box of that
// site that has sent events, whatever they were.
type Store interface {
	Save(ctx context.Context, b Batch) (Saved, error)
	PassUses(ctx context.Context, site, passID string) (count int, devices []string, err error)
}

// Batch is what one events message from one device turned into.
type Batch struct {
	Device   string      // from the topic the message came on
	Events   []Event     // valid events, stored once each by (Source, ID)
	Rejected []Rejection // elements that failed validation
}

// Sites returns the sites that the events of b name in their source.
func (b Batch) Sites() []string {
	var out []string
	for _, e := range b.Events {
		if s := wire.SourceSite(e.Source); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// Event is a valid CloudEvent as the city keeps it.
type Event struct {
	Source string
	ID     string
	Type   string
	Time   time.Time
	Data   json.RawMessage // a JSON object
}

// Rejection is an element of an events message that the city did not
// accept as an event, kept with the reason so nothing vanishes unseen.
type Rejection struct {
	ID     string // the element's id, "" when it had none
	Reason string
	Raw    []byte // the element as received
}

// Saved says what a Save did.
type Saved struct {
	Stored     int            // events new to the store
	Duplicates int            // events it already had
	Rejected   int            // rejections recorded: the batch's and any event the database refused
	Types      map[string]int // the events new to the store by type; nil when none
}

// AddStored counts one event new to the store, of type typ.
func (s *Saved) AddStored(typ string) {
	if s.Types == nil {
		s.Types = map[string]int{}
	}
	s.Stored++
	s.Types[typ]++
}

// Filter selects stored events for a listing.
type Filter struct {
	Device string // "" for every device
	Type   string // "" for every type
	Limit  int    // at most this many, at least 1
}

// StoredEvent is an event with what the city knows of its arrival.
type StoredEvent struct {
	Event
	Device     string
	ReceivedAt time.Time
}
