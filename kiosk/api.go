package kiosk

import (
	"context"
	"io"
	"time"
)

// Source gives the current snapshot.
type Source interface {
	Snapshot(ctx context.Context) (Snapshot, error)
}

// Actions are what the secretary does at the kiosk, and the record of
// what secretaries and technicians did.
type Actions interface {
	// Candidates lists the people matching a name (accents ignored) whom
	// the secretary may check in to the meeting: its invitees first.
	Candidates(ctx context.Context, meetingID, query string) ([]Candidate, error)
	CheckIn(ctx context.Context, c ManualCheckIn) (CheckInResult, error)
	// AttendanceCSV writes the meeting's attendance list as CSV.
	AttendanceCSV(ctx context.Context, meetingID string, w io.Writer) error
	RecordAction(ctx context.Context, a Action) error
	// ControlCall dials, hangs up or redials the room's bridge at the
	// secretary's request; the error says why not in words for the page.
	ControlCall(ctx context.Context, action CallAction) error

	// Lockout is the role's wrong-PIN state as kept; zero when it has none.
	Lockout(ctx context.Context, role string) (Lockout, error)
	// LoginFailed keeps a wrong PIN: the role's new state, the action and
	// an event for the city, all or none of them.
	LoginFailed(ctx context.Context, f LoginFailure) error
	// LoggedIn keeps a login and clears the role's wrong-PIN state.
	LoggedIn(ctx context.Context, a Action) error
}

// Preview gives the camera's latest frame.
type Preview interface {
	// LatestFrame is a JPEG and when it was taken; false before the
	// camera gave one.
	LatestFrame() (jpeg []byte, at time.Time, ok bool)
}

// Candidate is someone the secretary may check in.
type Candidate struct {
	Person    string `json:"person"`
	Name      string `json:"name"`
	Unit      string `json:"unit,omitempty"`
	Seat      string `json:"seat,omitempty"`
	Invited   bool   `json:"invited"`
	CheckedIn bool   `json:"checked_in"`
}

// ManualCheckIn is the secretary checking a person in by hand.
type ManualCheckIn struct {
	Meeting  string
	Person   string
	Reason   string // never empty: the record must say why
	Operator string // the role at the kiosk, "secretary"
}

// CheckInResult is what a check-in came to: a record, or a notice kind
// ("already_checked_in", "closed", ...) saying why there is none.
type CheckInResult struct {
	Recorded bool      `json:"recorded"`
	Notice   string    `json:"notice,omitempty"`
	At       time.Time `json:"at,omitzero"`
	Late     bool      `json:"late"`
}

// CallAction is a secretary's command to the room's terminal.
type CallAction string

// What the secretary may do with the bridge call.
const (
	CallNow    CallAction = "dial"    // dial the meeting's bridge now
	CallHangUp CallAction = "hang_up" // end the call the box placed
	CallRedial CallAction = "redial"  // hang up and dial again
)

// CallRefusedError is a call action the room refused. Reason is a word the
// page has in both languages (sec.call.refused.<reason>); Err the detail.
type CallRefusedError struct {
	Reason string // in_call, no_call, not_placed, no_meeting, not_reached, no_terminal
	Err    error
}

func (e *CallRefusedError) Error() string { return e.Err.Error() }
func (e *CallRefusedError) Unwrap() error { return e.Err }

// Action is something a secretary or technician did at the kiosk.
type Action struct {
	Role   string // RoleSecretary or RoleTechnician
	Action string // "login", "checkin", "export", "logout", ... (wrong PINs: LoginFailed)
	Detail string
	At     time.Time
}

// Roles at the kiosk, each with its own PIN.
const (
	RoleSecretary  = "secretary"
	RoleTechnician = "technician"
)

// Config is how the kiosk is set up. An empty PIN disables that view.
type Config struct {
	SecretaryPIN  string
	TechnicianPIN string
	// AllowRemote serves clients on other machines. Off, only connections
	// from this machine's loopback are answered, whatever their Host says.
	AllowRemote  bool
	Language     string        // the page's language until the visitor picks one: "vi" or "en"
	GreetingHold time.Duration // how long a greeting card stays; 0: defaultGreetingHold
}
