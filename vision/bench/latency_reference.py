#!/usr/bin/python3
"""Latency reference for visionbench: one frame, detect + align + embed.

Run with Debian's /usr/bin/python3 (python3-opencv). It runs YuNet through
cv2.FaceDetectorYN and the recognizer through cv2.FaceRecognizerSF (or cv2.dnn on a
face chip, chip_reference.py) on the same frame file the Go path reads, exactly as the Go path does per frame
(detect, largest face, alignCrop, feature), and prints one line of JSON.
"""
import argparse
import json
import sys
import time

import cv2
import numpy as np

from chip_reference import Recognizer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--detector", required=True)
    ap.add_argument("--recognizer", required=True)
    ap.add_argument("--frame", required=True)
    ap.add_argument("--threads", type=int, default=-1, help="cv2.setNumThreads; -1 keeps OpenCV's default")
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--score", type=float, default=0.8)
    ap.add_argument("--chip", type=int, default=0, help="the model takes a chip of this side through cv2.dnn (0: FaceRecognizerSF)")
    ap.add_argument("--chip-template", default="", help="with --chip: the five landmarks on the chip, x0,y0,...,x4,y4")
    a = ap.parse_args()
    if a.threads >= 0:
        cv2.setNumThreads(a.threads)
    img = cv2.imread(a.frame)
    if img is None:
        sys.exit("latency_reference: cannot read " + a.frame)
    h, w = img.shape[:2]
    det = cv2.FaceDetectorYN.create(a.detector, "", (320, 320), a.score, 0.3, 5000)
    rec = Recognizer(a.recognizer, a.chip, a.chip_template)
    det.setInputSize((w, h))

    def once():
        _, faces = det.detect(img)
        if faces is None or len(faces) == 0:
            return 0, None
        face = max(faces, key=lambda f: f[2] * f[3])
        aligned = rec.align_face(img, face)
        return len(faces), rec.feature(aligned)

    for _ in range(a.warmup):
        once()
    times = []
    nfaces = 0
    for _ in range(a.frames):
        t0 = time.perf_counter()
        nfaces, feat = once()
        times.append(time.perf_counter() - t0)
    times_ms = [1000 * t for t in times]
    print(json.dumps({
        "opencv": cv2.__version__,
        "threads": cv2.getNumThreads(),
        "faces": nfaces,
        "frames": len(times_ms),
        "ms": times_ms,
    }))


if __name__ == "__main__":
    main()
