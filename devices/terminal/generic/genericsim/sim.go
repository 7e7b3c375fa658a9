package genericsim

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Outcome is how a dialled number answers.
type Outcome int

// Outcomes a test scripts with Script; Answer is the default.
const (
	Answer      Outcome = iota // rings, then connects
	Ring                       // rings until Sim.Answer
	Busy                       // the terminal refuses the dial: ERR line busy
	Reject                     // rings, then fails: rejected by far end
	Unreachable                // fails at once: no route to host
)

// Sim is a simulated VCT-100. Set Password and Echo before serving; the
// rest is scripted through its methods, from any goroutine.
type Sim struct {
	Password string // asked for on every session when set
	Echo     bool   // repeat each command line, as a serial console does

	mu       sync.Mutex
	outcomes map[string]Outcome
	calls    map[int]*call
	nextID   int
	awake    bool
	slow     time.Duration
	silent   bool
	sessions map[*session]bool
	received []string
}

type call struct {
	number string
	up     bool
}

type session struct {
	mu     sync.Mutex // one write at a time
	w      io.Writer
	events bool // registered with EVT ON; guarded by Sim.mu
}

func (s *session) write(lines ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range lines {
		io.WriteString(s.w, l)
	}
}

// New returns a terminal in standby with no calls.
func New() *Sim {
	return &Sim{outcomes: map[string]Outcome{}, calls: map[int]*call{}, sessions: map[*session]bool{}}
}

// Script sets how number answers.
func (s *Sim) Script(number string, o Outcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outcomes[number] = o
}

// Answer connects the calls that are ringing.
func (s *Sim) Answer() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range s.ids() {
		if c := s.calls[id]; !c.up {
			c.up = true
			s.notify(fmt.Sprintf("EVT CALL %d UP %s", id, c.number))
		}
	}
}

// Drop ends every call from the far end, with reason.
func (s *Sim) Drop(reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endAll(reason)
}

// SetSlow delays every reply by d.
func (s *Sim) SetSlow(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slow = d
}

// SetSilent makes the terminal read commands and answer none: hung.
func (s *Sim) SetSilent(silent bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.silent = silent
}

// Reboot plays a restart: calls vanish without a notification, the
// terminal goes to standby, notifications are off, and every session gets
// the start-up banner.
func (s *Sim) Reboot() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.calls)
	s.awake = false
	for se := range s.sessions {
		se.events = false
		se.write("VCT-100 READY v2.1\r\n", "(c) VCT 2019\r\n")
	}
}

// Write sends raw bytes to every session: garbage, or a line in pieces.
func (s *Sim) Write(raw string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for se := range s.sessions {
		se.write(raw)
	}
}

// Received lists the command lines the terminal read, the password left
// out.
func (s *Sim) Received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.received)
}

// Calls lists the live calls as "id number ringing|up", by id.
func (s *Sim) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, id := range s.ids() {
		out = append(out, fmt.Sprintf("%d %s %s", id, s.calls[id].number, state(s.calls[id])))
	}
	return out
}

// Listen serves every connection to ln until it is closed.
func (s *Sim) Listen(ln net.Listener) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			s.Serve(c)
		}()
	}
}

// Serve speaks the protocol on rw until reading fails, and returns that
// error (nil at EOF).
func (s *Sim) Serve(rw io.ReadWriter) error {
	se := &session{w: rw}
	s.mu.Lock()
	s.sessions[se] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.sessions, se)
		s.mu.Unlock()
	}()
	loggedIn := s.Password == ""
	if !loggedIn {
		se.write("Password: ")
	}
	sc := bufio.NewScanner(rw)
	sc.Split(splitLines)
	for sc.Scan() {
		line := sc.Text()
		if !loggedIn {
			if line == s.Password {
				loggedIn = true
				se.write("OK\r\n")
			} else {
				se.write("ERR bad password\r\n", "Password: ")
			}
			continue
		}
		s.command(se, line)
	}
	return sc.Err()
}

// splitLines splits at CR, LF or both, skipping empty lines.
func splitLines(data []byte, atEOF bool) (int, []byte, error) {
	start := 0
	for start < len(data) && (data[start] == '\r' || data[start] == '\n') {
		start++
	}
	if i := bytes.IndexAny(data[start:], "\r\n"); i >= 0 {
		return start + i + 1, data[start : start+i], nil
	}
	if atEOF && start < len(data) {
		return len(data), data[start:], nil
	}
	return start, nil, nil
}

