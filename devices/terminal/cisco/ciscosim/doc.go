// Package ciscosim is a scripted Cisco codec speaking the xAPI in terminal
// mode, for tests and the demo. One Sim is one codec: its calls are shared
// by every session, served on a console (a pty, with an optional login)
// by Serve or over SSH by ListenSSH.
//
// The number dialled picks the script: one containing "busy" is refused
// busy, "reject" is declined, "invalid" is refused by the codec itself,
// "noanswer" rings until hung up; any other is answered after AnswerAfter.
// Drop, Reboot, SetDelay, SetSilent and Say play the rest: a call dropped
// by the far end, a reboot that forgets the feedback registrations, slow
// replies, a codec that stops answering, and garbage or partial lines.
package ciscosim
