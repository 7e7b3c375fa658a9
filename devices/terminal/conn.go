package terminal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Limits of what a terminal may send.
const (
	MaxLineSize   = 4096 // a longer line is cut off and ignored
	maxReplySize  = 512  // lines one command's reply may have
	maxPromptSize = 64   // text without a newline that is asked whether it is a prompt
)

// Conn is one open control connection: lines in, commands out. A Protocol
// uses it to log in, register for notifications and run commands; the
// Driver reads every line and passes it to the Protocol's Parse.
type Conn struct {
	w       io.Writer
	timeout time.Duration

	turn chan struct{} // held by the Request under way: replies are not tagged

	mu       sync.Mutex
	waiter   chan replyLine // the lines of the reply being awaited
	unasked  []string       // lines that came while no reply was awaited, for a Request that only waits
	lastSent string         // its command, to drop the terminal's echo
	closed   chan struct{}
	err      error
}

// replyLine is a line for the awaited reply; echo marks one that repeats
// the command sent, which is the reply only if the reply claims it (a Poly
// answers wake with "wake", and a port that does not echo sends it once).
type replyLine struct {
	text string
	echo bool
}

func newConn(w io.Writer, timeout time.Duration) *Conn {
	return &Conn{w: w, timeout: timeout, turn: make(chan struct{}, 1), closed: make(chan struct{})}
}

// Send writes one command line and does not wait for a reply.
func (c *Conn) Send(cmd string) error {
	if strings.ContainsAny(cmd, "\r\n") {
		return errors.New("terminal: a command spans lines")
	}
	c.mu.Lock()
	c.lastSent = cmd
	c.mu.Unlock()
	if _, err := io.WriteString(c.w, cmd+"\r\n"); err != nil {
		return fmt.Errorf("terminal: write: %w", err)
	}
	return nil
}

// Errors never quote the command: a password sent as one must not reach
// the health shown on the status page. Protocols say which operation failed.
//
// Request sends cmd and passes every line that comes back to until, which
// says when the reply is complete or wrong. cmd "" sends nothing and only
// waits for what the terminal says by itself, such as a prompt on connect:
// it sees first the lines that came since the last Request, so a prompt
// that came before the wait is not lost. A command's reply comes after it,
// so a Request that sends one sees only later lines. Lines no parser knows
// are never part of a reply.
//
// It returns the reply's lines, ErrTimeout when the terminal stays silent
// for the Conn's timeout, the connection's error when it closes, or ctx's
// error; a Request waiting for another to finish gives up with ctx too.
func (c *Conn) Request(ctx context.Context, cmd string, until func(line string) (done bool, err error)) ([]string, error) {
	select {
	case c.turn <- struct{}{}:
	case <-c.closed:
		return nil, c.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.turn }()
	select {
	case <-c.closed: // while waiting for the line: say why, not that a write failed
		return nil, c.err
	default:
	}
	lines := make(chan replyLine, maxReplySize)
	c.mu.Lock()
	c.waiter = lines
	if cmd == "" {
		for _, l := range c.unasked {
			lines <- replyLine{text: l}
		}
	}
	c.unasked = nil
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.waiter = nil
		c.mu.Unlock()
	}()
	if cmd != "" {
		if err := c.Send(cmd); err != nil {
			return nil, err
		}
	}
	t := time.NewTimer(c.timeout)
	defer t.Stop()
	var reply []string
	for {
		select {
		case l := <-lines:
			done, err := until(l.text)
			if l.echo && !done && err == nil {
				continue // the terminal repeating the command
			}
			reply = append(reply, l.text)
			if err != nil || done {
				return reply, err
			}
			if len(reply) >= maxReplySize {
				return reply, fmt.Errorf("terminal: reply longer than %d lines", maxReplySize)
			}
		case <-t.C:
			return reply, ErrTimeout
		case <-c.closed:
			return reply, c.err
		case <-ctx.Done():
			return reply, ctx.Err()
		}
	}
}

// echo reports whether line is the terminal repeating the last command, as
// a telnet-style port does; it is not a reply.
func (c *Conn) echo(line string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if line == "" || line != c.lastSent {
		return false
	}
	c.lastSent = ""
	return true
}

// deliver hands a line to the awaited reply, or keeps it for the next
// Request that only waits; it reports whether a reply was awaited.
func (c *Conn) deliver(line string) (awaited bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.waiter == nil {
		if len(c.unasked) == maxReplySize {
			c.unasked = c.unasked[1:] // the oldest is the least likely to be waited for
		}
		c.unasked = append(c.unasked, line)
		return false
	}
	select {
	case c.waiter <- replyLine{text: line}:
	default: // the reply is over its limit; Request says so
	}
	return true
}

// deliverEcho offers the awaited reply a line that repeats its command;
// with no reply awaited it is only an echo, and dropped.
func (c *Conn) deliverEcho(line string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.waiter != nil {
		select {
		case c.waiter <- replyLine{text: line, echo: true}:
		default:
		}
	}
}

func (c *Conn) close(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.closed:
	default:
		c.err = err
		close(c.closed)
	}
}

// readLines splits r into lines at CR or LF and calls line for each. Text
// left without a terminator for idle is passed on too: a password prompt
// ends with no newline. A line over MaxLineSize is dropped whole. It returns
// when r fails.
func readLines(r io.Reader, idle time.Duration, prompt func(string) bool, line func(string)) error {
	type chunk struct {
		b   []byte
		err error
	}
	chunks := make(chan chunk)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			buf := make([]byte, 1024)
			n, err := r.Read(buf)
			select {
			case chunks <- chunk{buf[:n], err}:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	var cur []byte
	overlong := false
	afterPrompt := false // drop the spaces that end a prompt
	flush := func() {
		if !overlong && len(cur) > 0 {
			line(string(cur))
		}
		cur, overlong = cur[:0], false
	}
	timer := time.NewTimer(idle)
	timer.Stop()
	for {
		select {
		case <-timer.C:
			flush()
		case c := <-chunks:
			for _, b := range c.b {
				switch {
				case b == ' ' && afterPrompt:
					continue
				case b == '\r' || b == '\n':
					flush()
				case len(cur) >= MaxLineSize:
					overlong = true
				default:
					cur = append(cur, b)
				}
				afterPrompt = false
				if prompt != nil && !overlong && len(cur) <= maxPromptSize && len(cur) > 0 && prompt(string(cur)) {
					flush()
					afterPrompt = true
				}
			}
			timer.Stop()
			if len(cur) > 0 {
				timer.Reset(idle)
			}
			if c.err != nil {
				flush()
				if errors.Is(c.err, io.EOF) {
					return io.ErrUnexpectedEOF
				}
				return c.err
			}
		}
	}
}
