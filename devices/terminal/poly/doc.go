// Package poly speaks the command-line API of Poly (Polycom) Group Series
// 300/500/700, HDX and G7500 systems, on their RS-232 port or TCP port 24,
// as a terminal.Protocol for terminal.Driver.
//
// At every session the protocol answers the password prompt when the
// system shows one (a serial port prompts only when spoken to, so an empty
// line asks it), then registers for both notification streams: callstate
// register (cs:, active:, cleared:, ended: lines) and notify callstatus
// (notification:callstatus: lines, with the direction and the clearing
// cause). A tracker merges them per call id, so each change reaches the
// driver once, and decides what no single line says: a call cleared
// without ever connecting failed (busy, rejected… from the system's Q.850
// cause code), one that connected ended. Polls use callinfo all, which the
// protocol takes to list ringing calls too, with status connecting.
//
// A reboot is recognised by any of: the command shell's banner
// ("… Command Shell", or the HDX's "Hi, my name is"), which a serial port
// shows at boot; a password prompt out of turn; or "callstate
// unregistered" in answer to the callstate get every poll ends with,
// which says the registrations are gone. Over TCP a reboot also closes the
// socket, and the driver reconnects.
//
// Dial sends dial manual <speed> "<dial string>" [sip|h323]; auto leaves
// the type out so the system chooses as configured, and a target without
// a speed gets Protocol.Speed. A dial string with a quote, backslash or
// control character is refused before anything is sent. An error: answer
// (or an info: one, which the manual gives only for dials that did not
// happen) is a terminal.RefusedError with the system's words. wake answers
// "wake", which a port that does not echo makes look like an echo: when
// no answer comes in time, callstate get tells whether the system is
// there.
//
// Package polysim beside it is a scripted simulated system for tests and
// the demo.
package poly
