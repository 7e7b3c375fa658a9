package citylink

import "time"

// pace decides how long the sender waits for an ack before it resends and
// how many messages it keeps waiting for acks, the way TCP does: the
// timeout follows the measured ack round trip (RFC 6298: smoothed round
// trip + 4 × its variation, doubled on each timeout, within bounds), and
// the window grows while acks come back and halves when one is lost
// (additive increase, multiplicative decrease, from a small start doubled
// each round trip). A city that is slow but storing is waited for instead
// of being sent again what it already has queued. It has no clock: the
// session gives it the round trips it measured. Guarded by Link.mu.
type pace struct {
	lo, hi    time.Duration // bounds of the timeout
	maxWindow int

	srtt, rttvar time.Duration // zero until the first sample
	rto          time.Duration
	window       float64 // messages
	threshold    float64 // below it the window doubles each round trip, above it grows by one
	// undo is the pace before the timeouts since the last ack; an ack that
	// took longer than the timeout that fired shows that it fired early,
	// and the window comes back (RFC 4015's response to a spurious timeout).
	undo *paceUndo
}

type paceUndo struct {
	window, threshold float64
	fired             time.Duration
}

// initialWindow is the window of a new session, as TCP starts small: a
// fleet that reconnects at once sends 4 messages a box, not Settings.Window.
const initialWindow = 4

func newPace(first, lo, hi time.Duration, maxWindow int) *pace {
	return &pace{
		lo: lo, hi: hi, maxWindow: maxWindow,
		rto:       clamp(first, lo, hi),
		window:    float64(min(initialWindow, maxWindow)),
		threshold: float64(maxWindow),
	}
}

// timeout is how long a message may wait for its ack now.
func (p *pace) timeout() time.Duration { return p.rto }

// limit is how many messages may wait for their acks now.
func (p *pace) limit() int { return max(1, int(p.window)) }

// acked takes a message acknowledged in full after rtt; sampled is false
// when it had been sent more than once, since then rtt may be the first
// send's ack arriving after the resend (Karn's rule).
func (p *pace) acked(rtt time.Duration, sampled bool) {
	if u := p.undo; u != nil && sampled {
		if rtt >= u.fired {
			p.window, p.threshold = u.window, u.threshold
		}
		p.undo = nil
	}
	if sampled {
		if p.srtt == 0 {
			p.srtt, p.rttvar = rtt, rtt/2
		} else {
			p.rttvar = (3*p.rttvar + (p.srtt - rtt).Abs()) / 4
			p.srtt = (7*p.srtt + rtt) / 8
		}
		p.rto = clamp(p.srtt+4*p.rttvar, p.lo, p.hi)
	}
	if p.window < p.threshold {
		p.window++
	} else {
		p.window += 1 / p.window
	}
	p.window = min(p.window, float64(p.maxWindow))
}

// lost takes a message whose ack did not come while later ones' did: the
// message or its ack was dropped, the city is answering. The window halves.
func (p *pace) lost() {
	p.undo = nil
	p.threshold = max(p.window/2, 1)
	p.window = p.threshold
}

// expired takes a timeout with no later ack to say the link works: the
// city may be slow or gone. The timeout doubles and the window starts again
// from one message.
func (p *pace) expired() {
	if p.undo == nil {
		p.undo = &paceUndo{p.window, p.threshold, p.rto}
	}
	p.threshold = max(p.window/2, 1)
	p.window = 1
	p.rto = min(2*p.rto, p.hi)
}

func clamp(d, lo, hi time.Duration) time.Duration { return max(lo, min(d, hi)) }
