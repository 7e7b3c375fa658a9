//go:build vision

#include "face.h"

#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/objdetect/face.hpp>

namespace {

struct Detector {
	cv::Ptr<cv::FaceDetectorYN> yn;
	cv::Size size;
	cv::Mat faces;
};

struct Recognizer {
	cv::Ptr<cv::FaceRecognizerSF> sf;
	cv::Mat aligned, flipped, feat;
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

void feature(Recognizer *r, const cv::Mat &aligned, int flip, float *out, int cap, int *n) {
	r->sf->feature(aligned, r->feat);
	copyFeature(r->feat, out, cap, 0, n);
	if (flip) {
		int n2 = 0;
		cv::flip(aligned, r->flipped, 1);
		r->sf->feature(r->flipped, r->feat);
		copyFeature(r->feat, out, cap, *n, &n2);
		if (n2 != *n) CV_Error(cv::Error::StsBadSize, "flipped feature has another length");
	}
}

} // namespace

extern "C" {

char *rg_detector_new(const char *model, int w, int h, float score, float nms, int top_k, RGDetector *out) {
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
		if (m.size() != d->size) {
			d->yn->setInputSize(m.size());
			d->size = m.size();
		}
		d->faces.release();
		d->yn->detect(m, d->faces);
		if (d->faces.empty()) return;
		if (d->faces.type() != CV_32F || d->faces.cols != 15 || !d->faces.isContinuous())
			CV_Error(cv::Error::StsBadSize, "detector output is not Nx15 float: is this a YuNet 2022mar model?");
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

void rg_recognizer_free(RGRecognizer r) { delete static_cast<Recognizer *>(r); }

char *rg_recognizer_align(RGRecognizer rp, RGMat img, const float *face, RGMat aligned) {
	return guard([&] {
		Recognizer *r = static_cast<Recognizer *>(rp);
		r->sf->alignCrop(*static_cast<cv::Mat *>(img), faceRow(face), *static_cast<cv::Mat *>(aligned));
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

char *rg_imdecode(const unsigned char *buf, int len, RGMat out) {
	return guard([&] {
		cv::Mat raw(1, len, CV_8U, const_cast<unsigned char *>(buf));
		cv::imdecode(raw, cv::IMREAD_COLOR, static_cast<cv::Mat *>(out));
	});
}

void rg_set_num_threads(int n) { cv::setNumThreads(n); }

int rg_get_num_threads(void) { return cv::getNumThreads(); }

} // extern "C"
