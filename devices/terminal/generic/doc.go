// Package generic drives a conference terminal whose control port speaks a
// line protocol that roomgate has no driver for, as local brands often do.
// The config gives the protocol as a Definition: the commands that wake the
// terminal, dial (a template filled with the bridge's number, protocol and
// speed), hang up and ask for the calls, and regular expressions that map
// the terminal's lines to replies and call states.
//
// New checks a Definition and compiles it into a terminal.Protocol for the
// shared terminal.Driver. The regular expressions are Go's RE2, whose
// matching time is linear in the line, so a definition cannot make a
// hostile line expensive. genericsim simulates the worked example, an
// invented terminal, for tests and the demo.
package generic
