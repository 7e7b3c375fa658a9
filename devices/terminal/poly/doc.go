// Package poly speaks the command-line API of Poly (Polycom) Group Series
// 300/500/700, HDX and G7500 systems, on their RS-232 port or TCP port 24,
// as a terminal.Protocol for terminal.Driver.
//
// At every session the protocol answers the password prompt when the
// system shows one, then registers for both notification streams
// (callstate register: cs:, active:, cleared:, ended: lines; notify
// callstatus: notification:callstatus: lines with the direction and the
// clearing cause). A tracker merges them per call id, so each change
// reaches the driver once, and decides what no single line says: a call
// that is cleared without ever connecting failed (busy, rejected… in the
// terminal's Q.850 cause), one that connected ended. Polls use callinfo
// all.
//
// A reboot is recognised by any of: the command shell's banner
// ("… Command Shell", or the HDX's "Hi, my name is"), which a serial port
// shows at boot; a password prompt out of turn; or "callstate
// unregistered" in answer to the callstate get every command and poll
// ends with, which says the registrations are gone. Over TCP a reboot also
// closes the socket, and the driver reconnects.
//
// Dial sends dial manual <speed> "<dial string>" [sip|h323]; auto leaves
// the type out so the system chooses as configured. A dial string with a
// quote, backslash or control character is refused before it is sent.
//
// Package polysim beside it is a scripted simulated system for tests and
// the demo.
package poly
