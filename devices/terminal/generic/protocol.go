package generic

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/roomgate/roomgate/devices/terminal"
)

// Limits of what a call's fields keep of a terminal's line.
const (
	maxID       = 32
	maxRemote   = 256
	maxReason   = 200
	maxNumber   = 256
	maxPassword = 256
)

// Protocol is a compiled Definition, for terminal.Driver.
type Protocol struct {
	def      Definition
	password string

	prompt, ok, refused, statusEnd, restart *regexp.Regexp
	known                                   []*regexp.Regexp // lines that are understood and say nothing about a call
	rules                                   []rule
}

type rule struct {
	re                 *regexp.Regexp
	state              terminal.State
	incoming           bool
	id, remote, reason int // submatch indexes; 0: the pattern has no such group
}

var (
	_ terminal.Protocol = (*Protocol)(nil)
	_ terminal.Prompter = (*Protocol)(nil)
)

// New compiles d. password, from the config's password file, answers the
// login prompt; empty, no login is tried.
func New(d Definition, password string) (*Protocol, error) {
	if ps := d.Check(); len(ps) > 0 {
		msgs := make([]string, len(ps))
		for i, p := range ps {
			msgs[i] = p.String()
		}
		return nil, fmt.Errorf("generic: %s", strings.Join(msgs, "; "))
	}
	if len(password) > maxPassword || strings.IndexFunc(password, unicode.IsControl) >= 0 {
		// The password is not shown: the error may end up in a log.
		return nil, fmt.Errorf("generic: password: longer than %d bytes or has a control character", maxPassword)
	}
	p := &Protocol{def: d, password: password}
	must := func(pattern string) *regexp.Regexp {
		if pattern == "" {
			return nil
		}
		return regexp.MustCompile(pattern) // Check compiled it
	}
	p.prompt, p.ok, p.refused = must(d.Login.Prompt), must(d.Replies.OK), must(d.Replies.Error)
	p.statusEnd, p.restart = must(d.Replies.StatusEnd), must(d.Replies.Restart)
	p.known = []*regexp.Regexp{p.ok, p.refused, p.statusEnd}
	if p.prompt != nil {
		p.known = append(p.known, p.prompt)
	}
	for _, s := range d.Ignore {
		p.known = append(p.known, must(s))
	}
	for _, r := range d.Calls {
		re := must(r.Match)
		p.rules = append(p.rules, rule{re: re, state: terminal.State(r.State), incoming: r.Incoming,
			id: re.SubexpIndex("id"), remote: re.SubexpIndex("remote"), reason: re.SubexpIndex("reason")})
	}
	return p, nil
}

// Kind names the protocol in health and logs.
func (p *Protocol) Kind() string { return "generic" }

// Parse reads one line from the terminal. Call rules are tried first, in
// order, then the restart banner, then the lines known to say nothing.
func (p *Protocol) Parse(line string) (terminal.Parsed, bool) {
	if c, ok := p.call(line); ok {
		return terminal.Parsed{Calls: []terminal.Call{c}}, true
	}
	if p.restart != nil && p.restart.MatchString(line) {
		return terminal.Parsed{Restarted: true}, true
	}
	for _, re := range p.known {
		if re.MatchString(line) {
			return terminal.Parsed{}, true
		}
	}
	return terminal.Parsed{}, false
}

// Prompt reports whether text with no newline yet matches the login
// prompt's pattern; the driver takes it as a line of its own at once.
func (p *Protocol) Prompt(partial string) bool {
	return p.prompt != nil && p.prompt.MatchString(partial)
}

// call applies the first rule that matches line.
func (p *Protocol) call(line string) (terminal.Call, bool) {
	for _, r := range p.rules {
		m := r.re.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		group := func(i, max int) string {
			if i <= 0 {
				return ""
			}
			return clean(m[i], max)
		}
		return terminal.Call{ID: group(r.id, maxID), Remote: group(r.remote, maxRemote), State: r.state,
			Incoming: r.incoming, Reason: group(r.reason, maxReason)}, true
	}
	return terminal.Call{}, false
}

// clean keeps what a terminal's words may show on a screen or in the
// city's records: valid UTF-8 without control or bidi characters, trimmed
// and cut to max runes (trimmed after the cut, which may end on a space).
func clean(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return unicode.ReplacementChar
		}
		return r
	}, strings.ToValidUTF8(s, string(unicode.ReplacementChar)))
	if r := []rune(s); len(r) > max {
		s = string(r[:max])
	}
	return strings.TrimSpace(s)
}

// Start logs in when the terminal prompts for the password, then sends the
// start commands. A terminal that does not prompt within the timeout (a
// serial port, or no password set) is taken to need no login.
func (p *Protocol) Start(ctx context.Context, c *terminal.Conn) error {
	if p.password != "" && p.prompt != nil {
		_, err := c.Request(ctx, "", func(line string) (bool, error) { return p.prompt.MatchString(line), nil })
		switch {
		case err == nil:
			if err := p.login(ctx, c); err != nil {
				return err
			}
		case !errors.Is(err, terminal.ErrTimeout):
			return err
		}
	}
	for _, cmd := range p.def.Start {
		if _, err := c.Request(ctx, cmd, p.done("start")); err != nil {
			return err
		}
	}
	return nil
}

