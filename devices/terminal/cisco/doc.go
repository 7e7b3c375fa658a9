// Package cisco drives Cisco Room, Desk and Codec series terminals (CE 9
// and RoomOS) through the xAPI in terminal mode, over RS-232
// (terminal.Serial) or the SSH shell of an admin or integrator user
// (sshport.Transport, host key pinned).
//
// At the start of every connection Protocol sets terminal output and
// registers for /Status/Call and /Event/CallDisconnect; a serial console
// that asks for a login gets User and Password first. Commands that
// answer in blocks (xCommand, xStatus) carry a resultId, so their reply is
// told apart from feedback arriving in between and from a stray OK.
//
// Calls are followed from "*s Call N …" lines, whether feedback or the
// poll's "xStatus Call" reply: Dialling, Ringing, Connecting and
// EarlyMedia are dialling; Connected, OnHold and Preserved are connected.
// A call's ghost ends it — Ended if it was ever connected, else Failed —
// with the CallDisconnect event's cause ("RemoteBusy: Busy Here") as the
// reason, whichever of the two comes first. A Dial the codec refuses
// ("*r DialResult (status=Error)") is a terminal.RefusedError with its
// Reason. The dial string goes inside quotes and may not hold a quote, a
// backslash, a bar or a control character.
//
// A reboot: over SSH the connection drops and the driver reconnects and
// starts again. A serial line stays up, so a console that prompts
// "login:" or prints the "Cisco Codec Release" banner outside Start is
// taken as rebooted and started again. A codec that reboots without
// printing either (no login required, banner lost) still has its calls
// settled by the poll, which finds them gone; its notifications stay off
// until the next reconnect. The parsers (ParseLine, ReadCalls, ReadReply)
// are pure and fuzzed; the simulator is package ciscosim.
package cisco
