package config

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/internal/golist"
	"github.com/roomgate/roomgate/vision/models"
	"github.com/roomgate/roomgate/vision/quality"
	"github.com/roomgate/roomgate/vision/track"
)

// TestVisionLeftOut: no vision section is a QR-only box whose engine
// settings are still the vision packages' valid defaults.
func TestVisionLeftOut(t *testing.T) {
	for _, extra := range []string{"", "vision:\n", "vision:\n  camera:\n", "vision:\n  camera: {}\n  qr: false\n"} {
		c, err := Parse("t.yaml", []byte(minimal+extra))
		if err != nil {
			t.Fatalf("Parse(%q) = %v", extra, err)
		}
		v := c.Vision
		if v.HasCamera() {
			t.Errorf("Parse(%q).Vision.HasCamera() = true, want false (QR-only)", extra)
		}
		if v.Quality != quality.Defaults() {
			t.Errorf("Parse(%q).Vision.Quality = %+v, want quality.Defaults() %+v", extra, v.Quality, quality.Defaults())
		}
		want := track.Defaults(dlibThreshold)
		want.MinMargin = 0.01
		if got := v.Track(); got != want {
			t.Errorf("Parse(%q).Vision.Track() = %+v, want track.Defaults of dlib's threshold and margin %+v", extra, got, want)
		}
	}
}

// TestAgreementMirrorsTrack fails when vision/track gains a setting that
// the agreement section does not carry, or carries under another name.
func TestAgreementMirrorsTrack(t *testing.T) {
	_, have := fieldsOf(reflect.TypeFor[Agreement]())
	_, want := fieldsOf(reflect.TypeFor[track.Config]())
	want = slices.DeleteFunc(want, func(k string) bool { return k == "threshold" }) // it is vision.threshold
	if !reflect.DeepEqual(have, want) {
		t.Errorf("agreement keys = %v, want track.Config's %v", have, want)
	}
	cfg := track.Config{Threshold: 0.4, MinMargin: 0.1, Agree: 2, Frames: 7, Window: 5 * time.Second, MinIoU: 0.5, Lost: 2 * time.Second}
	if got := agreementOf(cfg).config(0.4); got != cfg {
		t.Errorf("agreementOf(%+v).config(0.4) = %+v, want it back", cfg, got)
	}
}

// TestEvidenceMirrorsTrack fails when the sequential rule gains a setting
// the evidence section does not carry.
// TestRecognizerDefaults: no model named runs dlib's; choosing a model
// brings its name, input and thresholds, and whatever the config gives
// itself stays.
func TestRecognizerDefaults(t *testing.T) {
	base := "identity: {site: hq, gate: east, device: box-1}\nboard: rpi4\n"
	for _, tc := range []struct {
		yaml            string
		name            string
		input           int
		threshold, cccd float32
		margin          float32
	}{
		{base, "dlib-resnet-v1", 150, dlibThreshold, models.DlibResNetV1.Threshold, 0.01},
		{base + "vision: {recognizer: mobilefacenet_y1}\n", "mobilefacenet-insightface-y1", 112, mobileFaceNetThreshold, mobileFaceNetThreshold, 0.05},
		{base + "vision: {recognizer: dlib_resnet_v1}\n", "dlib-resnet-v1", 150, dlibThreshold, models.DlibResNetV1.Threshold, 0.01},
		{base + "vision: {recognizer: dlib_resnet_v1, threshold: 0.9, recognizer_name: city-dlib, agreement: {min_margin: 0.02}}\npolicy: {cccd_face: {threshold: 0.95}}\n", "city-dlib", 150, 0.9, 0.95, 0.02},
	} {
		c, err := Parse("t.yaml", []byte(tc.yaml))
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.yaml, err)
		}
		v := c.Vision
		if got := v.Track().MinMargin; got != tc.margin {
			t.Errorf("Parse(%q): min_margin %v, want %v", tc.yaml, got, tc.margin)
		}
		if v.RecognizerName != tc.name || v.RecognizerInput != tc.input || v.Threshold != tc.threshold || c.Policy.CCCDFace.Threshold != tc.cccd || v.Track().Threshold != tc.threshold {
			t.Errorf("Parse(%q): name %s, input %d, threshold %v, cccd %v, track %v; want %s %d %v %v", tc.yaml,
				v.RecognizerName, v.RecognizerInput, v.Threshold, c.Policy.CCCDFace.Threshold, v.Track().Threshold, tc.name, tc.input, tc.threshold, tc.cccd)
		}
	}
}

