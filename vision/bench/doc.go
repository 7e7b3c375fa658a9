// Package bench holds the measurement side of visionbench, in pure Go so
// it is tested without OpenCV: the LFW pairs list, k-fold verification
// accuracy with the threshold chosen on the other folds, the open-set
// identification protocol and its rates (rank-1, false rejects,
// misidentifications, false accepts), same-against-different summaries,
// and latency summaries. The Python reference scripts that run the same
// models through python3-opencv live beside it (lfw_reference.py,
// latency_reference.py).
package bench
