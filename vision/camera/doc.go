// Package camera reads frames from a check-in camera: a V4L2 device, an
// RTSP stream, a video file (looped, for the demo and tests) or a folder
// of images. It reconnects when the source goes away, caps the frame rate
// so the face engine is not fed more than it can use, and reports its
// health for the status page. It uses gocv, so it builds only with the
// vision tag.
package camera