// TestRecognizerEvidence: dlib brings its own fit of the sequential rule,
// and a config's own numbers stay.
func TestRecognizerEvidence(t *testing.T) {
	base := "identity: {site: hq, gate: east, device: box-1}\nboard: rpi4\nvision:\n  decision: sequential\n"
	dlib := track.EvidenceDlibResNetV1()
	for _, tc := range []struct {
		yaml string
		want track.Evidence
	}{
		{base, dlib},
		{base + "  recognizer: mobilefacenet_y1\n", track.EvidenceDefaults()},
		{base + "  recognizer: dlib_resnet_v1\n", dlib},
		{base + "  recognizer: dlib_resnet_v1\n  evidence: {score: 80}\n", func() track.Evidence { e := dlib; e.Score = 80; return e }()},
		{base + "  evidence: {people_slope: 0}\n", func() track.Evidence { e := dlib; e.PeopleSlope = 0; return e }()},
		{base + "  evidence: {people: 1000}\n", func() track.Evidence { e := dlib; e.People = 1000; return e }()},
	} {
		c, err := Parse("t.yaml", []byte(tc.yaml))
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.yaml, err)
		}
		if got, _ := c.Vision.Sequential(); got != tc.want {
			t.Errorf("Parse(%q): evidence %+v, want %+v", tc.yaml, got, tc.want)
		}
	}
}

// TestDecisionDefault: the sequential rule unless the recognizer has no fit
// of it, where the vote is the default and an explicit choice stays.
func TestDecisionDefault(t *testing.T) {
	model := filepath.Join(t.TempDir(), "sface.onnx")
	if err := os.WriteFile(model, []byte("onnx"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := "identity: {site: hq, gate: east, device: box-1}\nboard: rpi4\nvision:\n"
	custom := "  recognizer_model: " + model + "\n  recognizer_name: sface\n"
	for _, tc := range []struct{ yaml, want string }{
		{base, "sequential"},
		{base + "  recognizer: mobilefacenet_y1\n", "sequential"},
		{base + "  decision: vote\n", "vote"},
		{base + custom, "vote"},
		{base + custom + "  evidence: {intercept: -9, score: 20, margin: 5}\n", "sequential"},
		{base + custom + "  evidence: {intercept: -9}\n", "vote"},
	} {
		c, err := Parse("t.yaml", []byte(tc.yaml))
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.yaml, err)
		}
		if _, seq := c.Vision.Sequential(); c.Vision.Decision != tc.want || seq != (tc.want == "sequential") {
			t.Errorf("Parse(%q): decision %s (sequential %v), want %s", tc.yaml, c.Vision.Decision, seq, tc.want)
		}
	}
}

func TestEvidenceMirrorsTrack(t *testing.T) {
	_, have := fieldsOf(reflect.TypeFor[Evidence]())
	_, want := fieldsOf(reflect.TypeFor[track.Evidence]())
	if !reflect.DeepEqual(have, want) {
		t.Errorf("evidence keys = %v, want track.Evidence's %v", have, want)
	}
	e := track.Evidence{Intercept: -3, Score: 9, Margin: 2, Cap: 1.5, Accept: 5, Reject: 4, Spacing: 50 * time.Millisecond, Patience: 3 * time.Second}
	if got := evidenceOf(e).config(); got != e {
		t.Errorf("evidenceOf(%+v).config() = %+v, want it back", e, got)
	}
}

