package wire

import (
	"encoding/json"
	"slices"
	"time"
)

// Limits of commands and their results.
const (
	MaxCommandSize       = 64 << 10
	MaxCommandResultSize = 64 << 10
	MaxErrorSize         = 1024 // a result's error text
)

// Commands the city may send.
const (
	CmdOpenDoor = "open_door" // pulse the door relay as for a grant
	CmdResync   = "resync"    // resend everything not yet acknowledged
	CmdPing     = "ping"      // answer, to show the box is listening
	// CmdDeletePerson removes a person's face templates from the box: the
	// city's gallery, people enrolled on the box, a gallery being received.
	CmdDeletePerson = "delete_person"
	// CmdDial dials the room's bridge now (args DialArgs); CmdHangUp hangs
	// up the call the box made; CmdCallStatus answers with the call as the
	// box sees it (its state's CallState).
	CmdDial       = "dial"
	CmdHangUp     = "hang_up"
	CmdCallStatus = "call_status"
	// CmdSelfTest runs the box's self-test (roomgate doctor, without the
	// checks that need a technician) and answers with its DoctorState.
	CmdSelfTest = "self_test"
)

// A command runs only between its iat and exp: one delivered late (to a box
// that was offline and kept its broker session) is refused, never run.
const (
	DefaultCommandLifetime = 30 * time.Second // what the city gives a command unless told otherwise
	MaxCommandLifetime     = 10 * time.Minute // a command meant to live longer is refused
	// A deletion must reach a box that was offline for as long as the broker
	// keeps its session (persistent_client_expiration 30d); run late, it
	// only removes what should be gone already.
	MaxDeletionLifetime = 30 * 24 * time.Hour
	CommandSkew         = 10 * time.Second // how far ahead of the box's clock the city's may be
)

// MaxLifetime is the longest a command of this name may live.
func MaxLifetime(name string) time.Duration {
	if name == CmdDeletePerson {
		return MaxDeletionLifetime
	}
	return MaxCommandLifetime
}

// Commands lists the command names a box knows.
var Commands = []string{CmdOpenDoor, CmdResync, CmdPing, CmdDeletePerson, CmdDial, CmdHangUp, CmdCallStatus, CmdSelfTest}

// DeletePersonArgs are the args of delete_person.
type DeletePersonArgs struct {
	PersonID string `json:"person_id"`
}

// DecodeDeletePersonArgs decodes and checks the args of delete_person.
func DecodeDeletePersonArgs(args json.RawMessage) (DeletePersonArgs, error) {
	var a DeletePersonArgs
	if err := decode("delete_person args", args, MaxCommandSize, '{', nil, &a); err != nil {
		return DeletePersonArgs{}, err
	}
	if a.PersonID == "" || len(a.PersonID) > MaxPersonIDSize {
		return DeletePersonArgs{}, errorf(ErrInvalid, "delete_person args: person_id must be 1..%d bytes", MaxPersonIDSize)
	}
	return a, nil
}

// DialArgs are the args of dial, all optional. Meeting names the meeting
// of the box's schedule the call is for; without Dial the box dials that
// meeting's bridge, or without Meeting either, the bridge of the meeting in
// progress or about to start. Dial, with Protocol and Speed, overrides the
// bridge (a meeting moved to another bridge at short notice), checked as a
// meeting's bridge is.
type DialArgs struct {
	Meeting  string `json:"meeting,omitempty"`
	Dial     string `json:"dial,omitempty"`
	Protocol string `json:"protocol,omitempty"`
	Speed    int    `json:"speed,omitempty"`
}

// Bridge returns the bridge the args name, nil when they name none.
func (a DialArgs) Bridge() *Bridge {
	if a.Dial == "" {
		return nil
	}
	return &Bridge{Dial: a.Dial, Protocol: a.Protocol, Speed: a.Speed}
}

// DecodeDialArgs decodes and checks the args of dial; no args (nil or
// null) are the zero DialArgs.
func DecodeDialArgs(args json.RawMessage) (DialArgs, error) {
	var a DialArgs
	if len(args) == 0 || string(args) == "null" {
		return a, nil
	}
	if err := decode("dial args", args, MaxCommandSize, '{', nil, &a); err != nil {
		return DialArgs{}, err
	}
	switch {
	case len(a.Meeting) > MaxMeetingIDSize || hasControl(a.Meeting):
		return DialArgs{}, errorf(ErrInvalid, "dial args: meeting must be at most %d bytes, without control characters", MaxMeetingIDSize)
	case a.Dial == "" && (a.Protocol != "" || a.Speed != 0):
		return DialArgs{}, errorf(ErrInvalid, "dial args: protocol and speed without dial")
	case a.Dial != "":
		if err := checkBridge(*a.Bridge()); err != nil {
			return DialArgs{}, errorf(ErrInvalid, "dial args: %v", err)
		}
	}
	return a, nil
}

