//go:build vision

package enrol

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/roomgate/roomgate/agent/facekit"
	"github.com/roomgate/roomgate/agent/store"
	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/vision/engine"
	"github.com/roomgate/roomgate/vision/face"
	"github.com/roomgate/roomgate/vision/gallery"
	"github.com/roomgate/roomgate/vision/quality"
)

// Photo is one photo of one person to enrol.
type Photo struct {
	Person store.Person
	Path   string
}

// Options tunes a run. The zero value is the strict default.
type Options struct {
	// Largest enrols the largest face of a photo that shows several,
	// instead of refusing the photo.
	Largest bool
	// Limits bound the photo files (zero fields: face.DefaultLimits).
	Limits face.Limits
	// Progress, if set, is called after each photo.
	Progress func(done, total int)
}

// Why a photo was refused: stable codes for scripts and the city's tools.
// A photo whose face fails the quality gate has the gate's reason
// (quality.Blurry is "blurry", and so on).
const (
	ReasonUnreadable      = "unreadable"       // the file cannot be opened or read
	ReasonEmptyImage      = "empty_image"      // the file is empty
	ReasonTooLarge        = "too_large"        // too many bytes, or a header claiming too many pixels
	ReasonBadImage        = "bad_image"        // not a whole JPEG or PNG
	ReasonNoFace          = "no_face"          // no face the detector is sure of
	ReasonSeveralFaces    = "several_faces"    // more than one face and Largest not set
	ReasonDuplicatePerson = "duplicate_person" // the face already matches another person
	ReasonAlreadyEnrolled = "already_enrolled" // this very photo (by sha256) is enrolled already
	ReasonNotSamePerson   = "not_same_person"  // the face matches none of the person's other photos
	// ReasonOtherModel is not about a photo of the run: a person in the
	// store whose templates are all of another recognizer than the box's,
	// which never match it (the report has no path).
	ReasonOtherModel = "other_model"
)

// PhotoReport is what became of one photo.
type PhotoReport struct {
	Path     string `json:"path"`
	Person   string `json:"person"` // the id it was to be enrolled under
	Name     string `json:"name"`
	Accepted bool   `json:"accepted"`
	Reason   string `json:"reason,omitempty"` // empty when accepted
	Detail   string `json:"detail,omitempty"`
	SHA256   string `json:"sha256,omitempty"`
	Faces    int    `json:"faces"` // found by the detector
	// Quality is the gate's verdict on the enrolled face, with its
	// measures; nil when no single face got that far.
	Quality    *quality.Result `json:"quality,omitempty"`
	Sharpness  float64         `json:"sharpness,omitempty"`
	Brightness float64         `json:"brightness,omitempty"`
	// Match is the other person a duplicate_person photo looks like.
	Match *PersonMatch `json:"match,omitempty"`
}

// PersonMatch is a person a face matched, and how closely.
type PersonMatch struct {
	ID    string  `json:"id"`
	Name  string  `json:"name"`
	Score float32 `json:"score"`
}

// Store is what enrolment reads and adds to.
type Store interface {
	facekit.Templates
	People(ctx context.Context, model string) ([]store.PersonSummary, error)
	AddTemplates(ctx context.Context, p store.Person, ts []store.Template) error
	Unmatched(ctx context.Context, model string) ([]store.UnmatchedPerson, error)
}

