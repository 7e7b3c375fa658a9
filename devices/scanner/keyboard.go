package scanner

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// evioCGrab is EVIOCGRAB, _IOW('E', 0x90, int): the same number on every
// Linux architecture we build for.
const evioCGrab = 0x40044590

// rejectDropped marks a line during which the kernel dropped events.
const rejectDropped = "input events dropped"

// Keyboard is a QR scanner that acts as a USB keyboard (HID "keyboard
// wedge"). It reads the scanner's input device and grabs it, so the scans
// are not also typed into the console or the kiosk. Set the exported fields
// before Run.
type Keyboard struct {
	// RetryInterval is how often a missing or failed device is tried
	// again; 0 means DefaultRetryInterval.
	RetryInterval time.Duration
	// OnStatus, if set, is called after every connect and disconnect.
	OnStatus func(Status)

	pattern   string
	maxLength int
	st        state
}

// NewKeyboard returns a scanner on the input device at devicePath, an
// /dev/input/eventN path, a /dev/input/by-id/ path or a glob. It opens
// nothing until Run.
func NewKeyboard(name, devicePath string, maxLength int) *Keyboard {
	k := &Keyboard{pattern: devicePath, maxLength: maxLength}
	k.st.st = Status{Name: name, Kind: "hid"}
	return k
}

// Run reads lines and passes them to emit until ctx is done, then returns
// nil, reopening the device when it goes away and comes back. It returns an
// error only for a path pattern that can never work.
func (k *Keyboard) Run(ctx context.Context, emit func(Line)) error {
	if _, err := filepath.Match(k.pattern, ""); err != nil {
		return fmt.Errorf("scanner: path %q: %w", k.pattern, err)
	}
	emit = k.st.emitUntilDone(ctx, emit)
	supervise(ctx, &k.st, k.OnStatus, k.RetryInterval, func() error {
		return k.session(ctx, emit)
	})
	return nil
}

func (k *Keyboard) session(ctx context.Context, emit func(Line)) error {
	path, err := findDevice(k.pattern)
	if err != nil {
		return err
	}
	// The runtime polls the device, so Close unblocks a pending Read.
	f, err := os.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return fmt.Errorf("scanner: open %s: %w", path, err)
	}
	defer f.Close()
	if err := grab(f); err != nil {
		return fmt.Errorf("scanner: grab %s: %w", path, err)
	}
	k.st.up(k.OnStatus, path)
	stop := closeOnDone(ctx, f)
	err = DecodeKeyEvents(f, k.maxLength, emit)
	stop()
	if err == nil {
		err = errors.New("end of input")
	}
	return fmt.Errorf("scanner: read %s: %w", path, err)
}

// grab takes the device for this reader alone; closing it lets go.
func grab(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ioErr error
	if err := rc.Control(func(fd uintptr) {
		ioErr = unix.IoctlSetInt(int(fd), evioCGrab, 1)
	}); err != nil {
		return err
	}
	return ioErr
}

// Status reports the device's health.
func (k *Keyboard) Status() Status { return k.st.get() }

func (k *Keyboard) String() string {
	return fmt.Sprintf("keyboard scanner %q at %s", k.st.get().Name, k.pattern)
}

// DecodeKeyEvents reads Linux input_event records from r, as an evdev
// device delivers them, and emits a Line at every Enter (main or keypad).
// Lines longer than maxLength (0 means DefaultMaxLength) are rejected.
//
// Key presses and autorepeats are decoded with a US layout and the state of
// both Shift keys. Caps Lock is ignored: it is the host's state, not the
// scanner's, and scanners send Shift for capitals. Keys pressed while Ctrl
// or Alt is held type nothing; a scanner that cannot type a character on a
// US layout either skips it or sends it as Alt+keypad digits, and both
// leave the character out of Text. A CCCD's Vietnamese name thus loses its
// accented letters while its digits, the ID number included, come through.
// A line during which the kernel reported dropped events is rejected.
//
// It returns nil at io.EOF, dropping an unfinished line, and the reader's
// error otherwise.
func DecodeKeyEvents(r io.Reader, maxLength int, emit func(Line)) error {
	return decodeKeyEvents(r, maxLength, bits.UintSize/8, emit)
}

// decodeKeyEvents reads records whose struct timeval has two words of
// wordSize bytes: 24-byte records on 64-bit Linux, 16 on 32-bit.
func decodeKeyEvents(r io.Reader, maxLength, wordSize int, emit func(Line)) error {
	size := 2*wordSize + 8
	buf := make([]byte, 64*size)
	d := keyDecoder{lb: newLineBuf(maxLength)}
	have := 0
	for {
		n, err := r.Read(buf[have:])
		have += n
		i := 0
		for ; i+size <= have; i += size {
			ev := buf[i+2*wordSize : i+size]
			d.event(binary.NativeEndian.Uint16(ev), binary.NativeEndian.Uint16(ev[2:]),
				int32(binary.NativeEndian.Uint32(ev[4:])), emit)
		}
		have = copy(buf, buf[i:have])
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

type keyDecoder struct {
	lb             *lineBuf
	lshift, rshift bool
	ctrl, alt      [2]bool // left, right
	dropped        bool
}

func (d *keyDecoder) event(typ, code uint16, value int32, emit func(Line)) {
	if typ == evSyn && code == synDropped {
		// Releases of modifiers may be among the lost events.
		*d = keyDecoder{lb: d.lb, dropped: true}
		return
	}
	if typ != evKey {
		return
	}
	down := value != 0 // 1 press, 2 autorepeat
	switch code {
	case keyLeftShift:
		d.lshift = down
	case keyRightShift:
		d.rshift = down
	case keyLeftCtrl:
		d.ctrl[0] = down
	case keyRightCtrl:
		d.ctrl[1] = down
	case keyLeftAlt:
		d.alt[0] = down
	case keyRightAlt:
		d.alt[1] = down
	case keyEnter, keyKPEnter:
		if down {
			d.endLine(emit)
		}
	default:
		if !down || int(code) >= len(usKeys) || d.ctrl[0] || d.ctrl[1] || d.alt[0] || d.alt[1] {
			return
		}
		shift := 0
		if d.lshift || d.rshift {
			shift = 1
		}
		if c := usKeys[code][shift]; c != 0 {
			d.lb.writeByte(c)
		}
	}
}

func (d *keyDecoder) endLine(emit func(Line)) {
	if d.dropped {
		d.dropped = false
		d.lb.abandon(emit, rejectDropped)
		return
	}
	d.lb.end(emit)
}
