// Command visionbench measures the face engine, beside python3-opencv
// running the same models where there is a Python counterpart, in one run.
// Its sections (-sections, all by default):
//
//   - lfw: LFW verification on pairs_dev.txt (5 folds, threshold chosen on
//     the other folds) through vision/face, with and without
//     flip-averaging, beside cv2.FaceRecognizerSF
//     (vision/bench/lfw_reference.py);
//   - openset: open-set identification, check-in as it is, on the LFW
//     crops: one image enrolled per person with several, their other
//     images and the people with one image as probes, through
//     vision/gallery at Float32 and Int8 (rank-1, false rejects,
//     misidentifications, false accepts, the DIR/FAR curve, and the same by
//     gallery size);
//   - photos: end to end on the full photos of known_faces_small: detect,
//     quality gate, align, embed; same against different people, 1:N, and
//     the group photos;
//   - latency: per 640x480 frame with one face, detect + align + embed,
//     one thread and all threads, beside cv2.FaceDetectorYN and
//     cv2.FaceRecognizerSF (vision/bench/latency_reference.py).
//
// Run: go run -tags vision ./vision/cmd/visionbench (about 4 minutes on 2
// cores). CI runs a small variant in under a minute, in which -folds 1
// also limits the open-set section to the people of the first fold's
// pairs:
//
//	go run -tags vision ./vision/cmd/visionbench -folds 1 -frames 60 -rounds 3 -check -max-ratio 0
//
// -check fails the run if the Go path scores below Python, identifies
// fewer than -min-rank1 of the open-set probes, finds no face in or names
// the wrong person for a full photo, or (with -max-ratio above 0) is
// slower than Python by more than that ratio.
package main