func TestVisionGiven(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"frames", "models"} {
		if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "models", "sface.onnx"), []byte("onnx"), 0o644); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, "roomgate.yaml")
	c, err := Parse(name, []byte(minimal+`
vision:
  camera:
    kind: folder
    path: frames
    max_fps: 7.5
  recognizer_model: models/sface.onnx
  recognizer_name: sface-2021dec
  sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
  threshold: 0.363
  precision: int8
  quality:
    min_face_size: 80
    max_brightness: 230.5
  agreement:
    agree: 2
    window: 2s
  qr: false
`))
	if err != nil {
		t.Fatal(err)
	}
	v := c.Vision
	wantCam := Camera{Name: "camera", Kind: "folder", Path: "frames", Width: 640, Height: 480, MaxFPS: 7.5, Retry: Duration(2 * time.Second)}
	if !v.HasCamera() || v.Camera != wantCam {
		t.Errorf("Vision.Camera = %+v, want %+v (paths as written: the agent resolves them)", v.Camera, wantCam)
	}
	if v.RecognizerModel != "models/sface.onnx" || v.RecognizerName != "sface-2021dec" || v.Precision != "int8" || v.QR {
		t.Errorf("Vision = %+v, want the given model, name, precision and qr", v)
	}
	q := quality.Defaults()
	q.MinFaceSize, q.MaxBrightness = 80, 230.5
	if v.Quality != q {
		t.Errorf("Vision.Quality = %+v, want the defaults with min_face_size 80, max_brightness 230.5: %+v", v.Quality, q)
	}
	tr := track.Defaults(0.363)
	tr.Agree, tr.Window = 2, 2*time.Second
	if got := v.Track(); got != tr {
		t.Errorf("Vision.Track() = %+v, want %+v", got, tr)
	}
}

