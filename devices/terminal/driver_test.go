package terminal

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// toy is a minimal line protocol for testing the Driver: "status" is
// answered by "call <id> <state> <remote>" lines and "end"; "event <id>
// <state> <remote>" is a notification; "dial <n>" and "hangup" answer "ok"
// or "error: <words>"; "booted" says the terminal restarted.
type toy struct {
	starts chan struct{}
	login  bool // wait for the terminal's "Password:" and answer it
}

func (toy) Kind() string { return "toy" }

func (p toy) Start(ctx context.Context, c *Conn) error {
	if p.login {
		if _, err := c.Request(ctx, "", func(l string) (bool, error) { return l == "Password:", nil }); err != nil {
			return err
		}
		if _, err := c.Request(ctx, "secret", okReply); err != nil {
			return err
		}
	}
	_, err := c.Request(ctx, "register", okReply)
	if err == nil && p.starts != nil {
		p.starts <- struct{}{}
	}
	return err
}

func okReply(line string) (bool, error) {
	if words, ok := strings.CutPrefix(line, "error: "); ok {
		return true, &RefusedError{Reply: words}
	}
	return line == "ok", nil
}

func (toy) Parse(line string) (Parsed, bool) {
	f := strings.Fields(line)
	switch {
	case len(f) == 4 && f[0] == "event":
		return Parsed{Calls: []Call{{ID: f[1], State: State(f[2]), Remote: f[3]}}}, true
	case len(f) == 4 && f[0] == "call", line == "ok", line == "end", strings.HasPrefix(line, "error: "):
		return Parsed{}, true
	case line == "booted":
		return Parsed{Restarted: true}, true
	case line == "-> ", line == "Password:":
		return Parsed{}, true
	}
	return Parsed{}, false
}

// Prompt knows the toy's shell prompt, which ends with no newline.
func (toy) Prompt(s string) bool { return s == "-> " }

func (toy) Wake(ctx context.Context, c *Conn) error {
	_, err := c.Request(ctx, "wake", okReply)
	return err
}

func (toy) Dial(ctx context.Context, c *Conn, t Target) error {
	_, err := c.Request(ctx, "dial "+t.Number, okReply)
	return err
}

func (toy) HangUp(ctx context.Context, c *Conn) error {
	_, err := c.Request(ctx, "hangup", okReply)
	return err
}

func (toy) Calls(ctx context.Context, c *Conn) ([]Call, error) {
	reply, err := c.Request(ctx, "status", func(l string) (bool, error) { return l == "end", nil })
	if err != nil {
		return nil, err
	}
	var calls []Call
	for _, l := range reply {
		if f := strings.Fields(l); len(f) == 4 && f[0] == "call" {
			calls = append(calls, Call{ID: f[1], State: State(f[2]), Remote: f[3]})
		}
	}
	return calls, nil
}

// toyTerminal serves the toy protocol on loopback; the test scripts it
// through its fields.
type toyTerminal struct {
	ln net.Listener

	mu       sync.Mutex
	calls    map[string]string // id -> "state remote"
	silent   bool              // stop answering
	received []string
	conns    []net.Conn
	echo     bool
	greet    bool     // say "booted" when registered, as a terminal with a session banner does
	prompt   bool     // end every reply with the shell prompt "-> ", no newline, as a Poly on port 24 does
	noise    []string // lines the terminal puts in the middle of its status reply
	password bool     // send "Password:" and a newline on connect, before anything is asked
}

func startToy(t *testing.T) *toyTerminal {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &toyTerminal{ln: ln, calls: map[string]string{}}
	t.Cleanup(func() { ln.Close(); s.dropAll() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			password := s.password
			s.mu.Unlock()
			if password {
				fmt.Fprint(c, "Password:\r\n")
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *toyTerminal) serve(c net.Conn) {
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		cmd := strings.TrimSpace(sc.Text())
		s.mu.Lock()
		s.received = append(s.received, cmd)
		silent, echo := s.silent, s.echo
		var out []string
		if echo {
			out = append(out, cmd)
		}
		switch {
		case silent:
		case cmd == "status":
			out = append(out, s.noise...)
			for id, v := range s.calls {
				out = append(out, "call "+id+" "+v)
			}
			out = append(out, "end")
		case cmd == "register" && s.greet:
			out = append(out, "booted", "ok")
		case strings.HasPrefix(cmd, "dial busy"):
			out = append(out, "error: line busy")
		case strings.HasPrefix(cmd, "dial "):
			s.calls["7"] = "dialling " + strings.TrimPrefix(cmd, "dial ")
			out = append(out, "ok", "event 7 dialling "+strings.TrimPrefix(cmd, "dial "))
		default:
			out = append(out, "ok")
		}
		prompt := s.prompt && !silent
		s.mu.Unlock()
		var b strings.Builder
		for _, l := range out {
			b.WriteString(l + "\r\n")
		}
		if prompt {
			b.WriteString("-> ")
		}
		io.WriteString(c, b.String())
	}
}

func (s *toyTerminal) send(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		fmt.Fprint(c, line)
	}
}

func (s *toyTerminal) dropAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		c.Close()
	}
	s.conns = nil
}

