// Package schedule keeps the room's meetings in force: the stored schedule
// at start, a local file until the city has sent one, then the city's
// meetings message, whole, never an older version over a newer one. The
// attendance feature reads the schedule in force from here.
package schedule
