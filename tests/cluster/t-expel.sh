#!/usr/bin/env bash
# t-expel.sh: mosctl expel / bring / unblock / reload and guestd's SIGTERM
# expel on a netns test cluster, with real workloads that check themselves:
# no process may be lost when a node sends its guests away or calls its own
# processes home.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/suite.sh"
cluster_suite expel 4
ST=$MOSIX_CLUSTER_STATE

# start HOME PROG TAG: run PROG under mosrun on HOME; sets PID (its pid) and MR
# (the local pid of the exec that waits for it). Output in $W/TAG.out.
start() {
	on "$1" env MOSTEST_GO="$W/go.$3" TMPDIR=/tmp mosrun "$PROGS/$2" >"$W/$3.out" 2>&1 &
	MR=$!
	PID=$(ready_pid "$W/$3.out") || return 1
}

# where HOME PID: "here" or "node N" as mosps on HOME tells.
where() { on "$1" mosps | awk -v p="$2" '$1 == p { print $2 ($2 == "node" ? " " $3 : "") }'; }

# finish TAG PROG MR PID: let it check itself; it must PASS with its home
# pid and mosrun exit 0. Else WHY says what it did. (Not in $(...): it waits.)
finish() {
	touch "$W/go.$1"
	wait_exit "$3" 60
	WHY=""
	[ "$RC" -eq 0 ] && grep -q "^PASS $2 pid=$4\$" "$W/$1.out" && return 0
	WHY="$1: exit $RC: $(tail -n 3 "$W/$1.out" | tr '\n' ' ')"
	return 1
}

# --- expel: guests from n1 and n3 on n2 go home; arrivals are refused meanwhile.
start 1 heap_sparse a || t_fail expel/start "heap_sparse never ready"
A=$PID MA=$MR
start 1 signals b || t_fail expel/start "signals never ready"
Bp=$PID MB=$MR
start 3 fpu_avx c || t_fail expel/start "fpu_avx never ready"
C=$PID MC=$MR
on 1 mosmigrate -w "$A" 2 >"$W/m.log" 2>&1 && on 1 mosmigrate -w "$Bp" 2 >>"$W/m.log" 2>&1 &&
	on 3 mosmigrate -w "$C" 2 >>"$W/m.log" 2>&1 || t_fail expel/migrate "$(tail -n 3 "$W/m.log")"
g=$(on 2 mosctl expel --wait --timeout 30 2>&1)
rc=$?
wa=$(where 1 "$A") wb=$(where 1 "$Bp") wc=$(where 3 "$C")
if [ $rc -eq 0 ] && echo "$g" | grep -q "guests left here: 0" && [ "$wa $wb $wc" = "here here here" ]; then
	t_pass expel/guests-go-home
else
	t_fail expel/guests-go-home "exit $rc, where: $wa/$wb/$wc; $(echo "$g" | tr '\n' ' ')"
fi
m=$(on 1 mosmigrate -w "$A" 2 2>&1)
if [ $? -ne 0 ] && echo "$m" | grep -q "accepts no guests"; then
	t_pass expel/blocked-refuses
else
	t_fail expel/blocked-refuses "mosmigrate to an expelling node: '$m'"
fi
on 2 mosctl unblock >/dev/null
if m=$(on 1 mosmigrate -w "$A" 2 2>&1) && [ "$(where 1 "$A")" = "node 2" ]; then
	t_pass expel/unblock
else
	t_fail expel/unblock "mosmigrate after unblock: '$m'"
fi
ok=1
for x in "a heap_sparse $MA $A" "b signals $MB $Bp" "c fpu_avx $MC $C"; do
	# shellcheck disable=SC2086
	finish $x || { ok=0; t_fail expel/still-pass "$WHY"; }
done
[ $ok -eq 1 ] && t_pass expel/still-pass

# --- bring: n1's processes on n2 and n3 come home; each still passes.
start 1 heap_sparse d && D=$PID MD=$MR && start 1 itimer e && E=$PID ME=$MR ||
	t_fail bring/start "never ready"
