// Package logbuf collects what a process or a logger writes, safely from
// several goroutines, for tests and benchmarks that read it while it runs.
package logbuf

import (
	"bytes"
	"strings"
	"sync"
)

// Buffer is an io.Writer whose text can be read at any time.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Tail is the last n lines of s, for a failure message.
func Tail(s string, n int) string {
	l := strings.Split(s, "\n")
	return strings.Join(l[max(0, len(l)-n):], "\n")
}
