package wire

import "time"

// Limits of a schedule.
const (
	MaxScheduleSize    = 8 << 20
	MaxMeetings        = 1000
	MaxInvitees        = 5000 // per meeting
	MaxMeetingIDSize   = 128
	MaxPersonIDSize    = 128 // also a gallery person's id
	MaxTitleSize       = 512
	MaxNameSize        = 256 // a room's, a person's or a unit's name
	MaxRoleSize        = 128
	MaxSeatSize        = 64
	MaxMeetingDuration = 31 * 24 * time.Hour // from check-in opening to the end: catches a mistyped year
)

// Schedule is a room's meetings for the coming days, which the city
// publishes, retained, on meetings. It replaces the previous one whole.
type Schedule struct {
	Version  int64     `json:"version"`
	Meetings []Meeting `json:"meetings"`
}

// Meeting is one meeting in the room and who is invited.
type Meeting struct {
	ID            string    `json:"id"`
	Title         string    `json:"title"`
	Room          string    `json:"room"`
	Start         time.Time `json:"start"`
	End           time.Time `json:"end"`
	CheckInOpens  time.Time `json:"checkin_opens"`
	CheckInCloses time.Time `json:"checkin_closes"`
	Invitees      []Invitee `json:"invitees"`
	Bridge        *Bridge   `json:"bridge,omitempty"` // the video bridge the room joins; a box without a terminal ignores it
}

// Bridge is the video-conference bridge a meeting is held on.
type Bridge struct {
	Dial     string `json:"dial"`                // the dial string: a SIP URI, an H.323 alias or E.164 number, an address
	Protocol string `json:"protocol,omitempty"`  // sip, h323 or auto; "" is auto
	Speed    int    `json:"speed,omitempty"`     // call rate in kbit/s; 0: the terminal's default
	AutoJoin *bool  `json:"auto_join,omitempty"` // whether the box dials by itself; nil is yes
}

// Invitee is a person invited to a meeting; Person is the id the gallery
// and passes name them by.
type Invitee struct {
	Person string `json:"person"`
	Name   string `json:"name"`
	Unit   string `json:"unit"`
	Role   string `json:"role"`
	Seat   string `json:"seat"`
}

// DecodeSchedule decodes a schedule: a positive version and meetings with
// unique ids, each with unique invitees and times in order (check-in may
// close after the meeting ends, for latecomers, but must open before), and
// a bridge, when given, that a terminal can dial (see checkDial; protocol
// sip, h323, auto or empty; speed 0 or MinSpeed..MaxSpeed kbit/s).
// No meetings is a valid schedule: the room is free.
func DecodeSchedule(payload []byte) (Schedule, error) {
	var s Schedule
	if err := decode("meetings", payload, MaxScheduleSize, '{', nil, &s); err != nil {
		return Schedule{}, err
	}
	switch {
	case s.Version < 1:
		return Schedule{}, errorf(ErrInvalid, "meetings: version %d, want a positive number", s.Version)
	case len(s.Meetings) > MaxMeetings:
		return Schedule{}, errorf(ErrInvalid, "meetings: %d meetings, limit %d", len(s.Meetings), MaxMeetings)
	}
	ids := make(map[string]bool, len(s.Meetings))
	for i := range s.Meetings {
		m := &s.Meetings[i]
		// In UTC whatever offset the city wrote: "+00:00" would otherwise
		// decode into the box's Local zone and compare unequal to the same
		// instant read back.
		m.Start, m.End, m.CheckInOpens, m.CheckInCloses = m.Start.UTC(), m.End.UTC(), m.CheckInOpens.UTC(), m.CheckInCloses.UTC()
		if err := checkMeeting(i, m); err != nil {
			return Schedule{}, err
		}
		if ids[m.ID] {
			return Schedule{}, errorf(ErrInvalid, "meetings[%d]: id %.40q listed twice", i, m.ID)
		}
		ids[m.ID] = true
		if m.Invitees == nil {
			m.Invitees = []Invitee{}
		}
	}
	if s.Meetings == nil {
		s.Meetings = []Meeting{}
	}
	return s, nil
}

