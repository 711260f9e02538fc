#!/usr/bin/env bash
# t-badimage.sh: recovering (mosrun -R) or decoding (mosrun -I) a bad image
# fails with a clear message and exit status 1; nothing crashes or hangs.
source "$(dirname "$0")/../lib.sh"
mktmp
d=$T
TAMPER=$TOP/$B/tools/imgtamper

# Make one good image of a small workload.
GO=$d/go
MOSTEST_GO=$GO mosrun -C "$d/ck" "$PROGS/brk" >"$d/out" 2>&1 &
mr=$!
pid=$(ready_pid "$d/out" 20)
mosmigrate "$pid" chkexit >/dev/null 2>&1
wait_exit $mr 20 >/dev/null
if [ ! -s "$d/ck.1" ]; then
	t_fail badimage/setup "no image was written"
	exit 0
fi
size=$(stat -c %s "$d/ck.1")

# expect NAME FILE PATTERN: both -R and -I refuse FILE with PATTERN in the message.
expect() {
	local name=$1 f=$2 pat=$3 rc out
	for mode in -R -I; do
		out=$(MOSTEST_GO=$GO timeout 20 mosrun $mode "$f" 2>&1 >/dev/null)
		rc=$?
		if [ $rc -ne 1 ] || ! grep -Eq -- "$pat" <<<"$out"; then
			t_fail "badimage/$name$mode" "exit $rc, message: $out"
			return
		fi
	done
	t_pass "badimage/$name"
}

expect missing "$d/nonexistent" "No such file"
: >"$d/empty"
expect empty "$d/empty" "truncated"
head -c $((size / 2)) "$d/ck.1" >"$d/half"
expect truncated "$d/half" "truncated"
head -c $((size - 1)) "$d/ck.1" >"$d/short"
expect truncated-end "$d/short" "truncated"
expect not-an-image /etc/passwd "not a process image"
cp "$d/ck.1" "$d/version"
printf '\x63' | dd of="$d/version" bs=1 seek=8 conv=notrunc status=none
expect wrong-version "$d/version" "version 99 is not supported"
# A version 1 image (256 KiB page records, no alignment) is refused by name.
printf '\x01' | dd of="$d/version" bs=1 seek=8 conv=notrunc status=none
expect old-version-1 "$d/version" "version 1 is not supported \(this is version 3\)"
for off in 120 1000 $((size / 3)) $((size / 2)) $((size - 20)); do
	cp "$d/ck.1" "$d/flip"
	b=$(od -An -tu1 -j "$off" -N1 "$d/ck.1" | tr -d ' ')
	printf "\\x$(printf %02x $(((b + 1) % 256)))" | dd of="$d/flip" bs=1 seek="$off" conv=notrunc status=none
	expect "flipped-byte-at-$off" "$d/flip" "corrupted"
done

# Well-formed images that do not fit this machine: refused by -R only.
expect_restore() {
	local name=$1 f=$2 pat=$3 out rc
	out=$(MOSTEST_GO=$GO timeout 20 mosrun -R "$f" 2>&1 >/dev/null)
	rc=$?
	if [ $rc -eq 1 ] && grep -Eq -- "$pat" <<<"$out"; then
		t_pass "badimage/$name"
	else
		t_fail "badimage/$name" "exit $rc, message: $out"
	fi
}
"$TAMPER" "$d/ck.1" "$d/vdso" vdso && expect_restore other-kernel-vdso "$d/vdso" "different kernel"
"$TAMPER" "$d/ck.1" "$d/uid" uid 4242 && expect_restore other-user "$d/uid" "belongs to uid 4242"

# Control: an untampered rewrite recovers and passes (the tool itself is sound).
touch "$GO"
"$TAMPER" "$d/ck.1" "$d/copy" copy
out=$(MOSTEST_GO=$GO timeout 30 mosrun -R "$d/copy" 2>&1)
if grep -q "^PASS brk" <<<"$out"; then
	t_pass badimage/control-copy-recovers
else
	t_fail badimage/control-copy-recovers "$out"
fi
