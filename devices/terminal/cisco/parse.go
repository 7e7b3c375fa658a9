package cisco

import (
	"bufio"
	"io"
	"strings"
	"unicode"

	"github.com/roomgate/roomgate/devices/terminal"
)

// Kind is what sort of line the terminal sent.
type Kind int

// Kinds of xAPI terminal-mode lines.
const (
	Unknown        Kind = iota
	Blank               // an empty line
	OK                  // "OK": an untagged command succeeded
	Error               // "ERROR": it failed
	End                 // "** end": a block is over
	ResultID            // `** resultId: "tag"`: the block is the reply to the tagged command
	CallStatus          // `*s Call 3 Status: Connected`
	Ghost               // `*s Call 3 (ghost=True):`: the call is gone
	Status              // any other "*s" line
	Event               // `*e CallDisconnect CauseType: "RemoteBusy"`
	Result              // `*r DialResult (status=OK):`; Value is the status
	Field               // `    CallId: 3` or `*r DialResult CallId: 3`, inside a result
	Other               // other xAPI output: "*c" configuration, "*t" and the like
	LoginPrompt         // "login:" on a console
	PasswordPrompt      // "Password:"
	LoginIncorrect      // "Login incorrect"
	Banner              // the lines a login or a boot prints: "Welcome to …", "Cisco Codec Release …", "*r Login successful"
	Message             // the console's words on a command it refuses, before ERROR: "Command not recognized."
)

// Line is one line of terminal-mode output, taken apart. Name is the
// result's or event's name, Call the call's id, Key the leaf's path
// ("Status", "Encryption Type"), Value the leaf's value unquoted.
type Line struct {
	Kind  Kind
	Name  string
	Call  string
	Key   string
	Value string
}

// maxCallID bounds a call id's digits: the terminal counts to 65534.
const maxCallID = 10

// ParseLine takes one line apart. It never fails: a line it does not know
// is Unknown.
func ParseLine(line string) Line {
	t := strings.TrimSpace(line)
	switch {
	case t == "":
		return Line{Kind: Blank}
	case t == "OK":
		return Line{Kind: OK}
	case t == "ERROR":
		return Line{Kind: Error}
	case t == "** end":
		return Line{Kind: End}
	case strings.HasSuffix(t, "login:"):
		return Line{Kind: LoginPrompt}
	case t == "Password:":
		return Line{Kind: PasswordPrompt}
	case t == "Login incorrect":
		return Line{Kind: LoginIncorrect}
	case t == "Command not recognized.":
		return Line{Kind: Message, Value: t}
	case t == "*r Login successful" || strings.HasPrefix(t, "Welcome to ") ||
		strings.HasPrefix(t, "Cisco Codec Release ") || strings.HasPrefix(t, "SW Release Date:"):
		return Line{Kind: Banner, Value: t}
	}
	if v, ok := strings.CutPrefix(t, "** resultId:"); ok {
		return Line{Kind: ResultID, Value: unquote(strings.TrimSpace(v))}
	}
	if rest, ok := strings.CutPrefix(t, "*s Call "); ok {
		return callLine(rest)
	}
	if strings.HasPrefix(t, "*s ") {
		return Line{Kind: Status}
	}
	if rest, ok := strings.CutPrefix(t, "*e "); ok {
		name, kv, _ := strings.Cut(rest, " ")
		k, v, ok := keyValue(kv)
		if name == "" || !ok {
			return Line{Kind: Event, Name: name}
		}
		return Line{Kind: Event, Name: name, Key: k, Value: v}
	}
	if rest, ok := strings.CutPrefix(t, "*r "); ok {
		return resultLine(rest)
	}
	if strings.HasPrefix(t, "*") {
		return Line{Kind: Other}
	}
	// A result's fields are indented under its "*r" line.
	if line[0] == ' ' || line[0] == '\t' {
		if k, v, ok := keyValue(t); ok {
			return Line{Kind: Field, Key: k, Value: v}
		}
	}
	return Line{Kind: Unknown}
}

// callLine reads what follows "*s Call ".
func callLine(rest string) Line {
	id, tail, _ := strings.Cut(rest, " ")
	if !isCallID(id) {
		return Line{Kind: Status}
	}
	if strings.HasPrefix(tail, "(ghost=True)") {
		return Line{Kind: Ghost, Call: id}
	}
	k, v, ok := keyValue(tail)
	if !ok {
		return Line{Kind: Status}
	}
	return Line{Kind: CallStatus, Call: id, Key: k, Value: v}
}

