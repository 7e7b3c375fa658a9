//go:build vision

package agent

import (
	"context"
	"fmt"
	"image"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"gocv.io/x/gocv"

	"github.com/roomgate/roomgate/agent/attendance"
	"github.com/roomgate/roomgate/agent/facekit"
	"github.com/roomgate/roomgate/agent/meeting"
	"github.com/roomgate/roomgate/agent/recognition"
	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/devices/scanner"
	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/kiosk"
	"github.com/roomgate/roomgate/vision/camera"
	"github.com/roomgate/roomgate/vision/engine"
	"github.com/roomgate/roomgate/vision/face"
	"github.com/roomgate/roomgate/vision/gallery"
	"github.com/roomgate/roomgate/vision/qr"
	"github.com/roomgate/roomgate/vision/track"
)

// maxFacesPerFrame bounds the engine's work per frame: the largest faces
// are the people nearest the camera.
const maxFacesPerFrame = 4

// qrEvery is how often a QR decode is tried, in camera time (five times a
// second, as on every other frame of the old 10 fps camera): a code is
// held up for seconds, and decoding costs about as much as a face, so a
// faster camera must not decode more often.
const qrEvery = 200 * time.Millisecond

// qrRepeat is how long a code must be out of view before it counts as a
// new scan: a pass held up to the camera is one scan, not one per frame.
const qrRepeat = 5 * time.Second

// galleryPoll is how often the store is asked whether templates changed.
const galleryPoll = 5 * time.Second

// faceEngine runs the camera through the engine and hands on what it
// finds: to the agent, or to a technician's terminal (roomgate vision run).
type faceEngine struct {
	kit   *facekit.Kit
	cam   *camera.Camera
	eng   *engine.Engine
	set   gallery.Set
	qr    *cameraQR // nil unless vision.qr
	store *store.Store
	log   *slog.Logger

	onFrame    func(engine.Result) // every frame; may be nil
	onPreview  func(gocv.Mat, engine.Result)
	onDecision func(track.Decision)
	onQR       func(ctx context.Context, l scanner.Line) // a code in view; may be nil

	ctx context.Context

	loading sync.Mutex // one gallery load at a time: each holds the garbage of a whole gallery

	mu        sync.Mutex
	waits     []*faceWait // chip ID card face checks waiting on frames
	size      image.Point // of the last frame, for the self-test
	version   string      // the store's templates version the gallery was read at
	lastErr   string
	lastErrAt time.Time
}

// newFaces is the agent's face engine: decisions go to the status page,
// QR codes to the gate.
func (s *System) newFaces(ctx context.Context) (faces, error) {
	f, err := newFaceEngine(ctx, s.cfg.Vision, s.opts.ConfigDir, s.store, s.log)
	if err != nil {
		return nil, err
	}
	f.onDecision = s.recognised
	f.onPreview = s.previewFrame
	name := f.cam.Status().Name
	f.onQR = func(ctx context.Context, l scanner.Line) {
		select {
		case s.scans <- scan{scanner: name, line: l}:
		case <-ctx.Done():
		}
	}
	return f, nil
}

// newFaceEngine loads the models and the gallery of the store and opens
// nothing yet: Run reads the camera. Relative paths are taken from dir.
func newFaceEngine(ctx context.Context, v config.Vision, dir string, st *store.Store, log *slog.Logger) (*faceEngine, error) {
	kit, err := facekit.Open(v, dir)
	if err != nil {
		return nil, err
	}
	f := &faceEngine{kit: kit, store: st, log: log}
	if v.QR {
		f.qr = newCameraQR()
	}
	if err := f.reloadGallery(ctx); err != nil {
		kit.Close()
		return nil, err
	}
	f.cam, err = camera.New(cameraConfig(v.Camera, dir))
	if err == nil {
		ec := engine.Config{Quality: v.Quality, Agreement: v.Track(), MaxFaces: maxFacesPerFrame}
		if ev, ok := v.Sequential(); ok {
			ec.Evidence = &ev
		}
		f.eng, err = engine.New(ec, kit.Detector, kit.Recognizer, &f.set)
	}
	if err != nil {
		kit.Close()
		return nil, err
	}
	log.Info("face engine ready", "component", "vision", "camera", f.cam.String(), "models", kit.String(), "gallery", f.set.Load().String())
	return f, nil
}

