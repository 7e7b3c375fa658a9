// Package doortest provides a fake of door.Lines for tests and the sim board:
// it keeps each line's logical value and the history of output changes, and
// drives inputs into a callback as the GPIO driver would.
package doortest
