package terminal

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Defaults for Driver's tuning fields.
const (
	DefaultTimeout      = 2 * time.Second // a command's reply; an operation that gets none in twice this drops the connection
	DefaultPollInterval = 2 * time.Second // with the timeout, an unplugged terminal shows within 5 s
	DefaultIdleGap      = 300 * time.Millisecond
	DefaultMinBackoff   = 500 * time.Millisecond
	DefaultMaxBackoff   = 30 * time.Second
	maxUnknownKinds     = 64 // kinds of unknown line remembered for logging once
)

var errStopped = errors.New("terminal: stopped")

// Protocol is one brand's control language, over a Conn the Driver keeps
// open.
type Protocol interface {
	Kind() string
	// Start runs on every new connection, and again when Parse reports a
	// restart: log in, register for call notifications.
	Start(ctx context.Context, c *Conn) error
	// Parse reads a line the terminal sent, alone or inside a reply.
	// ok is false for a line of a kind the protocol does not know.
	Parse(line string) (p Parsed, ok bool)
	Wake(ctx context.Context, c *Conn) error
	Dial(ctx context.Context, c *Conn, t Target) error
	HangUp(ctx context.Context, c *Conn) error
	// Calls lists the calls the terminal has now, final ones left out.
	Calls(ctx context.Context, c *Conn) ([]Call, error)
}

// Prompter is a Protocol whose terminal shows prompts that end with no
// newline, such as "Password: " or a shell's "-> ". Prompt reports whether
// text received since the last line end is a whole prompt; the Driver then
// takes it as a line at once, so that what the terminal sends next is not
// glued to it. It is asked after every byte, with at most 64 bytes.
type Prompter interface {
	Prompt(partial string) bool
}

// Parsed is what a line says.
type Parsed struct {
	Calls     []Call // changes of calls
	Restarted bool   // the terminal rebooted: its registrations are gone
}

// Driver keeps one terminal connected and follows its calls. Set the
// exported fields before Run.
type Driver struct {
	Name      string
	Transport Transport
	Protocol  Protocol

	Timeout, PollInterval, IdleGap time.Duration // 0: the defaults
	MinBackoff, MaxBackoff         time.Duration
	// OnHealth, if set, is called after every change of Health.
	OnHealth func(Health)
	// OnUnknown, if set, is called for the first line of each kind no
	// parser knows, so that a chatty terminal is logged once, not forever.
	OnUnknown func(kind, line string)
	// Now is the clock events are stamped with; nil is time.Now.
	Now func() time.Time

	mu      sync.Mutex
	conn    *Conn
	health  Health
	unknown map[string]bool

	emitMu sync.Mutex // keeps call changes in order across the reader and the poller
	emit   func(Event)
	calls  map[string]Call // live calls by id
}

var _ Terminal = (*Driver)(nil)

func (d *Driver) String() string {
	return fmt.Sprintf("%s terminal %q at %s", d.Protocol.Kind(), d.Name, d.Transport)
}

// Health reports the link.
func (d *Driver) Health() Health {
	d.mu.Lock()
	defer d.mu.Unlock()
	h := d.health
	h.Name, h.Kind, h.Addr = d.Name, d.Protocol.Kind(), d.Transport.String()
	return h
}

// Run keeps the terminal connected until ctx is done, reconnecting with
// jittered backoff, and passes every call change to emit. It returns nil.
func (d *Driver) Run(ctx context.Context, emit func(Event)) error {
	d.emitMu.Lock()
	d.emit, d.calls = emit, map[string]Call{}
	d.emitMu.Unlock()
	backoff := or(d.MinBackoff, DefaultMinBackoff)
	for ctx.Err() == nil {
		began := time.Now()
		err := d.session(ctx)
		if ctx.Err() != nil {
			break
		}
		d.setHealth(false, err)
		if time.Since(began) > or(d.MaxBackoff, DefaultMaxBackoff) {
			backoff = or(d.MinBackoff, DefaultMinBackoff) // it was up a while: a new outage
		}
		// Jitter spreads the reconnects of a building's boxes after a
		// network outage.
		wait := backoff/2 + rand.N(backoff/2+1)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
		backoff = min(2*backoff, or(d.MaxBackoff, DefaultMaxBackoff))
	}
	d.setHealth(false, errStopped)
	return nil
}

