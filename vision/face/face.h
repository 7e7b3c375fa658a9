//go:build vision

// The C side of the wrapper. Every function that can fail returns NULL or
// an error string the caller frees with free().
#ifndef ROOMGATE_FACE_H
#define ROOMGATE_FACE_H

#ifdef __cplusplus
extern "C" {
#endif

typedef void *RGDetector;
typedef void *RGRecognizer;
// RGMat is a cv::Mat*, the same pointer gocv's Mat.Ptr() returns.
typedef void *RGMat;

// max_width above 0 has wider images detected on a copy scaled down to it.
char *rg_detector_new(const char *model, int w, int h, float score, float nms, int top_k, int max_width, RGDetector *out);
void rg_detector_free(RGDetector d);
// rg_detector_detect sets the input size to the image's (or its scaled
// copy's) when it changed, runs YuNet and points *rows at n rows of 15
// floats in the image's own pixels, owned by d (valid until the next call
// on d).
char *rg_detector_detect(RGDetector d, RGMat img, const float **rows, int *n);

char *rg_recognizer_new(const char *model, RGRecognizer *out);
// rg_recognizer_new_chip loads an ONNX network taking a side x side RGB
// chip (raw 0..255, NCHW) through cv::dnn.
char *rg_recognizer_new_chip(const char *model, int side, RGRecognizer *out);
void rg_recognizer_free(RGRecognizer r);
// rg_recognizer_warp warps img by the 2x3 matrix m (row-major) onto the
// chip recognizer's side x side chip.
char *rg_recognizer_warp(RGRecognizer r, RGMat img, const double *m, RGMat aligned);
// rg_recognizer_embed_chip is warp then feature in one call.
char *rg_recognizer_embed_chip(RGRecognizer r, RGMat img, const double *m, int flip, float *out, int cap, int *n);
// face is one detector row: box (4), landmarks (10), score.
char *rg_recognizer_align(RGRecognizer r, RGMat img, const float *face, RGMat aligned);
// rg_recognizer_feature writes up to cap floats of the feature of aligned,
// and, when flip, of its mirror image after them; *n is one feature's
// length.
char *rg_recognizer_feature(RGRecognizer r, RGMat aligned, int flip, float *out, int cap, int *n);
// rg_recognizer_embed is align then feature in one call.
char *rg_recognizer_embed(RGRecognizer r, RGMat img, const float *face, int flip, float *out, int cap, int *n);

void rg_set_num_threads(int n);
int rg_get_num_threads(void);

#ifdef __cplusplus
}
#endif

#endif
