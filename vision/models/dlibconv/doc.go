// Package dlibconv converts dlib's face recognition ResNet, as the npm
// package @vladmandic/face-api ships it (TF.js weights: a JSON manifest and
// a .bin shard, mostly uint8-quantised), into an ONNX file OpenCV 4.6's dnn
// imports. It builds the network exactly as the package's
// src/faceRecognitionNet/ does, folds each scale layer (and the input
// normalisation) into the convolution before it, and writes the ONNX
// protobuf itself, so the conversion needs no Python, no cgo and no ONNX
// library. The same input bytes always give the same ONNX bytes.
package dlibconv
