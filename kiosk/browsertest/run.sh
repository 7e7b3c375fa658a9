#!/usr/bin/env bash
# The kiosk's browser tests: starts the demo (deploy/demo/run.sh) in a fresh
# run directory, so its meeting starts with nobody checked in, and drives
# the kiosk in Debian's Chromium with playwright-core. Screenshots of each
# screen go to $ROOMGATE_SCREENSHOTS (default kiosk/browsertest/screenshots).
# On a failure it prints the demo's logs and exits non-zero.
#
#   kiosk/browsertest/run.sh                 all tests
#   kiosk/browsertest/run.sh --test-name-pattern secretary
#
# ROOMGATE_DEMO_SKIP_DEPS=1 skips the demo's apt step (CI installs first).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$here"
[ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund

run=$(mktemp -d "${TMPDIR:-/tmp}/roomgate-browsertest.XXXXXX")
freeport() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
port=$(freeport)
export ROOMGATE_DEMO_RUN=$run ROOMGATE_DEMO_HTTP=127.0.0.1:$port ROOMGATE_KIOSK_URL=http://127.0.0.1:$port
export ROOMGATE_DEMO_POLY_TCP=127.0.0.1:$(freeport)
export ROOMGATE_SCREENSHOTS=${ROOMGATE_SCREENSHOTS:-$here/screenshots}
# The meeting's check-in opens a little after the agent starts, when the
# page is surely open: a greeting pushed before the page connected would
# never be seen, and the first delegate passes the camera within half a
# second of the agent's start.
export ROOMGATE_DEMO_CHECKIN_OPENS=${ROOMGATE_DEMO_CHECKIN_OPENS:-+20 sec}

# The demo in its own process group, so that it and all it started
# (broker, ingest, socat, agent) stop together.
setsid "$root/deploy/demo/run.sh" >"$run/demo.log" 2>&1 &
demo=$!
status=1
finish() {
	kill -- -"$demo" 2>/dev/null || true
	wait "$demo" 2>/dev/null || true
	if [ "$status" != 0 ]; then
		for f in "$run"/*.log; do
			[ -f "$f" ] && { echo "=== $f"; tail -n 200 "$f"; }
		done >&2
		echo "browsertest: FAILED; the demo's run directory is $run" >&2
	else
		rm -rf "$run"
	fi
}
trap finish EXIT

# The demo builds and enrols before its agent starts; the tests wait for
# the kiosk's /api/status themselves.
until grep -q '^roomgate demo:' "$run/demo.log" 2>/dev/null; do
	kill -0 "$demo" 2>/dev/null || { echo "browsertest: the demo stopped before its agent started" >&2; exit 1; }
	sleep 0.2
done
node --test --test-concurrency=1 --test-reporter=spec "$@" test/
status=0
