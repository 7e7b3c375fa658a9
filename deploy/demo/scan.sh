#!/usr/bin/env bash
# Issues a demo pass and "scans" it: writes it, with a CR, to the demo
# scanner's pseudo-terminal. Extra flags go to `roomgate-city pass issue`,
# e.g. deploy/demo/scan.sh -aud demo-hq/back-gate   (a wrong-gate denial)
#      deploy/demo/scan.sh -raw 'garbage'     (scan any text as it is)
#      deploy/demo/scan.sh -sub P-an -name "Nguyễn Văn An"   (a delegate's personal pass: QR check-in)
set -euo pipefail
cd "$(dirname "$0")"
run=${ROOMGATE_DEMO_RUN:-run}
[ -e "$run/scanner" ] || { echo "scan.sh: start the demo first (deploy/demo/run.sh)" >&2; exit 1; }
if [ "${1:-}" = "-raw" ]; then
	text=$2
else
	text=$("$run/roomgate-city" pass issue -key demo-city.key -kid demo-city -iss city \
		-sub V-0001 -name "Lê Thị Hoa" -host "Phòng Hành chính" -aud demo-hq/main-gate -valid 8h "$@")
fi
printf '%s\r' "$text" > "$run/scanner"
echo "scanned ${#text} bytes; see the kiosk" >&2
