// Package pty opens Linux pseudo-terminal pairs in pure Go, without cgo.
//
// Benchmarks and the demo scanner use a pair as a serial line: the program
// writes to the master and the driver opens the slave path like a real port.
package pty
