#!/usr/bin/env bash
# t-gossip.sh: every node's guestd learns every node's load vector by gossip
# (mosctl status), notices a node whose guestd died, and sees it come back.
source "$(dirname "$0")/../lib.sh"
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

t0=$(date +%s.%N)
if wait_all 4 15 1 2 3 4; then
	t_pass "gossip/all-see-all ($(printf '%.1f' "$(bc -l <<<"$(date +%s.%N) - $t0")") s)"
else
	t_fail gossip/all-see-all "up seen: $(for n in 1 2 3 4; do printf '%s ' "$(up_seen $n)"; done)"
fi
"$CL" kill-guestd 3 >/dev/null
if wait_all 3 20 1 2 4; then
	t_pass gossip/dead-node-seen-down
else
	t_fail gossip/dead-node-seen-down "up seen: $(for n in 1 2 4; do printf '%s ' "$(up_seen $n)"; done)"
fi
"$CL" start-guestd 3 >/dev/null
if wait_all 4 15 1 2 3 4; then
	t_pass gossip/node-back-up
else
	t_fail gossip/node-back-up "up seen: $(for n in 1 2 3 4; do printf '%s ' "$(up_seen $n)"; done)"
fi
"$CL" exec 1 mosctl status --bogus >/dev/null 2>&1
rc=$?
"$CL" exec 1 mosctl --help >/dev/null 2>&1
[ $rc -eq 2 ] && [ $? -eq 0 ] && t_pass gossip/mosctl-usage || t_fail gossip/mosctl-usage "bad usage exit $rc"
