#!/usr/bin/env bash
# tests/bench/vm.sh [BUILD] [SIZES...]: the virtual-cluster appliance on this
# host (`make bench-vm`). For clusters of each size (default 2 3 4), one after
# the other: the wall time of `hostctl up` until every node's guestd sees
# every other node (what a user waits for), hostctl's own count from the
# first domain start to that point, each node's boot (guest uptime when its
# init says MOSIX-NODE-READY), and the host memory of each node's QEMU when
# idle (RSS and PSS from smaps; the kernel and base image are shared). Then
# `hostctl add` on the largest cluster: time until all nodes see the new one.
# Not a timed test: a table (tests/bench/out/vm.md) and a plot (vm.png),
# set against the targets: 3 nodes ready < 30 s under TCG, < 300 MB per idle
# node. Needs root, libvirt/qemu and the guest image (make image).
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-build}
[ $# -gt 0 ] && shift
case $B in /*) ;; *) B=$TOP/$B ;; esac
H=$B/bin/hostctl
IMAGE=${MOSIX_IMAGE:-$B/image}
OUT=$TOP/tests/bench/out
NAME=bench$$
SETTLE_S=10 # let the guests go idle before measuring memory
trap '"$H" down --name "$NAME" >/dev/null 2>&1' EXIT
trap 'exit 130' INT TERM

die() { echo "bench-vm: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run as root (libvirt qemu:///system)"
[ -x "$H" ] || die "no $H: make first"
"$TOP/images/build-image.sh" "$IMAGE" >/dev/null || die "image build failed"
mkdir -p "$OUT"
rm -f "$OUT/vm.md" "$OUT/vm.dat" "$OUT/vm.png"

# mem_of PID: "RSS PSS" in MiB from smaps.
mem_of() {
	awk '/^Rss:/ { r += $2 } /^Pss:/ { p += $2 } END { printf "%d %d", r / 1024, p / 1024 }' \
		"/proc/$1/smaps"
}

# boot_of N: guest uptime (s) at MOSIX-NODE-READY on node N's console.
boot_of() {
	sed -n 's/.*MOSIX-NODE-READY node=[0-9]* uptime=\([0-9.]*\).*/\1/p' \
		"/var/lib/mosix-hostctl/$NAME/n$1/console.log" 2>/dev/null | tail -n 1
}

# mean of the numbers on stdin, one decimal.
mean() { awk '{ s += $1; n++ } END { if (n) printf "%.1f", s / n; else printf "-" }'; }
maxof() { awk 'NR == 1 || $1 > m { m = $1 } END { if (NR) printf "%.1f", m; else printf "-" }'; }

# measure N: up -n N, then one table row; leaves the cluster up.
measure() {
	local n=$1 t0 wall ready out boots rss pss p k
	t0=$(date +%s.%N)
	out=$("$H" up -n "$n" --name "$NAME" --image "$IMAGE" 2>&1) || die "up -n $n failed: $out"
	wall=$(echo "$(date +%s.%N) - $t0" | bc)
	ready=$(echo "$out" | sed -n 's/.*ready \([0-9.]*\) s after start.*/\1/p')
	boots=$(for ((k = 1; k <= n; k++)); do boot_of "$k"; done)
	sleep "$SETTLE_S"
	rss="" pss=""
	for p in $(pgrep -f "guest=mosix-$NAME-n"); do
		read -r r s < <(mem_of "$p")
		rss="$rss $r" pss="$pss $s"
	done
	printf '| %d | %.1f | %s | %s | %s | %s | %s | %s |\n' "$n" "$wall" "$ready" \
		"$(echo "$boots" | mean)" "$(echo "$boots" | maxof)" \
		"$(echo "$rss" | tr ' ' '\n' | grep . | mean)" "$(echo "$pss" | tr ' ' '\n' | grep . | mean)" \
		"$(echo "$rss" | tr ' ' '\n' | grep . | maxof)"
	printf '%d %.1f %s %s %s %s\n' "$n" "$wall" "${ready:-0}" "$(echo "$boots" | mean)" \
		"$(echo "$rss" | tr ' ' '\n' | grep . | mean)" "$(echo "$pss" | tr ' ' '\n' | grep . | mean)" \
		>>"$OUT/vm.dat"
}

[ $# -gt 0 ] || set -- 2 3 4
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
{
	echo "# Virtual-cluster appliance: bring-up time and host memory"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), ${cpu:-unknown CPU}, $(nproc) cores," \
		"accelerator: $("$H" check --json 2>/dev/null | sed -n 's/.*"accel": *"\([a-z]*\)".*/\1/p')," \
		"commit $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo '?')," \
		"load average at start: $(cut -d' ' -f1-3 /proc/loadavg)."
	echo "Nodes: 256 MB, 1 vcpu each (hostctl up defaults). Targets: 3 nodes ready < 30 s" \
		"under TCG; < 300 MB host memory per idle node."
	echo
	echo "| nodes | up until all see all (s) | start to all see all (s) | node boot, mean (s) |" \
		"node boot, max (s) | RSS/node mean (MiB) | PSS/node mean (MiB) | RSS/node max (MiB) |"
	echo "|---|---|---|---|---|---|---|---|"
} | tee "$OUT/vm.md"
echo "# nodes up_wall_s start_to_all_s boot_mean_s rss_mean_mib pss_mean_mib" >"$OUT/vm.dat"
last=0
for n in "$@"; do
	[ "$last" -gt 0 ] && { "$H" down --name "$NAME" >/dev/null || die "down failed"; }
	measure "$n" | tee -a "$OUT/vm.md"
	last=$n
done
t0=$(date +%s.%N)
out=$("$H" add --name "$NAME" 2>&1) || die "add failed: $out"
add=$(echo "$(date +%s.%N) - $t0" | bc)
{
	echo
	printf '`hostctl add` to the %d-node cluster, until all %d nodes see each other: %.1f s.\n' \
		"$last" $((last + 1)) "$add"
	echo "Load average at end: $(cut -d' ' -f1-3 /proc/loadavg)."
} | tee -a "$OUT/vm.md"
"$H" down --name "$NAME" >/dev/null

if command -v gnuplot >/dev/null; then
	term=png
	gnuplot -e 'set terminal' 2>&1 | grep -qw pngcairo && term=pngcairo
	gnuplot -e "out='$OUT'; term='$term'" "$TOP/tests/bench/vm.gp" &&
		echo "bench-vm: plot in $OUT/vm.png"
fi
echo "bench-vm: table in $OUT/vm.md"