func checkMeeting(i int, m *Meeting) error {
	first := m.Start
	if m.CheckInOpens.Before(first) {
		first = m.CheckInOpens
	}
	switch {
	case m.ID == "" || len(m.ID) > MaxMeetingIDSize:
		return errorf(ErrInvalid, "meetings[%d]: id must be 1..%d bytes", i, MaxMeetingIDSize)
	case m.Title == "" || len(m.Title) > MaxTitleSize:
		return errorf(ErrInvalid, "meetings[%d] %.40q: title must be 1..%d bytes", i, m.ID, MaxTitleSize)
	case len(m.Room) > MaxNameSize:
		return errorf(ErrInvalid, "meetings[%d] %.40q: room longer than %d bytes", i, m.ID, MaxNameSize)
	case m.Start.IsZero() || m.End.IsZero() || m.CheckInOpens.IsZero() || m.CheckInCloses.IsZero():
		return errorf(ErrInvalid, "meetings[%d] %.40q: start, end, checkin_opens and checkin_closes are all required", i, m.ID)
	case !m.Start.Before(m.End):
		return errorf(ErrInvalid, "meetings[%d] %.40q: start %s is not before end %s", i, m.ID, m.Start.Format(time.RFC3339), m.End.Format(time.RFC3339))
	case m.CheckInCloses.Before(m.CheckInOpens):
		return errorf(ErrInvalid, "meetings[%d] %.40q: checkin_closes %s is before checkin_opens %s", i, m.ID, m.CheckInCloses.Format(time.RFC3339), m.CheckInOpens.Format(time.RFC3339))
	case !m.CheckInOpens.Before(m.End):
		return errorf(ErrInvalid, "meetings[%d] %.40q: checkin_opens %s is not before end %s", i, m.ID, m.CheckInOpens.Format(time.RFC3339), m.End.Format(time.RFC3339))
	case m.End.Sub(first) > MaxMeetingDuration || m.CheckInCloses.Sub(m.CheckInOpens) > MaxMeetingDuration:
		return errorf(ErrInvalid, "meetings[%d] %.40q: spans more than %v", i, m.ID, MaxMeetingDuration)
	case len(m.Invitees) > MaxInvitees:
		return errorf(ErrInvalid, "meetings[%d] %.40q: %d invitees, limit %d", i, m.ID, len(m.Invitees), MaxInvitees)
	}
	if m.Bridge != nil {
		if err := checkBridge(*m.Bridge); err != nil {
			return errorf(ErrInvalid, "meetings[%d] %.40q: bridge: %v", i, m.ID, err)
		}
	}
	people := make(map[string]bool, len(m.Invitees))
	for j, in := range m.Invitees {
		switch {
		case in.Person == "" || len(in.Person) > MaxPersonIDSize:
			return errorf(ErrInvalid, "meetings[%d].invitees[%d]: person must be 1..%d bytes", i, j, MaxPersonIDSize)
		case people[in.Person]:
			return errorf(ErrInvalid, "meetings[%d].invitees[%d]: person %.40q invited twice", i, j, in.Person)
		case in.Name == "" || len(in.Name) > MaxNameSize:
			return errorf(ErrInvalid, "meetings[%d].invitees[%d] %.40q: name must be 1..%d bytes", i, j, in.Person, MaxNameSize)
		case len(in.Unit) > MaxNameSize:
			return errorf(ErrInvalid, "meetings[%d].invitees[%d] %.40q: unit longer than %d bytes", i, j, in.Person, MaxNameSize)
		case len(in.Role) > MaxRoleSize:
			return errorf(ErrInvalid, "meetings[%d].invitees[%d] %.40q: role longer than %d bytes", i, j, in.Person, MaxRoleSize)
		case len(in.Seat) > MaxSeatSize:
			return errorf(ErrInvalid, "meetings[%d].invitees[%d] %.40q: seat longer than %d bytes", i, j, in.Person, MaxSeatSize)
		}
		people[in.Person] = true
	}
	return nil
}

// Attendance is the data of a vn.roomgate.attendance.v1 event: one
// person's check-in to a meeting.
type Attendance struct {
	Site     string    `json:"site"`
	Room     string    `json:"room"`
	Device   string    `json:"device"`
	Meeting  string    `json:"meeting"`
	Title    string    `json:"title"`
	Person   string    `json:"person"`
	Name     string    `json:"name"`
	Unit     string    `json:"unit,omitempty"`
	Seat     string    `json:"seat,omitempty"`
	Method   string    `json:"method"`          // face, qr or manual
	Score    float32   `json:"score,omitempty"` // face: the recogniser's mean score
	Late     bool      `json:"late"`
	Invited  bool      `json:"invited"`
	At       time.Time `json:"at"`
	Operator string    `json:"operator,omitempty"` // manual: who checked them in
	Reason   string    `json:"reason,omitempty"`   // manual: why
	Entry    string    `json:"entry,omitempty"`    // qr: the gate entry of the scan
}

// Call states, as a vn.roomgate.call.v1 event and the box's state give them.
const (
	CallDialling  = "dialling"
	CallConnected = "connected"
	CallFailed    = "failed"  // the dial did not connect; Reason has the terminal's words
	CallDropped   = "dropped" // a connected call ended that the box did not end
	CallEnded     = "ended"   // hung up by the box (or by hand, when the box made it)
)

// Who made a call change happen.
const (
	CallBySchedule  = "schedule"
	CallBySecretary = "secretary"
	CallByCity      = "city"
	CallByTerminal  = "terminal" // the far end or the network
)

// Call is the data of a vn.roomgate.call.v1 event: one change of the room's
// bridge call.
type Call struct {
	Site     string    `json:"site"`
	Room     string    `json:"room"`
	Device   string    `json:"device"`
	Meeting  string    `json:"meeting,omitempty"` // "" for a call dialled outside any meeting
	Bridge   string    `json:"bridge"`            // the dial string
	Protocol string    `json:"protocol,omitempty"`
	Terminal string    `json:"terminal"` // the terminal's name in the config
	State    string    `json:"state"`
	Reason   string    `json:"reason,omitempty"`     // failed or dropped: the terminal's own words
	By       string    `json:"by"`                   // schedule, secretary, city or terminal
	Attempt  int       `json:"attempt,omitempty"`    // dialling and failed: the how-manyth try for this meeting
	Duration float64   `json:"duration_s,omitempty"` // ended or dropped: seconds connected
	At       time.Time `json:"at"`
}
