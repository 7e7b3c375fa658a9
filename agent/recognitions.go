package agent

import (
	"context"
	"slices"
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
	// GallerySize is the people and templates the engine searches.
	GallerySize() (people, templates int)
	// reloadGallery reads the store's templates again if they changed.
	reloadGallery(ctx context.Context) error
}

// Recognition is one decision of the face engine: a person named, or an
// unknown face, as the technician's view lists them.
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

// forget drops a person's recognitions and says how many there were.
func (r *recentRecognitions) forget(person string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.list)
	r.list = slices.DeleteFunc(r.list, func(x Recognition) bool { return x.Person == person })
	return n - len(r.list)
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

// personName is a person's name for the preview's boxes; their id when the
// store does not know it.
func (s *System) personName(id string) string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	p, err := s.store.Person(ctx, id)
	if err != nil {
		return id
	}
	return p.Name
}

// nameFor is how long the preview trusts a name it looked up: a face stays
// on camera for many frames, and a renamed person shows soon enough.
const nameFor = 10 * time.Second

type cachedName struct {
	name string
	at   time.Time
}

// name is the preview's name for a person at frame time at, looked up at
// most once per nameFor; names not used for that long are dropped.
func (p *preview) name(id string, at time.Time, lookup func(string) string) string {
	p.mu.Lock()
	c, ok := p.names[id]
	p.mu.Unlock()
	if ok && !at.Before(c.at) && at.Sub(c.at) < nameFor {
		return c.name
	}
	n := lookup(id) // outside the lock: the kiosk reads frames meanwhile
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, c := range p.names {
		if at.Sub(c.at) >= nameFor || at.Before(c.at) {
			delete(p.names, k)
		}
	}
	if p.names == nil {
		p.names = make(map[string]cachedName)
	}
	p.names[id] = cachedName{name: n, at: at}
	return n
}

// previewEvery is how often the kiosk's preview gets a frame and its face
// boxes: enough to see oneself move, cheap beside the engine's work.
const previewEvery = 250 * time.Millisecond

// preview is the camera's latest frame for the kiosk, as a JPEG.
type preview struct {
	mu    sync.Mutex
	jpeg  []byte
	at    time.Time
	names map[string]cachedName // person id → name for the face boxes
}

// due reports whether a frame taken at t is the next one to keep.
func (p *preview) due(t time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return t.Sub(p.at) >= previewEvery
}

func (p *preview) set(jpeg []byte, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.jpeg, p.at = jpeg, at
}

// LatestFrame is the kiosk's preview image; false before the camera gave one.
func (p *preview) LatestFrame() ([]byte, time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.jpeg, p.at, p.jpeg != nil
}

// frameBoxes are the faces in a preview frame, for the kiosk to draw.
type frameBoxes struct {
	At     time.Time `json:"at"`
	Width  int       `json:"width"`
	Height int       `json:"height"`
	Faces  []faceBox `json:"faces"`
}

// faceBox is one face on the camera pane, labelled with the name the room
// sees there; ids and scores are for the technician's recognitions.
type faceBox struct {
	X       float32 `json:"x"`
	Y       float32 `json:"y"`
	W       float32 `json:"w"`
	H       float32 `json:"h"`
	Name    string  `json:"name,omitempty"`
	Unknown bool    `json:"unknown"`
}