// count says how many times the terminal received cmd.
func (s *toyTerminal) count(cmd string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.received {
		if c == cmd {
			n++
		}
	}
	return n
}

func (s *toyTerminal) set(f func(*toyTerminal)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

type recorder struct {
	mu      sync.Mutex
	events  []Event
	unknown []string
	health  []Health
	changed chan struct{}
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{}, 1000)} }

func (r *recorder) emit(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	r.changed <- struct{}{}
}

func (r *recorder) onHealth(h Health) {
	r.mu.Lock()
	r.health = append(r.health, h)
	r.mu.Unlock()
	r.changed <- struct{}{}
}

func (r *recorder) onUnknown(kind, line string) {
	r.mu.Lock()
	r.unknown = append(r.unknown, kind)
	r.mu.Unlock()
	r.changed <- struct{}{}
}

// waitFor waits until cond holds over the recorder, failing after 10 s.
func (r *recorder) waitFor(t *testing.T, what string, cond func(*recorder) bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		ok := cond(r)
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.changed:
		case <-deadline:
			t.Fatalf("timed out waiting for %s; events %+v, health %+v, unknown %v", what, r.events, r.health, r.unknown)
		}
	}
}

func hasState(id string, st State) func(*recorder) bool {
	return func(r *recorder) bool {
		for _, e := range r.events {
			if e.Call.ID == id && e.Call.State == st {
				return true
			}
		}
		return false
	}
}

func connected(up bool) func(*recorder) bool {
	return func(r *recorder) bool { return len(r.health) > 0 && r.health[len(r.health)-1].Connected == up }
}

func runToy(t *testing.T, term *toyTerminal, p toy) (*Driver, *recorder) {
	t.Helper()
	rec := newRecorder()
	d := &Driver{Name: "room", Transport: TCP{Addr: term.ln.Addr().String()}, Protocol: p,
		Timeout: 300 * time.Millisecond, PollInterval: 100 * time.Millisecond, IdleGap: 50 * time.Millisecond,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		OnHealth: rec.onHealth, OnUnknown: rec.onUnknown}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); d.Run(ctx, rec.emit) }()
	t.Cleanup(func() { cancel(); <-done })
	rec.waitFor(t, "connected", connected(true))
	return d, rec
}

func TestDriverFollowsCallsAndDropsEcho(t *testing.T) {
	term := startToy(t)
	term.set(func(s *toyTerminal) { s.echo = true })
	d, rec := runToy(t, term, toy{})
	if err := d.Dial(context.Background(), Target{Number: "bridge@city"}); err != nil {
		t.Fatalf("Dial = %v, want nil", err)
	}
	rec.waitFor(t, "dialling", hasState("7", Dialling))
	term.send("event 7 connected bridge@city\r\n")
	rec.waitFor(t, "connected", hasState("7", Connected))
	// The call vanishes without a notification: the poll ends it.
	term.set(func(s *toyTerminal) { delete(s.calls, "7") })
	rec.waitFor(t, "ended", hasState("7", Ended))
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.unknown) != 0 {
		t.Errorf("unknown lines %v: the echo of a command must not count as one", rec.unknown)
	}
	for _, e := range rec.events {
		if e.Call.Remote != "bridge@city" {
			t.Errorf("event %+v: remote lost", e)
		}
	}
}

func TestDriverRefusedDialKeepsTheTerminalsWords(t *testing.T) {
	term := startToy(t)
	d, _ := runToy(t, term, toy{})
	err := d.Dial(context.Background(), Target{Number: "busy"})
	var refused *RefusedError
	if !errors.As(err, &refused) || refused.Reply != "line busy" {
		t.Fatalf("Dial(busy) = %v, want a RefusedError with the reply %q", err, "line busy")
	}
	if h := d.Health(); !h.Connected || !strings.Contains(h.LastError, "line busy") {
		t.Errorf("Health() = %+v, want connected with the refusal as last error", h)
	}
}

