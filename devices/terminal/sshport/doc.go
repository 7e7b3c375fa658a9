// Package sshport opens a terminal's control shell over SSH — how Cisco
// codecs give the xAPI to an admin or integrator user — with the
// terminal's host key pinned in the config, so a box never talks to a
// terminal it was not told about. It also serves SSH for the simulators.
// It is the one importer of golang.org/x/crypto/ssh.
package sshport
