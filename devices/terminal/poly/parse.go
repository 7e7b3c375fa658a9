package poly

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// kind is what a line of the API is.
type kind int

const (
	unknown        kind = iota
	callLine            // cs:, active:, cleared:, ended:, notification:callstatus:, callinfo:
	callInfoBegin       // callinfo begin
	callInfoEnd         // callinfo end
	notInCall           // system is not in a call
	infoLine            // info: <words>
	errorLine           // error: <words>
	ackLine             // a command's plain acknowledgement
	registered          // callstate registered: the session's registration holds
	unregistered        // callstate unregistered: the registration is gone (a reboot)
	banner              // the command shell's greeting: a new session, or a boot
	passwordPrompt      // Password:
	loginRefused        // the password was wrong
	shellPrompt         // ->
	otherLine           // a line the driver knows and ignores: other notifications, banner details
)

// phase is where a report puts a call. Whether a call that is over failed
// or ended depends on whether it was ever connected, which one line does
// not say: the tracker decides.
type phase int

const (
	dialling  phase = iota + 1 // placed, ringing, negotiating
	connected                  // media up
	ending                     // clearing: keep the cause, wait for the end
	over                       // gone
)

// report is what a call line says about one call.
type report struct {
	id        string // digits
	remote    string // the far site's number, or the dial string
	direction string // incoming, outgoing, or "" when the line does not say
	phase     phase
	cause     string // the clearing cause in words, "" when none
}

// line is one parsed line.
type line struct {
	kind   kind
	report report // callLine
	words  string // infoLine, errorLine: the terminal's words
}

// Limits on what a parsed value may hold.
const (
	maxIDLen    = 10
	maxFieldLen = 256
)

// parseLine reads one line of the API. It trusts nothing: a call line with
// an id that is not a number, or a state it does not know, is unknown.
func parseLine(s string) line {
	s = trimPrompt(s)
	switch {
	case s == "":
		return line{kind: otherLine}
	case s == "->":
		return line{kind: shellPrompt}
	case strings.HasPrefix(s, "Password:"):
		return line{kind: passwordPrompt}
	case strings.HasPrefix(s, "cs: "):
		return callState(s[len("cs: "):])
	case strings.HasPrefix(s, "active: "):
		return callEvent(s[len("active: "):], connected)
	case strings.HasPrefix(s, "cleared: "):
		return callEvent(s[len("cleared: "):], ending)
	case strings.HasPrefix(s, "ended: "):
		return callEvent(s[len("ended: "):], over)
	case strings.HasPrefix(s, "notification:callstatus:"):
		return callStatus(s[len("notification:callstatus:"):])
	case strings.HasPrefix(s, "callinfo:"):
		return callInfo(s[len("callinfo:"):])
	case s == "callinfo begin":
		return line{kind: callInfoBegin}
	case s == "callinfo end":
		return line{kind: callInfoEnd}
	case s == "system is not in a call":
		return line{kind: notInCall}
	case strings.HasPrefix(s, "error:"):
		return line{kind: errorLine, words: clean(strings.TrimSpace(s[len("error:"):]))}
	case strings.HasPrefix(s, "info:"):
		return line{kind: infoLine, words: clean(strings.TrimSpace(s[len("info:"):]))}
	case s == "callstate registered":
		return line{kind: registered}
	case s == "callstate unregistered":
		return line{kind: unregistered}
	case strings.HasPrefix(s, "Hi, my name is"), strings.HasSuffix(s, "Command Shell"):
		return line{kind: banner}
	case loginFailed(s):
		return line{kind: loginRefused}
	case acknowledgement(s):
		return line{kind: ackLine}
	case strings.HasPrefix(s, "notification:"), strings.HasPrefix(s, "listen "),
		// The Group Series prints a cleared call's dial string on a line of
		// its own.
		strings.HasPrefix(s, "dialstr["),
		// The session banner's details.
		strings.HasPrefix(s, "XCOM host:"), strings.HasPrefix(s, "TTY name:"), strings.HasPrefix(s, "Session type:"),
		strings.HasPrefix(s, "Here is what I know about myself"):
		return line{kind: otherLine}
	}
	return line{kind: unknown}
}