func TestDriverUnknownLinesLoggedOncePerKind(t *testing.T) {
	term := startToy(t)
	_, rec := runToy(t, term, toy{})
	term.send("garbage 1\r\ngarbage 2\r\n\x00\x01\xff\r\nwho: me\r\n")
	rec.waitFor(t, "three kinds", func(r *recorder) bool { return len(r.unknown) >= 3 })
	term.send("garbage 3\r\nwho: you\r\n")
	// A later known event proves the lines above were read.
	term.send("event 9 connected x\r\n")
	rec.waitFor(t, "event 9", hasState("9", Connected))
	rec.mu.Lock()
	defer rec.mu.Unlock()
	want := "garbage,(unprintable),who"
	if got := strings.Join(rec.unknown, ","); got != want {
		t.Errorf("unknown kinds = %s, want %s", got, want)
	}
}

func TestDriverSilentTerminalIsDownAndReconnected(t *testing.T) {
	term := startToy(t)
	starts := make(chan struct{}, 10)
	d, rec := runToy(t, term, toy{starts: starts})
	term.set(func(s *toyTerminal) { s.silent = true })
	rec.waitFor(t, "down", connected(false))
	if h := d.Health(); !strings.Contains(h.LastError, "no answer") {
		t.Errorf("Health().LastError = %q, want it to say the terminal did not answer", h.LastError)
	}
	if err := d.Dial(context.Background(), Target{Number: "x"}); !errors.Is(err, ErrNotConnected) && !errors.Is(err, ErrTimeout) {
		t.Errorf("Dial while down = %v, want ErrNotConnected or ErrTimeout", err)
	}
	term.set(func(s *toyTerminal) { s.silent = false })
	rec.waitFor(t, "up again", connected(true))
}

func TestDriverRestartRegistersAgain(t *testing.T) {
	term := startToy(t)
	starts := make(chan struct{}, 10)
	_, _ = runToy(t, term, toy{starts: starts})
	<-starts
	term.send("booted\r\n")
	select {
	case <-starts:
	case <-time.After(10 * time.Second):
		t.Fatal("no second registration after the terminal said it restarted")
	}
}

func TestDriverRestartWhileStartingStartsOnce(t *testing.T) {
	term := startToy(t)
	term.set(func(s *toyTerminal) { s.greet = true })
	starts := make(chan struct{}, 10)
	runToy(t, term, toy{starts: starts})
	// Three polls after the start: a second start would have come first.
	for deadline := time.Now().Add(10 * time.Second); term.count("status") < 3; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting for three polls")
		}
	}
	if n := len(starts); n != 1 {
		t.Errorf("starts = %d, want 1: the restart seen while starting is the one that start handled", n)
	}
}

