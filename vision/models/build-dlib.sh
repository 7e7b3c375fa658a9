#!/usr/bin/env bash
# make models: fetch @vladmandic/face-api at a pinned version, check the
# tarball's sha256, extract it into the cache and convert dlib's face
# recognition ResNet to vision/models/face_recognition_dlib_resnet_v1.onnx
# (checked against the sha256 recorded in vision/models/models.go).
# The cache is ${ROOMGATE_CACHE:-${XDG_CACHE_HOME:-~/.cache}/roomgate}.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=$PATH:/usr/local/go/bin

pkg=@vladmandic/face-api@1.7.15
tarball=vladmandic-face-api-1.7.15.tgz
tarball_sha256=0d77fffeef362ef9c0939cf6c567f3a2e8e177f114fa257a3270cbd2e509b031
cache=${ROOMGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/roomgate}
dest=$cache/face-api-1.7.15
mkdir -p "$cache"

if [ ! -f "$cache/$tarball" ]; then
	echo "models: npm pack $pkg into $cache" >&2
	(cd "$cache" && npm pack --silent "$pkg" >/dev/null)
fi
got=$(sha256sum "$cache/$tarball" | cut -d' ' -f1)
if [ "$got" != "$tarball_sha256" ]; then
	echo "models: $cache/$tarball has sha256 $got, want $tarball_sha256: not the pinned $pkg; delete it and run make models again" >&2
	exit 1
fi
# The 68-point landmarker is only the alignment test's reference (vision/face).
if [ ! -f "$dest/.extracted" ] || [ ! -f "$dest/package/model/face_landmark_68_model.bin" ]; then
	rm -rf "$dest"
	mkdir -p "$dest"
	tar -xzf "$cache/$tarball" -C "$dest" package/model/face_recognition_model-weights_manifest.json \
		package/model/face_recognition_model.bin package/dist/face-api.js package/LICENSE package/package.json \
		package/model/face_landmark_68_model-weights_manifest.json package/model/face_landmark_68_model.bin
	touch "$dest/.extracted"
fi
go run ./vision/cmd/dlibconv -weights "$dest/package/model" -out vision/models/face_recognition_dlib_resnet_v1.onnx -check
