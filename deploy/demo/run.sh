#!/usr/bin/env bash
# The README's first command: installs what the demo needs, builds roomgate
# (with the face engine) and roomgate-city, and runs the whole chain on this
# machine: a scanner on a pseudo-terminal, a camera playing the bundled
# sample video, the agent with a simulated door, a local Mosquitto with the
# city's TLS and ACL setup, and the city's ingest storing every record in
# run/city.db. Scan a pass from another terminal with deploy/demo/scan.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/install-deps.sh demo
export PATH=$PATH:/usr/local/go/bin

run=deploy/demo/run
mkdir -p "$run"
go build -tags vision -o "$run/roomgate" ./agent/cmd/roomgate
go build -o "$run/roomgate-city" ./deploy/city/cmd/roomgate-city
city=$run/roomgate-city

pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null' EXIT

# Certificates, made once: the broker's, the box's (CN = its device id) and
# the city services' (ingest; ops for trust and commands), all from a
# development CA that lives only here.
[ -f "$run/ca/ca.pem" ] || "$city" ca init -dir "$run/ca" >/dev/null
[ -f "$run/ca/broker.pem" ] || "$city" ca server -dir "$run/ca" -name broker -hosts localhost,127.0.0.1 >/dev/null
for cn in demo-box-01 city-ingest city-ops; do
	[ -f "$run/ca/$cn.pem" ] || "$city" ca client -dir "$run/ca" -cn "$cn" >/dev/null
done

# The delegates the camera knows, enrolled from their photos once (only
# their face templates are kept, in run/roomgate.db).
if [ ! -f "$run/enrolled" ]; then
	"$run/roomgate" enroll --config deploy/demo/roomgate.yaml --csv deploy/demo/media/people.csv
	touch "$run/enrolled"
fi

# The broker runs as whoever runs the demo, so it can read the keys here.
cp deploy/mosquitto/acl "$run/acl"
mkdir -p "$run/mosquitto"
{ echo "user $(id -un)"; cat deploy/mosquitto/demo.conf; } >"$run/mosquitto.conf"
(cd "$run" && exec mosquitto -c mosquitto.conf 2>mosquitto.log) &
pids+=($!)
for _ in $(seq 50); do (: </dev/tcp/127.0.0.1/8883) 2>/dev/null && break; sleep 0.1; done
(: </dev/tcp/127.0.0.1/8883) 2>/dev/null || { cat "$run/mosquitto.log" >&2; echo "demo: the broker did not start" >&2; exit 1; }

"$city" ingest -db "sqlite:$run/city.db" -id city-ingest-demo \
	-ca "$run/ca/ca.pem" -cert "$run/ca/city-ingest.pem" -key "$run/ca/city-ingest.key" 2>"$run/ingest.log" &
pids+=($!)

rm -f "$run/scanner" "$run/scanner-device"
socat pty,raw,echo=0,link="$run/scanner-device" pty,raw,echo=0,link="$run/scanner" &
pids+=($!)
for _ in $(seq 50); do [ -e "$run/scanner" ] && break; sleep 0.1; done

cat >&2 <<TXT
roomgate demo: status page http://127.0.0.1:8080 ; scan a pass with deploy/demo/scan.sh
  broker log $run/mosquitto.log, city ingest log $run/ingest.log, city database $run/city.db
TXT
"$run/roomgate" agent --config deploy/demo/roomgate.yaml
