// Package calls is the room's bridge call: the box wakes the room's
// conference terminal and dials the meeting's bridge before the start,
// retries a failed dial with backoff until the end, redials a call that
// drops, and hangs up after the end unless the next meeting is on the same
// bridge. People can call, hang up and redial through it (the secretary at
// the kiosk, the city by command), and every change of the call is a
// vn.roomgate.call.v1 record.
//
// The policy (Rules.Decide) is pure: the schedule, the time, what the
// terminal shows and what the box remembers in, one action out. Room holds
// that memory, follows the terminal's events and health, carries out the
// actions one at a time and keeps the records.
//
// Two rules come before everything else. The box never dials over, and
// never hangs up, a call it did not place: a call dialled by hand, or an
// incoming one, is the room's business (terminals hang up every call at
// once, so while one is up the box sends neither). And the terminal, not
// the box's memory, says what is up: the room reads the terminal's calls
// before every dial and hang-up, and after every reconnect. After an agent
// restart, a call found up to the bridge of a meeting that joins by itself,
// between its join and hang-up times, is taken as the box's (Rules.Adopt):
// the box would have placed that very call, and the terminal is the only
// one that knows what happened while the agent was down.
package calls
