// Package socat gives tests a serial line that can be unplugged: a pair of
// pseudo-terminals joined by socat(1), one end standing for the scanner's
// port and the other for the scanner itself.
package socat
