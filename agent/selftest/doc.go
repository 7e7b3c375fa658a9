// Package selftest holds the self-test's probes: how `roomgate doctor` and
// the technician's view reach a scanner, a conference terminal or the city,
// either through the loops of a running agent or, standalone, by running
// the device's driver for the test. The agent only picks and wires them.
package selftest
