// Package serialport opens serial ports for the drivers that use one (QR
// scanners, conference terminals), so only it imports go.bug.st/serial.
package serialport

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"go.bug.st/serial"
)

// Port is an open serial port.
type Port interface {
	io.ReadWriteCloser
	// SetReadTimeout makes a Read that waits longer return (0, nil).
	SetReadTimeout(time.Duration) error
}

// Open opens the first existing path that pattern (a path or a glob)
// matches, at baud 8N1, with what arrived before it was opened discarded.
// It returns the path it opened.
func Open(pattern string, baud int) (Port, string, error) {
	path, err := Find(pattern)
	if err != nil {
		return nil, "", err
	}
	p, err := serial.Open(path, &serial.Mode{BaudRate: baud})
	if err != nil {
		return nil, path, fmt.Errorf("open %s: %w", path, err)
	}
	if err := p.ResetInputBuffer(); err != nil {
		p.Close()
		return nil, path, fmt.Errorf("flush %s: %w", path, err)
	}
	return p, path, nil
}

// Find returns the first existing path pattern matches.
func Find(pattern string) (string, error) {
	matches, err := filepath.Glob(pattern)
	if err != nil {
		return "", fmt.Errorf("path %q: %w", pattern, err)
	}
	for _, m := range matches {
		if _, err := os.Stat(m); err == nil {
			return m, nil
		}
	}
	return "", fmt.Errorf("no device at %s", pattern)
}