// session opens the port, starts the protocol and polls until the
// connection fails.
func (d *Driver) session(ctx context.Context) error {
	octx, cancel := context.WithTimeout(ctx, or(d.Timeout, DefaultTimeout)*2)
	rw, err := d.Transport.Open(octx)
	cancel()
	if err != nil {
		return err
	}
	c := newConn(rw, or(d.Timeout, DefaultTimeout))
	restart := make(chan struct{}, 1)
	readDone := make(chan struct{})
	var prompt func(string) bool
	if p, ok := d.Protocol.(Prompter); ok {
		prompt = p.Prompt
	}
	go func() {
		defer close(readDone)
		err := readLines(rw, or(d.IdleGap, DefaultIdleGap), prompt, func(line string) { d.onLine(c, line, restart) })
		c.close(fmt.Errorf("terminal: read %s: %w", d.Transport, err))
	}()
	defer func() {
		d.setConn(nil)
		rw.Close()
		<-readDone
	}()
	start := func() error {
		if err := d.Protocol.Start(ctx, c); err != nil {
			return fmt.Errorf("terminal: start: %w", err)
		}
		// A restart the terminal reported while starting is the one this
		// start handled: many print at a new session what they print at
		// boot.
		select {
		case <-restart:
		default:
		}
		return d.poll(ctx, c)
	}
	if err := start(); err != nil {
		return err
	}
	d.setConn(c)
	tick := time.NewTicker(or(d.PollInterval, DefaultPollInterval))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.closed:
			return c.err
		case <-restart:
			if err := start(); err != nil {
				return err
			}
		case <-tick.C:
			if err := d.poll(ctx, c); err != nil {
				return err
			}
		}
	}
}

// poll asks for the calls and settles any change a notification missed. A
// terminal that does not answer is treated as gone; one that answers with
// an error is still there.
func (d *Driver) poll(ctx context.Context, c *Conn) error {
	var calls []Call
	err := d.bounded(ctx, c, func(ctx context.Context, c *Conn) error {
		var err error
		calls, err = d.Protocol.Calls(ctx, c)
		return err
	})
	var refused *RefusedError
	switch {
	case errors.As(err, &refused):
		d.noteError(err)
		return nil
	case err != nil:
		return fmt.Errorf("terminal: call status: %w", err)
	}
	d.reconcile(calls)
	return nil
}

func (d *Driver) onLine(c *Conn, line string, restart chan<- struct{}) {
	if c.echo(line) {
		c.deliverEcho(line)
		return
	}
	p, known := d.Protocol.Parse(line)
	for _, call := range p.Calls {
		d.update(call)
	}
	if p.Restarted {
		select {
		case restart <- struct{}{}:
		default:
		}
	}
	if !known {
		// Logged, and kept out of any reply: it could end one early or
		// fill it up.
		d.unknownLine(line)
		return
	}
	c.deliver(line)
}

func (d *Driver) unknownLine(line string) {
	kind := lineKind(line)
	d.mu.Lock()
	if d.unknown == nil {
		d.unknown = map[string]bool{}
	}
	first := !d.unknown[kind] && len(d.unknown) < maxUnknownKinds
	if first {
		d.unknown[kind] = true
	}
	d.mu.Unlock()
	if first && d.OnUnknown != nil {
		d.OnUnknown(kind, line)
	}
}

// lineKind names a line by its first word, so that one kind is logged once
// however its values vary.
func lineKind(line string) string {
	end := strings.IndexAny(line, " :[=(")
	if end < 0 {
		end = len(line)
	}
	kind := line[:min(end, 32)]
	for _, r := range kind {
		if !unicode.IsPrint(r) {
			return "(unprintable)"
		}
	}
	if kind == "" {
		return "(blank)"
	}
	return kind
}

// update records a change of one call and emits it if it is news.
func (d *Driver) update(c Call) {
	d.emitMu.Lock()
	defer d.emitMu.Unlock()
	d.updateLocked(c)
}

