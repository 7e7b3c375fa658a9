#!/usr/bin/env bash
# The packages on this machine, as root (CI runs it): build them (make deb),
# check them with dpkg-deb and lintian, install them, provision the box by
# claim against a test city (roomgate-city enrol, a Mosquitto with the
# shipped TLS + ACL config and roomgate-city ingest), make records while the broker is down, upgrade to a
# newer build, check every record reached the city exactly once, then remove
# and purge. No systemd runs here: the agent is started as the package's
# user the way its unit would, and the maintainer scripts must cope.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
[ "$(id -u)" = 0 ] || { echo "packaging test: run as root (it installs packages)" >&2; exit 1; }
export PATH=$PATH:/usr/local/go/bin
export DEBIAN_FRONTEND=noninteractive

work=$(mktemp -d)
chmod 0755 "$work"
pids=()
cleanup() {
	kill "${pids[@]}" 2>/dev/null || true
	wait 2>/dev/null || true
	apt-get purge -y -qq roomgate roomgate-city >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "packaging test: $*" >&2
	for f in "$work"/*.log; do [ -f "$f" ] && { echo "=== $f"; tail -n 40 "$f"; } >&2; done
	exit 1
}
check() { echo "  ok: $*"; }
# waitfor waits up to $1 seconds for a command to succeed.
waitfor() {
	local secs=$1 what=$2
	shift 2
	for _ in $(seq $((secs * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	fail "$what: not within ${secs}s"
}

v1=0.0.1+test1 v2=0.0.1+test2
echo "== build (make deb)"
ROOMGATE_VERSION=$v1 deploy/packaging/build.sh
ROOMGATE_VERSION=$v2 ROOMGATE_ARCHES=amd64 deploy/packaging/build.sh
box=dist/roomgate_${v1}_amd64.deb newer=dist/roomgate_${v2}_amd64.deb cityd=dist/roomgate-city_${v1}_amd64.deb

echo "== dpkg-deb --info / --contents"
dpkg-deb --info "$box" >/dev/null
depends=$(dpkg-deb -f "$box" Depends)
grep -q 'libopencv-dnn406' <<<"$depends" || fail "amd64 Depends lacks OpenCV 4.6's runtime: $depends"
! grep -q -- '-dev' <<<"$depends" || fail "amd64 Depends names a -dev package: $depends"
! grep -qE 'libopencv-(highgui|video|videoio|imgcodecs|photo)406' <<<"$depends" || fail "amd64 Depends names an OpenCV module the engine never calls (vision/slimcv.sh): $depends"
check "amd64 depends on the OpenCV 4.6 runtime libraries the engine calls, no -dev"
for arch in arm64 armhf; do
	d=$(dpkg-deb -f "dist/roomgate_${v1}_${arch}.deb" Depends)
	! grep -q opencv <<<"$d" || fail "$arch is gate-only yet depends on OpenCV: $d"
	! dpkg-deb --contents "dist/roomgate_${v1}_${arch}.deb" | grep -q face_recognition || fail "$arch is gate-only yet ships a face recogniser"
done
check "arm64 and armhf have no OpenCV dependency and no face recogniser"
contents=$(dpkg-deb --contents "$box")
for f in ./usr/bin/roomgate ./lib/systemd/system/roomgate.service ./lib/systemd/system/roomgate-kiosk.service \
	./etc/roomgate/roomgate.yaml ./usr/share/doc/roomgate/copyright ./usr/share/roomgate/models/face_detection_yunet_2022mar.onnx \
	./usr/share/roomgate/models/face_recognition_dlib_resnet_v1.onnx; do
	grep -q " $f\$" <<<"$contents" || fail "$box lacks $f"
done
! grep -q mobilefacenet <<<"$contents" || fail "the research-only recogniser must not be shipped"
dpkg-deb -e "$box" "$work/control"
grep -qx /etc/roomgate/roomgate.yaml "$work/control/conffiles" || fail "the config is not a conffile"
check "files, conffile, dlib's recogniser, no research-only model"

echo "== lintian"
lint=$(lintian --tag-display-limit 0 dist/*_"$v1"_*.deb 2>&1 | grep -v 'running with root privileges' || true)
echo "$lint"
! grep -q '^E:' <<<"$lint" || fail "lintian reports errors"
check "lintian: no errors"

echo "== install"
start=$(date +%s.%N)
apt-get install -y -qq "./$cityd" "./$box" >"$work/apt.log" 2>&1 || fail "apt-get install"
installed=$(date +%s.%N)
id -nG roomgate | tr ' ' '\n' | grep -qx dialout || fail "roomgate is not in dialout"
id -nG roomgate | tr ' ' '\n' | grep -qx video || fail "roomgate is not in video"
[ "$(stat -c '%U:%G %a' /etc/roomgate)" = "root:roomgate 750" ] || fail "/etc/roomgate is $(stat -c '%U:%G %a' /etc/roomgate)"
[ "$(stat -c '%U:%G %a' /etc/roomgate/roomgate.yaml)" = "root:roomgate 640" ] || fail "the config is $(stat -c '%U:%G %a' /etc/roomgate/roomgate.yaml)"
[ "$(stat -c '%U:%G %a' /var/lib/roomgate)" = "roomgate:roomgate 700" ] || fail "/var/lib/roomgate is $(stat -c '%U:%G %a' /var/lib/roomgate)"
runuser -u roomgate -- roomgate config validate /etc/roomgate/roomgate.yaml || fail "the package's config does not validate"
check "user, groups, modes; the unprovisioned config validates"
# The installed agent finds dlib's recogniser in /usr/share/roomgate/models
# (run from /, away from the checkout's vision/models) and enrols with it.
mkdir -p "$work/enrolcheck"
cp deploy/demo/media/enrol/P-obama.jpg "$work/enrolcheck/"
printf 'identity: {site: pkg, gate: pkg, device: pkg}\nboard: sim\nstore: {path: %s/enrolcheck/roomgate.db}\n' "$work" >"$work/enrolcheck/roomgate.yaml"
chown -R roomgate "$work/enrolcheck"
(cd / && runuser -u roomgate -- roomgate enroll --config "$work/enrolcheck/roomgate.yaml" --id P-obama --name Obama "$work/enrolcheck/P-obama.jpg") \
	>"$work/enrolcheck.log" 2>&1 || { cat "$work/enrolcheck.log"; fail "the installed roomgate cannot enrol with its shipped recogniser"; }
grep -q '1 accepted, 0 refused' "$work/enrolcheck.log" || { cat "$work/enrolcheck.log"; fail "the installed roomgate did not enrol the photo"; }
check "the installed roomgate enrols with dlib's recogniser from /usr/share/roomgate/models"

echo "== a test city"
city=$work/city
mkdir -p "$city/mosquitto"
roomgate-city ca init -dir "$city/ca" >/dev/null
roomgate-city ca crl -dir "$city/ca" >/dev/null
roomgate-city ca server -dir "$city/ca" -name broker -hosts localhost,127.0.0.1 >/dev/null
roomgate-city ca client -dir "$city/ca" -cn city-ingest >/dev/null
roomgate-city keygen -kid city-ops -out "$city/keys" >/dev/null 2>&1
cp deploy/mosquitto/acl "$city/acl"
{ echo "user root"; cat deploy/mosquitto/demo.conf; } >"$city/mosquitto.conf"
broker() {
	(cd "$city" && exec mosquitto -c mosquitto.conf 2>>"$work/mosquitto.log") &
	broker_pid=$!
	pids+=($broker_pid)
	waitfor 10 "the broker listens" bash -c ': </dev/tcp/127.0.0.1/8883'
}
broker
roomgate-city ingest -db "sqlite:$city/city.db" -ca "$city/ca/ca.pem" \
	-cert "$city/ca/city-ingest.pem" -key "$city/ca/city-ingest.key" 2>"$work/ingest.log" &
pids+=($!)

# The scanner: a pty the agent's user may open, as a USB one in dialout.
socat pty,raw,echo=0,link="$work/scanner-device",user=roomgate,mode=600 pty,raw,echo=0,link="$work/scanner" &
pids+=($!)
waitfor 5 "the scanner's pty" test -e "$work/scanner"

# The enrolment server; its first config for a gate carries the city's
# standard gate: here the scanner on the pty and the kiosk on a test port.
cat >"$city/standard-gate.yaml" <<YAML
scanners:
  - {name: front-scanner, type: serial, path: $work/scanner-device, baud: 9600, terminator: any}
policy: {pulse: 1s, safe_state: fail-secure, clock_source: trusted}
http: {listen: 127.0.0.1:18080}
YAML
roomgate-city enrol -listen 127.0.0.1:8443 -hosts 127.0.0.1 -dir "$city/enrol" -ca-dir "$city/ca" \
	-broker ssl://127.0.0.1:8883 -city-key "$city/keys/city-ops.pub" -issuer demo-city=city:deploy/demo/demo-city.pub \
	-peripherals gate="$city/standard-gate.yaml" >"$work/enrol.out" 2>"$work/enrol.log" &
pids+=($!)
waitfor 10 "the enrolment server listens" bash -c ': </dev/tcp/127.0.0.1/8443'

agent() {
	runuser -u roomgate -- roomgate agent --config /etc/roomgate/roomgate.yaml >>"$work/agent.log" 2>&1 &
	agent_pid=$!
	pids+=($agent_pid)
}
stop_agent() {
	kill "$agent_pid"
	wait "$agent_pid" 2>/dev/null || true
}

echo "== unprovisioned, then provisioned"
agent
waitfor 20 "the agent says it is unprovisioned" grep -q unprovisioned "$work/agent.log"
said=$(runuser -u roomgate -- roomgate doctor 2>&1 || true)
grep -q 'not provisioned yet' <<<"$said" || fail "roomgate doctor on an unprovisioned box does not say so: $said"
# City IT makes a claim; the technician gives it to the box (here on the
# command line, which has the running agent provision, as the kiosk shows).
claim=$(roomgate-city claim create -dir "$city/enrol" -ca-dir "$city/ca" -url https://127.0.0.1:8443 \
	-device pkg-box-01 -kind gate -site pkg-site -gate main-gate -board sim -valid 1h -png "$work/claim.png" | grep '^RGCLAIM1:')
[ "$(stat -c %a "$work/claim.png")" = 600 ] || fail "the claim's PNG is not private"
provision_start=$(date +%s.%N)
printf '%s\n' "$claim" | roomgate provision - >"$work/provision.txt" 2>&1 || { cat "$work/provision.txt"; fail "roomgate provision"; }
cat "$work/provision.txt"
awk -v s="$provision_start" -v e="$(date +%s.%N)" 'BEGIN { printf "  measured: roomgate provision %.2f s\n", e - s }'
grep -q 'Provisioned' "$work/provision.txt" || fail "roomgate provision did not say the box is provisioned"
[ "$(stat -c '%U %a' /var/lib/roomgate/provisioning/device.key)" = "roomgate 600" ] || fail "device.key is $(stat -c '%U %a' /var/lib/roomgate/provisioning/device.key)"
waitfor 30 "the agent runs on the provisioned config" grep -q 'running on the provisioned config' "$work/agent.log"
printf '%s\n' "$claim" | roomgate provision - >"$work/provision-again.txt" 2>&1 && fail "a claim provisioned twice"
grep -q 'stop it first' "$work/provision-again.txt" || { cat "$work/provision-again.txt"; fail "a used claim is not refused plainly"; }
check "provisioned by claim; a provisioned, running box refuses another provisioning"
waitfor 30 "the agent connects to the city" grep -q '"connected"\|msg=connected' "$work/agent.log"
# The self-test a technician runs next, through the running agent; 0 is all
# ok, 2 warnings only (the simulated board's door has no sensor wired).
doctor_start=$(date +%s.%N)
rc=0
runuser -u roomgate -- roomgate doctor >"$work/doctor.txt" 2>&1 || rc=$?
cat "$work/doctor.txt"
[ "$rc" = 0 ] || [ "$rc" = 2 ] || fail "roomgate doctor on the provisioned box: exit $rc"
awk -v s="$doctor_start" -v e="$(date +%s.%N)" 'BEGIN { printf "  measured: roomgate doctor %.1f s\n", e - s }'

entries() {
	roomgate-city events -db "sqlite:$city/city.db" -device pkg-box-01 -type vn.roomgate.entry.v1 -n 100 -json 2>/dev/null | grep -c . || true
}
scan() {
	local text
	text=$(roomgate-city pass issue -key deploy/demo/demo-city.key -kid demo-city -iss city \
		-sub "V-$1" -name "Khách $1" -host "Phòng Hành chính" -aud pkg-site/main-gate -valid 1h)
	printf '%s\r' "$text" >"$work/scanner"
}
scan 1
waitfor 60 "the first entry stored at the city" bash -c "[ \"\$(roomgate-city events -db sqlite:$city/city.db -device pkg-box-01 -type vn.roomgate.entry.v1 -json 2>/dev/null | grep -c .)\" -ge 1 ]"
first=$(date +%s.%N)
awk -v s="$start" -v i="$installed" -v f="$first" 'BEGIN { printf "  measured: apt-get install %.1f s; install to the first record stored at the city %.1f s (provisioning by claim included)\n", i - s, f - s }'

echo "== records while the broker is down, and an upgrade"
kill "$broker_pid"
wait "$broker_pid" 2>/dev/null || true
for n in 2 3 4; do
	scan "$n"
	sleep 1.5 # the door's pulse and anti-passback are per visitor; a pause keeps the scans apart
done
stop_agent
# With the agent stopped the command provisions by itself: the used claim
# is refused by the city, and the provisioning stays as it was.
cp /var/lib/roomgate/provisioning/device.pem "$work/device-before.pem"
printf '%s\n' "$claim" | roomgate provision - >"$work/provision-used.txt" 2>&1 && fail "a used claim provisioned the box again"
grep -q 'token_used' "$work/provision-used.txt" || { cat "$work/provision-used.txt"; fail "a used claim is not refused with token_used"; }
cmp -s /var/lib/roomgate/provisioning/device.pem "$work/device-before.pem" || fail "a refused provisioning changed the box's certificate"
check "a used claim is refused (token_used) and the provisioning kept"
cp /etc/roomgate/roomgate.yaml "$work/config-before"
apt-get install -y -qq "./$newer" >>"$work/apt.log" 2>&1 || fail "upgrade"
[ "$(roomgate version)" != "" ] && roomgate version | grep -q "$v2" || fail "roomgate version after the upgrade: $(roomgate version)"
cmp -s /etc/roomgate/roomgate.yaml "$work/config-before" || fail "the upgrade changed the config"
[ -f /var/lib/roomgate/roomgate.db ] && [ -f /var/lib/roomgate/provisioning/roomgate.yaml ] || fail "the upgrade lost the store or the provisioning"
check "upgraded to $v2; config, store and provisioning kept"
agent
broker
waitfor 90 "every record at the city" bash -c "[ \"\$(roomgate-city events -db sqlite:$city/city.db -device pkg-box-01 -type vn.roomgate.entry.v1 -json 2>/dev/null | grep -c .)\" -ge 4 ]"
sleep 2 # a duplicate would come now, if at all
rows=$(roomgate-city events -db "sqlite:$city/city.db" -device pkg-box-01 -type vn.roomgate.entry.v1 -n 100 -json)
total=$(grep -c . <<<"$rows")
distinct=$(grep -o '"id":"[^"]*"' <<<"$rows" | sort -u | grep -c .)
[ "$total" = 4 ] && [ "$distinct" = 4 ] || fail "the city has $total entries ($distinct distinct) of pkg-box-01, want 4 once each"
check "4 entries at the city, each once"

echo "== remove and purge"
stop_agent
apt-get remove -y -qq roomgate >>"$work/apt.log" 2>&1 || fail "remove"
[ -f /var/lib/roomgate/roomgate.db ] && [ -f /etc/roomgate/roomgate.yaml ] || fail "remove must keep the store and the config"
check "remove keeps the store and the config"
apt-get purge -y -qq roomgate roomgate-city >>"$work/apt.log" 2>&1 || fail "purge"
[ ! -e /var/lib/roomgate ] && [ ! -e /etc/roomgate ] || fail "purge left /var/lib/roomgate or /etc/roomgate"
! getent passwd roomgate >/dev/null || fail "purge left the roomgate user"
check "purge removes the store, the config and the users"
echo "packaging test: passed"
