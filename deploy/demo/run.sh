#!/usr/bin/env bash
# The README's first command: installs what the demo needs, builds roomgate,
# makes the scanner's pseudo-terminal and runs the agent on the demo config.
# Scan a pass from another terminal with deploy/demo/scan.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/install-deps.sh demo

run=deploy/demo/run
mkdir -p "$run"
go build -o "$run/roomgate" ./agent/cmd/roomgate
go build -o "$run/roomgate-city" ./deploy/city/cmd/roomgate-city

rm -f "$run/scanner" "$run/scanner-device"
socat pty,raw,echo=0,link="$run/scanner-device" pty,raw,echo=0,link="$run/scanner" &
socat_pid=$!
trap 'kill $socat_pid 2>/dev/null' EXIT
for _ in $(seq 50); do [ -e "$run/scanner" ] && break; sleep 0.1; done

echo "roomgate demo: status page http://127.0.0.1:8080 ; scan a pass with deploy/demo/scan.sh" >&2
"$run/roomgate" agent --config deploy/demo/roomgate.yaml