// Run adds faces from photos to the store, as templates: the photos
// themselves are never stored. Each photo must show one face that passes
// the quality gate and matches no other person at v.MatchThreshold or more (in
// the store, or earlier in this run); the reports, in the order of
// photos, say what became of each, followed by one (ReasonOtherModel) for
// each person the box's recognizer cannot match because their templates
// are all of another model. The accepted photos of one person are added in
// one transaction. An error means the run could not be made or its
// templates not saved, not that a photo was refused.
func Run(ctx context.Context, st Store, kit *facekit.Kit, v config.Vision, photos []Photo, opt Options) ([]PhotoReport, error) {
	ids := map[string]bool{}
	for _, p := range photos {
		ids[p.Person.ID] = true
	}
	e, err := newEnroller(ctx, st, kit, v, opt, ids)
	if err != nil {
		return nil, err
	}
	reports := make([]PhotoReport, len(photos))
	for i, p := range photos {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("enroll: %w", err)
		}
		reports[i] = e.photo(p)
		if opt.Progress != nil {
			opt.Progress(i+1, len(photos))
		}
	}
	if err := e.save(ctx, photos, reports); err != nil {
		return reports, err
	}
	unmatched, err := st.Unmatched(ctx, kit.Model)
	if err != nil {
		return reports, fmt.Errorf("enroll: %w", err)
	}
	return append(reports, otherModelReports(unmatched, kit.Model)...), nil
}

// otherModelReports refuses to count as enrolled the people whose
// templates are all of another model than the box's, saying what brings
// them back: a person enrolled here is enrolled again from their photos;
// the city's people come with a gallery published for the box's model.
func otherModelReports(unmatched []store.UnmatchedPerson, model string) []PhotoReport {
	var out []PhotoReport
	city := map[string]int{} // model → people
	for _, p := range unmatched {
		if p.Source == "city" {
			city[p.Model]++
			continue
		}
		out = append(out, PhotoReport{Person: p.ID, Name: p.Name, Reason: ReasonOtherModel,
			Detail: fmt.Sprintf("has templates of %s only (%d); this box runs %s: templates of two models never match, so %s is not recognised: enrol them again from their photos",
				p.Model, p.Templates, model, p.ID)})
	}
	for _, m := range slices.Sorted(maps.Keys(city)) {
		out = append(out, PhotoReport{Reason: ReasonOtherModel,
			Detail: fmt.Sprintf("%d of the city's people have templates of %s only; this box runs %s: templates of two models never match: "+
				"the city enrols its photos again with the box's model (roomgate-city publish gallery with the box's config)", city[m], m, model)})
	}
	return out
}

// enroller holds what one run checks photos against.
type enroller struct {
	st        Store
	kit       *facekit.Kit
	quality   quality.Config
	threshold float32
	limits    face.Limits
	largest   bool
	gallery   *gallery.Gallery
	names     map[string]string      // person id → name, of the store and this run
	photos    map[string]string      // sha256 → person id, in the store
	given     map[string]string      // sha256 → path, of the photos accepted in this run
	run       []accepted             // templates accepted so far in this run
	own       map[string][][]float32 // the templates, stored or of this run, of the people being enrolled
}

type accepted struct {
	person string
	vec    []float32
	tmpl   store.Template
}

// newEnroller reads what the store knows; ids are the people this run
// enrols, whose templates it keeps to check new photos against.
func newEnroller(ctx context.Context, st Store, kit *facekit.Kit, v config.Vision, opt Options, ids map[string]bool) (*enroller, error) {
	e := &enroller{st: st, kit: kit, quality: v.Quality, threshold: v.MatchThreshold, limits: opt.Limits, largest: opt.Largest,
		names: map[string]string{}, photos: map[string]string{}, given: map[string]string{}, own: map[string][][]float32{}}
	if e.limits.MaxBytes <= 0 {
		e.limits.MaxBytes = face.DefaultLimits.MaxBytes
	}
	if e.limits.MaxPixels <= 0 {
		e.limits.MaxPixels = face.DefaultLimits.MaxPixels
	}
	var err error
	if e.gallery, err = facekit.LoadGallery(ctx, st, kit.Model, kit.Recognizer.Dim(), kit.Precision); err != nil {
		return nil, fmt.Errorf("enroll: %w", err)
	}
	people, err := st.People(ctx, kit.Model)
	if err != nil {
		return nil, fmt.Errorf("enroll: %w", err)
	}
	for _, p := range people {
		e.names[p.ID] = p.Name
	}
	// The store refuses a photo enrolled before, but only for a whole
	// transaction; knowing them up front refuses just that photo.
	for t, err := range st.Templates(ctx, kit.Model) {
		if err != nil {
			return nil, fmt.Errorf("enroll: %w", err)
		}
		if t.PhotoSHA256 != "" {
			e.photos[t.PhotoSHA256] = t.Person
		}
		if ids[t.Person] {
			vec, err := gallery.Decode(nil, t.Vec)
			if err != nil {
				return nil, fmt.Errorf("enroll: template of %s: %w", t.Person, err)
			}
			e.own[t.Person] = append(e.own[t.Person], vec)
		}
	}
	return e, nil
}

