package kiosk

import "time"

// Snapshot is everything the kiosk shows: the meeting board and, for the
// secretary and the technician, the box's health, the gate's scans and the
// face engine's decisions. It holds personal data: only a staff session
// reads it whole; anyone else gets its Public part.
type Snapshot struct {
	Site    string    `json:"site"`
	Gate    string    `json:"gate"`
	Device  string    `json:"device"`
	Version string    `json:"version"`
	Started time.Time `json:"started"`
	Devices []Device  `json:"devices"`
	Entries []Entry   `json:"entries"`
	Outbox  Outbox    `json:"outbox"`
	Link    *Link     `json:"link,omitempty"` // nil when the box keeps its records to itself
	// Recognitions are the face engine's latest decisions, newest first;
	// nil on a box without a camera.
	Recognitions []Recognition `json:"recognitions"`

	// Meeting is the room's meeting now, or its next one today; nil when
	// there is none.
	Meeting  *Board           `json:"meeting,omitempty"`
	Meetings []MeetingSummary `json:"meetings"` // today's meetings of this room, by start
	Versions Versions         `json:"versions"`
	Gallery  GalleryState     `json:"gallery"`
	Purge    Purge            `json:"purge"` // the last purge of old records
	// Call is the room's bridge call; nil on a box without a terminal.
	Call *Call `json:"call,omitempty"`
}

// Call states the page shows: the wire's call states, and idle.
const (
	CallIdle      = "idle"
	CallDialling  = "dialling"
	CallConnected = "connected"
	CallFailed    = "failed"
	CallDropped   = "dropped"
	CallEnded     = "ended"
)

// Call is the room's video-bridge call.
type Call struct {
	Terminal  string    `json:"terminal"`
	Reachable bool      `json:"reachable"` // the terminal answers its control port
	State     string    `json:"state"`
	Since     time.Time `json:"since,omitzero"`
	Reason    string    `json:"reason,omitempty"` // the last failure, in the terminal's words
	Retrying  bool      `json:"retrying,omitempty"`
	Meeting   string    `json:"meeting,omitempty"`
	Bridge    string    `json:"bridge,omitempty"` // the dial string: staff only
	ByBox     bool      `json:"by_box"`           // false for a call dialled by hand on the terminal
	Held      string    `json:"held,omitempty"`   // why the schedule is not acted on now (clock_unsynced)
}

// BoardMeeting is what the staff's board and the public one both say of
// the meeting itself.
type BoardMeeting struct {
	ID            string    `json:"id"` // the secretary's view picks the meeting by it
	Title         string    `json:"title"`
	Room          string    `json:"room"`
	Start         time.Time `json:"start"`
	End           time.Time `json:"end"`
	CheckInOpens  time.Time `json:"checkin_opens"`
	CheckInCloses time.Time `json:"checkin_closes"`
	Expected      int       `json:"expected"`
	Present       int       `json:"present"`
}

// Board is a meeting as the board in the room shows it.
type Board struct {
	BoardMeeting
	Invitees []BoardInvitee `json:"invitees"`
}

// BoardInvitee is one invited person and whether they are here. People
// checked in who were not invited are listed too, as guests.
type BoardInvitee struct {
	Person  string    `json:"person"`
	Name    string    `json:"name"`
	Unit    string    `json:"unit,omitempty"`
	Role    string    `json:"role,omitempty"`
	Seat    string    `json:"seat,omitempty"`
	Present bool      `json:"present"`
	At      time.Time `json:"at,omitzero"`      // when they checked in
	Method  string    `json:"method,omitempty"` // face, qr or manual
	Late    bool      `json:"late,omitempty"`
	Guest   bool      `json:"guest,omitempty"` // here, but not on the invitation list
}

