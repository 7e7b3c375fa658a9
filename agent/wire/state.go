package wire

import (
	"encoding/json"
	"time"
)

// Limits of a state message.
const (
	MaxStateSize = 64 << 10
	MaxDevices   = 256
)

// State is what a box publishes, retained, on state: health, versions and
// its link to the city. The MQTT will replaces it with Offline().
type State struct {
	Online    bool          `json:"online"`
	Time      time.Time     `json:"time,omitzero"`
	Versions  Versions      `json:"versions,omitzero"`
	Config    Applied       `json:"config,omitzero"`   // the last desired config received
	Trust     Applied       `json:"trust,omitzero"`    // the last trust received
	Schedule  Applied       `json:"schedule,omitzero"` // the last meetings received
	Visits    Applied       `json:"visits,omitzero"`   // the last chip ID card visits received
	Gallery   GallerySync   `json:"gallery,omitzero"`  // the gallery being received or last received
	Outbox    OutboxState   `json:"outbox,omitzero"`
	Link      LinkState     `json:"link,omitzero"`
	Devices   []DeviceState `json:"devices,omitempty"`
	Call      *CallState    `json:"call,omitempty"`   // the room's bridge call; nil without a terminal
	Doctor    *DoctorState  `json:"doctor,omitempty"` // the last self-test; nil before the first
	LastError string        `json:"last_error,omitempty"`
}

// Versions are what the box runs.
type Versions struct {
	Software string `json:"software,omitempty"`
	Config   int64  `json:"config"`   // version of the config in force; 0: the local file
	Trust    int64  `json:"trust"`    // version of the city's trust in force; 0: none yet
	Schedule int64  `json:"schedule"` // version of the schedule in force; 0: none
	Gallery  int64  `json:"gallery"`  // version of the city's gallery in force; 0: none yet
	// Model names the recogniser whose templates the box matches
	// (vision.recognizer_name): the city computes its galleries with it.
	Model string `json:"model,omitempty"`
}

// GallerySync is how far the box has received a gallery.
type GallerySync struct {
	Version  int64  `json:"version"`
	Model    string `json:"model,omitempty"`
	Received int    `json:"received"` // chunks staged and checked
	Total    int    `json:"total"`    // chunks in its manifest; 0 before the manifest came
	Applied  bool   `json:"applied"`  // swapped in
	Error    string `json:"error,omitempty"`
}

// Applied is the outcome of the last versioned message the city sent.
type Applied struct {
	Version int64  `json:"version"`
	Applied bool   `json:"applied"`
	Error   string `json:"error,omitempty"` // why it was refused
}

// OutboxState is the backlog of records waiting for the city.
type OutboxState struct {
	Pending int       `json:"pending"`
	Oldest  time.Time `json:"oldest,omitzero"`
	Alarm   bool      `json:"alarm"` // pending reached the configured cap; nothing is dropped
}

// LinkState describes the box's link to the broker. Counters count events,
// except Refused, which counts downlink messages refused.
type LinkState struct {
	Connected bool   `json:"connected"`
	LastError string `json:"last_error,omitempty"`
	Sent      int64  `json:"sent"`
	Acked     int64  `json:"acked"`
	Resent    int64  `json:"resent"`
	Refused   int64  `json:"refused"`
}

// CallState is the room's bridge call as the box last saw it.
type CallState struct {
	Terminal  string    `json:"terminal"`
	Reachable bool      `json:"reachable"`
	State     string    `json:"state"` // idle, or a Call state
	Meeting   string    `json:"meeting,omitempty"`
	Bridge    string    `json:"bridge,omitempty"`
	Since     time.Time `json:"since,omitzero"`
	Reason    string    `json:"reason,omitempty"` // the last failure, in the terminal's words
	ByBox     bool      `json:"by_box"`           // false for a call dialled by hand on the terminal
	// Held says why the box does not dial or hang up by the schedule now:
	// CallHeldClock, or "" when it does.
	Held string `json:"held,omitempty"`
}

// CallHeldClock is CallState.Held while the box's clock has not been
// synchronised since boot.
const CallHeldClock = "clock_unsynced"

// DoctorState sums up the box's last self-test: when, how many checks gave
// each verdict, and which did not pass (check names such as "clock" or
// "scanner:front"; never what a check saw).
type DoctorState struct {
	Time     time.Time `json:"time"`
	OK       int       `json:"ok"`
	Warnings int       `json:"warnings"`
	Failures int       `json:"failures"`
	Failing  []string  `json:"failing,omitempty"`
}

// Limits of a DoctorState.
const (
	MaxDoctorChecks    = 64
	MaxDoctorCheckName = 64
)

func checkDoctorState(d *DoctorState) error {
	if d.OK < 0 || d.Warnings < 0 || d.Failures < 0 || d.OK+d.Warnings+d.Failures > MaxDoctorChecks {
		return errorf(ErrInvalid, "counts %d/%d/%d out of range", d.OK, d.Warnings, d.Failures)
	}
	if len(d.Failing) != d.Warnings+d.Failures {
		return errorf(ErrInvalid, "%d failing checks named, %d counted", len(d.Failing), d.Warnings+d.Failures)
	}
	for _, n := range d.Failing {
		if n == "" || len(n) > MaxDoctorCheckName {
			return errorf(ErrInvalid, "check name must be 1..%d bytes", MaxDoctorCheckName)
		}
	}
	return nil
}

// DeviceState is one device's health.
type DeviceState struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

// offline is the will: only "online": false, since the will is fixed when
// the box connects and anything else in it would be stale.
var offline, _ = json.Marshal(State{})

// Offline returns the state payload that says the box is offline.
func Offline() []byte { return append([]byte(nil), offline...) }

// DecodeState decodes a box's state, as the city reads it.
func DecodeState(payload []byte) (State, error) {
	var s State
	if err := decode("state", payload, MaxStateSize, '{', nil, &s); err != nil {
		return State{}, err
	}
	if len(s.Devices) > MaxDevices {
		return State{}, errorf(ErrInvalid, "state: %d devices, limit %d", len(s.Devices), MaxDevices)
	}
	if s.Call != nil {
		if err := checkCallState(s.Call); err != nil {
			return State{}, errorf(ErrInvalid, "state: call: %v", err)
		}
	}
	if s.Doctor != nil {
		if err := checkDoctorState(s.Doctor); err != nil {
			return State{}, errorf(ErrInvalid, "state: doctor: %v", err)
		}
	}
	return s, nil
}
