// Package progressbar shows how far a long run of a command-line tool is
// (photos enrolled, chunks published), on standard error.
package progressbar
