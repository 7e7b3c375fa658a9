package terminal

import (
	"context"
	"fmt"
	"io"
	"net"

	"github.com/roomgate/roomgate/devices/serialport"
)

// Transport opens a terminal's control port.
type Transport interface {
	Open(ctx context.Context) (io.ReadWriteCloser, error)
	String() string // the port or address, for health and logs
}

// Serial is an RS-232 control port. Path may be a glob, such as
// /dev/serial/by-id/usb-FTDI*, to find an adapter that comes back under
// another name.
type Serial struct {
	Path string
	Baud int // 0: 9600, the usual factory setting
}

// Open opens the port and drops what the driver buffered before: the tail
// of output nobody asked for.
func (s Serial) Open(context.Context) (io.ReadWriteCloser, error) {
	baud := s.Baud
	if baud == 0 {
		baud = 9600
	}
	p, _, err := serialport.Open(s.Path, baud)
	if err != nil {
		return nil, fmt.Errorf("terminal: %w", err)
	}
	return p, nil
}

func (s Serial) String() string { return s.Path }

// TCP is a control port on the network (a Poly's port 24, a generic
// terminal's raw socket).
type TCP struct{ Addr string }

// Open connects, giving up with ctx.
func (t TCP) Open(ctx context.Context) (io.ReadWriteCloser, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", t.Addr)
	if err != nil {
		return nil, fmt.Errorf("terminal: %w", err)
	}
	return c, nil
}

func (t TCP) String() string { return t.Addr }
