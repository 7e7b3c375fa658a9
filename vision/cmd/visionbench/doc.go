// Command visionbench measures the face engine beside python3-opencv
// running the same models, in the same run:
//
//   - LFW verification on pairs_dev.txt (5 folds, threshold chosen on the
//     other folds) through vision/face, with and without flip-averaging,
//     beside cv2.FaceRecognizerSF (vision/bench/lfw_reference.py);
//   - latency per 640x480 frame with one face, detect + align + embed,
//     one thread and all threads, beside cv2.FaceDetectorYN and
//     cv2.FaceRecognizerSF (vision/bench/latency_reference.py).
//
// Run: go run -tags vision ./vision/cmd/visionbench (about 3 minutes on 2
// cores). CI runs a small variant in about 35 s:
//
//	go run -tags vision ./vision/cmd/visionbench -folds 1 -frames 60 -rounds 3 -check -max-ratio 1.3
package main
