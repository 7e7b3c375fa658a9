package quality

import (
	"math"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/vision/geom"
)

// arcface is the 112×112 alignment template: a frontal face.
var arcface = geom.Landmarks{{X: 38.3, Y: 51.7}, {X: 73.5, Y: 51.5}, {X: 56.0, Y: 71.7}, {X: 41.5, Y: 92.4}, {X: 70.7, Y: 92.2}}

// frontal is a sharp, well lit frontal face twice the template's size in a
// 640×480 frame.
func frontal() Sample {
	s := Sample{Box: geom.Rect{X: 200, Y: 100, W: 224, H: 224}, Score: 0.95, FrameW: 640, FrameH: 480, Sharpness: 120, Brightness: 128}
	for i, p := range arcface {
		s.Landmarks[i] = geom.Point{X: 200 + 2*p.X, Y: 100 + 2*p.Y}
	}
	return s
}

// rotate turns the landmarks by deg degrees about the box centre.
func rotate(s Sample, deg float64) Sample {
	cx, cy := s.Box.X+s.Box.W/2, s.Box.Y+s.Box.H/2
	sin, cos := math.Sincos(deg * math.Pi / 180)
	for i, p := range s.Landmarks {
		x, y := float64(p.X-cx), float64(p.Y-cy)
		s.Landmarks[i] = geom.Point{X: cx + float32(x*cos-y*sin), Y: cy + float32(x*sin+y*cos)}
	}
	return s
}

func TestFrontalPasses(t *testing.T) {
	r := Defaults().Check(frontal())
	if !r.OK() {
		t.Fatalf("Check(frontal) = %+v, want OK", r)
	}
	m := r.Measures
	if abs(m.Yaw) > 0.02 || abs(m.Roll) > 1 || m.Pitch < 0.45 || m.Pitch > 0.55 || m.Size != 224 {
		t.Errorf("Measure(frontal) = %+v, want yaw 0, roll 0, pitch about 0.5, size 224", m)
	}
}

func TestRollKeepsPitch(t *testing.T) {
	m0, m := Measure(frontal()), Measure(rotate(frontal(), 20))
	if math.Abs(float64(m.Roll)-20) > 0.5 {
		t.Errorf("roll after turning 20° = %.2f", m.Roll)
	}
	if abs(m.Pitch-m0.Pitch) > 0.01 || abs(m.Yaw-m0.Yaw) > 0.01 {
		t.Errorf("rolling changed pitch or yaw: %+v, before %+v", m, m0)
	}
}

func TestRejections(t *testing.T) {
	c := Defaults()
	for _, tt := range []struct {
		reason Reason
		change func(*Sample)
	}{
		{LowScore, func(s *Sample) { s.Score = 0.5 }},
		{Clipped, func(s *Sample) { s.Box.X = -10 }},
		{Clipped, func(s *Sample) { s.Box.Y = 300 }}, // 300+224 > 480
		{TooSmall, func(s *Sample) { s.Box.W, s.Box.H = 40, 40 }},
		{EyesTooClose, func(s *Sample) {
			s.Landmarks[geom.LeftEye].X = s.Landmarks[geom.RightEye].X + 10
			s.Landmarks[geom.Nose].X = s.Landmarks[geom.RightEye].X + 5
		}},
		{TurnedAway, func(s *Sample) { s.Landmarks[geom.Nose].X = s.Landmarks[geom.LeftEye].X }},
		{Tilted, func(s *Sample) { s.Landmarks[geom.Nose].Y = s.Landmarks[geom.RightEye].Y + 2 }},
		{Tilted, func(s *Sample) { s.Landmarks[geom.Nose].Y = s.Landmarks[geom.RightMouth].Y }},
		{Rolled, func(s *Sample) { *s = rotate(*s, 50) }},
		{Blurry, func(s *Sample) { s.Sharpness = 3 }},
		{TooDark, func(s *Sample) { s.Brightness = 20 }},
		{TooBright, func(s *Sample) { s.Brightness = 250 }},
	} {
		s := frontal()
		tt.change(&s)
		r := c.Check(s)
		if r.Reason != tt.reason || r.Detail == "" {
			t.Errorf("Check(%s case) = %q (%s), want %q with a detail", tt.reason, r.Reason, r.Detail, tt.reason)
		}
	}
}

func TestCheckShapeIgnoresPixels(t *testing.T) {
	s := frontal()
	s.Sharpness, s.Brightness = 0, 0
	if r := Defaults().CheckShape(s); !r.OK() {
		t.Errorf("CheckShape(unmeasured pixels) = %+v, want OK", r)
	}
	if r := Defaults().Check(s); r.Reason != Blurry {
		t.Errorf("Check(unmeasured pixels) = %q, want blurry", r.Reason)
	}
}

func TestValidate(t *testing.T) {
	if err := Defaults().Validate(); err != nil {
		t.Fatalf("Defaults().Validate() = %v", err)
	}
	for _, tt := range []struct {
		field  string
		change func(*Config)
	}{
		{"min_score", func(c *Config) { c.MinScore = 2 }},
		{"max_yaw", func(c *Config) { c.MaxYaw = 0 }},
		{"min_pitch", func(c *Config) { c.MinPitch = 0.9 }},
		{"max_roll", func(c *Config) { c.MaxRoll = 120 }},
		{"min_brightness", func(c *Config) { c.MinBrightness = 250 }},
		{"negative", func(c *Config) { c.MinFaceSize = -1 }},
	} {
		c := Defaults()
		tt.change(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.field) {
			t.Errorf("Validate() with a bad %s = %v", tt.field, err)
		}
	}
}
