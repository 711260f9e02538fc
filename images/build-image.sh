#!/usr/bin/env bash
# images/build-image.sh OUTDIR: build the mosix guest image from Debian packages.
#
# OUTDIR gets (all or nothing, replaced by one rename at the end):
#   base.qcow2    ext4 root file system (Debian bookworm minbase, openssh-server,
#                 iproute2, the libraries our programs need, our binaries, init)
#   vmlinux       the Debian kernel, uncompressed, for PVH direct boot
#   initrd.img    tiny initramfs: preinit + the few modules needed to mount root
#   image.info    what went in (kernel version, sizes, input hash)
# Cached: nothing is rebuilt when the hash of the inputs (this script, init,
# preinit, package list, mirror, our binaries and man pages) matches OUTDIR/image.info. The
# Debian part (debootstrap + packages + kernel) is cached on its own in
# OUTDIR.cache/, so changing only our binaries rebuilds in seconds.
#
# Env: MIRROR, SECURITY (default: the Debian mirrors apt uses), SUITE (bookworm),
#      B (build dir with bin/ and progs/, default build), FORCE=1 (ignore cache).
set -euo pipefail

usage() { echo "usage: $0 OUTDIR" >&2; exit 2; }
[ $# -eq 1 ] || usage
case "$1" in -h | --help) usage ;; esac

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
OUT=$(realpath -m "$1")
CACHE=$OUT.cache
B=${B:-build}
case "$B" in /*) ;; *) B=$TOP/$B ;; esac
SUITE=${SUITE:-bookworm}
# man-db (and its groff-base) so that `man mosrun` works on a node; Debian's
# own man pages stay out (path-exclude below), ours go to /usr/local/share/man.
# ncurses-term: terminfo for the terminals users ssh in from (mmon).
BASE_PACKAGES="openssh-server iproute2 kmod procps less man-db ncurses-term"
# Modules for root on virtio-blk/ext4, virtio-net, fw_cfg and virtio-rng (sshd
# needs the kernel's RNG ready: without a seed it waits seconds), in load order
# after modprobe --show-depends expands their dependencies.
MODULES="virtio_pci virtio_blk virtio_net ext4 qemu_fw_cfg virtio_rng"
T0=$(date +%s.%N)
WORK=""
WORK_BASE=""

step() { printf '[image %5.1fs] %s\n' "$(echo "$(date +%s.%N) - $T0" | bc)" "$*"; }
fail() { echo "build-image: error: $*" >&2; exit 1; }

# cleanup: never leave a half-built tree (or a mounted /proc) behind.
cleanup() {
	local rc=$? d
	for d in "$WORK" "$WORK_BASE"; do
		[ -n "$d" ] && [ -d "$d" ] || continue
		umount -l "$d/root/proc" 2>/dev/null || true
		rm -rf --one-file-system "$d"
	done
	[ $rc -ne 0 ] && echo "build-image: FAILED (exit $rc); $OUT left unchanged" >&2
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# find_mirror PATH DEFAULT: the mirror apt is configured with whose URI ends in
# PATH (/debian or /debian-security), deb822 or one-line format.
find_mirror() {
	local m
	m=$(awk '/^URIs:/ { print $2 }' /etc/apt/sources.list.d/*.sources 2>/dev/null |
		grep -m1 -E "$1/?\$" || true)
	[ -n "$m" ] || m=$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
		awk '{ print $2 }' | grep -m1 -E "$1/?\$" || true)
	echo "${m:-$2}"
}

check_tools() {
	[ "$(id -u)" -eq 0 ] || fail "must run as root (debootstrap, chroot, mknod)"
	local t
	for t in debootstrap mkfs.ext4 qemu-img depmod modprobe gcc cpio sha256sum bc python3; do
		command -v "$t" >/dev/null || fail "missing tool '$t' (install images/deps.txt)"
	done
}

# hash_files FILE...: one hash over names and contents (missing files skipped).
hash_files() {
	local f
	for f in "$@"; do
		[ -f "$f" ] && printf '%s\n' "${f#"$TOP"/}" && sha256sum <"$f"
	done | sha256sum | cut -c1-16
}

# Our man pages that go into the guest (guestd's commands', mmon's; hostctl's
# stays on the host).
our_man_pages() {
	find "$TOP/guestd/man" "$TOP/monitor" -maxdepth 1 -type f -name '*.[18]' | sort
}

# Programs that go into the guest (hostctl runs on the host only).
our_binaries() {
	find "$B/bin" "$B/progs" -maxdepth 1 -type f -perm -u+x ! -name hostctl 2>/dev/null | sort
}

# lib_packages: the Debian packages holding the shared libraries our binaries
# link (found with ldd and dpkg -S on this host, which built them).
lib_packages() {
	local l p
	# shellcheck disable=SC2046
	for l in $(for f in $(our_binaries); do ldd "$f" 2>/dev/null; done |
		awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u); do
		p=$(dpkg -S "$l" 2>/dev/null || dpkg -S "$(realpath "$l")" 2>/dev/null ||
			dpkg -S "/usr$l" 2>/dev/null) ||
			{ echo "build-image: warning: $l (needed by our binaries) is in no package" >&2; continue; }
		echo "${p%%:*}"
	done | sort -u | tr '\n' ' '
}

MIRROR=${MIRROR:-$(find_mirror /debian http://deb.debian.org/debian)}
SECURITY=${SECURITY:-$(find_mirror /debian-security http://deb.debian.org/debian-security)}
PACKAGES="$BASE_PACKAGES $(lib_packages)"
PACKAGES=${PACKAGES% }
BASE_KEY=$(printf '%s\n' "$SUITE" "$MIRROR" "$SECURITY" "$PACKAGES" "$MODULES" "$(hash_files "$HERE/$(basename "$0")")" |
	sha256sum | cut -c1-16)
# shellcheck disable=SC2046
FULL_KEY=$(printf '%s\n' "$BASE_KEY" "$(hash_files "$HERE/init.sh" "$HERE/preinit.c" \
	$(find "$HERE/overlay" -type f | sort) $(our_binaries) $(our_man_pages))" |
	sha256sum | cut -c1-16)

up_to_date() {
	[ -z "${FORCE:-}" ] && [ -f "$OUT/base.qcow2" ] && [ -f "$OUT/vmlinux" ] &&
		[ -f "$OUT/initrd.img" ] && grep -qx "inputs=$FULL_KEY" "$OUT/image.info" 2>/dev/null
}

# debootstrap_base DIR: minbase + our packages + the kernel .deb unpacked aside.
debootstrap_base() {
	local d=$1 r=$1/root
	step "debootstrap $SUITE minbase from $MIRROR"
	debootstrap --variant=minbase "$SUITE" "$r" "$MIRROR" >"$d/debootstrap.log" 2>&1 ||
		fail "debootstrap failed (network to $MIRROR? disk space?): see tail below
$(tail -n 15 "$d/debootstrap.log")"
	# Services must not start inside the build chroot.
	printf '#!/bin/sh\nexit 101\n' >"$r/usr/sbin/policy-rc.d"
	chmod 755 "$r/usr/sbin/policy-rc.d"
	# No docs or translations in a node image.
	cat >"$r/etc/dpkg/dpkg.cfg.d/01-mosix-nodoc" <<-'EOF'
		path-exclude /usr/share/doc/*
		path-exclude /usr/share/info/*
		path-exclude /usr/share/locale/*
		path-exclude /usr/share/man/*
	EOF
	mount -t proc proc "$r/proc"
	# point releases and security updates too: nodes run sshd
	cat >"$r/etc/apt/sources.list" <<-EOF
		deb $MIRROR $SUITE main
		deb $MIRROR $SUITE-updates main
		deb $SECURITY $SUITE-security main
	EOF
	step "apt-get update, upgrade"
	{ chroot "$r" apt-get update -q && chroot "$r" apt-get upgrade -y -q; } >"$d/apt.log" 2>&1 ||
		fail "apt-get update/upgrade in the new root failed: $(tail -n 15 "$d/apt.log")"
	step "apt-get install $PACKAGES"
	chroot "$r" apt-get install -y -q --no-install-recommends $PACKAGES >>"$d/apt.log" 2>&1 ||
		fail "package install failed: $(tail -n 15 "$d/apt.log")"
	fetch_kernel "$d"
	chroot "$r" apt-get clean
	umount "$r/proc"
	rm -f "$r/etc/ssh/ssh_host_"* "$r/usr/sbin/policy-rc.d"
	rm -rf "$r/var/lib/apt/lists/"* "$r/var/cache/apt/"*.bin "$r/var/log/"*.log
}

# fetch_kernel DIR: download the kernel package the chroot's apt picks and unpack it to DIR/kernel.
fetch_kernel() {
	local d=$1 r=$1/root pkg
	pkg=$(chroot "$r" apt-cache depends linux-image-amd64 |
		awk '/Depends: linux-image-/ { print $2; exit }')
	[ -n "$pkg" ] || fail "cannot resolve linux-image-amd64 in $SUITE"
	step "download kernel $pkg"
	chroot "$r" sh -c "cd /tmp && apt-get download -q $pkg" >"$d/kernel.log" 2>&1 ||
		fail "kernel download failed: $(tail -n 5 "$d/kernel.log")"
	mkdir -p "$d/kernel"
	dpkg-deb -x "$r"/tmp/"$pkg"_*.deb "$d/kernel"
	rm -f "$r"/tmp/*.deb
}

# extract_vmlinux VMLINUZ OUT: the bzImage carries an xz-compressed ELF; unpack
# it for PVH direct boot (twice as fast to boot under TCG as the bzImage).
extract_vmlinux() {
	python3 - "$1" "$2" <<-'EOF'
		import lzma, sys
		data = open(sys.argv[1], "rb").read()
		start = data.find(b"\xfd7zXZ\x00")
		if start < 0:
		    sys.exit("no xz stream in " + sys.argv[1])
		d = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
		elf = d.decompress(data[start:])
		if elf[:4] != b"\x7fELF":
		    sys.exit("decompressed kernel is not an ELF")
		open(sys.argv[2], "wb").write(elf)
	EOF
}

# make_initrd KDIR KVER OUT: preinit + needed modules as a newc cpio.
make_initrd() {
	local kd=$1 kver=$2 out=$3 s=$WORK/initrd m f
	mkdir -p "$s/lib/modules" "$s/dev" "$s/root" "$s/proc" "$s/sys"
	mknod -m 600 "$s/dev/console" c 5 1
	gcc -static -Os -s -std=gnu11 -Wall -Wextra -Werror -o "$s/init" "$HERE/preinit.c"
	depmod -b "$kd" "$kver"
	: >"$s/modules.list"
	for m in $MODULES; do
		modprobe -d "$kd" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }' |
			while read -r f; do
				grep -qx "$(basename "$f")" "$s/modules.list" && continue
				cp "$f" "$s/lib/modules/"
				basename "$f" >>"$s/modules.list"
			done
	done
	(cd "$s" && find . | cpio -o -H newc --quiet) >"$out"
	step "initrd: $(wc -l <"$s/modules.list") modules, $(du -k "$out" | cut -f1) KiB"
}

# base_stage: the cached Debian part (rootfs + kernel tree).
base_stage() {
	if [ -z "${FORCE:-}" ] && [ -f "$CACHE/$BASE_KEY/done" ]; then
		step "Debian base cached ($CACHE/$BASE_KEY)"
		return
	fi
	rm -rf --one-file-system "$CACHE"
	mkdir -p "$CACHE"
	local d=$CACHE/tmp.$$
	WORK_BASE=$d
	mkdir -p "$d"
	debootstrap_base "$d"
	touch "$d/done"
	mv "$d" "$CACHE/$BASE_KEY"
	WORK_BASE=""
}

# install_ours ROOT: init, images/overlay/ and our binaries.
install_ours() {
	local r=$1 f
	install -m 755 "$HERE/init.sh" "$r/sbin/init.mosix"
	ln -sf init.mosix "$r/sbin/init"
	# init makes no directories (each mkdir is an exec): they are in the image;
	# /run stays on disk so /run/sshd need not be made at boot either
	mkdir -p "$r/usr/local/bin" "$r/usr/local/sbin" "$r/usr/local/lib/mosix/progs" \
		"$r/run/sshd" "$r/tmp"
	install -d -m 700 "$r/etc/mosix" "$r/root/.ssh"
	# files that go into the image as they are (sshd config, ...)
	cp -r --no-preserve=ownership "$HERE/overlay/." "$r/"
	local n=0 gid
	# mosrun is setgid to the cluster's group: guestd gives node connections
	# (session keys) only to root and that group (guestd.8)
	chroot "$r" groupadd -f -r mosix || fail "groupadd mosix"
	gid=$(chroot "$r" getent group mosix | cut -d: -f3)
	for f in $(our_binaries); do
		case "$f" in
		"$B"/bin/guestd) install -m 755 "$f" "$r/usr/local/sbin/" ;;
		"$B"/bin/mosrun) install -m 2755 -g "$gid" "$f" "$r/usr/local/bin/" ;;
		"$B"/bin/*) install -m 755 "$f" "$r/usr/local/bin/" ;;
		"$B"/progs/*) install -m 755 "$f" "$r/usr/local/lib/mosix/progs/" ;;
		esac
		n=$((n + 1))
	done
	for f in $(our_man_pages); do
		install -D -m 644 "$f" "$r/usr/local/share/man/man${f##*.}/$(basename "$f")"
	done
	step "installed init, $n of our binaries from $B and $(our_man_pages | wc -l) man pages"
}

# make_disk ROOT OUTDIR: ext4 from the tree, then qcow2.
make_disk() {
	local r=$1 o=$2 mb
	mb=$(du -sm "$r" | cut -f1)
	mb=$((mb * 13 / 10 + 512))
	step "mkfs.ext4 ${mb} MiB from the tree ($(du -sm "$r" | cut -f1) MiB used)"
	mkfs.ext4 -q -F -L mosixroot -d "$r" -E root_owner=0:0 "$WORK/root.raw" "${mb}M" >/dev/null ||
		fail "mkfs.ext4 failed (disk space?)"
	step "convert to qcow2"
	qemu-img convert -O qcow2 "$WORK/root.raw" "$o/base.qcow2" || fail "qemu-img convert failed"
	rm -f "$WORK/root.raw"
}

main() {
	check_tools
	mkdir -p "$(dirname "$OUT")"
	# one build per OUTDIR at a time (make check runs may overlap)
	exec 9>"$OUT.lock"
	flock 9
	if up_to_date; then
		step "image up to date in $OUT (inputs $FULL_KEY)"
		exit 0
	fi
	mkdir -p "$(dirname "$OUT")"
	base_stage
	local kd=$CACHE/$BASE_KEY/kernel kver
	kver=$(ls "$kd/lib/modules")
	WORK=$(mktemp -d "$OUT.new.XXXXXX")
	mkdir -p "$WORK/out"
	step "copy Debian base"
	cp -a "$CACHE/$BASE_KEY/root" "$WORK/root"
	install_ours "$WORK/root"
	step "extract vmlinux from vmlinuz-$kver"
	extract_vmlinux "$kd/boot/vmlinuz-$kver" "$WORK/out/vmlinux" || fail "vmlinux extraction failed"
	make_initrd "$kd" "$kver" "$WORK/out/initrd.img"
	make_disk "$WORK/root" "$WORK/out"
	cat >"$WORK/out/image.info" <<-EOF
		format=mosix-image 1
		inputs=$FULL_KEY
		suite=$SUITE
		mirror=$MIRROR $SECURITY
		kernel=$kver
		packages=$PACKAGES
		built=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	EOF
	rm -rf --one-file-system "$OUT.old"
	[ -e "$OUT" ] && mv "$OUT" "$OUT.old"
	mv "$WORK/out" "$OUT"
	rm -rf --one-file-system "$OUT.old"
	step "done: $OUT ($(du -sh "$OUT" | cut -f1))"
}

main
