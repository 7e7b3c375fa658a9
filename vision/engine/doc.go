// Package engine is the face check-in pipeline for one camera: detect the
// faces in a frame, keep those good enough to recognise, align and embed
// them, search the room's gallery, and agree over several frames of the
// same tracked face before naming anyone. It builds only with the vision
// tag (OpenCV through vision/face).
package engine
