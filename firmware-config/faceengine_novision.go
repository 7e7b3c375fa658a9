//go:build !vision

package config

// faceEngineBuilt says this build has the face engine (package vision),
// which a chip ID card's second factor needs.
const faceEngineBuilt = false
