#!/usr/bin/env bash
# balance.sh BUILD_DIR: issue 12's benchmark. Makespan of JOBS equal
# CPU-bound jobs (spin, SECS seconds of one full core each) started on n1 of
# a 4-node netns cluster whose nodes are CPU-quota-limited, side by side in
# one run: automatic balancing (plain mosrun), no balancing (mosrun -L: all
# stay on n1), static round-robin placement (mosrun -L -NODE), and the ideal
# (total work / total capacity); with equal and with mixed speeds. Also the
# moves per job and the time until the cluster was balanced. Tables into
# OUT/balance.md, plot balance.png. Target: makespan within 5% of the ideal
# for jobs of a minute or more (SECS=60; the default is shorter to keep the
# run short, and the fixed cost of spreading weighs more in short jobs), and
# no job moved more than twice. No balancing runs every job on n1, whose
# speed is 1 in both settings: it is measured once (the first setting) and
# shown for both.
set -eu
B=${1:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP"
OUT=${OUT:-tests/bench/out}
JOBS=${JOBS:-16}
SECS=${SECS:-10}
CPUS=${CPUS:-0.5}
mkdir -p "$OUT"
export PATH=$TOP/$B/bin:$PATH MOSIX_CLUSTER_STATE=/tmp/mosix-cluster-balbench-$$
CL=tests/cluster/cluster
SPIN=$TOP/$B/progs/spin
W=$(mktemp -d /var/tmp/mosix-balbench.XXXXXX)
trap '$CL down >/dev/null 2>&1; rm -rf "$W"' EXIT

# iterations for SECS seconds of one full core of this machine
t0=$(date +%s.%N)
"$SPIN" 300000000 >/dev/null
dt=$(bc -l <<<"$(date +%s.%N) - $t0")
ITER=$(python3 -c "print(int(300000000 * $SECS / $dt))")

# balanced_after T0: seconds from T0 until no node runs more than one above
# an even share of the jobs still running (polled), into $W/bal
watch_balance() {
	local t0=$1 total=$2
	while :; do
		c=$($CL exec 1 mosctl localstatus --json 2>/dev/null | python3 -c '
import json, sys, collections
p = [x["where"] for x in json.load(sys.stdin)["processes"] if x["kind"] == "local"]
c = collections.Counter(p)
print(len(p), max(c.values()) if c else 0)' 2>/dev/null) || break
		read -r n most <<<"$c"
		[ "$n" -gt 0 ] || break
		if [ "$most" -le $(((n + 3) / 4 + 1)) ]; then
			bc -l <<<"$(date +%s.%N) - $t0" >"$W/bal"
			break
		fi
		sleep 0.5
	done
}

# run MODE: makespan in seconds of JOBS spins started on n1 as MODE says.
run() {
	local mode=$1 i t0 pids=() node
	rm -f "$W"/o.* "$W"/e.* "$W/bal"
	t0=$(date +%s.%N)
	for i in $(seq "$JOBS"); do
		case $mode in
		auto) $CL exec 1 mosrun -v "$SPIN" "$ITER" >"$W/o.$i" 2>"$W/e.$i" & ;;
		none) $CL exec 1 mosrun -L "$SPIN" "$ITER" >"$W/o.$i" 2>"$W/e.$i" & ;;
		rr)
			node=$(((i - 1) % 4 + 1))
			if [ $node = 1 ]; then
				$CL exec 1 mosrun -L "$SPIN" "$ITER" >"$W/o.$i" 2>"$W/e.$i" &
			else
				$CL exec 1 mosrun -L -$node -v "$SPIN" "$ITER" >"$W/o.$i" 2>"$W/e.$i" &
			fi
			;;
		esac
		pids+=($!)
	done
	[ "$mode" = auto ] && watch_balance "$t0" "$JOBS" &
	local w=$!
	for p in "${pids[@]}"; do wait "$p"; done
	bc -l <<<"$(date +%s.%N) - $t0"
	wait $w 2>/dev/null || true
}

# one setting: SPEEDS (comma list or "") and its label
setting() {
	local speeds=$1 label=$2 cap ideal a n r moves most bal
	if [ -n "$speeds" ]; then
		$CL up 4 --force --cpus "$CPUS" --speeds "$speeds" >/dev/null
		cap=$(python3 -c "print(sum(float(x) for x in '$speeds'.split(',')) * $CPUS)")
	else
		$CL up 4 --force --cpus "$CPUS" >/dev/null
		cap=$(python3 -c "print(4 * $CPUS)")
	fi
	sleep 3
	ideal=$(python3 -c "print($JOBS * $SECS / $cap)")
	a=$(run auto)
	moves=$(cat "$W"/e.* | grep -c "migrated:" || true)
	most=$(for f in "$W"/e.*; do grep -c "migrated:" "$f"; done | sort -n | tail -n 1)
	bal=$(cat "$W/bal" 2>/dev/null || echo nan)
	[ -z "$speeds" ] || bal=nan # (an even share is not the goal with mixed speeds)
	if [ -z "${NONE:-}" ]; then
		NONE=$(run none)
	fi
	n=$NONE
	r=$(run rr)
	$CL down >/dev/null
	python3 - "$label" "$ideal" "$a" "$n" "$r" "$moves" "$JOBS" "$bal" "$most" <<'PY' | tee -a "$OUT/balance.md"
import sys
label, ideal, a, n, r, moves, jobs, bal, most = sys.argv[1:]
ideal, a, n, r = map(float, (ideal, a, n, r))
print("| %s | %.1f | %.1f (%+.1f%%) | %.1f (%+.0f%%) | %.1f (%+.0f%%) | %.2f | %s | %s | %s |" % (
    label, ideal, a, 100 * (a / ideal - 1), n, 100 * (n / ideal - 1), r, 100 * (r / ideal - 1),
    int(moves) / int(jobs), most, "%.1f s" % float(bal) if bal != "nan" else "-",
    "yes" if a <= 1.05 * ideal and int(most) <= 2 else "no"))
PY
	printf '"%s" %s %s %s %s\n' "$label" "$ideal" "$a" "$n" "$r" >>"$OUT/balance.dat"
}

rm -f "$OUT/balance.dat"
{
	echo "# Automatic balancing: makespan"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, commit $(git rev-parse --short HEAD 2>/dev/null || echo '?');" \
		"$JOBS jobs of ${SECS} s of one full core each, started on n1 of 4 nodes of $CPUS core each" \
		"(speeds scale a node's quota)."
	echo
	echo "| nodes | ideal (s) | automatic | no balancing | static round-robin | moves per job | most moves of a job | balanced after | target met (<= +5%, <= 2 moves) |"
	echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|"
} | tee "$OUT/balance.md"
setting "" "equal speeds"
setting "1,1,0.5,0.5" "speeds 1,1,0.5,0.5"
echo | tee -a "$OUT/balance.md"
if command -v gnuplot >/dev/null; then
	term=png
	gnuplot -e 'set terminal' 2>&1 | grep -qw pngcairo && term=pngcairo
	gnuplot -e "out='$OUT'; term='$term'" tests/bench/balance.gp && echo "bench: plot $OUT/balance.png"
fi
