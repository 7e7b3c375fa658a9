// Package models describes the face models roomgate ships in this
// directory and checks a model file against its sha256 before OpenCV
// loads it, so a missing, truncated or swapped file is reported by name
// instead of surfacing as an obscure DNN error or a wrong match.
//
// The recognition model is configuration (a [Model] value): the shipped
// MobileFaceNet weights are for non-commercial research only, and a
// production box points the same fields at OpenCV Zoo's SFace instead
// (see MODELS.md). The package has no cgo, so config validation can use it
// in the gate-only build.
package models
