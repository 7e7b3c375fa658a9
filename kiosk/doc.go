// Package kiosk serves the box's local web UI: the meeting board in the
// room (who is present, the camera with its face boxes, greetings, notices
// and the gate's results, live by server-sent events), the secretary's
// manual check-in and export and the technician's view of the box, each
// behind its own PIN. It knows nothing of the agent: the agent hands it a
// Source, Actions and a Preview, and pushes events with Push and Notify.
//
// It answers only connections from this machine (unless the config allows
// remote clients) for a loopback host name, refuses cross-site requests,
// and wants a session cookie, its CSRF token and a same-origin request for
// everything that changes state. Without a session a page gets only what
// the room sees on the board (/api/status and the event stream); the
// box's scans, recognitions, invitees' details and devices are the staff
// status's (/api/staff/status). Wrong PINs lock a role out for longer and
// longer, kept across restarts by Actions.
package kiosk