// reloadGallery reads the templates again if the store says they changed.
func (f *faceEngine) reloadGallery(ctx context.Context) error {
	f.loading.Lock()
	defer f.loading.Unlock()
	ver, err := f.store.TemplatesVersion(ctx)
	if err != nil {
		return err
	}
	f.mu.Lock()
	same := f.version == ver && f.set.Load() != nil
	f.mu.Unlock()
	if same {
		return nil
	}
	// Loading makes garbage the size of the gallery and more (the SQLite
	// driver copies every row). At the usual pace the collector lets the
	// heap double before each run: with 100,000 people the load's peak was
	// 6–8 MiB higher, for 0.1–0.2 s less of loading. Afterwards it is
	// handed back at once rather than kept for good on a small box.
	prev := debug.SetGCPercent(10)
	g, err := facekit.LoadGallery(ctx, f.store, f.kit.Model, f.kit.Recognizer.Dim(), f.kit.Precision)
	debug.SetGCPercent(prev)
	if err != nil {
		return err
	}
	f.set.Store(g)
	debug.FreeOSMemory()
	f.mu.Lock()
	f.version = ver
	f.mu.Unlock()
	f.log.Info("gallery loaded", "component", "vision", "gallery", g.String(), "version", ver)
	return nil
}

// Run reads the camera until ctx ends, reloading the gallery when the
// store's templates change, and frees the models at the end.
func (f *faceEngine) Run(ctx context.Context) {
	defer f.kit.Close()
	f.ctx = ctx
	go func() {
		t := time.NewTicker(galleryPoll)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := f.reloadGallery(ctx); err != nil && ctx.Err() == nil {
					f.log.Error("gallery not reloaded; the old one stays", "component", "vision", "err", err)
				}
			}
		}
	}()
	f.cam.Run(ctx, f.frame)
}

func (f *faceEngine) frame(m gocv.Mat, at time.Time) {
	f.mu.Lock()
	f.size = image.Pt(m.Cols(), m.Rows())
	f.mu.Unlock()
	if f.qr != nil && f.onQR != nil {
		f.qr.frame(m, at, func(l scanner.Line) { f.onQR(f.ctx, l) })
	}
	process := f.eng.Process
	if f.checking() {
		process = f.eng.ProcessAll
	}
	res, err := process(m, at)
	if err != nil {
		f.problem(err)
		return
	}
	f.compareFaces(res)
	if f.onFrame != nil {
		f.onFrame(res)
	}
	if f.onPreview != nil {
		f.onPreview(m, res)
	}
	for _, d := range res.Decisions {
		f.onDecision(d)
	}
}

// checking says whether a chip ID card's face check waits on the frames.
func (f *faceEngine) checking() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.waits) > 0
}

// cameraQR reads QR codes from a camera's frames, decoding one frame per
// qrEvery of camera time.
type cameraQR struct {
	r  *qr.Reader
	at time.Time // of the frame last decoded
}

func newCameraQR() *cameraQR { return &cameraQR{r: qr.NewReader(qrRepeat)} }

// frame gives the QR code in the frame, if it is due a decode and the reader
// reports one, as the lines a serial scanner would have read.
func (c *cameraQR) frame(m gocv.Mat, at time.Time, emit func(scanner.Line)) {
	// A tenth of slack: a 5 fps camera's frames, 200 ms apart give or take
	// the clock's jitter, are each decoded.
	if at.Sub(c.at) < qrEvery*9/10 {
		return
	}
	c.at = at
	grey := gocv.NewMat()
	defer grey.Close()
	gocv.CvtColor(m, &grey, gocv.ColorBGRToGray)
	pix, err := grey.DataPtrUint8() // the Mat's own memory: no copy for the collector to free
	if err != nil {
		return
	}
	img := &image.Gray{Pix: pix, Stride: grey.Cols(), Rect: image.Rect(0, 0, grey.Cols(), grey.Rows())}
	text, ok := c.r.Scan(img, at)
	if !ok {
		return
	}
	text = strings.ReplaceAll(text, "\r", "")
	scanner.ReadLines(strings.NewReader(text+"\r"), scanner.Framing{Terminator: "cr"}, func(l scanner.Line) {
		l.At = at
		emit(l)
	})
}

// cameraConfig is the camera of the config; files and folders are taken
// from dir.
func cameraConfig(c config.Camera, dir string) camera.Config {
	path := c.Path
	if c.Kind == camera.KindFile || c.Kind == camera.KindFolder {
		path = resolve(dir, path)
	}
	return camera.Config{Name: c.Name, Kind: c.Kind, Path: path, Width: c.Width, Height: c.Height, MaxFPS: c.MaxFPS, Retry: c.Retry.D()}
}

// problem logs a failed frame, once a minute at most: a broken stream
// fails every frame.
func (f *faceEngine) problem(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastErr = err.Error()
	if time.Since(f.lastErrAt) > time.Minute {
		f.lastErrAt = time.Now()
		f.log.Warn("frame not processed", "component", "vision", "err", err)
	}
}

