package ingest

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/roomgate/roomgate/agent/wire"
)

// The city keeps no schedule of its own: it publishes one to each box,
// retained, and the box keeps it. So that roomgate-city bridges can say
// which meeting each room has now or next, roomgate-city publish meetings
// also records what it sent (RecordSchedule) in the database ingest
// writes to. The calls come from the boxes' vn.roomgate.call.v1 records,
// as ingest stored them.

// RoomBridge is what the city knows of one box's bridge at a moment: the
// meeting in progress or next in the schedule last published to it, its
// latest call record and its latest failure, both as of that moment.
type RoomBridge struct {
	Device  string
	Meeting *ScheduledMeeting // nil: none in progress or starting soon enough
	Call    *wire.Call        // nil: the box has sent no call record
	Failure *wire.Call        // the latest failed or dropped call; nil: none
}

// ScheduledMeeting is a meeting of a published schedule, as bridges reads
// it.
type ScheduledMeeting struct {
	ID, Title, Room string
	Start, End      time.Time
	Bridge          *wire.Bridge
}

// Connected reports whether the box's latest call is up on the meeting's
// bridge: a call kept from the previous meeting on the same bridge counts.
func (r RoomBridge) Connected() bool {
	if r.Meeting == nil || r.Meeting.Bridge == nil || r.Call == nil || r.Call.State != wire.CallConnected {
		return false
	}
	return r.Call.Bridge == r.Meeting.Bridge.Dial || r.Call.Meeting == r.Meeting.ID
}

// BridgeRow is a row of a store's bridges query as scanned: nil where the
// box has no meeting, call record or failure. Bridge, Call and Failure are
// JSON (a wire.Bridge, and wire.Call records as ingest checked them).
type BridgeRow struct {
	Device                 string
	MeetingID, Title, Room *string
	Start, End             *time.Time
	Bridge, Call, Failure  *string
}

// RoomBridge reads the row.
func (b BridgeRow) RoomBridge() (RoomBridge, error) {
	r := RoomBridge{Device: b.Device}
	if b.MeetingID != nil && b.Title != nil && b.Room != nil && b.Start != nil && b.End != nil {
		r.Meeting = &ScheduledMeeting{ID: *b.MeetingID, Title: *b.Title, Room: *b.Room, Start: b.Start.UTC(), End: b.End.UTC()}
		if b.Bridge != nil {
			r.Meeting.Bridge = new(wire.Bridge)
			if err := json.Unmarshal([]byte(*b.Bridge), r.Meeting.Bridge); err != nil {
				return r, fmt.Errorf("%s: meeting %s: bridge: %w", b.Device, *b.MeetingID, err)
			}
		}
	}
	for _, c := range []struct {
		data *string
		into **wire.Call
	}{{b.Call, &r.Call}, {b.Failure, &r.Failure}} {
		if c.data == nil {
			continue
		}
		*c.into = new(wire.Call)
		if err := json.Unmarshal([]byte(*c.data), *c.into); err != nil {
			return r, fmt.Errorf("%s: call record: %w", b.Device, err)
		}
	}
	return r, nil
}
