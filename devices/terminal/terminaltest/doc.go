// Package terminaltest helps test code that drives a conference terminal:
// Fake is an in-memory terminal.Terminal the test scripts (connected or
// not, calls answered, failed or dropped, dials refused) and that records
// the commands it was given; Recorder collects a terminal's events and
// health for a test to wait on; Suite is the behaviour every terminal must
// show, run against the fake and against each real driver with its
// simulator.
package terminaltest