// TestVisionErrors checks single problems with their line, written out
// here rather than in golden files so that a wrong update cannot hide them.
// Relative paths are taken from the temporary directory, which holds a
// file v.mp4 and a folder frames.
func TestVisionErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "v.mp4"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "frames"), 0o755); err != nil {
		t.Fatal(err)
	}
	const v = minimal + "vision:\n" // vision: is line 4
	tests := []struct {
		name string
		yaml string
		want []string // full report lines, with D for the directory
	}{
		{"unknown key", v + "  camera:\n    kind: v4l2\n    path: /dev/video0\n    fps: 10\n",
			[]string{"t.yaml:8: vision.camera.fps: unknown key; want one of name, kind, path, width, height, max_fps, retry"}},
		{"unknown quality key", v + "  quality:\n    min_sharp: 10\n",
			[]string{"t.yaml:6: vision.quality.min_sharp: unknown key (did you mean min_sharpness?)"}},
		{"unknown agreement key: threshold is vision.threshold", v + "  agreement:\n    threshold: 0.4\n",
			[]string{"t.yaml:6: vision.agreement.threshold: unknown key; want one of min_margin, agree, frames, window, spacing, min_iou, lost"}},
		{"bad kind", v + "  camera: {kind: usb, path: /dev/video0}\n",
			[]string{`t.yaml:5: vision.camera.kind: "usb" is not allowed; want one of v4l2, rtsp, file, folder`}},
		{"camera without kind", v + "  camera:\n    path: /dev/video0\n",
			[]string{"t.yaml:5: vision.camera.kind: required: want one of v4l2, rtsp, file, folder; or leave the camera out for QR-only"}},
		{"camera without path", v + "  camera:\n    kind: v4l2\n",
			[]string{"t.yaml:5: vision.camera.path: required for a v4l2 camera"}},
		{"rtsp path not a URL", v + "  camera:\n    kind: rtsp\n    path: http://admin:secret@10.0.0.9/stream\n",
			[]string{`t.yaml:7: vision.camera.path: want an rtsp:// or rtsps:// URL, got "http://xxxxx@10.0.0.9/stream"`}},
		{"rtsps accepted", v + "  camera: {kind: rtsp, path: 'rtsps://cam.local:322/live'}\n", nil},
		{"v4l2 given a URL", v + "  camera: {kind: v4l2, path: 'rtsp://cam/live'}\n",
			[]string{`t.yaml:5: vision.camera.path: "rtsp://cam/live" is a URL: a stream needs kind: rtsp`}},
		{"v4l2 given a file", v + "  camera: {kind: v4l2, path: /home/demo/v.mp4}\n",
			[]string{`t.yaml:5: vision.camera.path: "/home/demo/v.mp4" is not a video device: want /dev/videoN or a /dev/v4l/by-id/ path (a video file needs kind: file)`}},
		{"file missing", v + "  camera: {kind: file, path: gone.mp4}\n",
			[]string{`t.yaml:5: vision.camera.path: cannot read "D/gone.mp4": no such file or directory`}},
		{"file is a folder", v + "  camera: {kind: file, path: frames}\n",
			[]string{`t.yaml:5: vision.camera.path: "D/frames" is a folder: images in a folder need kind: folder`}},
		{"folder is a file", v + "  camera: {kind: folder, path: v.mp4}\n",
			[]string{`t.yaml:5: vision.camera.path: "D/v.mp4" is not a folder: a video file needs kind: file`}},
		{"file and folder found", v + "  camera: {kind: file, path: v.mp4}\n", nil},
		{"only width", v + "  camera: {kind: folder, path: frames, width: 1280, height: 0}\n",
			[]string{"t.yaml:5: vision.camera.height: 0 with width 1280: give both, or 0 for both for 640x480 (or the size nearest it the camera offers)"}},
		{"max_fps not a number", v + "  camera: {kind: folder, path: frames, max_fps: fast}\n",
			[]string{`t.yaml:5: vision.camera.max_fps: want a number, got the text "fast"`}},
		{"max_fps out of range", v + "  camera:\n    kind: folder\n    path: frames\n    max_fps: 500.5\n",
			[]string{"t.yaml:8: vision.camera.max_fps: 500.5 is out of range: want 0 to 120"}},
		{"retry without unit", v + "  camera: {kind: folder, path: frames, retry: 2}\n",
			[]string{"t.yaml:5: vision.camera.retry: want a duration like 300ms, got the number 2 without a unit (ms, s, m or h)"}},
		{"threshold infinite", v + "  threshold: .inf\n",
			[]string{"t.yaml:5: vision.threshold: want a finite number, got .inf"}},
		{"threshold too large for float32", v + "  threshold: 1e39\n",
			[]string{"t.yaml:5: vision.threshold: 1e39 is too large"}},
		{"threshold quoted", v + "  threshold: '0.3'\n",
			[]string{`t.yaml:5: vision.threshold: want a number, got the text "0.3"`}},
		{"threshold out of range", v + "  threshold: 1.2\n",
			[]string{"t.yaml:5: vision.threshold: 1.2 is out of range: want 0 to 1"}},
		{"threshold 0 is track's to refuse", v + "  threshold: 0\n",
			[]string{"t.yaml:5: vision.threshold: threshold 0, want between 0 and 1"}},
		{"threshold at its limit", v + "  threshold: 0.99\n", nil},
		{"precision", v + "  precision: int4\n",
			[]string{`t.yaml:5: vision.precision: "int4" is not allowed (did you mean int8?)`}},
		{"sha256 without a model", v + "  sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
			[]string{"t.yaml:5: vision.sha256: applies to a custom recognizer_model only; the shipped model's sha256 is built in"}},
		{"sha256 not hex", v + "  recognizer_model: v.mp4\n  recognizer_name: x\n  sha256: abc\n",
			[]string{`t.yaml:7: vision.sha256: "abc" is not a sha256: want 64 hex digits, as sha256sum prints them`}},
		{"custom model keeps the shipped name", v + "  recognizer_model: v.mp4\n",
			[]string{"t.yaml:4: vision.recognizer_name: required with a custom recognizer_model: templates are stored per model, and another model's embeddings do not match them"}},
		{"model missing", v + "  detector_model: yunet.onnx\n  recognizer_model: /opt/m/sface.onnx\n  recognizer_name: sface\n",
			[]string{`t.yaml:5: vision.detector_model: cannot read "D/yunet.onnx": no such file or directory`,
				`t.yaml:6: vision.recognizer_model: cannot read "/opt/m/sface.onnx": no such file or directory`}},
		{"recognizer_input", v + "  recognizer_input: 8\n",
			[]string{"t.yaml:5: vision.recognizer_input: 8 is out of range: want 32 to 1024"}},
		{"quality range", v + "  quality:\n    min_score: 1.5\n",
			[]string{"t.yaml:6: vision.quality.min_score: 1.5 is out of range: want 0 to 1"}},
		{"quality contradiction at the field given", v + "  quality:\n    max_pitch: 0.2\n",
			[]string{"t.yaml:6: vision.quality.max_pitch: min_pitch 0.25 must be below max_pitch 0.2"}},
		{"quality contradiction, both given", v + "  quality:\n    min_brightness: 200\n    max_brightness: 100\n",
			[]string{"t.yaml:6: vision.quality.min_brightness: min_brightness 200 must be below max_brightness 100"}},
		{"quality zero yaw", v + "  quality: {max_yaw: 0}\n",
			[]string{"t.yaml:5: vision.quality.max_yaw: max_yaw 0, want more than 0"}},
		{"sequential with another model needs its own fit", v + "  recognizer_model: v.mp4\n  recognizer_name: x\n  decision: sequential\n  evidence:\n    cap: 3\n",
			[]string{"t.yaml:8: vision.evidence: intercept, score and margin are required with decision sequential and a custom recognizer_model: the defaults are fitted to the shipped model's scores (fit yours with visionbench -sections fit)"}},
		{"sequential with another model, fitted", v + "  recognizer_model: v.mp4\n  recognizer_name: x\n  decision: sequential\n  evidence:\n    intercept: -9\n    score: 20\n    margin: 5\n", nil},
		{"sequential with dlib, its own fit", v + "  recognizer: dlib_resnet_v1\n  decision: sequential\n", nil},
		{"sequential with dlib, fitted", v + "  recognizer: dlib_resnet_v1\n  decision: sequential\n  evidence: {intercept: -50, score: 55, margin: 40}\n", nil},
		{"sequential with the default model, its own fit", v + "  decision: sequential\n", nil},
		{"sequential with mobilefacenet uses its fit", v + "  recognizer: mobilefacenet_y1\n  decision: sequential\n", nil},
		{"recognizer", v + "  recognizer: dlib\n",
			[]string{`t.yaml:5: vision.recognizer: "dlib" is not allowed (did you mean dlib_resnet_v1?)`}},
		{"decision", v + "  decision: votes\n",
			[]string{`t.yaml:5: vision.decision: "votes" is not allowed (did you mean vote?)`}},
		{"evidence: one frame must not name", v + "  recognizer: mobilefacenet_y1\n  decision: sequential\n  evidence:\n    accept: 3\n",
			[]string{"t.yaml:8: vision.evidence.accept: evidence accept 3 must exceed cap 4: one frame must never name a person"}},
		{"evidence: a better match is more evidence", v + "  evidence:\n    score: 0\n",
			[]string{"t.yaml:6: vision.evidence.score: evidence score 0 and margin 142: want score positive, margin not negative (a better match must be more evidence)"}},
		{"evidence people", v + "  evidence:\n    people: 0\n",
			[]string{"t.yaml:6: vision.evidence.people: 0 is out of range: want 1 to 10000000"}},
		{"evidence people_slope", v + "  evidence:\n    people_slope: 9\n",
			[]string{"t.yaml:6: vision.evidence.people_slope: 9 is out of range: want -5 to 5"}},
		{"evidence spacing", v + "  evidence:\n    spacing: 0s\n",
			[]string{"t.yaml:6: vision.evidence.spacing: 0s is out of range: want 1ms to 10s"}},
		{"agreement k of n", v + "  agreement:\n    frames: 2\n",
			[]string{"t.yaml:6: vision.agreement.frames: agree 3 of frames 2: want 1 <= agree <= frames"}},
		{"agreement window", v + "  agreement:\n    window: 10ms\n",
			[]string{"t.yaml:6: vision.agreement.window: 10ms is out of range: want 100ms to 1m"}},
		{"agreement not a mapping", v + "  agreement: 3 of 5\n",
			[]string{`t.yaml:5: vision.agreement: want a mapping (key: value lines), got the text "3 of 5"`}},
		{"qr", v + "  qr: yes\n",
			[]string{`t.yaml:5: vision.qr: want true or false, got the text "yes"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := filepath.Join(dir, "t.yaml")
			_, err := Parse(name, []byte(tt.yaml))
			var got []string
			if err != nil {
				got = strings.Split(strings.ReplaceAll(err.Error(), dir, "D"), "\n")
			}
			for i := range got {
				got[i] = strings.TrimPrefix(got[i], "D/")
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q) =\n%s\nwant\n%s", tt.yaml, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestDependencies: config builds into the gate-only agent, so the face
// engine's settings may come from its pure Go packages, but nothing may
// pull in gocv (vision/camera's Config is behind the vision tag).
func TestDependencies(t *testing.T) {
	for _, p := range golist.Deps(t, ".") {
		if pkg := p.ImportPath; strings.HasPrefix(pkg, "gocv.io/") || pkg == "github.com/roomgate/roomgate/vision/camera" || pkg == "github.com/roomgate/roomgate/vision/face" {
			t.Errorf("config depends on %s", pkg)
		}
	}
}
