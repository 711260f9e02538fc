#!/usr/bin/env bash
# hub.sh BUILD_DIR: issue 11's benchmark. (1) gossip ages for 16, 64 and 256
# nodes on gossip-only instances of guestd's gossip code (gossip_bench)
# beside the closed forms, and the time a joining node takes to be known by
# all; (2) guestd's own CPU and memory when idle, with 0 and with 200
# registered processes, on a netns test cluster. Tables into OUT/hub.md,
# plots gossip.png and hub.png. Targets: ages at or below the formula's;
# idle guestd below 0.5% of a CPU and 8 MiB resident.
set -eu
B=${1:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP"
OUT=${OUT:-tests/bench/out}
SECS=${SECS:-30} # each CPU measurement window
mkdir -p "$OUT"
export PATH=$TOP/$B/bin:$PATH MOSIX_CLUSTER_STATE=/tmp/mosix-cluster-hubbench-$$
CL=tests/cluster/cluster
W=$(mktemp -d /var/tmp/mosix-hubbench.XXXXXX)
trap '$CL down >/dev/null 2>&1; rm -rf "$W"' EXIT

{
	echo "# guestd as the node's hub: benchmark"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r), $(nproc) cores," \
		"commit $(git rev-parse --short HEAD 2>/dev/null || echo '?');" \
		"load average at start $(cut -d' ' -f1-3 /proc/loadavg)."
	echo
} | tee "$OUT/hub.md"
"$TOP/$B/bench/gossip_bench" "$OUT" 100 | tee -a "$OUT/hub.md"

# cpu_rss PID SECS: "cpu% rss_kib" of PID over SECS seconds.
cpu_rss() {
	local pid=$1 s=$2 a b rss hz
	hz=$(getconf CLK_TCK)
	a=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
	sleep "$s"
	b=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
	awk -v a="$a" -v b="$b" -v s="$s" -v hz="$hz" -v r="$rss" 'BEGIN { printf "%.3f %d\n", (b - a) / hz / s * 100, r }'
}
# registered NODE: how many processes NODE's guestd has registered.
registered() {
	$CL exec "$1" mosctl localstatus --json |
		python3 -c 'import json,sys; print(len(json.load(sys.stdin)["processes"]))'
}

$CL up 2 --force >/dev/null
read -r GP _ <"$MOSIX_CLUSTER_STATE/n1/guestd.pid"
sleep 3
read -r c0 r0 < <(cpu_rss "$GP" "$SECS")
$CL exec 1 mosrun sh -c 'for i in $(seq 200); do sleep 900 & done; wait' >/dev/null 2>&1 &
job=$!
for _ in $(seq 120); do
	n=$(registered 1)
	[ "$n" -ge 200 ] && break
	sleep 0.5
done
read -r c1 r1 < <(cpu_rss "$GP" "$SECS")
$CL exec 1 pkill -f 'sleep 900' || true
wait $job 2>/dev/null || true
{
	echo "## guestd at rest (node 1 of a 2-node netns cluster, step 1 s, ${SECS} s windows)"
	echo
	echo "| registered processes | CPU (% of one core) | resident (MiB) | target met (< 0.5%, < 8 MiB) |"
	echo "|--:|--:|--:|:-:|"
	for row in "0 $c0 $r0" "$n $c1 $r1"; do
		set -- $row
		awk -v p="$1" -v c="$2" -v r="$3" 'BEGIN { printf "| %d | %.3f | %.1f | %s |\n", p, c, r / 1024,
			(c < 0.5 && r < 8192) ? "yes" : "no" }'
	done
	echo
} | tee -a "$OUT/hub.md"
printf '0 %s %s\n%s %s %s\n' "$c0" "$r0" "$n" "$c1" "$r1" >"$OUT/hub.dat"

if command -v gnuplot >/dev/null; then
	term=png
	gnuplot -e 'set terminal' 2>&1 | grep -qw pngcairo && term=pngcairo
	gnuplot -e "out='$OUT'; term='$term'" tests/bench/hub.gp && echo "bench: plots $OUT/gossip.png $OUT/hub.png"
fi
