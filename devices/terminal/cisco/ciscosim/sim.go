package ciscosim

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/roomgate/roomgate/devices/terminal/sshport"
)

// Sim is one simulated codec. Set the exported fields before serving.
type Sim struct {
	// User and Password, if set, are asked for on the console, as a codec
	// with SerialPort LoginRequired does, and are the SSH login.
	User, Password string
	AnswerAfter    time.Duration // 0: 20 ms
	Echo           bool          // the console repeats what it is sent

	mu            sync.Mutex
	calls         map[int]*call
	nextID        int
	sessions      map[*session]bool
	delay         time.Duration
	silent        bool
	standby       bool
	consoleLogin  bool // the console is logged in; a reboot logs it out
	registrations int
	received      []string
}

type call struct {
	id             int
	remote, status string
	incoming       bool
}

// A session is one console or SSH shell. Its lines go out in order through
// out, written by one goroutine.
type session struct {
	console  bool
	feedback map[string]bool // lower-case paths registered
	out      chan string
	reboot   chan struct{}
	// login state of a console that asks for one
	user    string
	askPass bool
}

// Serve runs a console on rw until rw fails (io.EOF at its end) or ctx is
// done (close rw to end a read in progress). A console survives a reboot: it prints the boot
// banner and, with a User, asks for the login again.
func (s *Sim) Serve(ctx context.Context, rw io.ReadWriter) error {
	return s.serve(ctx, rw, true)
}

// ListenSSH serves the codec's shell over SSH on addr (such as
// 127.0.0.1:0), logging in User with Password. A reboot drops every SSH
// connection, as a real one does.
func (s *Sim) ListenSSH(addr string) (*sshport.Server, error) {
	return sshport.Listen(addr, s.User, s.Password, func(ctx context.Context, rw io.ReadWriter) {
		s.serve(ctx, rw, false)
	})
}

func (s *Sim) serve(ctx context.Context, rw io.ReadWriter, console bool) error {
	ses := &session{console: console, feedback: map[string]bool{}, out: make(chan string, 1024), reboot: make(chan struct{}, 1)}
	s.mu.Lock()
	if s.sessions == nil {
		s.sessions = map[*session]bool{}
	}
	s.sessions[ses] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.sessions, ses)
		s.mu.Unlock()
	}()

	lines := make(chan string)
	readErr := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(rw)
		sc.Split(scanCRLF)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		err := sc.Err()
		if err == nil {
			err = io.EOF
		}
		readErr <- fmt.Errorf("ciscosim: read: %w", err)
	}()
	writeErr := make(chan error, 1)
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case l := <-ses.out:
				if _, err := io.WriteString(rw, l); err != nil {
					writeErr <- err
					return
				}
			case <-done:
				return
			}
		}
	}()
	if !console {
		ses.send(banner...)
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-readErr:
			return err
		case err := <-writeErr:
			return err
		case <-ses.reboot:
			if !console {
				return nil
			}
		case l := <-lines:
			s.handle(ses, l)
		}
	}
}

