package recognition

import (
	"slices"
	"sync"
	"time"

	"github.com/roomgate/roomgate/kiosk"
)

// Record is one decision of the face engine: a person named, or an
// unknown face, as the technician's view lists them.
type Record struct {
	At      time.Time
	Person  string // "" when unknown
	Name    string
	Score   float32
	Margin  float32
	Unknown bool
	Reason  string
}

// kept is how many recognitions the status page lists.
const kept = 20

// Recent keeps the last few recognitions for the status page. The zero
// value is empty and ready.
type Recent struct {
	mu   sync.Mutex
	list []Record // newest last
}

// Add keeps a recognition, dropping the oldest beyond the page's few.
func (r *Recent) Add(rec Record) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, rec)
	if len(r.list) > kept {
		r.list = r.list[len(r.list)-kept:]
	}
}

// Forget drops a person's recognitions and says how many there were.
func (r *Recent) Forget(person string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.list)
	r.list = slices.DeleteFunc(r.list, func(x Record) bool { return x.Person == person })
	return n - len(r.list)
}

// Latest returns them newest first, as the page lists them.
func (r *Recent) Latest() []kiosk.Recognition {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]kiosk.Recognition, 0, len(r.list))
	for i := len(r.list) - 1; i >= 0; i-- {
		x := r.list[i]
		out = append(out, kiosk.Recognition{At: x.At, Person: x.Person, Name: x.Name, Score: x.Score, Margin: x.Margin, Unknown: x.Unknown, Reason: x.Reason})
	}
	return out
}
