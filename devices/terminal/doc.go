// Package terminal drives a room's video-conference terminal over its
// control port: wake it, dial a bridge, hang up, and follow its calls.
//
// Driver does what every terminal needs — open the port (Serial, TCP or an
// SSH shell), read its reply lines, run one command at a time with a
// timeout, poll the call state so a lost notification or a reboot cannot
// leave the box believing a stale call, reconnect with jittered backoff and
// report its health. What differs between brands is a Protocol: the
// subpackages poly, cisco and generic each implement one, and each ships a
// simulator that speaks it for tests and the demo.
package terminal
