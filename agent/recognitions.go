package agent

import (
	"context"
	"sync"
	"time"

	"github.com/roomgate/roomgate/kiosk"
)

// faces is the face engine as the rest of the agent sees it; the vision
// build provides it (vision.go), other builds say why there is none.
type faces interface {
	// Run reads the camera until ctx ends and frees the models then.
	Run(ctx context.Context)
	Status() kiosk.Device
}

// Recognition is one decision of the face engine: a person named, or an
// unknown face. The meetings issue turns them into attendance; for now
// they are logged and shown.
type Recognition struct {
	At      time.Time
	Person  string // "" when unknown
	Name    string
	Score   float32
	Margin  float32
	Unknown bool
	Reason  string
}

// recentRecognitions keeps the last few for the status page.
type recentRecognitions struct {
	mu   sync.Mutex
	list []Recognition // newest last
}

// latest returns them newest first, as the page lists them.
func (r *recentRecognitions) latest() []kiosk.Recognition {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]kiosk.Recognition, 0, len(r.list))
	for i := len(r.list) - 1; i >= 0; i-- {
		x := r.list[i]
		out = append(out, kiosk.Recognition{At: x.At, Person: x.Person, Name: x.Name, Score: x.Score, Margin: x.Margin, Unknown: x.Unknown, Reason: x.Reason})
	}
	return out
}