func TestReadLinesFlushesAPromptWithoutNewline(t *testing.T) {
	r, w := net.Pipe()
	got := make(chan string, 10)
	go readLines(r, 20*time.Millisecond, nil, func(l string) { got <- l })
	go w.Write([]byte("Password: "))
	select {
	case l := <-got:
		if l != "Password: " {
			t.Errorf("line = %q, want %q", l, "Password: ")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a prompt with no newline was never passed on")
	}
	go w.Write([]byte(strings.Repeat("x", MaxLineSize+10) + "\nshort\n"))
	if l := <-got; l != "short" {
		t.Errorf("after an overlong line got %q, want %q (the long line dropped)", l, "short")
	}
	w.Close()
}

// TestErrorsDoNotCarryTheCommand: a password typed at a login prompt is a
// command line; a timeout on it must not put it in the health.
func TestErrorsDoNotCarryTheCommand(t *testing.T) {
	r, w := net.Pipe()
	defer r.Close()
	go io.Copy(io.Discard, r)
	c := newConn(w, 20*time.Millisecond)
	_, err := c.Request(context.Background(), "s3cret-Passw0rd", func(string) (bool, error) { return false, nil })
	if !errors.Is(err, ErrTimeout) || strings.Contains(err.Error(), "Passw0rd") {
		t.Errorf("Request timeout = %v, want ErrTimeout without the command's text", err)
	}
	if err := c.Send("s3cret\nPassw0rd"); err == nil || strings.Contains(err.Error(), "Passw0rd") {
		t.Errorf("Send of two lines = %v, want an error without the command's text", err)
	}
}

// TestDriverSplitsThePromptFromTheReply: a port that ends every reply with
// a prompt and no newline, as a Poly on port 24 does, has the next line
// arrive within the idle gap; the prompt must not be glued to it.
func TestDriverSplitsThePromptFromTheReply(t *testing.T) {
	term := startToy(t)
	term.set(func(s *toyTerminal) { s.prompt, s.echo = true, true })
	d, rec := runToy(t, term, toy{})
	if err := d.Dial(context.Background(), Target{Number: "bridge@city"}); err != nil {
		t.Fatalf("Dial = %v, want nil", err)
	}
	rec.waitFor(t, "dialling", hasState("7", Dialling))
	term.send("event 7 connected bridge@city\r\n")
	rec.waitFor(t, "connected", hasState("7", Connected))
	term.send("garbage\r\n")
	term.send("event 9 connected x\r\n")
	rec.waitFor(t, "event 9", hasState("9", Connected))
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if got := strings.Join(rec.unknown, ","); got != "garbage" {
		t.Errorf("unknown kinds = %q, want %q: the prompt is no kind of line", got, "garbage")
	}
}

// TestDriverLogsUnknownLinesInsideAReply: lines no parser knows that come
// in the middle of a reply are logged once per kind, and neither end the
// reply early nor fill it up.
func TestDriverLogsUnknownLinesInsideAReply(t *testing.T) {
	term := startToy(t)
	noise := []string{"garbage 1", "\x00\x01", "who: me"}
	for i := range maxReplySize + 10 {
		noise = append(noise, fmt.Sprintf("garbage %d", i+2))
	}
	term.set(func(s *toyTerminal) { s.calls["7"] = "connected bridge@city"; s.noise = noise })
	d, rec := runToy(t, term, toy{})
	calls, err := d.Calls(context.Background())
	if err != nil || len(calls) != 1 || calls[0].ID != "7" || calls[0].State != Connected {
		t.Fatalf("Calls() = %+v, %v; want call 7 connected", calls, err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if got, want := strings.Join(rec.unknown, ","), "garbage,(unprintable),who"; got != want {
		t.Errorf("unknown kinds = %q, want %q", got, want)
	}
}

// TestDriverKeepsAPromptThatCameFirst: a terminal that prompts for its
// password on connect, before the protocol starts waiting for the prompt.
func TestDriverKeepsAPromptThatCameFirst(t *testing.T) {
	term := startToy(t)
	term.set(func(s *toyTerminal) { s.password = true })
	runToy(t, term, toy{login: true})
	if n := term.count("secret"); n != 1 {
		t.Errorf("password sent %d times, want 1", n)
	}
}

// TestConnKeepsLinesForAWait is the unit case of the above: a line that
// came while nothing was asked is seen by the next Request that only
// waits, and not by one that sends a command (its reply comes after it).
func TestConnKeepsLinesForAWait(t *testing.T) {
	c := newConn(io.Discard, 50*time.Millisecond)
	c.deliver("Password:")
	reply, err := c.Request(context.Background(), "", func(l string) (bool, error) { return l == "Password:", nil })
	if err != nil || len(reply) != 1 {
		t.Fatalf("wait after the prompt came = %q, %v; want the prompt", reply, err)
	}
	c.deliver("ok")
	if reply, err := c.Request(context.Background(), "register", okReply); !errors.Is(err, ErrTimeout) {
		t.Errorf("Request(register) after a stale ok = %q, %v; want ErrTimeout", reply, err)
	}
}

func TestReadLinesSplitsPrompts(t *testing.T) {
	r, w := net.Pipe()
	got := make(chan string, 10)
	prompt := func(s string) bool { return s == "-> " || s == "Password:" }
	// An hour's idle gap: only the prompt can end the text with no newline.
	go readLines(r, time.Hour, prompt, func(l string) { got <- l })
	go w.Write([]byte("Password: Hi, my name is x\r\nok\r\n-> cs: call[1]\r\n"))
	for _, want := range []string{"Password:", "Hi, my name is x", "ok", "-> ", "cs: call[1]"} {
		select {
		case l := <-got:
			if l != want {
				t.Errorf("line = %q, want %q", l, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no line; want %q", want)
		}
	}
	w.Close()
}

// TestDriverSilentTerminalFreesEveryCaller: callers queued for the line of
// a terminal that went silent all return within twice the timeout, the
// wait for the line included, and the link is called down.
func TestDriverSilentTerminalFreesEveryCaller(t *testing.T) {
	term := startToy(t)
	d, rec := runToy(t, term, toy{})
	term.set(func(s *toyTerminal) { s.silent = true })
	const callers = 5
	errs := make(chan error, callers)
	bound := 2*d.Timeout + time.Second // the second is slack for a loaded machine
	for i := range callers {
		go func() {
			began := time.Now()
			err := d.Dial(context.Background(), Target{Number: fmt.Sprint(i)})
			if took := time.Since(began); took > bound || !errors.Is(err, ErrTimeout) && !errors.Is(err, ErrNotConnected) {
				errs <- fmt.Errorf("Dial %d = %v after %v; want ErrTimeout or ErrNotConnected within %v", i, err, took, bound)
				return
			}
			errs <- nil
		}()
	}
	for range callers {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	rec.waitFor(t, "down", connected(false))
}
