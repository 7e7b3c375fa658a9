#!/usr/bin/env bash
# Links the face engine against only the OpenCV modules it calls, instead of
# every module pkg-config's opencv4 names (highgui alone brings Qt5 and ICU
# into the process). Source it for the CGO_* variables and $VISION_TAGS, or
# run a command under them:
#
#   vision/slimcv.sh go build -tags vision,customenv ./agent/cmd/roomgate
#
# customenv makes gocv take its flags from CGO_CPPFLAGS/CGO_LDFLAGS (and
# vision/face drop its pkg-config line). gocv compiles wrappers for every
# module it covers, so each C function gets its own section and the linker
# drops the ones nothing calls (--gc-sections), with the references to
# highgui, video and photo they hold. calib3d, features2d and flann are
# loaded anyway as objdetect's own dependencies; gocv's calib3d and
# features2d wrappers must still name them on the command line.
opencv_modules="objdetect calib3d features2d flann dnn imgproc core"
CGO_CPPFLAGS="$(pkg-config --cflags opencv4)" || return 1 2>/dev/null || exit 1
export CGO_CPPFLAGS
export CGO_CFLAGS="-O2 -g -ffunction-sections -fdata-sections"
export CGO_CXXFLAGS="$CGO_CFLAGS"
export CGO_LDFLAGS="-Wl,--gc-sections $(printf -- '-lopencv_%s ' $opencv_modules)"
export VISION_TAGS=vision,customenv
if [ "${BASH_SOURCE[0]}" = "$0" ] && [ $# -gt 0 ]; then
	exec "$@"
fi
