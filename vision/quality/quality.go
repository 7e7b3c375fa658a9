package quality

import (
	"fmt"
	"math"

	"github.com/roomgate/roomgate/vision/geom"
)

// Reason says why a face was rejected.
type Reason string

// Reasons, checked in this order: the first that applies is reported.
const (
	OK           Reason = ""
	LowScore     Reason = "low_score" // the detector is not sure it is a face
	Clipped      Reason = "clipped"   // the face runs off the edge of the frame
	TooSmall     Reason = "too_small" // too far from the camera
	EyesTooClose Reason = "eyes_too_close"
	TurnedAway   Reason = "turned_away" // yaw: looking left or right
	Tilted       Reason = "tilted"      // pitch: looking up or down
	Rolled       Reason = "rolled"      // head leaning sideways beyond what alignment undoes
	Blurry       Reason = "blurry"
	TooDark      Reason = "too_dark"
	TooBright    Reason = "too_bright"
)

// Config holds every threshold. Zero values are not defaults: use
// Defaults and change what the site needs.
type Config struct {
	MinScore       float32 `yaml:"min_score"`        // detector confidence, 0..1
	EdgeMargin     float32 `yaml:"edge_margin"`      // px the box must stay inside the frame
	MinFaceSize    float32 `yaml:"min_face_size"`    // px, the box's shorter side
	MinEyeDistance float32 `yaml:"min_eye_distance"` // px between the eye landmarks
	MaxYaw         float32 `yaml:"max_yaw"`          // |yaw|: 0 frontal, 1 with the nose in front of an eye
	MinPitch       float32 `yaml:"min_pitch"`        // nose height between eyes (0) and mouth (1)
	MaxPitch       float32 `yaml:"max_pitch"`
	MaxRoll        float32 `yaml:"max_roll"`       // degrees the eye line may lean
	MinSharpness   float64 `yaml:"min_sharpness"`  // variance of the Laplacian of the grey face
	MinBrightness  float64 `yaml:"min_brightness"` // mean grey level of the face, 0..255
	MaxBrightness  float64 `yaml:"max_brightness"`
}

// Defaults are the shipped thresholds for a check-in camera at 640×480.
func Defaults() Config {
	return Config{
		MinScore:       0.80,
		EdgeMargin:     2,
		MinFaceSize:    60,
		MinEyeDistance: 24,
		MaxYaw:         0.60,
		MinPitch:       0.25,
		MaxPitch:       0.80,
		MaxRoll:        35,
		MinSharpness:   15,
		MinBrightness:  40,
		MaxBrightness:  225,
	}
}

// Validate reports a config whose limits contradict each other.
func (c Config) Validate() error {
	switch {
	case c.MinScore < 0 || c.MinScore > 1:
		return fmt.Errorf("quality: min_score %v, want 0..1", c.MinScore)
	case c.MaxYaw <= 0:
		return fmt.Errorf("quality: max_yaw %v, want more than 0", c.MaxYaw)
	case c.MinPitch >= c.MaxPitch:
		return fmt.Errorf("quality: min_pitch %v must be below max_pitch %v", c.MinPitch, c.MaxPitch)
	case c.MaxRoll <= 0 || c.MaxRoll > 90:
		return fmt.Errorf("quality: max_roll %v, want more than 0, at most 90 degrees", c.MaxRoll)
	case c.MinBrightness >= c.MaxBrightness:
		return fmt.Errorf("quality: min_brightness %v must be below max_brightness %v", c.MinBrightness, c.MaxBrightness)
	case c.MinFaceSize < 0 || c.MinEyeDistance < 0 || c.EdgeMargin < 0 || c.MinSharpness < 0:
		return fmt.Errorf("quality: sizes, margin and sharpness must not be negative")
	}
	return nil
}

// Sample is one detected face with what was measured on its pixels.
type Sample struct {
	Box            geom.Rect
	Landmarks      geom.Landmarks
	Score          float32
	FrameW, FrameH int
	Sharpness      float64 // variance of the Laplacian of the aligned face, in grey
	Brightness     float64 // mean grey level of the aligned face
}

// Measures are the geometry a decision was made on, for reports.
type Measures struct {
	Size        float32 `json:"size"`
	EyeDistance float32 `json:"eye_distance"`
	Yaw         float32 `json:"yaw"`
	Pitch       float32 `json:"pitch"`
	Roll        float32 `json:"roll"`
}

// Result is the verdict on one face.
type Result struct {
	Reason   Reason   `json:"reason,omitempty"` // OK when good enough
	Detail   string   `json:"detail,omitempty"` // the measured value against its limit
	Measures Measures `json:"measures"`
}

