// Package avi reads and writes Motion JPEG AVI files, the format of the
// demo's and the tests' camera videos, in Go: a file camera needs neither
// OpenCV's videoio nor FFmpeg in the agent's process. It reads hostile
// files without trusting their sizes.
package avi
