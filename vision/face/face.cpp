//go:build vision

#include "face.h"

#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect/face.hpp>

namespace {

struct Detector {
	cv::Ptr<cv::FaceDetectorYN> yn;
	cv::Size size;
	int max_width = 0;
	cv::Mat small; // the frame scaled down to max_width
	cv::Mat faces;
};

// Recognizer runs either cv::FaceRecognizerSF (side 0: it aligns to its
// own 112x112 template) or a plain ONNX network through cv::dnn on a
// side x side chip warped by a matrix the caller computes.
struct Recognizer {
	cv::Ptr<cv::FaceRecognizerSF> sf;
	cv::dnn::Net net;
	int side = 0;
	cv::Mat aligned, flipped, feat, blob;
};

char *dup(const std::string &s) {
	std::string t = s;
	while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
	char *p = static_cast<char *>(std::malloc(t.size() + 1));
	if (p) std::memcpy(p, t.c_str(), t.size() + 1);
	return p;
}

// guard runs f and turns any C++ exception into an error string: an
// exception must never unwind into Go.
template <typename F> char *guard(F f) {
	try {
		f();
		return nullptr;
	} catch (const cv::Exception &e) {
		return dup(e.what());
	} catch (const std::exception &e) {
		return dup(std::string("c++ exception: ") + e.what());
	} catch (...) {
		return dup("unknown c++ exception");
	}
}

cv::Mat faceRow(const float *face) {
	// alignCrop reads the landmarks from a 1x15 CV_32F row; copy so the
	// caller's memory is never written.
	return cv::Mat(1, 15, CV_32F, const_cast<float *>(face)).clone();
}

void copyFeature(const cv::Mat &f, float *out, int cap, int off, int *n) {
	// A face recognizer gives one row; YuNet or a classifier run by
	// mistake gives other shapes.
	if (f.dims != 2 || f.rows != 1 || f.channels() != 1)
		CV_Error(cv::Error::StsBadSize, "output is not a 1xN feature: is this a face recognition model?");
	cv::Mat c = f.isContinuous() ? f : f.clone();
	c = c.reshape(1, 1);
	if (c.type() != CV_32F) c.convertTo(c, CV_32F);
	int len = static_cast<int>(c.total());
	if (len <= 0 || off + len > cap)
		CV_Error(cv::Error::StsBadSize, "feature has " + std::to_string(len) + " values, outside 1.." +
		                                   std::to_string(cap - off) + ": is this a face recognition model?");
	std::memcpy(out + off, c.ptr<float>(), sizeof(float) * len);
	*n = len;
}

void forward(Recognizer *r, const cv::Mat &aligned) {
	if (r->side == 0) {
		r->sf->feature(aligned, r->feat);
		return;
	}
	if (aligned.rows != r->side || aligned.cols != r->side)
		CV_Error(cv::Error::StsBadSize, "face chip is " + std::to_string(aligned.cols) + "x" + std::to_string(aligned.rows) +
		                                   ", the model takes " + std::to_string(r->side) + "x" + std::to_string(r->side));
	// Raw RGB 0..255, NCHW: the model's normalisation is inside its graph.
	cv::dnn::blobFromImage(aligned, r->blob, 1.0, cv::Size(), cv::Scalar(), true, false, CV_32F);
	r->net.setInput(r->blob);
	r->feat = r->net.forward();
}

void warp(Recognizer *r, const cv::Mat &img, const double *m, cv::Mat &out) {
	if (r->side == 0) CV_Error(cv::Error::StsError, "this recognizer aligns with FaceRecognizerSF, not a chip transform");
	cv::Mat M(2, 3, CV_64F, const_cast<double *>(m));
	cv::warpAffine(img, out, M, cv::Size(r->side, r->side), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar());
}

void feature(Recognizer *r, const cv::Mat &aligned, int flip, float *out, int cap, int *n) {
	forward(r, aligned);
	copyFeature(r->feat, out, cap, 0, n);
	if (flip) {
		int n2 = 0;
		cv::flip(aligned, r->flipped, 1);
		forward(r, r->flipped);
		copyFeature(r->feat, out, cap, *n, &n2);
		if (n2 != *n) CV_Error(cv::Error::StsBadSize, "flipped feature has another length");
	}
}

} // namespace