// resultLine reads what follows "*r ".
func resultLine(rest string) Line {
	name, tail, _ := strings.Cut(rest, " ")
	if st, ok := strings.CutPrefix(tail, "(status="); ok {
		st, _, _ = strings.Cut(st, ")")
		return Line{Kind: Result, Name: name, Value: st}
	}
	if k, v, ok := keyValue(tail); ok {
		return Line{Kind: Field, Name: name, Key: k, Value: v}
	}
	return Line{Kind: Result, Name: name}
}

func isCallID(s string) bool {
	if s == "" || len(s) > maxCallID {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// keyValue splits "Encryption Type: "None"" at its first ": ".
func keyValue(s string) (key, value string, ok bool) {
	k, v, ok := strings.Cut(s, ":")
	k = strings.TrimSpace(k)
	if !ok || k == "" {
		return "", "", false
	}
	return k, unquote(strings.TrimSpace(v)), true
}

// unquote takes the quotes off an xAPI string value and undoes its escapes
// of quotes and backslashes.
func unquote(v string) string {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return v
	}
	v = v[1 : len(v)-1]
	if !strings.Contains(v, `\`) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// CallRecord is one call as an "xStatus Call" reply lists it, in the
// terminal's own words.
type CallRecord struct {
	ID        string
	Remote    string // RemoteNumber
	Status    string // Dialling, Ringing, Connecting, Connected, OnHold, Disconnecting…
	Direction string // Incoming or Outgoing
}

// maxCalls bounds the calls one reply may list: a codec has a handful.
const maxCalls = 64

// ReadCalls reads an "xStatus Call" reply: the calls in the order they
// first appear, however their lines are interleaved. Lines of other kinds
// are skipped.
func ReadCalls(r io.Reader) ([]CallRecord, error) {
	var calls []CallRecord
	at := map[string]int{}
	err := eachLine(r, func(line string) {
		l := ParseLine(line)
		if l.Kind != CallStatus {
			return
		}
		i, ok := at[l.Call]
		if !ok {
			if len(calls) >= maxCalls {
				return
			}
			i = len(calls)
			at[l.Call] = i
			calls = append(calls, CallRecord{ID: l.Call})
		}
		switch l.Key {
		case "RemoteNumber":
			calls[i].Remote = clean(l.Value)
		case "Status":
			calls[i].Status = clean(l.Value)
		case "Direction":
			calls[i].Direction = clean(l.Value)
		}
	})
	return calls, err
}

// Reply is the result of an xCommand: its status ("OK", "Error",
// "ParameterError"…) and fields.
type Reply struct {
	Name   string // DialResult, CallDisconnectResult…
	Status string
	Fields map[string]string
}

// Failed reports whether the terminal refused the command.
func (r Reply) Failed() bool { return r.Status != "OK" }

// Words are the terminal's reason for a refusal, as the box keeps it.
func (r Reply) Words() string {
	for _, k := range []string{"Reason", "Cause", "Description"} {
		if w := r.Fields[k]; w != "" {
			return clean(w)
		}
	}
	return "status=" + clean(r.Status)
}

// maxFields bounds the fields kept of one result.
const maxFields = 32

// ReadReply reads an xCommand's reply block. A reply with no "*r" line
// has an empty Status, which Failed counts as a refusal.
func ReadReply(r io.Reader) (Reply, error) {
	rep := Reply{Fields: map[string]string{}}
	err := eachLine(r, func(line string) {
		l := ParseLine(line)
		switch {
		case l.Kind == Result && rep.Name == "":
			rep.Name, rep.Status = l.Name, l.Value
		case l.Kind == Field && rep.Name != "" && (l.Name == "" || l.Name == rep.Name):
			if len(rep.Fields) < maxFields {
				rep.Fields[l.Key] = l.Value
			}
		}
	})
	return rep, err
}

func eachLine(r io.Reader, f func(string)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1024), terminal.MaxLineSize)
	for sc.Scan() {
		f(strings.TrimRight(sc.Text(), "\r"))
	}
	return sc.Err()
}

// maxWords bounds the terminal's words kept with a call or an error.
const maxWords = 200

// clean makes the terminal's words safe to keep and show: printable, one
// line, bounded.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		if unicode.IsSpace(r) {
			return ' '
		}
		return -1
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > maxWords {
		s = strings.ToValidUTF8(s[:maxWords], "")
	}
	return s
}

// state maps a call's Status onto the box's states; live is false for
// the statuses of a call on its way out (Disconnecting, Idle), whose end
// the ghost tells.
func state(status string) (st terminal.State, live bool) {
	switch status {
	case "Connected", "OnHold", "Preserved", "RemotePreserved":
		return terminal.Connected, true
	case "Dialling", "Ringing", "Connecting", "EarlyMedia":
		return terminal.Dialling, true
	}
	return "", false
}
