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
// before every dial and hang-up, and after every reconnect. The box
// remembers the call it placed in the store (Placed: meeting, bridge, the
// terminal's id for the call), so that after an agent restart it takes
// back that call and no other: a call found up to the same bridge that the
// box does not remember, or with another id, was dialled by hand.
package calls
