#!/bin/sh
# Runs devices/door's GPIOSim tests against a real Linux kernel: boots Debian's
# amd64 kernel under QEMU with the gpio-sim module (built here out of tree,
# Debian does not ship it) and a busybox initramfs holding the test binary.
#
# Needs root on Debian bookworm amd64 (it installs what is missing).
# Work and cache: ${TMPDIR:-/tmp}/roomgate-gpiosim. Exits non-zero if the
# guest's tests fail or do not report.
set -eu

repo=$(cd "$(dirname "$0")/../.." && pwd)
work=${TMPDIR:-/tmp}/roomgate-gpiosim
timeout=${GPIOSIM_TIMEOUT:-600}
PATH=$PATH:/usr/local/go/bin

log() { echo "gpiosim: $*" >&2; }
die() { log "$*"; exit 1; }

# Packages: the kernel image and headers come through their meta-packages;
# the exact version (its ABI number moves) is read back from them below.
pkgs="linux-image-amd64 linux-headers-amd64 linux-source-6.1 qemu-system-x86 busybox-static cpio kmod xz-utils build-essential"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	log "installing$missing"
	apt-get update -qq
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
fi

kver=$(dpkg-query -W -f='${Depends}' linux-image-amd64 | sed -n 's/.*linux-image-\([0-9][^ ,]*-amd64\).*/\1/p')
[ -n "$kver" ] || die "cannot tell which kernel linux-image-amd64 depends on"
for p in "linux-image-$kver" "linux-headers-$kver"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$p"
done
kernel=/boot/vmlinuz-$kver
headers=/usr/src/linux-headers-$kver
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
[ -r "$kernel" ] || die "$kernel missing (package linux-image-$kver)"
[ -d "$headers" ] || die "$headers missing (package linux-headers-$kver)"
log "kernel $kver, source $srcver"

# Modules, cached by kernel and source version.
cache=$work/cache/$kver-$srcver
if [ ! -f "$cache/gpio-sim.ko" ] || [ ! -f "$cache/irq_sim.ko" ]; then
	build=$work/build
	rm -rf "$build" && mkdir -p "$build"
	log "extracting gpio-sim and irq_sim from linux-source-6.1"
	tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$build" --strip-components=3 \
		linux-source-6.1/drivers/gpio/gpio-sim.c linux-source-6.1/drivers/gpio/gpiolib.h \
		linux-source-6.1/kernel/irq/irq_sim.c
	# irq_to_desc is not exported to modules; generic_handle_irq does the same.
	grep -q 'handle_simple_irq(irq_to_desc(irqnum))' "$build/irq_sim.c" ||
		die "irq_sim.c changed: the patch no longer applies"
	sed -i 's/handle_simple_irq(irq_to_desc(irqnum))/generic_handle_irq(irqnum)/' "$build/irq_sim.c"
	printf '\n#include <linux/module.h>\nMODULE_LICENSE("GPL");\n' >>"$build/irq_sim.c"
	echo 'obj-m += irq_sim.o gpio-sim.o' >"$build/Makefile"
	log "building modules against $headers"
	make -s -C "$headers" M="$build" modules >"$build/make.log" 2>&1 || {
		cat "$build/make.log" >&2
		die "module build failed"
	}
	mkdir -p "$cache"
	cp "$build/irq_sim.ko" "$build/gpio-sim.ko" "$cache/"
fi

# configfs is a module in Debian's kernel; it may be compressed.
if [ ! -f "$cache/configfs.ko" ]; then
	cfs=$(find "/lib/modules/$kver/kernel/fs/configfs" -name 'configfs.ko*' 2>/dev/null | head -n1)
	[ -n "$cfs" ] || die "configfs.ko not found under /lib/modules/$kver"
	case $cfs in
	*.xz) xz -dc "$cfs" >"$cache/configfs.ko" ;;
	*.zst) zstd -qdc "$cfs" >"$cache/configfs.ko" ;;
	*) cp "$cfs" "$cache/configfs.ko" ;;
	esac
fi

# The test binary: static, so the initramfs needs no libc.
root=$work/root
rm -rf "$root" && mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/mod"
log "building door.test"
(cd "$repo" && CGO_ENABLED=0 go test -c -o "$root/door.test" ./devices/door)
cp /bin/busybox "$root/bin/busybox"
cp "$cache/configfs.ko" "$cache/irq_sim.ko" "$cache/gpio-sim.ko" "$root/mod/"
cat >"$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

setup() {
	insmod /mod/configfs.ko && insmod /mod/irq_sim.ko && insmod /mod/gpio-sim.ko &&
		mount -t configfs configfs /sys/kernel/config || return 1
	c=/sys/kernel/config/gpio-sim/chip0
	mkdir $c $c/bank0 && echo 8 >$c/bank0/num_lines && echo roomgate-sim >$c/bank0/label || return 1
	i=0
	for n in relay green_led red_led buzzer door_sensor exit_button spare7 spare8; do
		mkdir $c/bank0/line$i && echo $n >$c/bank0/line$i/name || return 1
		i=$((i + 1))
	done
	echo 1 >$c/live || return 1
	dev=$(cat $c/dev_name) && chip=$(cat $c/bank0/chip_name) || return 1
	export ROOMGATE_GPIOSIM_CHIP=/dev/$chip ROOMGATE_GPIOSIM_SYSFS=/sys/devices/platform/$dev/$chip
	echo "gpio-sim: $ROOMGATE_GPIOSIM_CHIP, lines in $ROOMGATE_GPIOSIM_SYSFS"
}

if setup; then
	/door.test -test.v -test.count=1 -test.timeout=5m -test.run GPIOSim
	code=$?
else
	echo "gpio-sim setup failed"
	code=125
fi
echo "GPIOSIM-RESULT $code"
# isa-debug-exit makes QEMU exit with code<<1|1; poweroff is the fallback.
printf "\\$(printf %03o $code)" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
poweroff -f
EOF
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.gz"

log "booting $kernel under qemu (no KVM), timeout ${timeout}s"
out=$work/console.log
start=$(date +%s)
set +e
timeout "$timeout" qemu-system-x86_64 -m 512M -smp 2 -nographic -no-reboot \
	-kernel "$kernel" -initrd "$work/initramfs.gz" \
	-append "console=ttyS0 panic=-1 loglevel=4" \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 </dev/null >"$out" 2>&1
qemu=$?
set -e
tr -d '\r' <"$out"
log "qemu exited $qemu after $(($(date +%s) - start))s"

result=$(tr -d '\r' <"$out" | sed -n 's/^GPIOSIM-RESULT \([0-9][0-9]*\)$/\1/p' | tail -n1)
[ -n "$result" ] || die "FAIL: no GPIOSIM-RESULT line (guest crashed or timed out)"
[ "$result" -eq 0 ] || die "FAIL: guest tests exited $result"
[ "$qemu" -eq 1 ] || die "FAIL: guest reported success but qemu exited $qemu, want 1 (0<<1|1)"
log "PASS"