// trimPrompt drops the shell prompt a line may start with: the prompt ends
// without a newline, so the next line is glued to it.
func trimPrompt(s string) string {
	s = strings.TrimSpace(s)
	for strings.HasPrefix(s, "-> ") {
		s = strings.TrimSpace(s[len("-> "):])
	}
	return s
}

// acknowledgement reports whether s is a command's plain answer, or the
// echo of one of the driver's commands.
func acknowledgement(s string) bool {
	switch s {
	case "wake", "sleep", "hangup all", "callinfo all", "callstate get", "callstate register", "notify callstatus":
		return true
	}
	return strings.HasPrefix(s, "dialing ") || strings.HasPrefix(s, "dial ") ||
		strings.HasPrefix(s, "hanging up") ||
		strings.HasPrefix(s, "notify ") && strings.HasSuffix(s, " success") ||
		strings.HasPrefix(s, "registered for ") ||
		strings.HasPrefix(s, "sleep ")
}

// loginFailed reports whether s says a password was wrong; systems differ
// in the words.
func loginFailed(s string) bool {
	l := strings.ToLower(s)
	return strings.Contains(l, "login incorrect") || strings.Contains(l, "password incorrect") ||
		strings.Contains(l, "invalid password") || strings.Contains(l, "access denied") ||
		strings.Contains(l, "authentication failed")
}

// callState reads "call[34] chan[0] dialstr[192.168.1.103] state[RINGING]".
func callState(s string) line {
	id, ok := callID(s)
	if !ok {
		return line{kind: unknown}
	}
	i := strings.LastIndex(s, " state[")
	if i < 0 || !strings.HasSuffix(s, "]") {
		return line{kind: unknown}
	}
	var ph phase
	switch strings.ToUpper(s[i+len(" state[") : len(s)-1]) {
	case "ALLOCATED", "RINGING", "BONDING", "CONNECTED", "ALERTING", "CALLING", "OPENED":
		// CONNECTED is a channel's, before the call is COMPLETE.
		ph = dialling
	case "COMPLETE":
		ph = connected
	case "DISCONNECTING":
		ph = ending
	case "CLEARED", "DISCONNECTED", "IDLE", "INACTIVE":
		ph = over
	default:
		return line{kind: unknown}
	}
	return line{kind: callLine, report: report{id: id, remote: dialString(s[:i]), phase: ph}}
}

// callEvent reads the rest of "active: call[44] speed[384]", "cleared:
// call[0] line[0] bchan[0] cause[16] dialstr[IP:192.168.1.103]" or
// "ended: call[0]".
func callEvent(s string, ph phase) line {
	id, ok := callID(s)
	if !ok {
		return line{kind: unknown}
	}
	r := report{id: id, phase: ph, remote: dialString(s)}
	if c, ok := bracket(s, "cause"); ok {
		r.cause = causeWords(c)
	}
	return line{kind: callLine, report: r}
}

// callStatus reads the rest of notification:callstatus:<direction>:<call
// id>:<far site name>:<far site number>:<connection status>:<speed>:<cause
// code>:<call type>. The status and what follows it are counted from the
// end; a name or number may hold a colon, and the number takes it, since a
// SIP URI or an IPv6 address has colons more often than a site's name.
func callStatus(s string) line {
	f := strings.Split(s, ":")
	n := len(f)
	if n < 8 {
		return line{kind: unknown}
	}
	dir, id := strings.TrimSpace(f[0]), strings.TrimSpace(f[1])
	if dir != "incoming" && dir != "outgoing" || !isID(id) {
		return line{kind: unknown}
	}
	var ph phase
	switch strings.ToLower(strings.TrimSpace(f[n-4])) {
	case "opened", "connecting", "ringing", "alerting":
		ph = dialling
	case "connected":
		ph = connected
	case "disconnecting":
		ph = ending
	case "disconnected", "inactive":
		ph = over
	default:
		return line{kind: unknown}
	}
	r := report{id: id, direction: dir, phase: ph, remote: farSite(f[2 : n-4])}
	if ph == ending || ph == over {
		r.cause = causeWords(strings.TrimSpace(f[n-2]))
	}
	return line{kind: callLine, report: r}
}

