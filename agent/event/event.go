// Package event builds the CloudEvents 1.0 envelopes (structured JSON) that
// carry the box's records to the city, as DESIGN.md's contract names them.
package event

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Record types the box emits.
const (
	TypeEntry      = "vn.roomgate.entry.v1"
	TypeDoor       = "vn.roomgate.door.v1"
	TypeAttendance = "vn.roomgate.attendance.v1"
	// TypeLoginFailed is a wrong PIN at the kiosk: role, time and count,
	// never the PIN typed.
	TypeLoginFailed = "vn.roomgate.login_failed.v1"
	// TypeCall is a change of the room's bridge call (wire.Call).
	TypeCall = "vn.roomgate.call.v1"
)

// Envelope is a CloudEvent in structured JSON mode.
type Envelope struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Time            time.Time       `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	Data            json.RawMessage `json:"data"`
}

// Source is the CloudEvent source of a box: roomgate://<site>/<device>.
func Source(site, device string) string { return "roomgate://" + site + "/" + device }

// New returns a new event with a fresh UUIDv7 id (time-ordered, so the city's
// index stays append-mostly) and its JSON encoding.
func New(source, typ string, at time.Time, data any) (Envelope, []byte, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return Envelope{}, nil, fmt.Errorf("event: new id: %w", err)
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return Envelope{}, nil, fmt.Errorf("event: encode %s data: %w", typ, err)
	}
	env := Envelope{SpecVersion: "1.0", ID: id.String(), Source: source, Type: typ, Time: at.UTC(), DataContentType: "application/json", Data: raw}
	payload, err := json.Marshal(env)
	if err != nil {
		return Envelope{}, nil, fmt.Errorf("event: encode envelope: %w", err)
	}
	return env, payload, nil
}
