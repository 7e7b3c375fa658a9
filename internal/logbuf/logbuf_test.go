package logbuf

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestBufferAndTail(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() { defer wg.Done(); fmt.Fprintf(&b, "line %d\n", i) }()
	}
	wg.Wait()
	if n := strings.Count(b.String(), "\n"); n != 10 {
		t.Fatalf("%d lines written, want 10:\n%s", n, b.String())
	}
	if got := Tail("a\nb\nc", 2); got != "b\nc" {
		t.Errorf("Tail = %q, want the last two lines", got)
	}
	if got := Tail("a", 5); got != "a" {
		t.Errorf("Tail of a short text = %q", got)
	}
}