// callInfo reads the rest of callinfo:<call id>:<far site name>:<far site
// number>:<speed>:<connection status>:<mute status>:<call direction>:<call
// type>. The manual's own example leaves the name out, so the fields are
// counted from the end, as in callStatus.
func callInfo(s string) line {
	f := strings.Split(s, ":")
	n := len(f)
	if n < 7 {
		return line{kind: unknown}
	}
	id, dir := strings.TrimSpace(f[0]), strings.TrimSpace(f[n-2])
	if !isID(id) || dir != "incoming" && dir != "outgoing" {
		return line{kind: unknown}
	}
	var ph phase
	switch strings.ToLower(strings.TrimSpace(f[n-4])) {
	case "opened", "connecting", "ringing", "alerting":
		ph = dialling
	case "connected":
		ph = connected
	case "disconnecting":
		ph = ending
	case "disconnected", "inactive":
		ph = over
	default:
		return line{kind: unknown}
	}
	return line{kind: callLine, report: report{id: id, direction: dir, phase: ph, remote: farSite(f[1 : n-5])}}
}

// farSite picks the number out of the fields between the call id and the
// status: name and number, or the number alone.
func farSite(f []string) string {
	switch len(f) {
	case 0:
		return ""
	case 1:
		return clean(strings.TrimSpace(f[0]))
	}
	return clean(strings.TrimSpace(strings.Join(f[1:], ":")))
}

// callID reads the leading call[N].
func callID(s string) (string, bool) {
	v, ok := bracket(s, "call")
	if !ok || !strings.HasPrefix(s, "call") || !isID(v) {
		return "", false
	}
	return v, true
}

// bracket finds name[value] (or "name [value]", as one of the manual's
// examples has it) among s's space-separated fields.
func bracket(s, name string) (string, bool) {
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], name)
		if j < 0 {
			return "", false
		}
		j += i
		rest := strings.TrimLeft(s[j+len(name):], " ")
		if (j == 0 || s[j-1] == ' ') && strings.HasPrefix(rest, "[") {
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return "", false
			}
			return rest[1:end], true
		}
		i = j + len(name)
	}
	return "", false
}

// dialString reads a line's dialstr[…]; the value runs to the last
// bracket, since a site's name may hold one.
func dialString(s string) string {
	i := strings.Index(s, "dialstr[")
	if i < 0 || i > 0 && s[i-1] != ' ' {
		return ""
	}
	v := s[i+len("dialstr["):]
	end := strings.LastIndexByte(v, ']')
	if end < 0 {
		return ""
	}
	v = v[:end]
	// "IP:192.168.1.103 NAME:Polycom Group Series Demo": the address.
	if addr, ok := strings.CutPrefix(v, "IP:"); ok {
		v, _, _ = strings.Cut(addr, " NAME:")
	}
	return clean(v)
}

func isID(s string) bool {
	if s == "" || len(s) > maxIDLen {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// causeWords names an ITU-T Q.850 clearing cause, which the Poly reports
// for H.323 and (mapped) SIP calls alike.
func causeWords(code string) string {
	n, err := strconv.Atoi(code)
	if err != nil || n <= 0 || n > 127 {
		return ""
	}
	words := map[int]string{
		1: "unallocated number", 3: "no route to destination", 16: "normal clearing", 17: "busy",
		18: "no user responding", 19: "no answer", 21: "rejected", 22: "number changed",
		27: "destination out of order", 28: "invalid number format", 31: "normal, unspecified",
		34: "no circuit available", 38: "network out of order", 41: "temporary failure",
		42: "switching equipment congestion", 47: "resource unavailable", 58: "bearer capability not available",
		65: "bearer capability not implemented", 88: "incompatible destination", 102: "recovery on timer expiry",
		111: "protocol error", 127: "interworking, unspecified",
	}[n]
	if words == "" {
		return "cause " + strconv.Itoa(n)
	}
	return words + " (cause " + strconv.Itoa(n) + ")"
}

// clean makes a value from the terminal safe to keep and show: valid
// UTF-8, no control characters, bounded.
func clean(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "")
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || !unicode.IsPrint(r) && r != ' ' {
			return -1
		}
		return r
	}, s)
	if len(s) > maxFieldLen {
		s = s[:maxFieldLen]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return strings.TrimSpace(s)
}
