//go:build vision

package face

import "github.com/roomgate/roomgate/vision/geom"

// dlibMeanShape holds dlib's mean face (get_face_chip_details in
// dlib/image_transforms/interpolation.h, points 17..67 of the 68-point
// iBUG layout, in a unit square) at the five points YuNet finds: each eye
// is the mean of its six points (36–41, the person's right; 42–47), the
// nose tip is point 30, the mouth corners are 48 and 54. In YuNet's order.
var dlibMeanShape = geom.Landmarks{
	{X: 0.2254918, Y: 0.2159903}, // mean of 36..41
	{X: 0.7547613, Y: 0.2159903}, // mean of 42..47
	{X: 0.490127, Y: 0.515625},   // 30
	{X: 0.254149, Y: 0.780233},   // 48
	{X: 0.726104, Y: 0.780233},   // 54
}

// dlibChipPadding is the padding dlib's face recognition example asks of
// get_face_chip_details (150, 0.25): the chip is the mean face's square
// grown by a quarter on every side.
const dlibChipPadding = 0.25

// DlibChipTemplate is where the five landmarks land on a side×side dlib
// face chip: (padding + m) / (1 + 2·padding) · side, as dlib places its
// mean shape.
func DlibChipTemplate(side int) geom.Landmarks {
	var t geom.Landmarks
	k := float32(side) / (1 + 2*dlibChipPadding)
	for i, m := range dlibMeanShape {
		t[i] = geom.Point{X: (dlibChipPadding + m.X) * k, Y: (dlibChipPadding + m.Y) * k}
	}
	return t
}

// dlibChipTransform maps a face's landmarks in the frame onto the chip.
func dlibChipTransform(f Face, side int) (geom.Affine, bool) {
	t := DlibChipTemplate(side)
	return geom.Similarity(f.Landmarks[:], t[:])
}

// ArcFace112 is where the five landmarks sit on a 112x112 ArcFace crop
// (InsightFace's template, the one cv::FaceRecognizerSF aligns to and the
// LFW crops of the shared datasets are cut to).
var ArcFace112 = geom.Landmarks{
	{X: 38.2946, Y: 51.6963},
	{X: 73.5318, Y: 51.5014},
	{X: 56.0252, Y: 71.7366},
	{X: 41.5493, Y: 92.3655},
	{X: 70.7299, Y: 92.2041},
}