func (d *Driver) updateLocked(c Call) {
	if d.calls == nil {
		return // not running
	}
	prev, had := d.calls[c.ID]
	if had && c.Remote == "" {
		c.Remote = prev.Remote
	}
	if had && prev == c {
		return
	}
	if c.State.Final() {
		delete(d.calls, c.ID)
	} else {
		d.calls[c.ID] = c
	}
	d.emit(Event{Call: c, At: d.now()})
}

// reconcile takes a full list of live calls: a call it no longer holds has
// ended, whether or not the terminal said so.
func (d *Driver) reconcile(live []Call) {
	d.emitMu.Lock()
	defer d.emitMu.Unlock()
	seen := make(map[string]bool, len(live))
	for _, c := range live {
		seen[c.ID] = true
		d.updateLocked(c)
	}
	for id, c := range d.calls {
		if seen[id] {
			continue
		}
		final := Ended
		if c.State == Dialling {
			final = Failed
		}
		c.State, c.Reason = final, "no longer in the terminal's call list"
		d.updateLocked(c)
	}
}

func (d *Driver) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// Wake brings the terminal out of standby.
func (d *Driver) Wake(ctx context.Context) error {
	return d.do(ctx, d.Protocol.Wake)
}

// Dial places a call. The call's progress comes as events.
func (d *Driver) Dial(ctx context.Context, t Target) error {
	return d.do(ctx, func(ctx context.Context, c *Conn) error { return d.Protocol.Dial(ctx, c, t) })
}

// HangUp ends every call.
func (d *Driver) HangUp(ctx context.Context) error {
	return d.do(ctx, d.Protocol.HangUp)
}

// Calls asks the terminal for its live calls.
func (d *Driver) Calls(ctx context.Context) ([]Call, error) {
	var calls []Call
	err := d.do(ctx, func(ctx context.Context, c *Conn) error {
		var err error
		calls, err = d.Protocol.Calls(ctx, c)
		return err
	})
	if err == nil {
		d.reconcile(calls)
	}
	return calls, err
}

func (d *Driver) do(ctx context.Context, f func(context.Context, *Conn) error) error {
	d.mu.Lock()
	c := d.conn
	d.mu.Unlock()
	if c == nil {
		return ErrNotConnected
	}
	err := d.bounded(ctx, c, f)
	if err != nil {
		d.noteError(err)
	}
	return err
}

// bounded runs one operation on c within twice the timeout, its wait for
// the line included: a command's reply, and the check some protocols make
// when none comes. A terminal that does not answer in that time is taken
// as gone: the link is dropped, which the health shows and which frees
// every other caller waiting for the line, and the driver reconnects. A
// reply that came late would otherwise be taken for a later command's.
func (d *Driver) bounded(ctx context.Context, c *Conn, f func(context.Context, *Conn) error) error {
	octx, cancel := context.WithTimeout(ctx, 2*or(d.Timeout, DefaultTimeout))
	defer cancel()
	err := f(octx, c)
	if err != nil && ctx.Err() == nil && errors.Is(octx.Err(), context.DeadlineExceeded) && !errors.Is(err, ErrTimeout) {
		err = fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	if errors.Is(err, ErrTimeout) {
		c.close(err)
	}
	return err
}

func (d *Driver) setConn(c *Conn) {
	d.mu.Lock()
	d.conn = c
	d.mu.Unlock()
	if c != nil {
		d.setHealth(true, nil)
	}
}

func (d *Driver) setHealth(up bool, err error) {
	d.mu.Lock()
	changed := d.health.Connected != up || d.health.Since.IsZero()
	if changed {
		d.health.Since = time.Now()
	}
	d.health.Connected = up
	d.health.LastError = ""
	if err != nil {
		d.health.LastError = err.Error()
	}
	d.mu.Unlock()
	if d.OnHealth != nil {
		d.OnHealth(d.Health())
	}
}

// noteError keeps a command's failure in the health without calling the
// link down: the terminal answered.
func (d *Driver) noteError(err error) {
	d.mu.Lock()
	d.health.LastError = err.Error()
	d.mu.Unlock()
	if d.OnHealth != nil {
		d.OnHealth(d.Health())
	}
}

func or(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
