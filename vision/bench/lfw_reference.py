#!/usr/bin/python3
"""LFW reference for visionbench: the same model through python3-opencv.

Run with Debian's /usr/bin/python3 (python3-opencv). For each pair of the
pairs file (optionally only the first N folds) it feeds both aligned
112x112 crops to cv2.FaceRecognizerSF.feature, as the Go path does, and
prints one line per pair: "<index> <cosine> <cosine with flip-averaging>".
The accuracy is computed by visionbench from these, with the same code as
for the Go path, so only the embeddings differ between the two columns.
"""
import argparse
import os
import sys
import time

import cv2
import numpy as np

from chip_reference import Recognizer, floats


def unit(v):
    v = v.reshape(-1).astype(np.float64)
    n = np.linalg.norm(v)
    return v / n if n > 0 else v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--images", required=True)
    ap.add_argument("--pairs", required=True)
    ap.add_argument("--folds", type=int, default=0, help="only the first N folds (0: all)")
    ap.add_argument("--threads", type=int, default=-1, help="cv2.setNumThreads; -1 keeps OpenCV's default")
    ap.add_argument("--chip", type=int, default=0, help="the model takes a chip of this side through cv2.dnn (0: FaceRecognizerSF)")
    ap.add_argument("--chip-template", default="", help="with --chip: the five landmarks on the chip, x0,y0,...,x4,y4")
    ap.add_argument("--crop-template", default="", help="with --chip: the five landmarks on the 112x112 crops")
    a = ap.parse_args()
    if a.threads >= 0:
        cv2.setNumThreads(a.threads)

    with open(a.pairs) as f:
        lines = [l.split() for l in f if l.strip()]
    folds, n = int(lines[0][0]), int(lines[0][1])
    pairs = []
    for k, p in enumerate(lines[1:]):
        if a.folds and k // (2 * n) >= a.folds:
            break
        if len(p) == 3:
            pairs.append(((p[0], int(p[1])), (p[0], int(p[2]))))
        else:
            pairs.append(((p[0], int(p[1])), (p[2], int(p[3]))))

    rec = Recognizer(a.model, a.chip, a.chip_template)
    crop = floats(a.crop_template)
    feats = {}
    t0 = time.perf_counter()
    for pair in pairs:
        for name, i in pair:
            if (name, i) in feats:
                continue
            path = os.path.join(a.images, name, "%s_%04d.jpg" % (name, i))
            img = cv2.imread(path)
            if img is None:
                sys.exit("lfw_reference: cannot read " + path)
            if a.chip:
                img = rec.align(img, crop)
            f = unit(rec.feature(img))
            ff = unit(rec.feature(cv2.flip(img, 1)))
            feats[(name, i)] = (f, unit(f + ff))
    dt = time.perf_counter() - t0
    out = sys.stdout
    for k, (x, y) in enumerate(pairs):
        fx, fy = feats[x], feats[y]
        out.write("%d %.7f %.7f\n" % (k, float(fx[0] @ fy[0]), float(fx[1] @ fy[1])))
    sys.stderr.write("lfw_reference: OpenCV %s, %d images, %d pairs, %.1f s (%.1f ms per image, original and mirror)\n"
                     % (cv2.__version__, len(feats), len(pairs), dt, 1000 * dt / max(1, len(feats))))


if __name__ == "__main__":
    main()
