// Package genericsim simulates the VCT-100, the worked example of a
// terminal with a line protocol that roomgate drives through package
// generic. The VCT-100 and its protocol are invented: they stand for the
// simple text protocols of local brands, so that the generic driver, its
// definition and the demo can be tried without one.
//
// The protocol, one command or reply per line ending in CR LF:
//
//	Password:               sent with no newline on connect, when a password is set
//	PWR ON / PWR OFF        leave or enter standby; OK
//	EVT ON                  send call notifications on this connection; OK
//	DIAL <SIP|H323|AUTO> <kbit/s> <number>
//	                        OK, or ERR <words> (busy, in standby, a call up)
//	HANGUP ALL              OK; each call ends with EVT CALL <n> DOWN local hang-up
//	STATUS                  CALL <n> RINGING|UP <number> per call, then END
//	EVT CALL <n> RINGING|UP <number>, EVT CALL <n> FAIL|DOWN <reason>
//	                        notifications
//	VCT-100 READY v2.1      the start-up banner, then a copyright line:
//	                        notifications are off again
//
// Definition is the generic.Definition for it, the same as the example file
// firmware-config/examples/terminals/vct-100.yaml. Sim serves the protocol
// on any byte stream: a pty's host end (a serial line) or TCP connections.
// Tests script it: how a number answers, a drop mid-call, slow replies,
// silence, a reboot, raw garbage.
package genericsim
