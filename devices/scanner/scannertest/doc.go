// Package scannertest provides a fake QR scanner for tests of code that
// consumes scanner.Line values: lines are typed in with Send, and the
// connection state is set with SetConnected.
package scannertest
