#!/usr/bin/env bash
# t-gossip.sh: every node's guestd learns every node's load vector by gossip
# (mosctl status), notices a node whose guestd died, and sees it come back.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/suite.sh" # (for wait_until; this suite makes its own cluster)
CL=$TOP/tests/cluster/cluster
export MOSIX_CLUSTER_STATE=/tmp/mosix-cluster-gossip-$$ # own per run: runs from other checkouts coexist
trap '"$CL" down >/dev/null 2>&1' EXIT
if ! "$CL" up 4 --force >/dev/null 2>&1; then
	t_fail gossip/cluster-up "cluster up failed"
	exit 0
fi

# up_seen NODE: how many nodes NODE sees up.
up_seen() {
	"$CL" exec "$1" mosctl status --json 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["up"])' 2>/dev/null || echo 0
}
# wait_all WANT SECS NODES...: until each of NODES sees WANT nodes up.
wait_all() {
	local want=$1 secs=$2 i n ok
	shift 2
	for ((i = 0; i < secs * 2; i++)); do
		ok=1
		for n in "$@"; do [ "$(up_seen "$n")" = "$want" ] || ok=0; done
		[ $ok = 1 ] && return 0
		sleep 0.5
	done
	return 1
}

# The bound the step and window give: a node is down when its news is older
# than dead_ms (guestd says it: localstatus); news spreads well within it.
DEAD_MS=$("$CL" exec 1 mosctl localstatus --json | sed -n 's/.*"gossip": "dead_ms \([0-9]*\) .*/\1/p')
BOUND=$(((${DEAD_MS:-5000} + 999) / 1000 + 5)) # seconds, with 5 s for the polling of a busy machine
# secs_since T0: seconds since T0 (date +%s.%N), one decimal.
secs_since() { printf '%.1f' "$(bc -l <<<"$(date +%s.%N) - $1")"; }

t0=$(date +%s.%N)
if wait_all 4 "$BOUND" 1 2 3 4; then
	t_pass "gossip/all-see-all ($(secs_since "$t0") s, bound $BOUND s)"
else
	t_fail gossip/all-see-all "within $BOUND s: up seen: $(for n in 1 2 3 4; do printf '%s ' "$(up_seen $n)"; done)"
fi
"$CL" kill-guestd 3 >/dev/null
t0=$(date +%s.%N)
if wait_all 3 "$BOUND" 1 2 4; then
	t_pass "gossip/dead-node-seen-down ($(secs_since "$t0") s, bound $BOUND s)"
else
	t_fail gossip/dead-node-seen-down "within $BOUND s: up seen: $(for n in 1 2 4; do printf '%s ' "$(up_seen $n)"; done)"
fi

# Datagrams that must change nothing, sent to n1 as if from the silent n3.
PROBE=$TOP/$B/tools/gossip_probe
KEY=/etc/mosix/cluster.key # inside the node: every node has the one key
# counter NAME: n1's gossip counter NAME.
counter() { "$CL" exec 1 mosctl localstatus --json | sed -n "s/.*\"gossip\": \".* $1 \([0-9]*\).*/\1/p"; }
# entry K FIELD: n1's view of node K.
entry() {
	"$CL" exec 1 mosctl status --json | python3 -c '
import json, sys
for n in json.load(sys.stdin)["nodes"]:
    if n["node"] == int(sys.argv[1]): print(n[sys.argv[2]])' "$1" "$2"
}
declare -A before
for c in garbage badsize forged replayed unknown; do before[$c]=$(counter $c); done
s3=$(entry 3 speed) a3=$(entry 3 age_ms)
for kind in garbage truncated oversized forged unknown; do
	"$CL" exec 2 "$PROBE" 10.77.0.1 4141 "$KEY" 3 $kind || t_fail gossip/bad-datagrams "probe $kind did not send"
done
# counted: every kind counted as often as it was sent (why says what is not)
counted() {
	local c got
	why=""
	for c in garbage:1 badsize:2 forged:1 unknown:1; do
		got=$(($(counter "${c%:*}") - before[${c%:*}]))
		[ "$got" -eq "${c#*:}" ] || why="$why ${c%:*} +$got (not +${c#*:});"
	done
	[ -z "$why" ]
}
wait_until 10 counted
sleep 0.5 # (nothing more may come: the counts must stay as they are)
counted
[ "$(entry 3 speed)" = "$s3" ] && [ "$(entry 3 up)" = False ] && [ "$(entry 3 age_ms)" -gt "$a3" ] ||
	why="$why n3's entry changed: speed $(entry 3 speed) (was $s3), up $(entry 3 up);"
[ -z "$why" ] && t_pass gossip/bad-datagrams-dropped-and-counted || t_fail gossip/bad-datagrams-dropped-and-counted "$why"
# A valid one is taken (so the probe's datagrams are right), its replay a
# second later is not (other nodes' gossip says nothing of n3: it is down).
"$CL" exec 2 "$PROBE" 10.77.0.1 4141 "$KEY" 3 replay 4242
replays() { [ $(($(counter replayed) - before[replayed])) -ge 1 ]; }
wait_until 10 replays
why=""
[ $(($(counter replayed) - before[replayed])) -eq 1 ] || why="$why replayed +$(($(counter replayed) - before[replayed]));"
# (taken, the replay would make the entry fresh again; n1's own next push to
# the silent n3 may come back undeliverable and mark it unreachable anew)
st3=$(entry 3 status)
[ "$(entry 3 speed)" = 4242 ] && { [ "$(entry 3 age_ms)" -ge 900 ] || [[ $st3 == *unreachable* ]]; } ||
	why="$why n3's entry: speed $(entry 3 speed), age $(entry 3 age_ms) ms, status $st3;"
[ -z "$why" ] && t_pass gossip/replay-dropped-and-counted || t_fail gossip/replay-dropped-and-counted "$why"

"$CL" start-guestd 3 >/dev/null
t0=$(date +%s.%N)
if wait_all 4 "$BOUND" 1 2 3 4 && [ "$(entry 3 speed)" != 4242 ]; then
	t_pass "gossip/node-back-up ($(secs_since "$t0") s)"
else
	t_fail gossip/node-back-up "up seen: $(for n in 1 2 3 4; do printf '%s ' "$(up_seen $n)"; done); n3's speed at n1 $(entry 3 speed)"
fi

# Usage errors say what was wrong first.
bad=$("$CL" exec 1 mosctl status --bogus 2>&1)
rc=$?
"$CL" exec 1 mosctl --help >/dev/null 2>&1
hrc=$?
if [ $rc -eq 2 ] && [ $hrc -eq 0 ] && [ "$(head -n 1 <<<"$bad")" = "mosctl: status: unknown option '--bogus'" ]; then
	t_pass gossip/mosctl-usage
else
	t_fail gossip/mosctl-usage "bad usage: exit $rc, '$(head -n 1 <<<"$bad")'; --help exit $hrc"
fi
