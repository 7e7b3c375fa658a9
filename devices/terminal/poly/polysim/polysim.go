// Package polysim is a simulated Poly Group Series system that speaks the
// command-line API on any byte stream: a pty standing for its RS-232 port,
// or TCP connections standing for port 24. Tests script it (how the far
// end answers, dropped calls, slow replies, a reboot, garbage), and the
// demo runs it on a pty as the demo room's terminal.
//
// It is written from the Integrator's Reference Manual, not from the poly
// package, so that the driver's tests check the driver against the
// manual's behaviour rather than against itself.
package polysim

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Outcome is how the far end of a dialled call answers.
type Outcome int

// Outcomes.
const (
	Answer   Outcome = iota // connects after AnswerAfter
	Busy                    // cleared with cause 17
	Reject                  // cleared with cause 21
	NoAnswer                // rings until hung up
)

// OutcomeByPrefix is the default Outcome: a dial string that starts with
// busy, reject or noanswer gets that; any other is answered.
func OutcomeByPrefix(dial string) Outcome {
	switch {
	case strings.HasPrefix(dial, "busy"):
		return Busy
	case strings.HasPrefix(dial, "reject"):
		return Reject
	case strings.HasPrefix(dial, "noanswer"):
		return NoAnswer
	}
	return Answer
}

// DefaultAnswerAfter is how long an answered call rings.
const DefaultAnswerAfter = 200 * time.Millisecond

// Terminal is one simulated system; its sessions share its calls. Set the
// exported fields before the first Serve.
type Terminal struct {
	Model       string        // "": Polycom Group Series 500
	Password    string        // "": no login
	Echo        bool          // repeat each command line, as a telnet session does
	AnswerAfter time.Duration // 0: DefaultAnswerAfter
	Outcome     func(dial string) Outcome
	NoSIP       bool // SIP is off: a SIP dial is refused, as the manual shows
	// OnWrite, if set, is called with each text a session is about to
	// write, just before it does: benchmarks time a line from there.
	OnWrite func(text string)

	mu         sync.Mutex
	replyDelay time.Duration
	silent     bool
	sessions   map[*session]bool
	calls      map[int]*call
	nextID     int
	received   []string
}

type call struct {
	id        int
	dial      string
	speed     int
	connected bool
}

type session struct {
	t      *Terminal
	rw     io.ReadWriter
	out    chan string // to the writer, so a reader that stalls never holds t.mu
	closer io.Closer   // a TCP connection, which a reboot closes

	// Guarded by t.mu.
	loggedIn            bool
	callstate, callstat bool
}

// Serve speaks the API on rw until reading fails or ctx is done; then it
// closes rw if rw is an io.Closer. A net.Conn is a TCP session, which a
// reboot closes; any other stream is a serial line, which sees the boot.
func (t *Terminal) Serve(ctx context.Context, rw io.ReadWriter) error {
	s := &session{t: t, rw: rw, out: make(chan string, outQueue)}
	if c, ok := rw.(net.Conn); ok {
		s.closer = c
	}
	t.mu.Lock()
	if t.sessions == nil {
		t.sessions = map[*session]bool{}
	}
	t.sessions[s] = true
	s.loggedIn = t.Password == ""
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		delete(t.sessions, s)
		t.mu.Unlock()
		// A connection the client ended is closed here too, or every
		// reconnect of a driver would leave one behind.
		if s.closer != nil {
			s.closer.Close()
		}
	}()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-ctx.Done():
			if c, ok := rw.(io.Closer); ok {
				c.Close()
			}
		case <-stop:
		}
	}()
	go func() {
		for {
			select {
			case text := <-s.out:
				if t.OnWrite != nil {
					t.OnWrite(text)
				}
				io.WriteString(rw, text) // a failed write shows as a failed read
			case <-stop:
				return
			}
		}
	}()
	s.write(s.greeting())
	sc := bufio.NewScanner(rw)
	for sc.Scan() {
		s.handle(strings.TrimSuffix(sc.Text(), "\r"))
	}
	if ctx.Err() != nil {
		return nil
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("polysim: %w", err)
	}
	return nil
}

// ServeListener serves every connection ln accepts, until ctx is done.
func (t *Terminal) ServeListener(ctx context.Context, ln net.Listener) error {
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("polysim: %w", err)
		}
		go t.Serve(ctx, c)
	}
}

// greeting is what a session starts with, and what a serial line shows
// after a boot: the password prompt, or the shell's banner and prompt.
func (s *session) greeting() string {
	if s.t.Password != "" {
		return "Password: "
	}
	return s.banner()
}

func (s *session) banner() string {
	model, kind := s.t.Model, "serial"
	if model == "" {
		model = "Polycom Group Series 500"
	}
	if s.closer != nil {
		kind = "telnet"
	}
	return model + " Command Shell\r\nXCOM host:    localhost port: 4121\r\nTTY name:     /dev/pts/0\r\nSession type: " + kind + "\r\n-> "
}

