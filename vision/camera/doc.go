// Package camera reads frames from a check-in camera: a V4L2 device, an
// RTSP stream, a video file (looped, for the demo and tests) or a folder
// of images. It reconnects when the source goes away, reads it at its own
// rate (capped by max_fps), hands the face engine the newest frame each
// time it is ready and drops the rest (never a queue of old frames), and
// reports its health for the status page. A V4L2 device, an MJPEG AVI and
// a folder are read in Go; RTSP and other videos through an FFmpeg
// process. It uses gocv, so it builds only with the vision tag.
package camera