on 1 mosmigrate -w "$D" 2 >/dev/null && on 1 mosmigrate -w "$E" 3 >/dev/null
g=$(on 1 mosctl bring --wait --timeout 30 2>&1)
rc=$?
wd=$(where 1 "$D") we=$(where 1 "$E")
if [ $rc -eq 0 ] && [ "$wd $we" = "here here" ] && [ "$(echo "$g" | grep -c 'is home from node')" -eq 2 ]; then
	t_pass bring/home
else
	t_fail bring/home "exit $rc, where: $wd/$we; $(echo "$g" | tr '\n' ' ')"
fi
finish d heap_sparse "$MD" "$D" && finish e itimer "$ME" "$E" &&
	t_pass bring/still-pass || t_fail bring/still-pass "$WHY"
g=$(on 1 mosctl bring --wait 2>&1) && t_pass bring/nothing-to-do ||
	t_fail bring/nothing-to-do "bring with nothing away: $g"

# --- map reload: n4 leaves the maps of n1..n3 (they forget it), then is
# added back (SIGHUP on one node, mosctl reload on the others) and seen again.
# up_count NODE: how many nodes NODE sees up; map_count NODE: nodes in its map.
up_count() { on "$1" mosctl status --json | sed -n 's/.*\], "up": \([0-9]*\)}.*/\1/p'; }
map_count() { on "$1" mosctl status --json | sed -n 's/.*"nodes_in_map": \([0-9]*\),.*/\1/p'; }
for k in 1 2 3; do
	cp "$ST/n$k/etc/cluster.conf" "$W/full.$k.conf"
	grep -v '^node 4 ' "$W/full.$k.conf" >"$ST/n$k/etc/cluster.conf"
	on "$k" mosctl reload >/dev/null || t_fail reload/drop "mosctl reload on n$k failed"
done
sleep 1
if [ "$(map_count 1)" = 3 ] && [ "$(up_count 1)" = 3 ] &&
	! on 1 mosctl status | grep -q '^4 '; then
	t_pass reload/node-removed
else
	t_fail reload/node-removed "n1: map $(map_count 1), up $(up_count 1): $(on 1 mosctl status | tr '\n' ' ')"
fi
m=$(on 1 mosrun -4 true 2>&1)
echo "$m" | grep -q "no such node" ||
	t_fail reload/node-removed "mosrun -4 to a node no longer in the map: '$m'"
for k in 1 2 3; do cp "$W/full.$k.conf" "$ST/n$k/etc/cluster.conf"; done
read -r gp _ <"$ST/n1/guestd.pid"
kill -HUP "$gp" # n1 by signal, the others by mosctl reload
on 2 mosctl reload >/dev/null && on 3 mosctl reload >/dev/null
for _ in $(seq 40); do [ "$(up_count 1)" = 4 ] && break; sleep 0.25; done
if [ "$(map_count 1)" = 4 ] && [ "$(up_count 1)" = 4 ] &&
	on 1 mosrun -v -4 true 2>&1 | grep -q "runs on node 4"; then
	t_pass reload/node-added
else
	t_fail reload/node-added "n1: map $(map_count 1), up $(up_count 1) after SIGHUP"
fi
cp "$ST/n2/etc/cluster.conf" "$W/n2.conf"
sed 's/^node 2 .*/node 2 10.77.0.99/' "$W/n2.conf" >"$ST/n2/etc/cluster.conf"
bad=$(on 2 mosctl reload 2>&1)
rc=$?
cp "$W/n2.conf" "$ST/n2/etc/cluster.conf"
if [ $rc -ne 0 ] && echo "$bad" | grep -q "changes this node" && [ "$(map_count 2)" = 4 ]; then
	t_pass reload/refuses-bad-map
else
	t_fail reload/refuses-bad-map "exit $rc: $bad"
fi

# --- SIGTERM: a stopping guestd sends its guests home first.
start 1 heap_sparse f && F=$PID MF=$MR || t_fail term/start "never ready"
on 1 mosmigrate -w "$F" 3 >/dev/null
w0=$(where 1 "$F")
"$CL" kill-guestd 3 --term >/dev/null
wf=$(where 1 "$F")
if finish f heap_sparse "$MF" "$F" && [ "$w0 $wf" = "node 3 here" ]; then
	t_pass term/guests-go-home
else
	t_fail term/guests-go-home "before/after SIGTERM of n3's guestd: '$w0'/'$wf'; $WHY"
fi