// OK reports whether the face passed.
func (r Result) OK() bool { return r.Reason == OK }

// Measure derives the pose from the landmarks, in the face's own axes so
// that roll changes neither yaw nor pitch. Yaw is how far the nose sits
// sideways from the middle of the eyes, in half eye distances (0 frontal,
// 1 with the nose in front of an eye); pitch is where the nose sits
// between the eye line (0) and the mouth line (1); roll is the eye line's
// angle in degrees.
func Measure(s Sample) Measures {
	lm := s.Landmarks
	eyes := geom.Dist(lm[geom.RightEye], lm[geom.LeftEye])
	m := Measures{Size: min(s.Box.W, s.Box.H), EyeDistance: eyes}
	if eyes == 0 {
		return m
	}
	dx, dy := float64(lm[geom.LeftEye].X-lm[geom.RightEye].X), float64(lm[geom.LeftEye].Y-lm[geom.RightEye].Y)
	m.Roll = float32(math.Atan2(dy, dx) * 180 / math.Pi)
	eyeMid := geom.Mid(lm[geom.RightEye], lm[geom.LeftEye])
	mouthMid := geom.Mid(lm[geom.RightMouth], lm[geom.LeftMouth])
	// Unit vectors along the eye line and down the face.
	ex, ey := dx/float64(eyes), dy/float64(eyes)
	down := func(p geom.Point) float64 { return float64(p.X-eyeMid.X)*-ey + float64(p.Y-eyeMid.Y)*ex }
	across := func(p geom.Point) float64 { return float64(p.X-eyeMid.X)*ex + float64(p.Y-eyeMid.Y)*ey }
	m.Yaw = float32(across(lm[geom.Nose]) / (float64(eyes) / 2))
	if mouth := down(mouthMid); mouth > 0 {
		m.Pitch = float32(down(lm[geom.Nose]) / mouth)
	}
	return m
}

// Check measures a face and returns the first reason it is not good
// enough, or OK.
func (c Config) Check(s Sample) Result {
	r := c.CheckShape(s)
	if !r.OK() {
		return r
	}
	switch {
	case s.Sharpness < c.MinSharpness:
		return r.fail(Blurry, "sharpness %.1f below %.1f", s.Sharpness, c.MinSharpness)
	case s.Brightness < c.MinBrightness:
		return r.fail(TooDark, "brightness %.0f below %.0f", s.Brightness, c.MinBrightness)
	case s.Brightness > c.MaxBrightness:
		return r.fail(TooBright, "brightness %.0f above %.0f", s.Brightness, c.MaxBrightness)
	}
	return r
}

// CheckShape checks what the detector's box and landmarks tell, ignoring
// Sharpness and Brightness: the engine measures those on the aligned face,
// which it only makes for faces whose shape passed.
func (c Config) CheckShape(s Sample) Result {
	m := Measure(s)
	r := Result{Measures: m}
	b := s.Box
	switch {
	case s.Score < c.MinScore:
		return r.fail(LowScore, "detector score %.2f below %.2f", s.Score, c.MinScore)
	case b.X < c.EdgeMargin || b.Y < c.EdgeMargin ||
		b.X+b.W > float32(s.FrameW)-c.EdgeMargin || b.Y+b.H > float32(s.FrameH)-c.EdgeMargin:
		return r.fail(Clipped, "face box %.0f,%.0f %.0fx%.0f leaves the %dx%d frame", b.X, b.Y, b.W, b.H, s.FrameW, s.FrameH)
	case m.Size < c.MinFaceSize:
		return r.fail(TooSmall, "face %.0f px, want at least %.0f: come closer", m.Size, c.MinFaceSize)
	case m.EyeDistance < c.MinEyeDistance:
		return r.fail(EyesTooClose, "eyes %.0f px apart, want at least %.0f", m.EyeDistance, c.MinEyeDistance)
	case abs(m.Yaw) > c.MaxYaw:
		return r.fail(TurnedAway, "yaw %.2f beyond %.2f: look at the camera", m.Yaw, c.MaxYaw)
	case m.Pitch < c.MinPitch || m.Pitch > c.MaxPitch:
		return r.fail(Tilted, "pitch %.2f outside %.2f..%.2f: look at the camera", m.Pitch, c.MinPitch, c.MaxPitch)
	case abs(m.Roll) > c.MaxRoll:
		return r.fail(Rolled, "head leans %.0f°, at most %.0f°", m.Roll, c.MaxRoll)
	}
	return r
}

func (r Result) fail(reason Reason, format string, args ...any) Result {
	r.Reason, r.Detail = reason, fmt.Sprintf(format, args...)
	return r
}

func abs(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}