// scanCRLF splits at CR or LF, as a terminal's line discipline does.
func scanCRLF(data []byte, atEOF bool) (int, []byte, error) {
	for i, b := range data {
		if b == '\r' || b == '\n' {
			n := i + 1
			if b == '\r' && n < len(data) && data[n] == '\n' {
				n++
			}
			return n, data[:i], nil
		}
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

var banner = []string{"Welcome to roomgate-sim", "Cisco Codec Release ce9.15.3 (simulated)", "SW Release Date: 2024-01-01", "*r Login successful", "", "OK"}

// send queues lines, each ended by CRLF. A session whose reader has
// stopped loses what does not fit, as a real port would.
func (ses *session) send(lines ...string) {
	for _, l := range lines {
		ses.raw(l + "\r\n")
	}
}

func (ses *session) raw(text string) {
	select {
	case ses.out <- text:
	default:
	}
}

func (s *Sim) handle(ses *session, line string) {
	s.mu.Lock()
	silent, delay, echo := s.silent, s.delay, s.Echo && ses.console
	s.mu.Unlock()
	if echo && !ses.askPass {
		ses.send(line)
	}
	if silent {
		return
	}
	if delay > 0 {
		time.Sleep(delay)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ses.console && s.User != "" && !s.consoleLogin {
		s.login(ses, line)
		return
	}
	cmd := strings.TrimSpace(line)
	if cmd == "" {
		return
	}
	s.received = append(s.received, cmd)
	cmd, tag, _ := strings.Cut(cmd, "|")
	cmd = strings.TrimSpace(cmd)
	if t, ok := strings.CutPrefix(strings.TrimSpace(tag), "resultId="); ok {
		tag = strings.Trim(t, `"`)
	} else {
		tag = ""
	}
	ses.send(s.run(ses, cmd, tag)...)
}

// login plays a console's login prompts.
func (s *Sim) login(ses *session, line string) {
	switch {
	case ses.askPass && ses.user == s.User && line == s.Password:
		ses.askPass, s.consoleLogin = false, true
		ses.send(banner...)
	case ses.askPass:
		ses.askPass = false
		ses.send("Login incorrect", "")
		ses.raw("login: ")
	default:
		ses.user, ses.askPass = strings.TrimSpace(line), true
		ses.raw("Password: ")
	}
}

// run answers one command, with the s.mu held.
func (s *Sim) run(ses *session, cmd, tag string) []string {
	low := strings.ToLower(cmd)
	end := []string{"** end", "", "OK"}
	if tag != "" {
		end = append([]string{`** resultId: "` + tag + `"`}, end...)
	}
	result := func(name string, fields ...string) []string {
		out := []string{"*r " + name + " (status=OK):"}
		for _, f := range fields {
			out = append(out, "    "+f)
		}
		return append(out, end...)
	}
	failed := func(name, reason string) []string {
		out := []string{"*r " + name + " (status=Error):", `    Reason: "` + reason + `"`}
		if tag != "" {
			out = append(out, `** resultId: "`+tag+`"`)
		}
		return append(out, "** end", "", "ERROR")
	}
	switch {
	case low == "xpreferences outputmode terminal":
		return []string{"OK"}
	case strings.HasPrefix(low, "xfeedback register "):
		ses.feedback[strings.TrimPrefix(strings.TrimPrefix(low, "xfeedback register "), "/")] = true
		s.registrations++
		return []string{"** end", "", "OK"}
	case low == "xfeedback deregisterall":
		clear(ses.feedback)
		return []string{"** end", "", "OK"}
	case low == "xstatus call":
		var out []string
		for _, c := range s.sorted() {
			out = append(out, c.lines()...)
		}
		return append(out, end...)
	case low == "xcommand standby deactivate":
		s.standby = false
		return result("StandbyDeactivateResult")
	case strings.HasPrefix(low, "xcommand dial "):
		number, ok := quoted(cmd)
		if !ok {
			return failed("DialResult", "Number: missing or not quoted")
		}
		if strings.Contains(number, "invalid") {
			return failed("DialResult", "Invalid number")
		}
		c := s.dial(number)
		return result("DialResult", "CallId: "+strconv.Itoa(c.id), "ConferenceId: "+strconv.Itoa(c.id))
	case strings.HasPrefix(low, "xcommand call disconnect"):
		for _, c := range s.sorted() {
			s.end(c, "LocalDisconnect", "", false)
		}
		return result("CallDisconnectResult")
	case strings.HasPrefix(low, "xcommand"):
		return failed("Result", "Unknown command")
	}
	return []string{"Command not recognized.", "ERROR"}
}

// quoted returns the Number: argument, which the sim, stricter than a
// codec, wants quoted.
func quoted(cmd string) (string, bool) {
	i := strings.Index(strings.ToLower(cmd), `number: "`)
	if i < 0 {
		return "", false
	}
	rest := cmd[i+len(`number: "`):]
	j := strings.IndexByte(rest, '"')
	if j < 0 {
		return "", false
	}
	return rest[:j], true
}

func (c *call) lines() []string {
	dir := "Outgoing"
	if c.incoming {
		dir = "Incoming"
	}
	p := "*s Call " + strconv.Itoa(c.id) + " "
	return []string{p + "Direction: " + dir, p + `RemoteNumber: "` + c.remote + `"`, p + "Status: " + c.status}
}

func (s *Sim) sorted() []*call {
	var out []*call
	for _, c := range s.calls {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *call) int { return a.id - b.id })
	return out
}

func (s *Sim) answerAfter() time.Duration {
	if s.AnswerAfter > 0 {
		return s.AnswerAfter
	}
	return 20 * time.Millisecond
}

// dial places a call and plays its script, with s.mu held.
func (s *Sim) dial(number string) *call {
	s.nextID++
	c := &call{id: s.nextID, remote: number, status: "Dialling"}
	if s.calls == nil {
		s.calls = map[int]*call{}
	}
	s.calls[c.id] = c
	s.status(c, true)
	c.status = "Ringing"
	s.status(c, false)
	if strings.Contains(number, "noanswer") {
		return c
	}
	time.AfterFunc(s.answerAfter(), func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.calls[c.id] != c {
			return // hung up or rebooted meanwhile
		}
		switch {
		case strings.Contains(number, "busy"):
			s.end(c, "RemoteBusy", "Busy Here", false)
		case strings.Contains(number, "reject"):
			s.end(c, "RemoteRejected", "Declined", true)
		default:
			c.status = "Connected"
			s.status(c, false)
		}
	})
	return c
}

// status sends a call's change to the sessions registered for it: all its
// fields when it is new, else its Status.
func (s *Sim) status(c *call, all bool) {
	lines := c.lines()
	if !all {
		lines = lines[len(lines)-1:]
	}
	s.feedback("status/call", append(lines, "** end")...)
}

// end ends a call as the codec reports it: Disconnecting, then the ghost
// and the CallDisconnect event, in either order (a real codec promises
// none).
func (s *Sim) end(c *call, causeType, causeString string, eventFirst bool) {
	delete(s.calls, c.id)
	c.status = "Disconnecting"
	s.status(c, false)
	id := strconv.Itoa(c.id)
	ghost := []string{"*s Call " + id + " (ghost=True):", "** end"}
	ev := []string{
		"*e CallDisconnect CauseValue: 1",
		`*e CallDisconnect CauseType: "` + causeType + `"`,
		`*e CallDisconnect CauseString: "` + causeString + `"`,
		`*e CallDisconnect OrigCallDirection: "outgoing"`,
		`*e CallDisconnect RemoteURI: "` + c.remote + `"`,
		"*e CallDisconnect CallId: " + id,
		"** end",
	}
	if eventFirst {
		s.feedback("event/calldisconnect", ev...)
		s.feedback("status/call", ghost...)
		return
	}
	s.feedback("status/call", ghost...)
	s.feedback("event/calldisconnect", ev...)
}

func (s *Sim) feedback(path string, lines ...string) {
	for ses := range s.sessions {
		for p := range ses.feedback {
			if strings.HasPrefix(path, p) {
				ses.send(lines...)
				break
			}
		}
	}
}

// Drop ends every call from the far end.
func (s *Sim) Drop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.sorted() {
		s.end(c, "RemoteDisconnect", "Normal call clearing", true)
	}
}

