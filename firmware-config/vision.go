package config

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/roomgate/roomgate/internal/redact"
	"github.com/roomgate/roomgate/vision/quality"
	"github.com/roomgate/roomgate/vision/track"
)

// HasCamera reports whether the box checks faces in. Without a camera it is
// QR-only, which degrades the box but does not stop it.
func (v Vision) HasCamera() bool { return v.Camera.Kind != "" }

// Track returns the agreement rule for vision/track, with vision.threshold
// as its threshold.
func (v Vision) Track() track.Config { return v.Agreement.config(v.Threshold) }

// agreementOf is the config section for a track.Config; its threshold is
// vision.threshold.
func agreementOf(c track.Config) Agreement {
	return Agreement{MinMargin: c.MinMargin, Agree: c.Agree, Frames: c.Frames, Window: Duration(c.Window), Spacing: Duration(c.Spacing), MinIoU: c.MinIoU, Lost: Duration(c.Lost)}
}

func (a Agreement) config(threshold float32) track.Config {
	return track.Config{Threshold: threshold, MinMargin: a.MinMargin, Agree: a.Agree, Frames: a.Frames, Window: time.Duration(a.Window), Spacing: time.Duration(a.Spacing), MinIoU: a.MinIoU, Lost: time.Duration(a.Lost)}
}

// Sequential returns the sequential rule for vision/track, and whether
// vision.decision chooses it over the vote.
func (v Vision) Sequential() (track.Evidence, bool) {
	return v.Evidence.config(), v.Decision == "sequential"
}

func evidenceOf(e track.Evidence) Evidence {
	return Evidence{Intercept: e.Intercept, Score: e.Score, Margin: e.Margin, Cap: e.Cap, Accept: e.Accept, Reject: e.Reject, Spacing: Duration(e.Spacing), Patience: Duration(e.Patience), People: e.People, PeopleSlope: e.PeopleSlope}
}

func (e Evidence) config() track.Evidence {
	return track.Evidence{Intercept: e.Intercept, Score: e.Score, Margin: e.Margin, Cap: e.Cap, Accept: e.Accept, Reject: e.Reject, Spacing: time.Duration(e.Spacing), Patience: time.Duration(e.Patience), People: e.People, PeopleSlope: e.PeopleSlope}
}

// Where the fields that the vision packages' Validate names are in a config.
var (
	qualityFields  = fieldPaths(reflect.TypeFor[quality.Config](), "vision.quality", nil)
	trackFields    = fieldPaths(reflect.TypeFor[track.Config](), "vision.agreement", map[string]string{"threshold": "vision.threshold"})
	evidenceFields = fieldPaths(reflect.TypeFor[track.Evidence](), "vision.evidence", nil)
)

// fieldPaths maps the YAML names of a struct's fields to their paths under
// section, except those that moved.
func fieldPaths(t reflect.Type, section string, moved map[string]string) map[string]string {
	out := map[string]string{}
	for i := range t.NumField() {
		name := yamlName(t.Field(i))
		if p, ok := moved[name]; ok {
			out[name] = p
		} else {
			out[name] = join(section, name)
		}
	}
	return out
}

// check validates what the rule tables cannot: the camera's source, the
// model files, and the rules of vision/quality and vision/track.
func (v Vision) check(r *report, set map[string]bool, dir string) {
	v.checkCamera(r, set, dir)
	for _, m := range []struct{ field, path string }{{"vision.detector_model", v.DetectorModel}, {"vision.recognizer_model", v.RecognizerModel}} {
		if m.path != "" {
			checkPath(r, m.field, m.path, dir, false, "want an ONNX model file")
		}
	}
	switch {
	case v.RecognizerModel == "" && v.SHA256 != "":
		r.add("vision.sha256", "applies to a custom recognizer_model only; the shipped model's sha256 is built in")
	case v.RecognizerModel != "" && !set["vision.recognizer_name"]:
		r.add("vision.recognizer_name", "required with a custom recognizer_model: templates are stored per model, and another model's embeddings do not match them")
	}
	switch {
	case v.Decision != "sequential" || evidenceGiven(set):
	case recognizers[v.Recognizer] == (recognizerDefaults{}): // an unknown model is reported by the enum rule
	case v.RecognizerModel != "":
		r.add("vision.evidence", "intercept, score and margin are required with decision sequential and a custom recognizer_model: the defaults are fitted to the shipped model's scores (fit yours with visionbench -sections fit)")
	case !v.fittedEvidence():
		chosen := ""
		if !set["vision.recognizer"] {
			chosen = " (the default)"
		}
		r.add("vision.evidence", "intercept, score and margin are required with decision sequential and recognizer %s%s: the defaults are fitted to mobilefacenet_y1's scores (fit them with visionbench -rec %s -sections fit), or use decision vote", v.Recognizer, chosen, v.Recognizer)
	}
	ruleErrors(r, set, v.Quality, quality.Defaults(), quality.Config.Validate, "quality: ", "vision.quality", qualityFields)
	ruleErrors(r, set, v.Track(), track.Defaults(recognizers[defaultRecognizer].threshold), track.Config.Validate, "track: ", "vision.agreement", trackFields)
	ruleErrors(r, set, v.Evidence.config(), track.EvidenceDefaults(), track.Evidence.Validate, "track: ", "vision.evidence", evidenceFields)
}

