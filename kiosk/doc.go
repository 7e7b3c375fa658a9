// Package kiosk serves the box's local web UI: the meeting board in the
// room (who is present, the camera with its face boxes, greetings, notices
// and the gate's results, live by server-sent events), the secretary's
// manual check-in and export and the technician's view of the box, each
// behind its own PIN. It knows nothing of the agent: the agent hands it a
// Source, Actions and a Preview, and pushes events with Push and Notify.
//
// It answers only requests for a loopback host name, refuses cross-site
// requests, and wants a session cookie, its CSRF token and a same-origin
// request for everything that changes state.
package kiosk
