package cisco

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/roomgate/roomgate/devices/terminal"
)

// Protocol is the xAPI of Cisco Room, Desk and Codec series terminals
// (CE 9 and RoomOS) in terminal mode, over RS-232 or an SSH shell.
type Protocol struct {
	// User and Password log in on a serial console that asks for it
	// (SerialPort LoginRequired); over SSH the transport logs in.
	User, Password string

	mu       sync.Mutex
	fb       feedback
	tags     int
	starting bool // the banner a login prints is no reboot
}

var (
	_ terminal.Protocol = (*Protocol)(nil)
	_ terminal.Prompter = (*Protocol)(nil)
)

// Kind names the protocol in health and logs.
func (*Protocol) Kind() string { return "cisco" }

// Errors callers branch on.
var (
	ErrLogin       = errors.New("cisco: login refused")
	ErrNeedsLogin  = errors.New("cisco: the terminal asks for a login: set its user and password")
	ErrBadDialable = errors.New("cisco: dial string not allowed")
)

// startCommands set the session up: terminal output, and notifications of
// every change of a call and of why a call ended. The codec forgets them
// when it reboots or the session ends.
var startCommands = []string{
	"xPreferences outputmode terminal",
	"xFeedback register /Status/Call",
	"xFeedback register /Event/CallDisconnect",
}

// Start logs in if the console asks, and registers for call feedback.
func (p *Protocol) Start(ctx context.Context, c *terminal.Conn) error {
	p.mu.Lock()
	p.fb.restart()
	p.starting = true
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.starting = false
		p.mu.Unlock()
	}()
	for _, cmd := range startCommands {
		if err := p.untagged(ctx, c, cmd); err != nil {
			return err
		}
	}
	return nil
}

// untagged runs a command the codec answers with a bare OK or ERROR
// (xPreferences and xFeedback take no resultId). A console that wants a
// login prompts instead, and gets one.
func (p *Protocol) untagged(ctx context.Context, c *terminal.Conn, cmd string) error {
	send := cmd
	for range 6 {
		reply, err := c.Request(ctx, send, func(l string) (bool, error) {
			switch ParseLine(l).Kind {
			case OK, Error, LoginPrompt, PasswordPrompt:
				return true, nil
			}
			return false, nil
		})
		if err != nil {
			return fmt.Errorf("cisco: %s: %w", cmd, err)
		}
		last := ParseLine(reply[len(reply)-1]).Kind
		switch {
		case last == OK && send == cmd:
			return nil
		case last == OK: // logged in
			send = cmd
		case last == Error:
			return &terminal.RefusedError{Command: cmd, Reply: errorWords(reply)}
		case last == LoginPrompt && send == p.Password && has(reply, LoginIncorrect):
			return fmt.Errorf("%w: user %q", ErrLogin, p.User)
		case last == LoginPrompt && p.User == "":
			return ErrNeedsLogin
		case last == LoginPrompt:
			send = p.User
		case last == PasswordPrompt && send == p.User && p.Password == "":
			return ErrNeedsLogin // a blank line cannot be sent as a password
		case last == PasswordPrompt && send == p.User && p.User != "":
			send = p.Password
		case last == PasswordPrompt:
			// The console took what was sent for a user name: fail that
			// login with a blank password to get the prompt back.
			send = " "
		}
	}
	return fmt.Errorf("cisco: %s: the console's prompts never ended", cmd)
}

func has(reply []string, k Kind) bool {
	for _, l := range reply {
		if ParseLine(l).Kind == k {
			return true
		}
	}
	return false
}

// errorWords are what the terminal said before an ERROR, such as
// "Command not recognized."
func errorWords(reply []string) string {
	var words []string
	for _, l := range reply {
		if k := ParseLine(l).Kind; k == Message || k == Field {
			words = append(words, strings.TrimSpace(l))
		}
	}
	if len(words) == 0 {
		return "ERROR"
	}
	return clean(strings.Join(words, " "))
}

// tagged runs an xCommand or xStatus with a resultId, and returns the
// lines of its reply block. The tag is how the reply is told apart from
// feedback the codec sends in between and from the OK of an earlier
// command, since replies are not promised in order.
func (p *Protocol) tagged(ctx context.Context, c *terminal.Conn, cmd string) ([]string, error) {
	p.mu.Lock()
	p.tags++
	tag := "rg" + strconv.Itoa(p.tags)
	p.mu.Unlock()
	ours := false
	reply, err := c.Request(ctx, cmd+` | resultId="`+tag+`"`, func(l string) (bool, error) {
		pl := ParseLine(l)
		switch pl.Kind {
		case ResultID:
			ours = pl.Value == tag
		case End:
			return ours, nil
		}
		return false, nil
	})
	if err != nil {
		return nil, fmt.Errorf("cisco: %s: %w", cmd, err)
	}
	// The reply's block starts after the last block that ended before it.
	start := 0
	for i, l := range reply[:len(reply)-1] {
		if ParseLine(l).Kind == End {
			start = i + 1
		}
	}
	return reply[start:], nil
}