// Status is the camera's health with the gallery's size.
func (f *faceEngine) Status() kiosk.Device {
	st := f.cam.Status()
	d := kiosk.Device{Name: st.Name, Kind: "camera", OK: st.Connected, Since: st.Since}
	if g := f.set.Load(); st.Connected {
		d.Detail = fmt.Sprintf("%.1f fps, gallery of %d people", st.FPS, g.People())
	} else {
		d.Detail = st.LastError
	}
	return d
}

func (f *faceEngine) CameraCounts() (frames, dropped int64) {
	st := f.cam.Status()
	return st.Frames, st.Dropped
}

func (f *faceEngine) GallerySize() (people, templates int) {
	g := f.set.Load()
	return g.People(), g.Len()
}

// WatchCamera runs the face engine of cfg on its camera without the rest
// of the box, for a technician: every frame's result and every decision go
// to the callbacks until ctx ends. It reads the box's store for the
// gallery and writes nothing.
func WatchCamera(ctx context.Context, cfg *config.Config, dir string, log *slog.Logger, onFrame func(engine.Result), onDecision func(track.Decision)) error {
	if !cfg.Vision.HasCamera() {
		return fmt.Errorf("the config has no vision.camera")
	}
	st, err := openStore(cfg, dir, log)
	if err != nil {
		return err
	}
	defer st.Close()
	f, err := newFaceEngine(ctx, cfg.Vision, dir, st, log)
	if err != nil {
		return err
	}
	f.onFrame, f.onDecision = onFrame, onDecision
	f.Run(ctx)
	return nil
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

// previewFrame keeps a JPEG of the frame for the kiosk and pushes its face
// boxes, labelled as faceBox says.
func (s *System) previewFrame(m gocv.Mat, res engine.Result) {
	if s.kiosk == nil || !s.preview.Due(res.At) {
		return
	}
	jpg, err := face.EncodeJPEG(m, 70)
	if err != nil {
		return
	}
	s.preview.Set(jpg, res.At)
	fb := recognition.FrameBoxes{At: res.At, Width: m.Cols(), Height: m.Rows(), Faces: make([]recognition.FaceBox, 0, len(res.Faces))}
	name := func(person string) string { return s.preview.Name(person, res.At, s.personName) }
	for _, seen := range res.Faces {
		fb.Faces = append(fb.Faces, faceBox(seen, name))
	}
	s.kiosk.Push("faces", fb)
}

// faceBox labels a face on the kiosk's camera pane with its track's
// verdict: the person once the decision rule has named them, unknown once
// it has said so, and neither while it weighs the frames (the page says it
// is checking). One frame's best match is never shown: it would greet a
// delegate by name before the rule does, and show a stranger whom they
// resemble for a frame.
func faceBox(seen engine.Seen, name func(person string) string) recognition.FaceBox {
	b := seen.Face.Box
	box := recognition.FaceBox{X: b.X, Y: b.Y, W: b.W, H: b.H, Unknown: seen.Unknown}
	if seen.Named != "" {
		box.Name = name(seen.Named)
	}
	return box
}

// recognised keeps a decision of the face engine, checks the person in
// and tells the page.
func (s *System) recognised(d track.Decision) {
	decided := time.Now()
	s.countFace(d, decided)
	r := recognition.Record{At: d.At, Person: d.Person, Score: d.Score, Margin: d.Margin, Unknown: d.Unknown, Reason: d.Reason}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if d.Unknown {
		s.log.Info("face not recognised", "component", "vision", "reason", d.Reason, "frames", d.Frames)
		s.recent.Add(r)
		if d.Reason == "not_recognised" {
			s.attend.Announce(attendance.Result{Notice: meeting.NoticeUnknownFace}, "", attendance.Times{})
		}
		s.kioskChanged()
		return
	}
	p, err := s.store.Person(ctx, d.Person)
	if err != nil {
		s.log.Error("recognised person not found in the store", "component", "vision", "person", d.Person, "err", err)
	}
	r.Name = p.Name
	// By id only: names and scores are personal data, and logs leave the box.
	s.log.Info("face recognised", "component", "vision", "person", d.Person, "frames", d.Frames)
	s.recent.Add(r)
	res, err := s.attend.Keep(ctx, attendance.CheckIn{Person: d.Person, Method: attendance.MethodFace, At: d.At.In(s.loc), Score: d.Score})
	if err != nil {
		s.log.Error("face check-in not kept", "component", "meetings", "person", d.Person, "err", err)
		s.kioskChanged()
		return
	}
	s.attend.Announce(res, p.Name, attendance.Times{FirstFrame: d.First, Decided: decided, Ruled: res.Ruled})
	s.kioskChanged()
}
