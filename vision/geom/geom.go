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

// Affine is a 2x3 matrix mapping (x, y) to (A[0]x + A[1]y + A[2],
// A[3]x + A[4]y + A[5]), OpenCV's warpAffine layout.
type Affine [6]float64

// Apply maps p through a.
func (a Affine) Apply(p Point) Point {
	x, y := float64(p.X), float64(p.Y)
	return Point{float32(a[0]*x + a[1]*y + a[2]), float32(a[3]*x + a[4]*y + a[5])}
}

// Similarity is the rotation, uniform scale and translation that maps
// from onto to with the least squared error (Umeyama's closed form in
// 2-D, as dlib's find_similarity_transform). ok is false when from's
// points all coincide or the lengths differ.
func Similarity(from, to []Point) (a Affine, ok bool) {
	n := len(from)
	if n == 0 || n != len(to) {
		return a, false
	}
	var fx, fy, tx, ty float64
	for i := range from {
		fx, fy = fx+float64(from[i].X), fy+float64(from[i].Y)
		tx, ty = tx+float64(to[i].X), ty+float64(to[i].Y)
	}
	fx, fy, tx, ty = fx/float64(n), fy/float64(n), tx/float64(n), ty/float64(n)
	var dot, cross, norm float64
	for i := range from {
		px, py := float64(from[i].X)-fx, float64(from[i].Y)-fy
		qx, qy := float64(to[i].X)-tx, float64(to[i].Y)-ty
		dot += px*qx + py*qy
		cross += px*qy - py*qx
		norm += px*px + py*py
	}
	if norm == 0 {
		return a, false
	}
	c, s := dot/norm, cross/norm
	return Affine{c, -s, tx - (c*fx - s*fy), s, c, ty - (s*fx + c*fy)}, true
}
