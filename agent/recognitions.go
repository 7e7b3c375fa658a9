package agent

import (
	"context"
	"sync"
	"time"

	"github.com/roomgate/roomgate/kiosk"
	"github.com/roomgate/roomgate/vision/track"
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

// recognised keeps a decision of the face engine and tells the page.
func (s *System) recognised(d track.Decision) {
	r := Recognition{At: d.At, Person: d.Person, Score: d.Score, Margin: d.Margin, Unknown: d.Unknown, Reason: d.Reason}
	if d.Unknown {
		s.log.Info("face not recognised", "component", "vision", "reason", d.Reason, "frames", d.Frames)
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		p, err := s.store.Person(ctx, d.Person)
		cancel()
		if err != nil {
			s.log.Error("recognised person not found in the store", "component", "vision", "person", d.Person, "err", err)
		}
		r.Name = p.Name
		s.log.Info("face recognised", "component", "vision", "person", d.Person, "name", p.Name, "score", d.Score, "margin", d.Margin, "frames", d.Frames)
	}
	s.recent.add(r)
	if s.kiosk != nil {
		s.kiosk.Notify()
	}
}

// recentRecognitions keeps the last few for the status page.
type recentRecognitions struct {
	mu   sync.Mutex
	list []Recognition // newest last
}

const keptRecognitions = 20

func (r *recentRecognitions) add(rec Recognition) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, rec)
	if len(r.list) > keptRecognitions {
		r.list = r.list[len(r.list)-keptRecognitions:]
	}
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
