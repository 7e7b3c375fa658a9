package wire

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// Limits of a bridge and of a call record.
const (
	MaxDialSize     = 256 // a bridge's dial string
	MinSpeed        = 64  // kbit/s: one ISDN channel, the slowest rate terminals offer
	MaxSpeed        = 8192
	MaxTerminalSize = 128  // a terminal's name in the box's config
	MaxReasonSize   = 1024 // a failure in the terminal's own words
	MaxCallSize     = 16 << 10
)

// Protocols a bridge may name; "" leaves the choice to the terminal, as auto.
var Protocols = []string{"", "sip", "h323", "auto"}

// CallStates lists the states of a Call.
var CallStates = []string{CallDialling, CallConnected, CallFailed, CallDropped, CallEnded}

// CallIdle is a CallState's state when no call is up or being made.
const CallIdle = "idle"

// CallBys lists who may make a call change happen.
var CallBys = []string{CallBySchedule, CallBySecretary, CallByCity, CallByTerminal}

// checkDial checks a dial string: 1..MaxDialSize bytes of printable ASCII
// other than space, quotes and backslash. The box writes it between quotes
// on a terminal's command line (Poly: dial manual 1920 "<dial>" sip; Cisco:
// xCommand Dial Number: "<dial>"), where a quote would end the string and a
// control character or space would start another command. SIP URIs, H.323
// aliases, E.164 numbers and addresses need none of them.
func checkDial(dial string) error {
	if dial == "" || len(dial) > MaxDialSize {
		return fmt.Errorf("dial must be 1..%d bytes", MaxDialSize)
	}
	if i := strings.IndexFunc(dial, func(r rune) bool { return r <= ' ' || r > '~' || strings.ContainsRune("\"'`\\", r) }); i >= 0 {
		return fmt.Errorf("dial %.40q: byte %d is not printable ASCII, or is a space, quote or backslash", dial, i)
	}
	return nil
}

// checkBridge checks a bridge as a meeting or a dial command gives it.
func checkBridge(b Bridge) error {
	if err := checkDial(b.Dial); err != nil {
		return err
	}
	return checkProtocolSpeed(b.Protocol, b.Speed)
}

func checkProtocolSpeed(protocol string, speed int) error {
	switch {
	case !slices.Contains(Protocols, protocol):
		return fmt.Errorf("protocol %.20q, want sip, h323 or auto", protocol)
	case speed != 0 && (speed < MinSpeed || speed > MaxSpeed):
		return fmt.Errorf("speed %d kbit/s, want %d..%d, or 0 for the terminal's default", speed, MinSpeed, MaxSpeed)
	}
	return nil
}

// hasControl reports control characters: a name or reason with one could
// move the cursor of the operator reading it.
func hasControl(s string) bool { return strings.ContainsFunc(s, unicode.IsControl) }

// DecodeCall decodes and checks the data of a vn.roomgate.call.v1 event, as
// the city reads it: known state and by, the box's site and device, bounded
// texts. The dial string is only bounded and free of control characters,
// not held to checkDial: a call someone dialled by hand on the terminal is
// reported with whatever the terminal says it dialled.
func DecodeCall(data []byte) (Call, error) {
	var c Call
	if err := decode("call", data, MaxCallSize, '{', nil, &c); err != nil {
		return Call{}, err
	}
	fail := func(format string, args ...any) (Call, error) {
		return Call{}, errorf(ErrInvalid, "call: %s", fmt.Sprintf(format, args...))
	}
	switch {
	case !ValidName(c.Site) || !ValidName(c.Device):
		return fail("site %.70q and device %.70q must be ids", c.Site, c.Device)
	case len(c.Room) > MaxNameSize || hasControl(c.Room):
		return fail("room must be at most %d bytes, without control characters", MaxNameSize)
	case len(c.Meeting) > MaxMeetingIDSize || hasControl(c.Meeting):
		return fail("meeting must be at most %d bytes, without control characters", MaxMeetingIDSize)
	case len(c.Bridge) > MaxDialSize || hasControl(c.Bridge):
		return fail("bridge must be at most %d bytes, without control characters", MaxDialSize)
	case c.Terminal == "" || len(c.Terminal) > MaxTerminalSize || hasControl(c.Terminal):
		return fail("terminal must be 1..%d bytes, without control characters", MaxTerminalSize)
	case !slices.Contains(CallStates, c.State):
		return fail("state %.20q, want one of %s", c.State, strings.Join(CallStates, ", "))
	case !slices.Contains(CallBys, c.By):
		return fail("by %.20q, want one of %s", c.By, strings.Join(CallBys, ", "))
	case len(c.Reason) > MaxReasonSize:
		return fail("reason longer than %d bytes", MaxReasonSize)
	case c.Attempt < 0 || c.Duration < 0:
		return fail("attempt %d and duration_s %v must not be negative", c.Attempt, c.Duration)
	case c.At.IsZero():
		return fail("at missing")
	}
	if err := checkProtocolSpeed(c.Protocol, 0); err != nil {
		return fail("%v", err)
	}
	return c, nil
}

// checkCallState checks the call in a box's state.
func checkCallState(c *CallState) error {
	switch {
	case c.State != CallIdle && !slices.Contains(CallStates, c.State):
		return fmt.Errorf("state %.20q, want idle or one of %s", c.State, strings.Join(CallStates, ", "))
	case len(c.Terminal) > MaxTerminalSize, len(c.Meeting) > MaxMeetingIDSize, len(c.Bridge) > MaxDialSize, len(c.Reason) > MaxReasonSize:
		return fmt.Errorf("a field over its limit (terminal %d, meeting %d, bridge %d, reason %d bytes)", MaxTerminalSize, MaxMeetingIDSize, MaxDialSize, MaxReasonSize)
	case c.Held != "" && c.Held != CallHeldClock:
		return fmt.Errorf("held %.20q, want %s or none", c.Held, CallHeldClock)
	}
	return nil
}
