// Package attendance checks people in to the room's meetings: by face, by
// a personal QR pass the gate let through, or by the secretary's hand,
// each against the meeting rules of the schedule in force. A record is
// kept with its event for the city in one transaction, the kiosk is told
// what a check-in came to, and the secretary's lists (name search, the
// board, the CSV) are read from the records.
package attendance
