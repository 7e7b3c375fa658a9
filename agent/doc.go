// Package agent wires the box together: it opens the store, the door, the
// scanners and the local web server named by the config, runs the gate, and
// puts the door in its safe state whenever it stops. Only this package
// chooses drivers.
//
// What the box offers lives in feature packages, one slot each in System:
// gate (scan decisions), schedule (the room's meetings), attendance
// (check-ins and the secretary's lists), recognition (what the camera
// saw, for the kiosk), gallerysync (the city's gallery), retention and
// citylink; enrol and facekit serve enrolment and the face engine. This
// package feeds each the events it needs and adapts them to the kiosk and
// the city's downlink.
package agent
