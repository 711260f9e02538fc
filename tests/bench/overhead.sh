#!/usr/bin/env bash
# overhead.sh BUILD_DIR: what running under mosrun costs a program at home.
# Native and supervised runs alternate (5 each) so machine noise hits both;
# the table gives medians and the ratio. Target: no measurable cost for
# CPU-bound and syscall-heavy work (mosrun traps no system call at home);
# fork-heavy work pays for the fork events mosrun follows.
set -eu
B=${1:-build}
W=$B/bench/overhead_work
M=$B/bin/mosrun
OUT=${OUT:-tests/bench/out}
mkdir -p "$OUT"

# Seconds one command takes.
t() {
	local s e
	s=$(date +%s%N)
	"$@" >/dev/null
	e=$(date +%s%N)
	echo $(((e - s) / 1000))
}

# Median of numbers on stdin.
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf '| workload | native (ms) | under mosrun (ms) | ratio |\n|---|---|---|---|\n' | tee "$OUT/overhead.md"
for w in "cpu 300" "sys 2000" "fork 2000"; do
	# shellcheck disable=SC2086
	t $W $w >/dev/null # warm up
	nat="" sup=""
	for _ in 1 2 3 4 5; do
		# shellcheck disable=SC2086
		nat="$nat $(t $W $w)"
		# shellcheck disable=SC2086
		sup="$sup $(t $M $W $w)"
	done
	n=$(tr ' ' '\n' <<<"$nat" | grep . | median)
	s=$(tr ' ' '\n' <<<"$sup" | grep . | median)
	printf '| %s | %.1f | %.1f | %.3f |\n' "$w" "$(bc -l <<<"$n/1000")" "$(bc -l <<<"$s/1000")" \
		"$(bc -l <<<"$s/$n")" | tee -a "$OUT/overhead.md"
done
echo "(medians of 5 alternating runs; table in $OUT/overhead.md)"
