package terminal

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// State is where a call stands.
type State string

// Call states, as every protocol maps its own onto them.
const (
	Dialling  State = "dialling"  // placed, ringing or negotiating
	Connected State = "connected" // media up
	Failed    State = "failed"    // never connected: busy, rejected, unreachable (Reason says)
	Ended     State = "ended"     // was connected and is gone (Reason says why, when the terminal does)
)

// Final reports whether a call in state s is over.
func (s State) Final() bool { return s == Failed || s == Ended }

// Target is what to dial.
type Target struct {
	Number   string // the dial string
	Protocol string // sip, h323 or auto
	Speed    int    // kbit/s; 0: the terminal's default
}

// Call is one call as the terminal reports it.
type Call struct {
	ID       string // the terminal's id for the call; "" when it gives none
	Remote   string // the number dialled, or the caller
	State    State
	Incoming bool
	Reason   string // Failed or Ended: the terminal's own words, if any
}

// Event is a change of a call.
type Event struct {
	Call Call
	At   time.Time
}

// Health is a terminal's link as the driver sees it.
type Health struct {
	Name      string
	Kind      string // the protocol: poly, cisco, generic
	Addr      string // the port or address opened last
	Connected bool   // the port is open and the terminal answers
	LastError string // why it is not connected, or the last command that failed
	Since     time.Time
}

// Errors callers branch on.
var (
	ErrNotConnected = errors.New("terminal: not connected")
	ErrTimeout      = errors.New("terminal: no answer in time")
)

// RefusedError is a command the terminal answered with an error; Reply is
// its own words, which the box keeps with the failed call.
type RefusedError struct {
	Command string
	Reply   string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("terminal: %s refused: %s", e.Command, e.Reply)
}

// Terminal is what a driver offers; consumers declare the part they use.
type Terminal interface {
	// Run keeps the terminal connected and passes call changes to emit
	// until ctx is done.
	Run(ctx context.Context, emit func(Event)) error
	Wake(ctx context.Context) error
	Dial(ctx context.Context, t Target) error
	HangUp(ctx context.Context) error
	// Calls asks the terminal for its calls now.
	Calls(ctx context.Context) ([]Call, error)
	Health() Health
	String() string
}
