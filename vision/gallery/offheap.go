package gallery

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// A gallery's matrix lives in an anonymous mapping, outside the Go heap.
// At 100,000 people its 51 MB of float32 rows would be live heap, and the
// collector lets garbage grow by as much again before it runs: the agent's
// RSS went from 160 to 195 MiB over 30 s of frames. Mapped memory is neither
// scanned nor counted, so the heap's goal follows what else the agent holds.

// mappedBytes is what the matrices of galleries not yet freed hold.
var mappedBytes atomic.Int64

// mapped is a growable array of E in an anonymous mapping. Its zero value
// is empty and maps nothing.
type mapped[E int8 | float32] struct {
	mem []byte
	s   []E
}

// extend appends n zero elements.
func (m *mapped[E]) extend(n int) error {
	if len(m.s)+n > cap(m.s) {
		if err := m.realloc(max(2*cap(m.s), len(m.s)+n)); err != nil {
			return err
		}
	}
	m.s = m.s[:len(m.s)+n] // never used before: the kernel's pages are zero
	return nil
}

// fit gives back the capacity beyond the length.
func (m *mapped[E]) fit() error {
	if len(m.s) == cap(m.s) {
		return nil
	}
	return m.realloc(len(m.s))
}

// realloc moves the elements to a new mapping of capacity n ≥ len.
func (m *mapped[E]) realloc(n int) error {
	if n == 0 {
		m.free()
		return nil
	}
	size := n * int(unsafe.Sizeof(*new(E)))
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return fmt.Errorf("gallery: %d MB for the matrix: %w", size>>20, err)
	}
	mappedBytes.Add(int64(size))
	s := unsafe.Slice((*E)(unsafe.Pointer(unsafe.SliceData(mem))), n)[:len(m.s)]
	copy(s, m.s)
	m.free()
	m.mem, m.s = mem, s
	return nil
}

func (m *mapped[E]) free() {
	if m.mem != nil {
		unmap(m.mem)
	}
	m.mem, m.s = nil, nil
}

func unmap(mem []byte) {
	if err := syscall.Munmap(mem); err != nil {
		panic(fmt.Sprintf("gallery: unmap the matrix: %v", err)) // only a bad address fails
	}
	mappedBytes.Add(-int64(len(mem)))
}

// own unmaps m's memory once g is unreachable. Whatever reads g's matrix
// keeps g alive (runtime.KeepAlive) until it has done.
func own[E int8 | float32](g *Gallery, m mapped[E]) {
	if m.mem != nil {
		runtime.AddCleanup(g, unmap, m.mem)
	}
}
