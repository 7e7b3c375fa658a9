package poly

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/roomgate/roomgate/devices/terminal"
)

// Defaults for Protocol's fields.
const (
	DefaultSpeed     = 1024 // kbit/s, when the target names none: the systems' usual preferred rate
	DefaultGreetWait = time.Second
	maxDialLen       = 255
)

// Errors callers branch on.
var (
	ErrPassword   = errors.New("poly: password refused")
	ErrNoPassword = errors.New("poly: the terminal asks for a password and none is configured")
)

// Protocol is the Poly API. One Protocol serves one Driver: it remembers
// the calls it follows.
type Protocol struct {
	Password string // "" when the API port asks for none
	// Speed is the call rate for a target that names none; 0 is
	// DefaultSpeed.
	Speed int
	// GreetWait bounds the wait for the password prompt or the shell's
	// prompt when a session opens (0: DefaultGreetWait). A serial port
	// greets nobody, so it costs this much on every serial connect.
	GreetWait time.Duration

	calls    tracker
	prompted atomic.Bool // a password prompt came since the last login
}

var (
	_ terminal.Protocol = (*Protocol)(nil)
	_ terminal.Prompter = (*Protocol)(nil)
)

// Kind names the protocol.
func (*Protocol) Kind() string { return "poly" }

// Parse reads a line the terminal sent. A boot banner, a password prompt
// out of turn and a lost callstate registration each say the terminal
// rebooted.
func (p *Protocol) Parse(s string) (terminal.Parsed, bool) {
	l := parseLine(s)
	switch l.kind {
	case unknown:
		return terminal.Parsed{}, false
	case callLine:
		if c, changed := p.calls.apply(l.report); changed {
			return terminal.Parsed{Calls: []terminal.Call{c}}, true
		}
	case banner:
		return terminal.Parsed{Restarted: true}, true
	case passwordPrompt:
		p.prompted.Store(true)
		return terminal.Parsed{Restarted: true}, true
	case unregistered:
		return terminal.Parsed{Restarted: true}, true
	}
	return terminal.Parsed{}, true
}

// Prompt reports whether text with no newline yet is the password prompt
// or the shell's "-> ", which the system prints after every reply on port
// 24; the driver takes it as a line of its own at once.
func (*Protocol) Prompt(partial string) bool {
	return partial == "Password:" || partial == "->"
}

