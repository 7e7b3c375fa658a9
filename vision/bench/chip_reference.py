"""The recognizer of the Python references: cv2.FaceRecognizerSF, or, with a
chip template, the model through cv2.dnn on a face chip warped by the
least-squares similarity from the five landmarks to the template (the Go
path's geom.Similarity, written again here so a mistake in one shows)."""
import cv2
import numpy as np


def similarity(src, dst):
    """2x3 matrix of the rotation, scale and shift taking src onto dst."""
    src, dst = np.asarray(src, np.float64), np.asarray(dst, np.float64)
    ms, md = src.mean(0), dst.mean(0)
    p, q = src - ms, dst - md
    norm = (p * p).sum()
    c = (p * q).sum() / norm
    s = (p[:, 0] * q[:, 1] - p[:, 1] * q[:, 0]).sum() / norm
    r = np.array([[c, -s], [s, c]])
    return np.hstack([r, (md - r @ ms).reshape(2, 1)])


def floats(s):
    return [float(x) for x in s.split(",")] if s else []


class Recognizer:
    def __init__(self, model, chip=0, template=""):
        self.chip = chip
        if chip:
            self.net = cv2.dnn.readNetFromONNX(model)
            self.template = np.array(floats(template)).reshape(5, 2)
        else:
            self.sf = cv2.FaceRecognizerSF.create(model, "")

    def align(self, img, landmarks):
        """landmarks: five (x, y) in YuNet's order."""
        m = similarity(np.asarray(landmarks).reshape(5, 2), self.template)
        return cv2.warpAffine(img, m, (self.chip, self.chip), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)

    def align_face(self, img, face):
        """face: one FaceDetectorYN row."""
        if not self.chip:
            return self.sf.alignCrop(img, face)
        return self.align(img, face[4:14])

    def feature(self, aligned):
        if not self.chip:
            return self.sf.feature(aligned)
        self.net.setInput(cv2.dnn.blobFromImage(aligned, 1.0, swapRB=True))
        return self.net.forward()
