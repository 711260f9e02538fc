#!/usr/bin/env bash
# tests/vm/bench-up.sh [SIZES...]: time `hostctl up` (whole command, and from
# the first domain start to every node answering ssh) and the host memory of
# each node's QEMU (RSS and PSS; the kernel file mapping is shared) for
# clusters of the given sizes (default 1 2 3). Not a test: prints a table.
# At most 3 nodes by default: boots are CPU-bound and this host has 2 cores.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
B=${B:-build}
H=$TOP/$B/bin/hostctl
NAME=bench$$
trap '"$H" down --name "$NAME" >/dev/null 2>&1' EXIT

# mem_of PID: "RSS PSS" in MiB from smaps.
mem_of() {
	awk '/^Rss:/ { r += $2 } /^Pss:/ { p += $2 } END { printf "%d %d", r / 1024, p / 1024 }' \
		"/proc/$1/smaps"
}

printf '%-6s %-10s %-14s %-24s\n' nodes "up (s)" "start->ssh (s)" "per node RSS/PSS (MiB)"
[ $# -gt 0 ] || set -- 1 2 3
for n in "$@"; do
	t0=$(date +%s.%N)
	out=$("$H" up -n "$n" --name "$NAME" 2>&1) || { echo "up -n $n failed: $out"; exit 1; }
	wall=$(echo "$(date +%s.%N) - $t0" | bc)
	ready=$(echo "$out" | sed -n 's/.*ready \([0-9.]*\) s after start.*/\1/p')
	sleep 5 # settle: let the guests go idle before measuring memory
	mem=""
	for p in $(pgrep -f "guest=mosix-$NAME-n"); do
		mem="$mem $(mem_of "$p" | tr ' ' /)"
	done
	printf '%-6s %-10.1f %-14s %-24s\n' "$n" "$wall" "$ready" "$mem"
	"$H" down --name "$NAME" >/dev/null || exit 1
done