// login sends the password; no error it returns shows it.
func (p *Protocol) login(ctx context.Context, c *terminal.Conn) error {
	_, err := c.Request(ctx, p.password, p.done("login"))
	var refused *terminal.RefusedError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &refused):
		return &terminal.RefusedError{Command: "login", Reply: strings.ReplaceAll(refused.Reply, p.password, "…")}
	case errors.Is(err, terminal.ErrTimeout):
		return fmt.Errorf("generic: login: %w", terminal.ErrTimeout)
	case strings.Contains(err.Error(), p.password):
		return errors.New("generic: login failed")
	}
	return err
}

// done ends the reply to the command op at an ok or error line.
func (p *Protocol) done(op string) func(string) (bool, error) {
	return func(line string) (bool, error) {
		if m := p.refused.FindStringSubmatch(line); m != nil {
			words := m[0]
			if len(m) > 1 && m[1] != "" {
				words = m[1]
			}
			return true, &terminal.RefusedError{Command: op, Reply: clean(words, maxReason)}
		}
		return p.ok.MatchString(line), nil
	}
}

// Wake sends the wake command, if the terminal has one.
func (p *Protocol) Wake(ctx context.Context, c *terminal.Conn) error {
	if p.def.Wake == "" {
		return nil
	}
	_, err := c.Request(ctx, p.def.Wake, p.done("wake"))
	return err
}

// Dial fills the dial template with t and sends it.
func (p *Protocol) Dial(ctx context.Context, c *terminal.Conn, t terminal.Target) error {
	cmd, err := p.dialCommand(t)
	if err != nil {
		return err
	}
	_, err = c.Request(ctx, cmd, p.done("dial"))
	return err
}

// HangUp sends the hang-up command.
func (p *Protocol) HangUp(ctx context.Context, c *terminal.Conn) error {
	_, err := c.Request(ctx, p.def.HangUp, p.done("hang up"))
	return err
}

// Calls asks for the calls and returns the live ones, the last line about
// each call counting.
func (p *Protocol) Calls(ctx context.Context, c *terminal.Conn) ([]terminal.Call, error) {
	reply, err := c.Request(ctx, p.def.Status, func(line string) (bool, error) {
		if done, err := p.done("status")(line); err != nil {
			return done, err
		}
		return p.statusEnd.MatchString(line), nil
	})
	if err != nil {
		return nil, err
	}
	var calls []terminal.Call
	at := map[string]int{}
	for _, l := range reply {
		call, ok := p.call(l)
		if !ok {
			continue
		}
		if i, seen := at[call.ID]; seen {
			calls[i] = call
			continue
		}
		at[call.ID] = len(calls)
		calls = append(calls, call)
	}
	live := calls[:0]
	for _, call := range calls {
		if !call.State.Final() {
			live = append(live, call)
		}
	}
	return live, nil
}

// dialCommand fills the dial template. The values are checked first, so
// that a dial string from the schedule cannot add a command or change the
// template's meaning.
func (p *Protocol) dialCommand(t terminal.Target) (string, error) {
	if err := checkNumber(t.Number); err != nil {
		return "", err
	}
	var word string
	switch t.Protocol {
	case "sip":
		word = or(p.def.Protocols.SIP, "sip")
	case "h323":
		word = or(p.def.Protocols.H323, "h323")
	case "auto", "":
		word = or(p.def.Protocols.Auto, "auto")
	default:
		return "", fmt.Errorf("generic: protocol %q: want sip, h323 or auto", clean(t.Protocol, maxWord))
	}
	speed := t.Speed
	if speed == 0 {
		speed = p.def.DefaultSpeed
	}
	if speed < 0 || speed > maxSpeed {
		return "", fmt.Errorf("generic: speed %d: want 0 to %d kbit/s", t.Speed, maxSpeed)
	}
	r := strings.NewReplacer("{{number}}", t.Number, "{{protocol}}", word, "{{speed}}", strconv.Itoa(speed))
	return r.Replace(p.def.Dial), nil
}

// checkNumber allows what SIP URIs, E.164 numbers and H.323 dial strings
// (ip##extension) are written with, and nothing that could quote, space or
// end a command.
func checkNumber(n string) error {
	if n == "" {
		return errors.New("generic: empty dial string")
	}
	if len(n) > maxNumber {
		return fmt.Errorf("generic: dial string of %d bytes: at most %d", len(n), maxNumber)
	}
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@.:+_#*-/", r)) {
			return fmt.Errorf("generic: dial string %q: %q is not allowed: want letters, digits and @ . : + _ # * - /", clean(n, 64), r)
		}
	}
	return nil
}

func or(s, def string) string {
	if s != "" {
		return s
	}
	return def
}