// outQueue bounds what a session holds for a reader that stopped reading;
// more is lost, as a serial line's buffer overflows.
const outQueue = 1024

func (s *session) write(text string) {
	select {
	case s.out <- text:
	default:
	}
}

func (s *session) reply(lines ...string) {
	s.write(strings.Join(lines, "\r\n") + "\r\n")
}

func (s *session) handle(cmd string) {
	t := s.t
	t.mu.Lock()
	loggedIn, delay, silent := s.loggedIn, t.replyDelay, t.silent
	t.mu.Unlock()
	if silent {
		return // hung: not even the echo
	}
	if t.Echo {
		s.write(cmd + "\r\n")
	}
	if delay > 0 {
		time.Sleep(delay)
	}
	if !loggedIn {
		switch {
		case cmd == t.Password:
			t.mu.Lock()
			s.loggedIn = true
			t.mu.Unlock()
			s.write(s.banner())
		case strings.TrimSpace(cmd) == "":
			s.write("Password: ")
		default:
			s.write("Login incorrect\r\nPassword: ")
		}
		return
	}
	cmd = strings.TrimSpace(cmd)
	t.mu.Lock()
	t.received = append(t.received, cmd)
	t.mu.Unlock()
	if s.closer != nil && cmd != "" {
		// Port 24 shows its prompt after every reply, with no newline.
		defer s.write("-> ")
	}
	switch {
	case cmd == "":
		s.write("-> ")
	case cmd == "callstate register":
		t.mu.Lock()
		s.callstate = true
		t.mu.Unlock()
		s.reply("callstate registered")
	case cmd == "callstate unregister":
		t.mu.Lock()
		s.callstate = false
		t.mu.Unlock()
		s.reply("callstate unregistered")
	case cmd == "callstate get":
		t.mu.Lock()
		reg := s.callstate
		t.mu.Unlock()
		if reg {
			s.reply("callstate registered")
		} else {
			s.reply("callstate unregistered")
		}
	case cmd == "notify callstatus":
		t.mu.Lock()
		had := s.callstat
		s.callstat = true
		t.mu.Unlock()
		if had {
			s.reply("info: event/notification already active:callstatus")
		} else {
			s.reply("notify callstatus success")
		}
	case cmd == "wake", cmd == "sleep":
		s.reply(cmd)
	case cmd == "hangup all":
		s.reply("hanging up all")
		t.mu.Lock()
		for id := range t.calls {
			t.endLocked(id, 16)
		}
		t.mu.Unlock()
	case cmd == "callinfo all":
		s.reply(t.callInfo()...)
	case strings.HasPrefix(cmd, "dial manual "):
		s.dial(strings.TrimPrefix(cmd, "dial manual "))
	default:
		s.reply("error: command not found")
	}
}

func (t *Terminal) callInfo() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.calls) == 0 {
		return []string{"system is not in a call"}
	}
	lines := []string{"callinfo begin"}
	for _, c := range t.calls {
		status := "connecting"
		if c.connected {
			status = "connected"
		}
		lines = append(lines, fmt.Sprintf("callinfo:%d:Bridge:%s:%d:%s:notmuted:outgoing:videocall", c.id, c.dial, c.speed, status))
	}
	return append(lines, "callinfo end")
}

// dial reads <speed> "<dial string>" [h323|sip|gateway|h320].
func (s *session) dial(args string) {
	fields, ok := splitQuoted(args)
	if !ok || len(fields) < 2 || len(fields) > 3 {
		s.reply("error: command has illegal parameters")
		return
	}
	speed, err := strconv.Atoi(fields[0])
	if err != nil || speed <= 0 || fields[1] == "" {
		s.reply("error: command has illegal parameters")
		return
	}
	if len(fields) == 3 {
		switch fields[2] {
		case "h323", "sip", "gateway", "h320":
		default:
			s.reply("error: command has illegal parameters")
			return
		}
		if fields[2] == "sip" && s.t.NoSIP {
			s.reply("info: IP line (SIP) not enabled.")
			return
		}
	}
	s.reply("dialing manual")
	s.t.place(fields[1], speed)
}

// splitQuoted splits at spaces outside double quotes; a quote inside a
// word, or one left open, is not the API's syntax.
func splitQuoted(s string) ([]string, bool) {
	var out []string
	for s = strings.TrimLeft(s, " "); s != ""; s = strings.TrimLeft(s, " ") {
		if s[0] == '"' {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				return nil, false
			}
			out = append(out, s[1:1+end])
			s = s[2+end:]
			if s != "" && s[0] != ' ' {
				return nil, false
			}
			continue
		}
		word, rest, _ := strings.Cut(s, " ")
		if strings.Contains(word, `"`) {
			return nil, false
		}
		out = append(out, word)
		s = rest
	}
	return out, true
}