// command answers one command line.
func (s *Sim) command(se *session, line string) {
	s.mu.Lock()
	s.received = append(s.received, line)
	slow, silent := s.slow, s.silent
	var reply []string
	if s.Echo {
		reply = append(reply, line)
	}
	var after []string // notifications that follow the reply
	f := strings.Fields(line)
	switch {
	case silent:
		s.mu.Unlock()
		return
	case line == "PWR ON":
		s.awake = true
		reply = append(reply, "OK")
	case line == "PWR OFF":
		s.endAll("standby")
		s.awake = false
		reply = append(reply, "OK")
	case line == "EVT ON":
		se.events = true
		reply = append(reply, "OK")
	case line == "STATUS":
		for _, id := range s.ids() {
			reply = append(reply, fmt.Sprintf("CALL %d %s %s", id, strings.ToUpper(state(s.calls[id])), s.calls[id].number))
		}
		reply = append(reply, "END")
	case line == "HANGUP ALL":
		reply = append(reply, "OK")
		after = s.endAllLines("local hang-up")
	case len(f) == 4 && f[0] == "DIAL":
		reply, after = s.dial(reply, f[1], f[2], f[3])
	default:
		reply = append(reply, "ERR unknown command")
	}
	s.mu.Unlock()
	if slow > 0 {
		time.Sleep(slow)
	}
	lines := make([]string, 0, len(reply))
	for _, l := range reply {
		lines = append(lines, l+"\r\n")
	}
	se.write(lines...)
	s.mu.Lock()
	for _, l := range after {
		s.notify(l)
	}
	s.mu.Unlock()
}

// dial places a call as the number's outcome says; s.mu is held.
func (s *Sim) dial(reply []string, proto, speed, number string) (_, after []string) {
	if n, err := strconv.Atoi(speed); err != nil || n < 64 || n > 6144 {
		return append(reply, "ERR bad speed"), nil
	}
	switch {
	case !slices.Contains([]string{"SIP", "H323", "AUTO"}, proto):
		return append(reply, "ERR bad protocol"), nil
	case !s.awake:
		return append(reply, "ERR in standby"), nil
	case len(s.calls) > 0:
		return append(reply, "ERR call in progress"), nil
	}
	o := s.outcomes[number]
	if o == Busy {
		return append(reply, "ERR line busy"), nil
	}
	s.nextID++
	id := s.nextID
	ring := fmt.Sprintf("EVT CALL %d RINGING %s", id, number)
	switch o {
	case Unreachable:
		return append(reply, "OK"), []string{fmt.Sprintf("EVT CALL %d FAIL no route to host", id)}
	case Reject:
		return append(reply, "OK"), []string{ring, fmt.Sprintf("EVT CALL %d FAIL rejected by far end", id)}
	}
	s.calls[id] = &call{number: number, up: o == Answer}
	after = []string{ring}
	if o == Answer {
		after = append(after, fmt.Sprintf("EVT CALL %d UP %s", id, number))
	}
	return append(reply, "OK"), after
}

// endAll ends every call and notifies; s.mu is held.
func (s *Sim) endAll(reason string) {
	for _, l := range s.endAllLines(reason) {
		s.notify(l)
	}
}

// endAllLines ends every call and returns the notifications; s.mu is held.
func (s *Sim) endAllLines(reason string) []string {
	var out []string
	for _, id := range s.ids() {
		out = append(out, fmt.Sprintf("EVT CALL %d DOWN %s", id, reason))
		delete(s.calls, id)
	}
	return out
}

// notify sends a notification to the registered sessions; s.mu is held.
func (s *Sim) notify(line string) {
	for se := range s.sessions {
		if se.events {
			se.write(line + "\r\n")
		}
	}
}

// ids lists the calls' ids in order; s.mu is held.
func (s *Sim) ids() []int {
	ids := make([]int, 0, len(s.calls))
	for id := range s.calls {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func state(c *call) string {
	if c.up {
		return "up"
	}
	return "ringing"
}
