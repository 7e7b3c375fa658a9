// Package face finds faces in a frame and turns each into an embedding:
// YuNet through cv::FaceDetectorYN, then alignment to the 112x112 ArcFace
// template and a 128-d feature through cv::FaceRecognizerSF.
//
// gocv v0.32.0 (the newest that builds against Debian's OpenCV 4.6) wraps
// neither class, so face.cpp is a small wrapper of our own. It catches every
// C++ exception and returns it as an error: an exception crossing cgo would
// abort the process.
//
// Everything but this file needs the build tag `vision` (and cgo with
// libopencv-dev), so the gate-only agent builds with CGO_ENABLED=0. gocv
// types appear in this package's API only; packages outside vision/ must
// not see them.
package face
