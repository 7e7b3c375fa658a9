// Package geom holds the plain geometry the face engine passes between its
// parts: boxes and the five landmarks a detector finds. It has no cgo, so
// quality checks and tracking build and test without OpenCV.
package geom

import "math"

// Point is a position in pixels.
type Point struct{ X, Y float32 }

// Rect is a box in pixels: top-left corner, width and height.
type Rect struct{ X, Y, W, H float32 }

// Landmark indexes, in the order YuNet reports them: the person's right
// eye (on the left of the image), left eye, nose tip, right and left
// mouth corners.
const (
	RightEye = iota
	LeftEye
	Nose
	RightMouth
	LeftMouth
)

// Landmarks are the five points of one face.
type Landmarks [5]Point

// Area is w×h, zero for an empty box.
func (r Rect) Area() float32 {
	if r.W <= 0 || r.H <= 0 {
		return 0
	}
	return r.W * r.H
}

// IoU is the intersection over union of two boxes, 0 when they do not
// overlap.
func IoU(a, b Rect) float32 {
	x0, y0 := max(a.X, b.X), max(a.Y, b.Y)
	x1, y1 := min(a.X+a.W, b.X+b.W), min(a.Y+a.H, b.Y+b.H)
	if x1 <= x0 || y1 <= y0 {
		return 0
	}
	inter := (x1 - x0) * (y1 - y0)
	return inter / (a.Area() + b.Area() - inter)
}

// Dist is the distance between two points.
func Dist(a, b Point) float32 {
	return float32(math.Hypot(float64(a.X-b.X), float64(a.Y-b.Y)))
}

// Mid is the point halfway between a and b.
func Mid(a, b Point) Point { return Point{(a.X + b.X) / 2, (a.Y + b.Y) / 2} }
