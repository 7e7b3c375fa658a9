//go:build vision

package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// progress shows how far an enrolment run is, on stderr: a bar redrawn in
// place on a terminal, one line per photo otherwise (a log, a test). A
// single photo needs none.
type progress struct {
	w     io.Writer
	tty   bool
	shown bool
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

const barWidth = 30

func (p *progress) update(done, total int) {
	if total < 2 {
		return
	}
	p.shown = true
	if !p.tty {
		fmt.Fprintf(p.w, "enrolling %d/%d\n", done, total)
		return
	}
	n := barWidth * done / total
	fmt.Fprintf(p.w, "\renrolling [%s%s] %d/%d", strings.Repeat("#", n), strings.Repeat(".", barWidth-n), done, total)
}

// done ends the bar's line, so that what follows starts on its own.
func (p *progress) done() {
	if p.tty && p.shown {
		fmt.Fprintln(p.w)
	}
}