extern "C" {

char *rg_detector_new(const char *model, int w, int h, float score, float nms, int top_k, int max_width, RGDetector *out) {
	*out = nullptr;
	return guard([&] {
		Detector *d = new Detector();
		try {
			d->yn = cv::FaceDetectorYN::create(model, "", cv::Size(w, h), score, nms, top_k);
			if (d->yn.empty()) CV_Error(cv::Error::StsError, "FaceDetectorYN::create returned nothing");
		} catch (...) {
			delete d;
			throw;
		}
		d->size = cv::Size(w, h);
		d->max_width = max_width;
		*out = d;
	});
}

void rg_detector_free(RGDetector d) { delete static_cast<Detector *>(d); }

char *rg_detector_detect(RGDetector dp, RGMat img, const float **rows, int *n) {
	*rows = nullptr;
	*n = 0;
	return guard([&] {
		Detector *d = static_cast<Detector *>(dp);
		cv::Mat &m = *static_cast<cv::Mat *>(img);
		const cv::Mat *in = &m;
		double scale = 1;
		// A copy too flat for YuNet (under 64 rows) is not made.
		if (d->max_width > 0 && m.cols > d->max_width && m.rows * d->max_width >= 64 * m.cols) {
			scale = double(d->max_width) / m.cols;
			cv::resize(m, d->small, cv::Size(d->max_width, int(m.rows * scale + 0.5)), 0, 0, cv::INTER_AREA);
			in = &d->small;
		}
		if (in->size() != d->size) {
			d->yn->setInputSize(in->size());
			d->size = in->size();
		}
		d->faces.release();
		d->yn->detect(*in, d->faces);
		if (d->faces.empty()) return;
		if (d->faces.type() != CV_32F || d->faces.cols != 15 || !d->faces.isContinuous())
			CV_Error(cv::Error::StsBadSize, "detector output is not Nx15 float: is this a YuNet 2022mar model?");
		if (scale != 1) d->faces.colRange(0, 14) *= 1 / scale; // box and landmarks back in the frame's pixels
		*rows = d->faces.ptr<float>();
		*n = d->faces.rows;
	});
}

char *rg_recognizer_new(const char *model, RGRecognizer *out) {
	*out = nullptr;
	return guard([&] {
		Recognizer *r = new Recognizer();
		try {
			r->sf = cv::FaceRecognizerSF::create(model, "");
			if (r->sf.empty()) CV_Error(cv::Error::StsError, "FaceRecognizerSF::create returned nothing");
		} catch (...) {
			delete r;
			throw;
		}
		*out = r;
	});
}

char *rg_recognizer_new_chip(const char *model, int side, RGRecognizer *out) {
	*out = nullptr;
	return guard([&] {
		Recognizer *r = new Recognizer();
		try {
			if (side < 16 || side > 1024) CV_Error(cv::Error::StsBadArg, "chip side " + std::to_string(side) + " outside 16..1024");
			r->net = cv::dnn::readNetFromONNX(model);
			if (r->net.empty()) CV_Error(cv::Error::StsError, "readNetFromONNX returned an empty network");
			r->side = side;
		} catch (...) {
			delete r;
			throw;
		}
		*out = r;
	});
}

void rg_recognizer_free(RGRecognizer r) { delete static_cast<Recognizer *>(r); }

char *rg_recognizer_align(RGRecognizer rp, RGMat img, const float *face, RGMat aligned) {
	return guard([&] {
		Recognizer *r = static_cast<Recognizer *>(rp);
		r->sf->alignCrop(*static_cast<cv::Mat *>(img), faceRow(face), *static_cast<cv::Mat *>(aligned));
	});
}

char *rg_recognizer_warp(RGRecognizer rp, RGMat img, const double *m, RGMat aligned) {
	return guard([&] { warp(static_cast<Recognizer *>(rp), *static_cast<cv::Mat *>(img), m, *static_cast<cv::Mat *>(aligned)); });
}

char *rg_recognizer_embed_chip(RGRecognizer rp, RGMat img, const double *m, int flip, float *out, int cap, int *n) {
	*n = 0;
	return guard([&] {
		Recognizer *r = static_cast<Recognizer *>(rp);
		warp(r, *static_cast<cv::Mat *>(img), m, r->aligned);
		feature(r, r->aligned, flip, out, cap, n);
	});
}

char *rg_recognizer_feature(RGRecognizer rp, RGMat aligned, int flip, float *out, int cap, int *n) {
	*n = 0;
	return guard([&] { feature(static_cast<Recognizer *>(rp), *static_cast<cv::Mat *>(aligned), flip, out, cap, n); });
}

char *rg_recognizer_embed(RGRecognizer rp, RGMat img, const float *face, int flip, float *out, int cap, int *n) {
	*n = 0;
	return guard([&] {
		Recognizer *r = static_cast<Recognizer *>(rp);
		r->sf->alignCrop(*static_cast<cv::Mat *>(img), faceRow(face), r->aligned);
		feature(r, r->aligned, flip, out, cap, n);
	});
}

void rg_set_num_threads(int n) { cv::setNumThreads(n); }

int rg_get_num_threads(void) { return cv::getNumThreads(); }

} // extern "C"
