// Package facekit is what the camera's face engine and enrolment share:
// the detector and recogniser a config names, loaded and checked (built
// with the vision tag only, as it needs OpenCV), and the gallery of one
// model read from the store's templates.
package facekit