// MeetingSummary is one line of the room's schedule for the day.
type MeetingSummary struct {
	ID       string    `json:"id"`
	Title    string    `json:"title"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Expected int       `json:"expected"`
	Present  int       `json:"present"`
}

// Versions are what the box runs and the data it holds.
type Versions struct {
	Software string `json:"software"`
	Config   string `json:"config"`
	Gallery  int64  `json:"gallery"`  // 0 before the city sent one
	Schedule int64  `json:"schedule"` // 0 before the city sent one
}

// GalleryState is the faces the box knows and the city gallery on its way.
type GalleryState struct {
	Version   int64       `json:"version"`
	Model     string      `json:"model"`
	People    int         `json:"people"`
	Templates int         `json:"templates"`
	Sync      GallerySync `json:"sync"`
}

// GallerySync is the progress of a gallery the city is sending.
type GallerySync struct {
	Version  int64  `json:"version"`
	Received int    `json:"received"` // chunks staged
	Total    int    `json:"total"`    // chunks in the manifest
	Error    string `json:"error,omitempty"`
}

// Recognition is one face the camera named, or could not.
type Recognition struct {
	At      time.Time `json:"at"`
	Person  string    `json:"person,omitempty"`
	Name    string    `json:"name,omitempty"`
	Score   float32   `json:"score"`
	Margin  float32   `json:"margin"`
	Unknown bool      `json:"unknown,omitempty"`
	Reason  string    `json:"reason,omitempty"` // why an unknown face was not named
}

// Link is the connection to the city's broker.
type Link struct {
	Connected bool   `json:"connected"`
	LastError string `json:"last_error,omitempty"`
	Sent      int64  `json:"sent"`
	Acked     int64  `json:"acked"`
	Resent    int64  `json:"resent"`
	Refused   int64  `json:"refused"`
	InFlight  int    `json:"in_flight"`
	Alarm     bool   `json:"alarm"` // the outbox reached its cap; nothing is dropped
}

// Device is one device's health.
type Device struct {
	Name   string    `json:"name"`
	Kind   string    `json:"kind"`
	OK     bool      `json:"ok"`
	Detail string    `json:"detail"`
	Since  time.Time `json:"since,omitzero"`
}

// Entry is one scan at the gate as the page lists it.
type Entry struct {
	At      time.Time `json:"at"`
	Scanner string    `json:"scanner"`
	Method  string    `json:"method"`
	Granted bool      `json:"granted"`
	Reason  string    `json:"reason,omitempty"`
	Detail  string    `json:"detail,omitempty"`
	Name    string    `json:"name,omitempty"`
	Host    string    `json:"host,omitempty"`
	PassID  string    `json:"pass_id,omitempty"`
}

// Purge is what the last purge of records past their retention removed.
type Purge struct {
	At      time.Time      `json:"at,omitzero"` // zero before the first
	Deleted map[string]int `json:"deleted"`     // rows by table
	Error   string         `json:"error,omitempty"`
}

// Outbox is the backlog waiting for the city.
type Outbox struct {
	Pending int       `json:"pending"`
	Oldest  time.Time `json:"oldest,omitzero"`
}

// PublicStatus is what anyone at the screen may read: what the room sees
// on the board already. No ids, no scores, no scans, no devices.
type PublicStatus struct {
	Site     string           `json:"site"`
	Gate     string           `json:"gate"`
	Meeting  *PublicBoard     `json:"meeting,omitempty"`
	Meetings []MeetingSummary `json:"meetings"`
	Kiosk    features         `json:"kiosk"`
	Call     *Call            `json:"call,omitempty"` // without the dial string, which may carry a bridge PIN
}

// PublicBoard is the meeting now, with the names of those present only:
// who else was invited, and their units, roles and seats, is staff data.
type PublicBoard struct {
	BoardMeeting
	Attendees []Attendee `json:"attendees"`
}

// Attendee is someone present, as the board lists them.
type Attendee struct {
	Name string    `json:"name"`
	At   time.Time `json:"at"`
}

// Public is the part of s that needs no session.
func (s Snapshot) Public() PublicStatus {
	p := PublicStatus{Site: s.Site, Gate: s.Gate, Meetings: s.Meetings}
	if s.Call != nil {
		c := *s.Call
		c.Bridge = ""
		p.Call = &c
	}
	if m := s.Meeting; m != nil {
		b := &PublicBoard{BoardMeeting: m.BoardMeeting, Attendees: []Attendee{}}
		for _, in := range m.Invitees {
			if in.Present {
				b.Attendees = append(b.Attendees, Attendee{Name: in.Name, At: in.At})
			}
		}
		p.Meeting = b
	}
	return p
}
