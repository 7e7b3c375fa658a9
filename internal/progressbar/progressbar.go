package progressbar

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// Bar is a bar redrawn in place on a terminal, or one line per step
// otherwise (a log, a test). A single step needs none.
type Bar struct {
	w     io.Writer
	label string
	tty   bool
	shown bool
}

// New returns a bar that writes to w, each line starting with label
// ("enrolling").
func New(w io.Writer, label string) *Bar {
	b := &Bar{w: w, label: label}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			b.tty = true
		}
	}
	return b
}

const width = 30

// Update shows that done of total steps are over.
func (b *Bar) Update(done, total int) {
	if total < 2 {
		return
	}
	b.shown = true
	if !b.tty {
		fmt.Fprintf(b.w, "%s %d/%d\n", b.label, done, total)
		return
	}
	n := width * done / total
	fmt.Fprintf(b.w, "\r%s [%s%s] %d/%d", b.label, strings.Repeat("#", n), strings.Repeat(".", width-n), done, total)
}

// Done ends the bar's line, so that what follows starts on its own.
func (b *Bar) Done() {
	if b.tty && b.shown {
		fmt.Fprintln(b.w)
	}
}
