package pty

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Open allocates a pseudo-terminal through /dev/ptmx and returns its master
// and the path of its slave. The slave is set to raw mode with echo off, so
// bytes written to the master reach a reader of the slave unchanged. The
// setting lasts as long as the master stays open, even while no one holds
// the slave open.
func Open() (master *os.File, slavePath string, err error) {
	master, err = os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, "", fmt.Errorf("pty: %w", err)
	}
	slavePath, err = setup(master)
	if err != nil {
		master.Close()
		return nil, "", err
	}
	return master, slavePath, nil
}

func setup(master *os.File) (string, error) {
	rc, err := master.SyscallConn()
	if err != nil {
		return "", fmt.Errorf("pty: %w", err)
	}
	var n uint32
	var ioErr error
	err = rc.Control(func(fd uintptr) {
		// A new pty is locked until unlockpt(3); 0 unlocks it.
		if ioErr = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); ioErr != nil {
			ioErr = fmt.Errorf("pty: unlock: %w", ioErr)
			return
		}
		if n, ioErr = unix.IoctlGetUint32(int(fd), unix.TIOCGPTN); ioErr != nil {
			ioErr = fmt.Errorf("pty: ptsname: %w", ioErr)
		}
	})
	if err != nil {
		return "", fmt.Errorf("pty: %w", err)
	}
	if ioErr != nil {
		return "", ioErr
	}
	path := fmt.Sprintf("/dev/pts/%d", n)
	if err := makeRaw(path); err != nil {
		return "", err
	}
	return path, nil
}

// makeRaw does what cfmakeraw(3) does to the slave's termios.
func makeRaw(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return fmt.Errorf("pty: %w", err)
	}
	defer f.Close()
	fd := int(f.Fd())
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return fmt.Errorf("pty: get termios %s: %w", path, err)
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, t); err != nil {
		return fmt.Errorf("pty: set termios %s: %w", path, err)
	}
	return nil
}
