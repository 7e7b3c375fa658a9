package recognition

import (
	"sync"
	"time"
)

// nameFor is how long the preview trusts a name it looked up: a face stays
// on camera for many frames, and a renamed person shows soon enough.
const nameFor = 10 * time.Second

type cachedName struct {
	name string
	at   time.Time
}

// Name is the preview's name for a person at frame time at, looked up at
// most once per nameFor; names not used for that long are dropped.
func (p *Preview) Name(id string, at time.Time, lookup func(string) string) string {
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

// Preview is the camera's latest frame for the kiosk, as a JPEG. The zero
// value has no frame yet.
type Preview struct {
	mu    sync.Mutex
	jpeg  []byte
	at    time.Time
	names map[string]cachedName // person id → name for the face boxes
}

// Due reports whether a frame taken at t is the next one to keep.
func (p *Preview) Due(t time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return t.Sub(p.at) >= previewEvery
}

// Set keeps a frame taken at at.
func (p *Preview) Set(jpeg []byte, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.jpeg, p.at = jpeg, at
}

// LatestFrame is the kiosk's preview image; false before the camera gave one.
func (p *Preview) LatestFrame() ([]byte, time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.jpeg, p.at, p.jpeg != nil
}

// FrameBoxes are the faces in a preview frame, for the kiosk to draw.
type FrameBoxes struct {
	At     time.Time `json:"at"`
	Width  int       `json:"width"`
	Height int       `json:"height"`
	Faces  []FaceBox `json:"faces"`
}

// FaceBox is one face on the camera pane, labelled with the name the room
// sees there; ids and scores are for the technician's recognitions. A
// face whose track is still deciding has neither a name nor unknown.
type FaceBox struct {
	X       float32 `json:"x"`
	Y       float32 `json:"y"`
	W       float32 `json:"w"`
	H       float32 `json:"h"`
	Name    string  `json:"name,omitempty"` // once the face's track named the person
	Unknown bool    `json:"unknown"`        // once it said the face is unknown
}
