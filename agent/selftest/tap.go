package selftest

import "sync"

// Tap passes one value, by key, to whoever waits for it: the next scan of
// a scanner or the next door event, which a waiting test takes instead of
// the gate (a scan taken by a test opens nothing and is no record).
type Tap[T any] struct {
	mu      sync.Mutex
	waiting map[string]chan T
}

// Wait registers for the next value of key; cancel withdraws.
func (t *Tap[T]) Wait(key string) (next <-chan T, cancel func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.waiting == nil {
		t.waiting = map[string]chan T{}
	}
	ch := make(chan T, 1)
	t.waiting[key] = ch
	return ch, func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.waiting[key] == ch {
			delete(t.waiting, key)
		}
	}
}

// Give hands v to the one waiting for key and reports whether one was.
func (t *Tap[T]) Give(key string, v T) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	ch, ok := t.waiting[key]
	if ok {
		delete(t.waiting, key)
		ch <- v
	}
	return ok
}