// Command is what the city publishes on cmd. The box answers on cmd/result
// with the same id.
type Command struct {
	ID   string          `json:"id"`
	Name string          `json:"name"`
	Args json.RawMessage `json:"args,omitempty"` // a JSON object, or nil

	// Set by the city when it signs the command (agent/citysign checks the
	// device; CheckTime the times).
	Device    string `json:"dev,omitempty"` // the one box this is for
	IssuedAt  int64  `json:"iat,omitempty"` // Unix seconds
	ExpiresAt int64  `json:"exp,omitempty"` // Unix seconds; not run from then on
}

// CheckTime reports why the command may not run at now: times missing, a
// lifetime over MaxCommandLifetime, issued ahead of now by more than
// CommandSkew, or expired. The error wraps ErrStale for the last two.
func (c Command) CheckTime(now time.Time) error {
	iat, exp := time.Unix(c.IssuedAt, 0), time.Unix(c.ExpiresAt, 0)
	switch {
	case c.IssuedAt <= 0 || c.ExpiresAt <= 0:
		return errorf(ErrInvalid, "cmd %s: iat and exp are required", c.ID)
	case c.ExpiresAt <= c.IssuedAt:
		return errorf(ErrInvalid, "cmd %s: exp is not after iat", c.ID)
	case exp.Sub(iat) > MaxLifetime(c.Name):
		return errorf(ErrInvalid, "cmd %s: lives %v, limit %v", c.ID, exp.Sub(iat), MaxLifetime(c.Name))
	case now.Add(CommandSkew).Before(iat):
		return errorf(ErrStale, "cmd %s: issued at %s, ahead of the box's clock %s", c.ID, iat.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	case !now.Before(exp):
		return errorf(ErrStale, "cmd %s: expired at %s, now %s", c.ID, exp.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}

// CommandResult answers a command on cmd/result.
type CommandResult struct {
	ID     string `json:"id"`
	OK     bool   `json:"ok"`
	Error  string `json:"error,omitempty"`  // why not, when !OK
	Result any    `json:"result,omitempty"` // encodes as a JSON object
}

var commandFree = map[string]bool{"args": true}

// DecodeCommand decodes a command. A well-formed command with a name this
// box does not know is returned along with an error wrapping
// ErrUnknownCommand, so the caller can answer its id.
func DecodeCommand(payload []byte) (Command, error) {
	var c Command
	if err := decode("cmd", payload, MaxCommandSize, '{', commandFree, &c); err != nil {
		return Command{}, err
	}
	if err := checkID(c.ID); err != nil {
		return Command{}, errorf(ErrInvalid, "cmd: id: %v", err)
	}
	if c.Args != nil {
		if firstByte(c.Args) != '{' {
			return Command{}, errorf(ErrMalformed, "cmd %s: args: want an object", c.ID)
		}
	}
	if !slices.Contains(Commands, c.Name) {
		return c, errorf(ErrUnknownCommand, "cmd %s: unknown command %.40q", c.ID, c.Name)
	}
	return c, nil
}

// commandResult is CommandResult as decoded: ok is required and the result
// stays raw JSON.
type commandResult struct {
	ID     string          `json:"id"`
	OK     *bool           `json:"ok"`
	Error  string          `json:"error"`
	Result json.RawMessage `json:"result"`
}

var resultFree = map[string]bool{"result": true}

// DecodeCommandResult decodes a command result, as the city reads it. Its
// Result, when present, is the json.RawMessage of an object.
func DecodeCommandResult(payload []byte) (CommandResult, error) {
	var r commandResult
	if err := decode("cmd/result", payload, MaxCommandResultSize, '{', resultFree, &r); err != nil {
		return CommandResult{}, err
	}
	if err := checkID(r.ID); err != nil {
		return CommandResult{}, errorf(ErrInvalid, "cmd/result: id: %v", err)
	}
	switch {
	case r.OK == nil:
		return CommandResult{}, errorf(ErrInvalid, "cmd/result %s: ok missing", r.ID)
	case !*r.OK && r.Error == "":
		return CommandResult{}, errorf(ErrInvalid, "cmd/result %s: not ok without an error", r.ID)
	case len(r.Error) > MaxErrorSize:
		return CommandResult{}, errorf(ErrInvalid, "cmd/result %s: error longer than %d bytes", r.ID, MaxErrorSize)
	}
	out := CommandResult{ID: r.ID, OK: *r.OK, Error: r.Error}
	if r.Result != nil && string(r.Result) != "null" {
		if firstByte(r.Result) != '{' {
			return CommandResult{}, errorf(ErrMalformed, "cmd/result %s: result: want an object", r.ID)
		}
		out.Result = r.Result
	}
	return out, nil
}
