package generic

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/roomgate/roomgate/devices/terminal"
)

// Definition is a terminal's line protocol, as a config gives it. Each
// command is one line; a reply ends at a line that replies.ok or
// replies.error match (status: replies.status_end). Patterns are Go regular
// expressions (RE2).
type Definition struct {
	Wake         string    `yaml:"wake"`          // command that brings the terminal out of standby; empty: it has none
	Dial         string    `yaml:"dial"`          // command that places a call; {{number}}, {{protocol}} and {{speed}} become the bridge's dial string, protocol and speed
	HangUp       string    `yaml:"hang_up"`       // command that ends every call
	Status       string    `yaml:"status"`        // command that lists the calls, one line each, then a replies.status_end line
	Start        []string  `yaml:"start"`         // commands sent on every connection after the login and after a restart, such as a registration for call notifications
	DefaultSpeed int       `yaml:"default_speed"` // kbit/s put in {{speed}} when the bridge gives none
	Protocols    Protocols `yaml:"protocols"`     // the terminal's words for each protocol, put in {{protocol}}
	Login        Login     `yaml:"login"`         // the password prompt, if the port asks for one
	Replies      Replies   `yaml:"replies"`       // lines that end a command's reply
	Calls        []Rule    `yaml:"calls"`         // lines, in replies or unasked, that report a call; the first rule that matches applies
	Ignore       []string  `yaml:"ignore"`        // patterns of lines that say nothing (banners, prompts), so they are not logged as unknown
}

// Protocols are the terminal's words for the protocols a bridge may name.
type Protocols struct {
	SIP  string `yaml:"sip"`  // default: sip
	H323 string `yaml:"h323"` // default: h323
	Auto string `yaml:"auto"` // default: auto
}

// Login is the password prompt of a port that asks for one. The password is
// the config's terminal.password_file; without one no login is tried.
type Login struct {
	Prompt string `yaml:"prompt"` // pattern of the prompt, which the terminal sends on connect, often with no newline: text is taken as the prompt as soon as it matches, so anchor it and end it where the prompt ends (^Password:); the reply to the password is judged by replies.ok and replies.error
}

// Replies are the patterns that end a command's reply.
type Replies struct {
	OK        string `yaml:"ok"`         // the command was done
	Error     string `yaml:"error"`      // the command was refused; the first group (else the whole line) is kept as the terminal's words
	StatusEnd string `yaml:"status_end"` // the list of calls is complete
	Restart   string `yaml:"restart"`    // the terminal has restarted (its start-up banner) and forgot what the start commands set up
}

// Rule maps the lines its pattern matches to a call state.
type Rule struct {
	Match    string `yaml:"match"`    // pattern; its named groups id, remote and reason fill the call's fields
	State    string `yaml:"state"`    // dialling, connected, failed or ended
	Incoming bool   `yaml:"incoming"` // the call was placed by the far end, not by this terminal
}

// States are the values a rule's state may take.
var States = []string{string(terminal.Dialling), string(terminal.Connected), string(terminal.Failed), string(terminal.Ended)}

// Limits on a definition, so that one pasted by mistake fails early.
const (
	maxCommand  = 256
	maxPattern  = 1024
	maxRules    = 64
	maxWord     = 32
	maxSpeed    = 16384
	placeholder = "{{" // what starts a placeholder in dial
)

// placeholders are what dial may contain; {{number}} is required.
var placeholders = []string{"{{number}}", "{{protocol}}", "{{speed}}"}

// groups are the named groups a rule's pattern may have.
var groups = []string{"id", "remote", "reason"}

// Problem is one thing wrong with a definition. Field is the path of the
// field from the definition's top: calls[2].match.
type Problem struct {
	Field  string
	Reason string
}

func (p Problem) String() string { return p.Field + ": " + p.Reason }