// photo checks one photo and, if it is good, keeps its template for save.
func (e *enroller) photo(p Photo) PhotoReport {
	r := PhotoReport{Path: p.Path, Person: p.Person.ID, Name: p.Person.Name}
	refuse := func(reason, format string, args ...any) PhotoReport {
		r.Reason, r.Detail = reason, fmt.Sprintf(format, args...)
		return r
	}
	data, err := e.read(p.Path)
	switch {
	case errors.Is(err, face.ErrImageTooLarge):
		return refuse(ReasonTooLarge, "%v", err)
	case err != nil:
		return refuse(ReasonUnreadable, "%v", err)
	}
	sum := sha256.Sum256(data)
	r.SHA256 = hex.EncodeToString(sum[:])
	if who, ok := e.photos[r.SHA256]; ok {
		return refuse(ReasonAlreadyEnrolled, "this photo is enrolled already, as %s", e.named(who))
	}
	if first, ok := e.given[r.SHA256]; ok {
		return refuse(ReasonAlreadyEnrolled, "the same photo as %s, enrolled in this run", first)
	}
	img, err := face.DecodeImage(data, e.limits)
	switch {
	case errors.Is(err, face.ErrEmptyImage):
		return refuse(ReasonEmptyImage, "the file is empty")
	case errors.Is(err, face.ErrImageTooLarge):
		return refuse(ReasonTooLarge, "%v", err)
	case err != nil:
		return refuse(ReasonBadImage, "%v", err)
	}
	defer img.Close()
	faces, err := e.kit.Detector.Detect(img)
	if err != nil {
		return refuse(ReasonBadImage, "%v", err)
	}
	r.Faces = len(faces)
	f, _ := face.Largest(faces)
	switch {
	case len(faces) == 0:
		return refuse(ReasonNoFace, "no face found")
	case len(faces) > 1 && !e.largest:
		return refuse(ReasonSeveralFaces, "%d faces: use a photo of one person (or --largest)", len(faces))
	}
	s := quality.Sample{Box: f.Box, Landmarks: f.Landmarks, Score: f.Score, FrameW: img.Cols(), FrameH: img.Rows()}
	q := e.quality.CheckShape(s)
	r.Quality = &q
	if !q.OK() {
		return refuse(string(q.Reason), "%s", q.Detail)
	}
	aligned, err := e.kit.Recognizer.AlignCrop(img, f)
	if err != nil {
		return refuse(ReasonBadImage, "%v", err)
	}
	defer aligned.Close()
	s.Sharpness, s.Brightness = engine.Measure(aligned)
	r.Sharpness, r.Brightness = s.Sharpness, s.Brightness
	q = e.quality.Check(s)
	r.Quality = &q
	if !q.OK() {
		return refuse(string(q.Reason), "%s", q.Detail)
	}
	vec, err := e.kit.Recognizer.Feature(aligned)
	if err != nil {
		return refuse(ReasonBadImage, "%v", err)
	}
	m, ok, err := e.otherPerson(p.Person.ID, vec)
	if err != nil {
		return refuse(ReasonBadImage, "%v", err)
	}
	if ok {
		r.Match = &m
		return refuse(ReasonDuplicatePerson, "the face matches %s with score %.2f (threshold %.2f)", e.named(m.ID), m.Score, e.threshold)
	}
	// A wrong photo filed under someone would let its face in as them.
	if own := e.own[p.Person.ID]; len(own) > 0 {
		best := float32(-1)
		for _, v := range own {
			best = max(best, face.Cosine(v, vec))
		}
		if best < e.threshold {
			return refuse(ReasonNotSamePerson, "the face matches none of %s's %d other photo(s): best score %.2f (threshold %.2f)", e.named(p.Person.ID), len(own), best, e.threshold)
		}
	}
	qj, err := json.Marshal(q)
	if err != nil {
		return refuse(ReasonBadImage, "quality report: %v", err)
	}
	r.Accepted = true
	e.own[p.Person.ID] = append(e.own[p.Person.ID], vec)
	r.Detail = fmt.Sprintf("face %.0f px, sharpness %.0f, brightness %.0f", q.Measures.Size, s.Sharpness, s.Brightness)
	e.given[r.SHA256] = p.Path
	if _, ok := e.names[p.Person.ID]; !ok {
		e.names[p.Person.ID] = p.Person.Name
	}
	e.run = append(e.run, accepted{person: p.Person.ID, vec: vec, tmpl: store.Template{
		Model: e.kit.Model, Vec: gallery.Encode(vec), PhotoSHA256: r.SHA256, Quality: string(qj), EnrolledAt: time.Now(),
	}})
	return r
}