// place starts a call and plays the far end's answer.
func (t *Terminal) place(dial string, speed int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.calls == nil {
		t.calls = map[int]*call{}
		t.nextID = 33 // the manual's examples start near here
	}
	t.nextID++
	c := &call{id: t.nextID, dial: dial, speed: speed}
	t.calls[c.id] = c
	t.broadcastLocked(
		[]string{t.cs(c, "ALLOCATED"), t.cs(c, "RINGING")},
		[]string{t.status(c, "opened", 0), t.status(c, "connecting", 0)})
	outcome := OutcomeByPrefix
	if t.Outcome != nil {
		outcome = t.Outcome
	}
	o := outcome(dial)
	if o == NoAnswer {
		return
	}
	wait := t.AnswerAfter
	if wait <= 0 {
		wait = DefaultAnswerAfter
	}
	time.AfterFunc(wait, func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.calls[c.id] != c {
			return // hung up while ringing, or a reboot
		}
		switch o {
		case Busy:
			t.endLocked(c.id, 17)
		case Reject:
			t.endLocked(c.id, 21)
		default:
			t.connectLocked(c)
		}
	})
}

// Answer connects every call still ringing, as a far end that picks up
// when the test says (calls the Outcome NoAnswer leaves ringing), and
// reports how many it connected.
func (t *Terminal) Answer() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, c := range t.calls {
		if !c.connected {
			t.connectLocked(c)
			n++
		}
	}
	return n
}

func (t *Terminal) connectLocked(c *call) {
	c.connected = true
	t.broadcastLocked(
		[]string{t.cs(c, "COMPLETE"), fmt.Sprintf("active: call[%d] speed[%d]", c.id, c.speed)},
		[]string{t.status(c, "connected", 0)})
}

func (t *Terminal) cs(c *call, state string) string {
	return fmt.Sprintf("cs: call[%d] chan[0] dialstr[%s] state[%s]", c.id, c.dial, state)
}

func (t *Terminal) status(c *call, state string, cause int) string {
	return fmt.Sprintf("notification:callstatus:outgoing:%d:Bridge:%s:%s:%d:%d:videocall", c.id, c.dial, state, c.speed, cause)
}

// endLocked clears a call with a Q.850 cause, as the system reports it.
func (t *Terminal) endLocked(id, cause int) {
	c := t.calls[id]
	if c == nil {
		return
	}
	delete(t.calls, id)
	t.broadcastLocked(
		[]string{fmt.Sprintf("cleared: call[%d] line[0] bchan[0] cause[%d] dialstr[%s]", id, cause, c.dial), fmt.Sprintf("ended: call[%d]", id)},
		[]string{t.status(c, "disconnected", cause)})
}

// broadcastLocked sends callstate lines to the sessions registered for
// them and callstatus lines to theirs.
func (t *Terminal) broadcastLocked(cs, callstatus []string) {
	for s := range t.sessions {
		var lines []string
		if s.callstate {
			lines = append(lines, cs...)
		}
		if s.callstat {
			lines = append(lines, callstatus...)
		}
		if len(lines) > 0 {
			s.reply(lines...)
		}
	}
}

// Drop clears every connected call with cause, as when the far end or the
// network goes away mid-call (41 is a temporary failure, 16 a normal
// hang-up by the far end).
func (t *Terminal) Drop(cause int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for id, c := range t.calls {
		if c.connected {
			t.endLocked(id, cause)
		}
	}
}

// Reboot plays a restart: the calls are gone without a word, every
// session's registrations and login are lost, TCP sessions are closed, and
// serial lines see the greeting again.
func (t *Terminal) Reboot() {
	t.mu.Lock()
	t.calls = nil
	var serial []*session
	for s := range t.sessions {
		s.callstate, s.callstat = false, false
		s.loggedIn = t.Password == ""
		if s.closer != nil {
			s.closer.Close()
		} else {
			serial = append(serial, s)
		}
	}
	t.mu.Unlock()
	for _, s := range serial {
		s.write(s.greeting())
	}
}

// Inject writes raw bytes to every session: garbage, partial lines.
func (t *Terminal) Inject(raw string) {
	t.mu.Lock()
	sessions := make([]*session, 0, len(t.sessions))
	for s := range t.sessions {
		sessions = append(sessions, s)
	}
	t.mu.Unlock()
	for _, s := range sessions {
		s.write(raw)
	}
}

// SetSilent makes the system read commands and answer none, as one that
// hangs does.
func (t *Terminal) SetSilent(silent bool) {
	t.mu.Lock()
	t.silent = silent
	t.mu.Unlock()
}

// SetReplyDelay makes every answer to a command wait d.
func (t *Terminal) SetReplyDelay(d time.Duration) {
	t.mu.Lock()
	t.replyDelay = d
	t.mu.Unlock()
}

// Received lists the commands the logged-in sessions sent, in order.
func (t *Terminal) Received() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.received...)
}

// Calls reports how many calls the system has.
func (t *Terminal) Calls() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.calls)
}