// Check lists every problem with d, in field order; none means New accepts
// it.
func (d Definition) Check() []Problem {
	var ps []Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, Problem{field, fmt.Sprintf(format, args...)})
	}
	command := func(field, cmd string, required bool) {
		switch {
		case cmd == "" && required:
			add(field, "required")
		case cmd != "":
			if reason := text(cmd, maxCommand); reason != "" {
				add(field, "%s", reason)
			}
		}
	}
	command("wake", d.Wake, false)
	command("dial", d.Dial, true)
	if d.Dial != "" {
		d.checkDial(add)
	}
	command("hang_up", d.HangUp, true)
	command("status", d.Status, true)
	for i, cmd := range d.Start {
		command(fmt.Sprintf("start[%d]", i), cmd, true)
	}
	if d.DefaultSpeed < 0 || d.DefaultSpeed > maxSpeed {
		add("default_speed", "%d is out of range: want 0 to %d kbit/s", d.DefaultSpeed, maxSpeed)
	}
	for _, w := range []struct{ field, word string }{{"protocols.sip", d.Protocols.SIP}, {"protocols.h323", d.Protocols.H323}, {"protocols.auto", d.Protocols.Auto}} {
		if reason := text(w.word, maxWord); reason != "" {
			add(w.field, "%s", reason)
		}
	}
	pattern := func(field, p string, required bool) {
		if p == "" {
			if required {
				add(field, "required")
			}
			return
		}
		if _, reason := compile(p); reason != "" {
			add(field, "%s", reason)
		}
	}
	pattern("login.prompt", d.Login.Prompt, false)
	pattern("replies.ok", d.Replies.OK, true)
	pattern("replies.error", d.Replies.Error, true)
	pattern("replies.status_end", d.Replies.StatusEnd, true)
	pattern("replies.restart", d.Replies.Restart, false)
	switch {
	case len(d.Calls) == 0:
		add("calls", "required: at least one rule mapping the terminal's call lines to a state")
	case len(d.Calls) > maxRules:
		add("calls", "%d rules: at most %d", len(d.Calls), maxRules)
	}
	for i, r := range d.Calls {
		at := fmt.Sprintf("calls[%d].", i)
		if r.Match == "" {
			add(at+"match", "required")
		} else if re, reason := compile(r.Match); reason != "" {
			add(at+"match", "%s", reason)
		} else {
			for _, g := range re.SubexpNames() {
				if g != "" && !slices.Contains(groups, g) {
					add(at+"match", "unknown group (?P<%s>): want %s", g, strings.Join(groups, ", "))
				}
			}
		}
		if !slices.Contains(States, r.State) {
			add(at+"state", "%q is not a call state: want one of %s", r.State, strings.Join(States, ", "))
		}
	}
	if len(d.Ignore) > maxRules {
		add("ignore", "%d patterns: at most %d", len(d.Ignore), maxRules)
	}
	for i, p := range d.Ignore {
		pattern(fmt.Sprintf("ignore[%d]", i), p, true)
	}
	return ps
}

// checkDial finds unknown and missing placeholders in the dial template.
func (d Definition) checkDial(add func(field, format string, args ...any)) {
	rest := d.Dial
	for {
		i := strings.Index(rest, placeholder)
		if i < 0 {
			break
		}
		rest = rest[i:]
		end := strings.Index(rest, "}}")
		if end < 0 {
			add("dial", "%q is not closed with }}", rest)
			return
		}
		if p := rest[:end+2]; !slices.Contains(placeholders, p) {
			add("dial", "unknown placeholder %s: want %s", p, strings.Join(placeholders, ", "))
			return
		}
		rest = rest[end+2:]
	}
	if !strings.Contains(d.Dial, "{{number}}") {
		add("dial", "has no {{number}}: the bridge's dial string must go in it")
	}
	if strings.Contains(d.Dial, "{{speed}}") && d.DefaultSpeed == 0 {
		add("default_speed", "required when dial has {{speed}}: a bridge may give no speed")
	}
}

// compile compiles a pattern, or says why it cannot be used. A pattern
// that matches an empty line would match every line.
func compile(p string) (*regexp.Regexp, string) {
	if len(p) > maxPattern {
		return nil, fmt.Sprintf("pattern of %d bytes: at most %d", len(p), maxPattern)
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, "not a regular expression: " + strings.TrimPrefix(err.Error(), "error parsing regexp: ")
	}
	if re.MatchString("") {
		return nil, fmt.Sprintf("%q matches an empty line, so it would match any line: anchor it, as ^OK$", p)
	}
	return re, ""
}

// text says why s cannot be part of a command line, or "".
func text(s string, max int) string {
	switch {
	case len(s) > max:
		return fmt.Sprintf("%d bytes: at most %d", len(s), max)
	case !utf8.ValidString(s):
		return "not valid UTF-8"
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "has a control character (a command is one line)"
	}
	return ""
}
