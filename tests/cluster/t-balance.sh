#!/usr/bin/env bash
# t-balance.sh: the cluster balances itself. 16 CPU-bound processes started
# with plain mosrun on n1 of 4 nodes (each half a core) spread so that each
# node runs within one of the even share, within a bound the gossip and
# balancing parameters give; each ends with the output of a local run; few
# moves (no ping-pong). Locked processes (mosrun -L) never move; a node in
# stay keeps its processes; a blocked node gets none.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/suite.sh"
cluster_suite balance 4 --cpus 0.5
SPIN=$PROGS/spin
# The bound: the news of n1's load reaches the others and theirs n1 within a
# few steps (1 s), then up to 4 moves a step, each waited for: 12 moves in
# 3-4 rounds; twice that, for a busy machine.
BOUND=20

# even A B C D: 16 in all, each within one of 4.
even() {
	local x
	[ $(($1 + $2 + $3 + $4)) -eq 16 ] || return 1
	for x in "$@"; do [ "$x" -ge 3 ] && [ "$x" -le 5 ] || return 1; done
}
# counts: how many run on nodes 1..4, as "a b c d".
counts() { where_all | awk '{ c[$2]++ } END { printf "%d %d %d %d", c[1], c[2], c[3], c[4] }'; }

# ~2 s of CPU each (16 on 2 cores: 16 s at best), measured here
t0=$(date +%s.%N)
ref=$("$SPIN" 200000000)
dt=$(bc -l <<<"$(date +%s.%N) - $t0")
N=$(python3 -c "print(int(200000000 * 2.0 / max($dt, 0.05)))")
want=$("$SPIN" "$N")

t0=$(date +%s.%N)
for i in $(seq 16); do
	on 1 mosrun -v "$SPIN" "$N" >"$W/o.$i" 2>"$W/e.$i" &
	pids[i]=$!
done
spread="" took=""
even_now() { read -r a b c d < <(counts); even "$a" "$b" "$c" "$d"; }
if wait_until $BOUND even_now; then
	spread="$a $b $c $d"
	took=$(printf '%.1f' "$(bc -l <<<"$(date +%s.%N) - $t0")")
fi
last=$(counts)
ok=1
for i in $(seq 16); do
	wait "${pids[i]}" || ok=0
	[ "$(cat "$W/o.$i")" = "$want" ] || ok=0
done
moves=$(cat "$W"/e.* | grep -c "migrated:")
most=$(for i in $(seq 16); do grep -c "migrated:" "$W/e.$i"; done | sort -n | tail -n 1)
if [ -n "$spread" ]; then
	t_pass "balance/16-spread-over-4 (n1..n4: $spread after $took s, bound $BOUND s)"
else
	t_fail balance/16-spread-over-4 "not within one of 4 each after $BOUND s: n1..n4 $last"
fi
[ $ok = 1 ] && t_pass balance/all-finish-with-local-output ||
	t_fail balance/all-finish-with-local-output "want '$want': $(cat "$W"/o.* | sort | uniq -c | tr '\n' ' ')"
if [ "$moves" -le 24 ] && [ "${most:-0}" -le 2 ]; then
	t_pass "balance/no-ping-pong ($moves moves for 16, at most $most each)"
else
	t_fail balance/no-ping-pong "$moves moves, one process moved $most times"
fi

# --- locked processes stay; a node in stay keeps its processes
for i in 1 2 3 4; do
	on 1 mosrun -L "$SPIN" "$N" >"$W/l.$i" 2>&1 &
	lp[i]=$!
done
sleep 6
away=$(where_all | awk '$2 != 1' | wc -l)
for i in 1 2 3 4; do wait "${lp[i]}"; done
[ "$away" -eq 0 ] && t_pass balance/locked-stay || t_fail balance/locked-stay "$away locked processes left n1"

on 1 mosctl stay >/dev/null
for i in 1 2 3 4; do
	on 1 mosrun "$SPIN" "$N" >"$W/s.$i" 2>&1 &
	sp[i]=$!
done
sleep 6
away=$(where_all | awk '$2 != 1' | wc -l)
on 1 mosctl nostay >/dev/null
moved=""
left_n1() { [ "$(where_all | awk '$2 != 1' | wc -l)" -gt 0 ]; }
wait_until $BOUND left_n1 && moved=1
for i in 1 2 3 4; do wait "${sp[i]}"; done
[ "$away" -eq 0 ] && [ -n "$moved" ] && t_pass balance/stay-keeps-then-nostay-spreads ||
	t_fail balance/stay-keeps-then-nostay-spreads "$away left n1 during stay; after nostay moved: '${moved:-no}'"

# --- a blocked node gets no work: n2 blocks, 8 spins from n1 spread over
# n1, n3 and n4 only; after noblock, n2 gets some
on 2 mosctl block >/dev/null
for i in $(seq 8); do
	on 1 mosrun "$SPIN" "$N" "$W/go" >"$W/k.$i" 2>&1 &
	kp[i]=$!
done
spread3() { read -r a b c d < <(counts); [ "$b" -eq 0 ] && [ $((c + d)) -ge 4 ]; }
ok3=""
wait_until $BOUND spread3 && ok3=1
sleep 3
during=$(counts)
on 2 mosctl noblock >/dev/null
got2=""
on_n2() { [ "$(counts | awk '{ print $2 }')" -gt 0 ]; }
wait_until $BOUND on_n2 && got2=1
touch "$W/go"
for i in $(seq 8); do wait "${kp[i]}"; done
if [ -n "$ok3" ] && [ "$(awk '{ print $2 }' <<<"$during")" -eq 0 ] && [ -n "$got2" ]; then
	t_pass "balance/block-obeyed (n1..n4 while n2 blocked: $during; after noblock n2 gets work)"
else
	t_fail balance/block-obeyed "while n2 blocked: $during (spread: '${ok3:-no}'); after noblock: '${got2:-no}' $(counts)"
fi
