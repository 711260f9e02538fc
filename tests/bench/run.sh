#!/usr/bin/env bash
# tests/bench/run.sh [BUILD]: run the process-image engine benchmarks that
# `make` built into BUILD/bench (default build), print their markdown tables,
# and write tests/bench/out/engine.md plus PNG plots (gnuplot). Not a timed
# test: every figure is set beside a baseline measured in the same run.
# Needs root (ptrace of the targets, PR_SET_MM_MAP on restore).
set -euo pipefail

B=${1:-build}
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
case $B in
/*) BIN=$B/bench ;;
*) BIN=$TOP/$B/bench ;;
esac
OUT=$TOP/tests/bench/out
BENCHES="engine_throughput engine_downtime engine_compress"

die() { echo "bench: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (ptrace and PR_SET_MM_MAP need it)"
for b in $BENCHES; do
	[ -x "$BIN/$b" ] || die "$BIN/$b is missing: run make first"
done
mkdir -p "$OUT"
for f in engine.md throughput.dat downtime.dat compress.dat throughput.png downtime.png \
	compress.png; do
	rm -f "${OUT:?}/$f" # only ours: other benchmarks write here too
done

# header: what ran where, and how busy the machine was (others' load skews timings).
header() {
	local cpu
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
	echo "# Process-image engine benchmark"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r), ${cpu:-unknown CPU}," \
		"$(nproc) cores, commit $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo '?')."
	echo "Load average at start: $(cut -d' ' -f1-3 /proc/loadavg)."
	echo
}

# plot: draw the PNGs from the data files, if gnuplot is there.
plot() {
	if ! command -v gnuplot >/dev/null; then
		echo "bench: gnuplot not installed: plots skipped (tables only)"
		return 0
	fi
	local term=png names
	gnuplot -e 'set terminal' 2>&1 | grep -qw pngcairo && term=pngcairo
	names=$(sed -n 's/^# \([^:]*\):.*/\1/p' "$OUT/compress.dat" | tr ' ' '_' | tr '\n' ' ')
	gnuplot -e "out='$OUT'; term='$term'; names='$names'" "$TOP/tests/bench/engine.gp"
	echo "bench: plots in $OUT: throughput.png downtime.png compress.png"
}

start=$(date +%s)
header | tee "$OUT/engine.md"
for b in $BENCHES; do
	"$BIN/$b" "$OUT" | tee -a "$OUT/engine.md"
done
{
	echo "Load average at end: $(cut -d' ' -f1-3 /proc/loadavg);" \
		"benchmark took $(($(date +%s) - start)) s."
} | tee -a "$OUT/engine.md"
plot
echo "bench: tables in $OUT/engine.md"

# The other benchmarks: what mosrun costs at home, the wire protocol against
# raw TCP, and migration between nodes of a netns cluster (issue 3).
OUT=$OUT bash "$TOP/tests/bench/overhead.sh" "${1:-build}"
"$BIN/wire_bench" "$OUT" | tee "$OUT/wire.md"
OUT=$OUT bash "$TOP/tests/bench/migrate.sh" "${1:-build}"
# The node's hub (issue 11): gossip ages against the closed forms, the time
# for a joining node to be known by all, guestd's own CPU and memory at rest.
OUT=$OUT bash "$TOP/tests/bench/hub.sh" "${1:-build}"
# Automatic balancing (issue 12): makespan against no balancing, static
# round-robin placement and the ideal (SECS=60 for minute-long jobs).
OUT=$OUT bash "$TOP/tests/bench/balance.sh" "${1:-build}"
# The virtual-cluster appliance (VM bring-up time, host memory per node) is
# measured apart, by `make bench-vm` (tests/bench/vm.sh): it boots real guests.
