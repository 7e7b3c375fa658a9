// Package scanner reads QR scanners: serial ones (Serial) and USB
// keyboard-wedge ones (Keyboard). Both turn the device's bytes or key strokes
// into Lines, one per scan, keep the device open across unplugs, and report
// their health through Status.
//
// The parsers, ReadLines and DecodeKeyEvents, are pure functions over an
// io.Reader so they can be tested on recorded input without hardware.
package scanner