// Start logs in if the terminal asks for it and registers for call
// notifications, in both of the API's forms: callstate gives every state,
// callstatus the direction and the clearing cause.
func (p *Protocol) Start(ctx context.Context, c *terminal.Conn) error {
	if strings.ContainsAny(p.Password, "\r\n") {
		return errors.New("poly: the password spans lines")
	}
	// A new session may follow a reboot, which numbers calls afresh; the
	// first poll tells the live ones again.
	p.calls.reset()
	if err := p.greet(ctx, c); err != nil {
		return err
	}
	for _, cmd := range []string{"callstate register", "notify callstatus"} {
		err := p.register(ctx, c, cmd)
		if errors.Is(err, errLoginWanted) {
			// A serial port prompts only when spoken to: the command
			// was taken for a password.
			if err = p.login(ctx, c); err == nil {
				err = p.register(ctx, c, cmd)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

var errLoginWanted = errors.New("poly: the terminal asks for a password")

// greet waits for what the terminal says first: a password prompt (log
// in) or the shell's prompt. A serial port says nothing until spoken to,
// so an empty line asks it once more.
func (p *Protocol) greet(ctx context.Context, c *terminal.Conn) error {
	for _, poke := range []string{"", " "} {
		if p.prompted.Load() {
			return p.login(ctx, c)
		}
		gctx, cancel := context.WithTimeout(ctx, or(p.GreetWait, DefaultGreetWait))
		var wantsLogin bool
		_, err := c.Request(gctx, poke, func(s string) (bool, error) {
			switch parseLine(s).kind {
			case passwordPrompt:
				wantsLogin = true
				return true, nil
			case shellPrompt:
				return true, nil
			}
			return false, nil
		})
		cancel()
		switch {
		case wantsLogin:
			return p.login(ctx, c)
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, terminal.ErrTimeout):
			return fmt.Errorf("poly: greeting: %w", err)
		}
	}
	return nil // a terminal that prompts for nothing
}

// login answers the password prompt. Errors never hold the password.
func (p *Protocol) login(ctx context.Context, c *terminal.Conn) error {
	if p.Password == "" {
		return ErrNoPassword
	}
	p.prompted.Store(false)
	_, err := c.Request(ctx, p.Password, func(s string) (bool, error) {
		switch parseLine(s).kind {
		case passwordPrompt, loginRefused:
			return true, ErrPassword
		case banner, shellPrompt:
			return true, nil
		}
		return false, nil
	})
	switch {
	case err == nil, errors.Is(err, ErrPassword):
		return err
	case errors.Is(err, terminal.ErrTimeout):
		return fmt.Errorf("poly: log in: %w", terminal.ErrTimeout)
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return errors.New("poly: log in: the connection failed")
}

// register runs a registration; the reply says it holds, or that it did
// already.
func (p *Protocol) register(ctx context.Context, c *terminal.Conn, cmd string) error {
	_, err := c.Request(ctx, cmd, func(s string) (bool, error) {
		l := parseLine(s)
		switch l.kind {
		case registered, infoLine: // info: event/notification already active
			return true, nil
		case ackLine:
			return strings.HasSuffix(trimPrompt(s), " success"), nil // not the echo
		case errorLine:
			return true, &terminal.RefusedError{Command: cmd, Reply: l.words}
		case passwordPrompt, loginRefused:
			return true, errLoginWanted
		}
		return false, nil
	})
	if err != nil && !errors.Is(err, errLoginWanted) {
		return fmt.Errorf("poly: %s: %w", cmd, err)
	}
	return err
}

// Wake brings the system out of sleep; it answers "wake".
func (p *Protocol) Wake(ctx context.Context, c *terminal.Conn) error {
	return p.command(ctx, c, "wake", false, func(s string) bool { return s == "wake" })
}

// Dial places a call with dial manual, which answers "dialing manual". A
// dial string that could break out of its quotes is refused before
// anything is sent. The manual's info: answers to dial all say why it did
// not dial, so they are refusals too.
func (p *Protocol) Dial(ctx context.Context, c *terminal.Conn, t terminal.Target) error {
	cmd, err := DialCommand(t, or(p.Speed, DefaultSpeed))
	if err != nil {
		return err
	}
	return p.command(ctx, c, cmd, true, func(s string) bool { return strings.HasPrefix(s, "dialing ") })
}

// HangUp ends every call.
func (p *Protocol) HangUp(ctx context.Context, c *terminal.Conn) error {
	return p.command(ctx, c, "hangup all", false, func(s string) bool {
		return strings.HasPrefix(s, "hanging up") || strings.HasPrefix(s, "hangup ") && s != "hangup all"
	})
}

// command runs cmd until answered says a line is its answer, or an error:
// line (or an info: line, when infoRefuses) refuses it. When no answer
// comes in time, callstate get tells whether the terminal is there: the
// answer may have been taken for an echo (wake answers "wake", and not
// every port echoes), or worded otherwise by another model.
func (p *Protocol) command(ctx context.Context, c *terminal.Conn, cmd string, infoRefuses bool, answered func(string) bool) error {
	_, err := c.Request(ctx, cmd, func(s string) (bool, error) {
		l := parseLine(s)
		switch l.kind {
		case errorLine:
			return true, &terminal.RefusedError{Command: cmd, Reply: l.words}
		case infoLine:
			if infoRefuses {
				return true, &terminal.RefusedError{Command: cmd, Reply: l.words}
			}
			return true, nil
		case passwordPrompt, loginRefused:
			return true, errLoginWanted
		}
		return answered(trimPrompt(s)), nil
	})
	if errors.Is(err, terminal.ErrTimeout) {
		if p.registrations(ctx, c) == nil {
			return nil
		}
	}
	var refused *terminal.RefusedError
	if err != nil && !errors.As(err, &refused) {
		return fmt.Errorf("poly: %s: %w", cmd, err)
	}
	return err
}

// registrations asks callstate get; Parse reports a restart when the
// answer says the registrations are gone.
func (p *Protocol) registrations(ctx context.Context, c *terminal.Conn) error {
	_, err := c.Request(ctx, "callstate get", func(s string) (bool, error) {
		k := parseLine(s).kind
		return k == registered || k == unregistered, nil
	})
	if err != nil {
		return fmt.Errorf("poly: callstate get: %w", err)
	}
	return nil
}

// Calls checks that the registrations hold, then lists the live calls
// with callinfo all.
func (p *Protocol) Calls(ctx context.Context, c *terminal.Conn) ([]terminal.Call, error) {
	if err := p.registrations(ctx, c); err != nil {
		return nil, err
	}
	since := p.calls.mark()
	var reports []report
	_, err := c.Request(ctx, "callinfo all", func(s string) (bool, error) {
		l := parseLine(s)
		switch l.kind {
		case notInCall, callInfoEnd:
			return true, nil
		case errorLine:
			return true, &terminal.RefusedError{Command: "callinfo all", Reply: l.words}
		case passwordPrompt, loginRefused:
			return true, errLoginWanted
		case callLine:
			if strings.HasPrefix(trimPrompt(s), "callinfo:") {
				reports = append(reports, l.report)
			}
		}
		return false, nil
	})
	if err != nil {
		return nil, fmt.Errorf("poly: callinfo all: %w", err)
	}
	return p.calls.sync(reports, since), nil
}

// DialCommand is the dial manual line for t at speed (kbit/s) when t names
// none. auto leaves the call type out, which lets the system choose as it
// is configured to; the API takes no "auto" type. A dial string with a
// quote, a control character or invalid UTF-8 is refused: it would end
// the quoted string or the command line.
func DialCommand(t terminal.Target, speed int) (string, error) {
	n := t.Number
	switch {
	case n == "" || strings.TrimSpace(n) == "":
		return "", errors.New("poly: empty dial string")
	case len(n) > maxDialLen:
		return "", fmt.Errorf("poly: dial string longer than %d bytes", maxDialLen)
	case !utf8.ValidString(n):
		return "", errors.New("poly: dial string is not UTF-8")
	case strings.ContainsAny(n, `"\`):
		return "", fmt.Errorf("poly: dial string %q holds a quote or backslash", n)
	case strings.IndexFunc(n, func(r rune) bool { return unicode.IsControl(r) || !unicode.IsPrint(r) && r != ' ' }) >= 0:
		return "", fmt.Errorf("poly: dial string %q holds a control character", n)
	}
	if t.Speed != 0 {
		speed = t.Speed
	}
	if speed < 56 || speed > 20000 {
		return "", fmt.Errorf("poly: speed %d kbit/s out of range", speed)
	}
	cmd := "dial manual " + strconv.Itoa(speed) + ` "` + n + `"`
	switch t.Protocol {
	case "", "auto":
		return cmd, nil
	case "sip", "h323":
		return cmd + " " + t.Protocol, nil
	}
	return "", fmt.Errorf("poly: protocol %q: want sip, h323 or auto", t.Protocol)
}

func or[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}