func (v Vision) checkCamera(r *report, set map[string]bool, dir string) {
	given := false
	for p := range set {
		given = given || strings.HasPrefix(p, "vision.camera.")
	}
	if !given {
		return // QR-only
	}
	c := v.Camera
	switch {
	case c.Kind == "":
		r.add("vision.camera.kind", "required: want one of %s; or leave the camera out for QR-only", strings.Join(enums["vision.camera.kind"], ", "))
		return
	case !slices.Contains(enums["vision.camera.kind"], c.Kind):
		return // reported by checkFields
	case c.Path == "":
		r.add("vision.camera.path", "required for a %s camera", c.Kind)
		return
	}
	const p = "vision.camera.path"
	switch c.Kind {
	case "rtsp":
		if u, err := url.Parse(c.Path); err != nil || u.Scheme != "rtsp" && u.Scheme != "rtsps" || u.Host == "" {
			r.add(p, "want an rtsp:// or rtsps:// URL, got %s", quote(redact.URL(c.Path)))
		}
	case "v4l2":
		switch {
		case strings.Contains(c.Path, "://"):
			r.add(p, "%s is a URL: a stream needs kind: rtsp", quote(redact.URL(c.Path)))
		case filepath.IsAbs(c.Path) && !underDir(c.Path, "/dev") && !underDir(c.Path, os.TempDir()):
			r.add(p, "%s is not a video device: want /dev/videoN or a /dev/v4l/by-id/ path (a video file needs kind: file)", quotePath(c.Path))
		}
	case "file":
		checkPath(r, p, c.Path, dir, false, "images in a folder need kind: folder")
	case "folder":
		checkPath(r, p, c.Path, dir, true, "a video file needs kind: file")
	}
	switch {
	case c.Width == 0 && c.Height != 0:
		r.add("vision.camera.width", "0 with height %d: give both, or 0 for both for 640x480 (or the size nearest it the camera offers)", c.Height)
	case c.Height == 0 && c.Width != 0:
		r.add("vision.camera.height", "0 with width %d: give both, or 0 for both for 640x480 (or the size nearest it the camera offers)", c.Width)
	}
}

// checkPath reports a file or folder that is not there, relative to dir
// unless absolute; hint says what to do when it is the wrong one of the two.
func checkPath(r *report, field, path, dir string, wantDir bool, hint string) {
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		r.add(field, "cannot read %s: %v", quotePath(path), errors.Unwrap(err))
	case wantDir && !fi.IsDir():
		r.add(field, "%s is not a folder: %s", quotePath(path), hint)
	case !wantDir && fi.IsDir():
		r.add(field, "%s is a folder: %s", quotePath(path), hint)
	}
}

// redact hides the password of a URL such as rtsp://admin:secret@camera/.
var wordRE = regexp.MustCompile(`[a-z_]+`)

// ruleErrors reports every problem that a vision package's Validate finds
// in cfg, each at the field it names: the first named one that the config
// gave, else the first named, else the section. After each problem that
// field takes its value from def, so that one problem does not hide the
// next. fields maps the YAML names of cfg's fields to their paths.
func ruleErrors[T any](r *report, set map[string]bool, cfg, def T, validate func(T) error, prefix, section string, fields map[string]string) {
	idx, _ := fieldsOf(reflect.TypeFor[T]())
	for range len(fields) + 1 {
		v := reflect.ValueOf(&cfg).Elem()
		for name, p := range fields {
			if r.bad[p] {
				v.Field(idx[name]).Set(reflect.ValueOf(def).Field(idx[name]))
			}
		}
		err := validate(cfg)
		if err == nil {
			return
		}
		msg := strings.TrimPrefix(err.Error(), prefix)
		var named []string
		for _, w := range wordRE.FindAllString(msg, -1) {
			if p, ok := fields[w]; ok && !r.bad[p] {
				named = append(named, p)
			}
		}
		if len(named) == 0 {
			r.add(section, "%s", msg)
			return
		}
		at := named[0]
		for _, p := range named {
			if set[p] {
				at = p
				break
			}
		}
		r.add(at, "%s", msg)
		if !r.bad[at] {
			return // an enclosing section has a problem already
		}
	}
}