// read reads a photo file, refusing one over the byte limit without
// reading it all.
func (e *enroller) read(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(e.limits.MaxBytes)+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > e.limits.MaxBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", face.ErrImageTooLarge, e.limits.MaxBytes)
	}
	return data, nil
}

// otherPerson returns the best match of vec, in the store's gallery and
// among this run's templates, when it is someone other than id and at the
// threshold or above.
func (e *enroller) otherPerson(id string, vec []float32) (PersonMatch, bool, error) {
	var best PersonMatch
	found := false
	if e.gallery.Len() > 0 {
		// Refusing the photo beats enrolling it unchecked.
		top, err := e.gallery.Top(e.kit.Model, vec, 1)
		if err != nil {
			return PersonMatch{}, false, err
		}
		if len(top) > 0 {
			best, found = PersonMatch{ID: top[0].Person, Score: top[0].Score}, true
		}
	}
	for _, a := range e.run {
		if s := face.Cosine(a.vec, vec); !found || s > best.Score {
			best, found = PersonMatch{ID: a.person, Score: s}, true
		}
	}
	if !found || best.ID == id || best.Score < e.threshold {
		return PersonMatch{}, false, nil
	}
	best.Name = e.names[best.ID]
	return best, true, nil
}

func (e *enroller) named(id string) string {
	if n := e.names[id]; n != "" && n != id {
		return fmt.Sprintf("%s (%s)", id, n)
	}
	return id
}

// save adds each person's accepted templates in one transaction, in the
// order the people first appear. A photo the store finds enrolled after
// all (another enrolment ran meanwhile) refuses that person's photos of
// this run.
func (e *enroller) save(ctx context.Context, photos []Photo, reports []PhotoReport) error {
	var order []string
	batch := map[string][]store.Template{}
	for _, a := range e.run {
		if _, ok := batch[a.person]; !ok {
			order = append(order, a.person)
		}
		batch[a.person] = append(batch[a.person], a.tmpl)
	}
	person := map[string]store.Person{}
	for _, p := range photos {
		if _, ok := person[p.Person.ID]; !ok {
			p.Person.Source = "local"
			person[p.Person.ID] = p.Person
		}
	}
	for _, id := range order {
		err := e.st.AddTemplates(ctx, person[id], batch[id])
		if errors.Is(err, store.ErrDuplicatePhoto) {
			for i := range reports {
				if reports[i].Person == id && reports[i].Accepted {
					reports[i].Accepted, reports[i].Reason, reports[i].Detail = false, ReasonAlreadyEnrolled, err.Error()
				}
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("enroll %s: %w", id, err)
		}
	}
	return nil
}