// command runs an xCommand and turns a refusal into a RefusedError with
// the terminal's words.
func (p *Protocol) command(ctx context.Context, c *terminal.Conn, what, cmd string) error {
	block, err := p.tagged(ctx, c, cmd)
	if err != nil {
		return err
	}
	rep, err := ReadReply(strings.NewReader(strings.Join(block, "\n")))
	if err != nil {
		return fmt.Errorf("cisco: %s: %w", what, err)
	}
	if rep.Failed() {
		return &terminal.RefusedError{Command: what, Reply: rep.Words()}
	}
	return nil
}

// Parse follows a line of feedback or of a reply.
func (p *Protocol) Parse(line string) (terminal.Parsed, bool) {
	l := ParseLine(line)
	p.mu.Lock()
	calls := p.fb.line(l)
	starting := p.starting
	p.mu.Unlock()
	// A console that prompts for a login, or prints the release banner
	// when Start is not logging in, has rebooted: its feedback
	// registrations are gone. Over SSH a reboot drops the connection.
	restarted := !starting && (l.Kind == LoginPrompt || l.Kind == Banner && strings.HasPrefix(l.Value, "Cisco Codec Release "))
	return terminal.Parsed{Calls: calls, Restarted: restarted}, l.Kind != Unknown
}

// Prompt reports whether text with no newline yet is the console's
// "login:" or "Password:" prompt; the driver takes it as a line of its own
// at once. xAPI output starts with "*" or an indent, and may hold
// "login:" in a value.
func (*Protocol) Prompt(partial string) bool {
	if partial[0] == '*' || partial[0] == ' ' {
		return false
	}
	k := ParseLine(partial).Kind
	return k == LoginPrompt || k == PasswordPrompt
}

// Wake brings the codec out of standby.
func (p *Protocol) Wake(ctx context.Context, c *terminal.Conn) error {
	return p.command(ctx, c, "wake", "xCommand Standby Deactivate")
}

// maxDialable is the codec's limit on a dial string.
const maxDialable = 255

// Dial places a call; its progress comes as feedback.
func (p *Protocol) Dial(ctx context.Context, c *terminal.Conn, t terminal.Target) error {
	cmd, err := dialCommand(t)
	if err != nil {
		return err
	}
	return p.command(ctx, c, "dial", cmd)
}

// dialCommand builds the Dial command. The number goes inside quotes, so
// anything that could end them, escape, or start a new command or
// argument is refused rather than passed on.
func dialCommand(t terminal.Target) (string, error) {
	n := t.Number
	switch {
	case n == "":
		return "", fmt.Errorf("%w: empty", ErrBadDialable)
	case len(n) > maxDialable:
		return "", fmt.Errorf("%w: longer than %d bytes", ErrBadDialable, maxDialable)
	case strings.ContainsAny(n, "\"\\|"):
		return "", fmt.Errorf("%w: %q has a quote, backslash or bar", ErrBadDialable, n)
	case strings.ContainsFunc(n, func(r rune) bool { return !unicode.IsPrint(r) || r == unicode.ReplacementChar }):
		return "", fmt.Errorf("%w: %q has a control or invalid character", ErrBadDialable, n)
	}
	cmd := `xCommand Dial Number: "` + n + `"`
	switch strings.ToLower(t.Protocol) {
	case "sip":
		cmd += " Protocol: Sip"
	case "h323":
		cmd += " Protocol: H323"
	case "", "auto": // the codec's Conference DefaultCall Protocol
	default:
		return "", fmt.Errorf("cisco: protocol %q: want sip, h323 or auto", t.Protocol)
	}
	switch {
	case t.Speed == 0:
	case t.Speed < 64 || t.Speed > 6000:
		return "", fmt.Errorf("cisco: call rate %d kbit/s outside 64..6000", t.Speed)
	default:
		cmd += " CallRate: " + strconv.Itoa(t.Speed)
	}
	return cmd, nil
}

// HangUp ends every call.
func (p *Protocol) HangUp(ctx context.Context, c *terminal.Conn) error {
	return p.command(ctx, c, "hang up", "xCommand Call Disconnect")
}

// Calls asks for the calls now. One on its way out (Disconnecting) is
// listed as it last was, so that its end comes from the ghost, with its
// cause; one the box never saw is left out.
func (p *Protocol) Calls(ctx context.Context, c *terminal.Conn) ([]terminal.Call, error) {
	block, err := p.tagged(ctx, c, "xStatus Call")
	if err != nil {
		return nil, err
	}
	recs, err := ReadCalls(strings.NewReader(strings.Join(block, "\n")))
	if err != nil {
		return nil, fmt.Errorf("cisco: call status: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	live := map[string]bool{}
	var calls []terminal.Call
	for _, r := range recs {
		live[r.ID] = true
		st, ok := state(r.Status)
		if !ok {
			connected, known := p.fb.last(r.ID)
			if !known {
				continue
			}
			st = terminal.Dialling
			if connected {
				st = terminal.Connected
			}
		}
		calls = append(calls, terminal.Call{ID: r.ID, Remote: r.Remote, State: st, Incoming: r.Direction == "Incoming"})
	}
	p.fb.keep(live)
	return calls, nil
}