// Reboot restarts the codec: its calls end without a word, every session
// forgets its feedback registrations, SSH sessions are dropped, and a
// console prints the boot banner (and asks for the login again).
func (s *Sim) Reboot() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.calls)
	s.standby, s.consoleLogin = true, false
	for ses := range s.sessions {
		clear(ses.feedback)
		if ses.console {
			ses.send("", "Cisco Codec Release ce9.15.3 (simulated)", "booting…")
			if s.User != "" {
				ses.user, ses.askPass = "", false
				ses.raw("login: ")
			}
		}
		select {
		case ses.reboot <- struct{}{}:
		default:
		}
	}
}

// SetDelay makes every reply wait d.
func (s *Sim) SetDelay(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

// SetSilent makes the codec stop answering commands (true) or answer again.
func (s *Sim) SetSilent(silent bool) {
	s.mu.Lock()
	s.silent = silent
	s.mu.Unlock()
}

// Say writes text as it is to every session: garbage, partial lines.
func (s *Sim) Say(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ses := range s.sessions {
		ses.raw(text)
	}
}

// Registrations counts the feedback registrations the codec has taken.
func (s *Sim) Registrations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.registrations
}

// Received lists the commands the codec was sent, logins left out.
func (s *Sim) Received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.received)
}

// Call is a call as the codec holds it.
type Call struct {
	ID     int
	Remote string
	Status string
}

// Calls lists the codec's calls.
func (s *Sim) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.sorted() {
		out = append(out, Call{c.id, c.remote, c.status})
	}
	return out
}

// Standby reports whether the codec is asleep (as it is after a reboot).
func (s *Sim) Standby() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.standby
}
