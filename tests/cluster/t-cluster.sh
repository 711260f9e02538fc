#!/usr/bin/env bash
# tests/cluster/t-cluster.sh: the test cluster tool itself (tests/cluster/cluster).
# Three nodes: they ping each other over the bridge and nothing else, their
# private directories are private, the host's files are visible, `exec` passes
# exit statuses and stdin through, each node's map loads with the C loader,
# cut/heal break and restore a link, guestd starts and stops per node, and
# `down` leaves no process, namespace, mount, mount point or state behind.
set -u
. "$(dirname "$0")/../lib.sh"

CLUSTER=$TOP/tests/cluster/cluster
S=/tmp/mosix-t-cluster.$$
FAKE=$TOP/tests/cluster/fake-guestd
UP=0

cl() { "$CLUSTER" --state "$S" "$@"; }

# Is PID gone (or a zombie that nobody has reaped yet)?
gone() {
	local st
	read -r st 2>/dev/null <"/proc/$1/stat" || return 0
	st=${st##*) }
	[ "${st:0:1}" = Z ]
}

# Field F of node K's line in `cluster status`.
status_of() { cl status | awk -v n="n$1" -v f="$2" '$1 == n {print $f}'; }

# check NAME WHY CMD...: pass when CMD succeeds.
check() {
	local name=$1 why=$2
	shift 2
	if "$@"; then t_pass "cluster/$name"; else t_fail "cluster/$name" "$why"; fi
}

if [ "$(id -u)" -ne 0 ]; then
	t_skip cluster/all "needs root (network and mount namespaces)"
	exit 0
fi
mktmp
# Whatever happens, take our cluster down (and only ours).
cleanup() {
	[ $UP -eq 1 ] && cl down >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Command-line errors come before anything is made.
cl up 0 >/dev/null 2>"$T/err"
rc=$?
check bad-n "up 0: exit $rc, $(cat "$T/err")" grep -q "N must be in 1..16" "$T/err"
cl up 17 >/dev/null 2>&1
check bad-n-17 "up 17 accepted" test $? -eq 2
cl exec 1 true 2>"$T/err"
check exec-no-cluster "$(cat "$T/err")" grep -q "no cluster at $S" "$T/err"
if command -v setpriv >/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups "$CLUSTER" --state "$S" up 2 2>"$T/err"
	check not-root "$(cat "$T/err")" grep -q "must run as root" "$T/err"
fi

# Up: timed, and a second up is refused.
ip -o link show | sed 's/^[0-9]*: \([^:@]*\).*/\1/' | sort >"$T/links.before"
for mp in /etc/mosix /run/mosix /home/mosix; do [ -e "$mp" ] && echo "$mp"; done >"$T/mp.before"
t0=$(date +%s%N)
cl up 3 --no-guestd >"$T/out" 2>&1
rc=$?
UP=1
check up "exit $rc: $(cat "$T/out")" test $rc -eq 0
echo "  up 3 took $((($(date +%s%N) - t0) / 1000000)) ms"
if [ $rc -ne 0 ]; then exit 0; fi
cl up 3 >"$T/out" 2>&1
rc=$?
check up-twice-refused "exit $rc: $(cat "$T/out")" grep -q "already up" "$T/out"

# Every node pings the others over the bridge.
if command -v ping >/dev/null; then
	bad=""
	for a in 1 2 3; do
		for b in 1 2 3; do
			[ $a = $b ] && continue
			cl exec $a ping -c 1 -W 2 -q 10.77.0.$b >/dev/null 2>&1 || bad="$bad n$a->n$b"
		done
	done
	check ping "no answer:$bad" test -z "$bad"
else
	t_skip cluster/ping "ping not installed (iputils-ping, tests/deps.txt)"
fi

# A node has lo and eth0 with its address, one route (the cluster subnet), and
# the root namespace got no interface.
routes=$(cl exec 2 ip -4 route show table all | grep -v '^\(local\|broadcast\) ' | sed 's/ *$//')
addrs=$(cl exec 2 ip -4 -o addr show | awk '{print $2, $4}' | tr '\n' ' ')
check node-net-only "routes: $routes; addresses: $addrs" test "$routes" = \
	"10.77.0.0/24 dev eth0 proto kernel scope link src 10.77.0.2" -a "$addrs" = "lo 127.0.0.1/8 eth0 10.77.0.2/24 "
ip -o link show | sed 's/^[0-9]*: \([^:@]*\).*/\1/' | sort >"$T/links.up"
check root-ns-untouched "new host interfaces: $(comm -13 "$T/links.before" "$T/links.up" | tr '\n' ' ')" \
	cmp -s "$T/links.before" "$T/links.up"

# Private directories: a file made on n1 is not on n2; the host sees n1's in the state dir.
cl exec 1 sh -c 'echo one >/home/mosix/f && echo one >/tmp/f && echo one >/run/mosix/f'
check private-home "n2 sees n1's /home/mosix/f" cl exec 2 test ! -e /home/mosix/f
check private-tmp "n2 sees n1's /tmp/f" cl exec 2 test ! -e /tmp/f
check private-run "n2 sees n1's /run/mosix/f" cl exec 2 test ! -e /run/mosix/f
check home-from-host "$S/n1/home/f missing" grep -qx one "$S/n1/home/f"
check tmp-not-host "n1's /tmp/f is on the host" test ! -e /tmp/f
check own-map "n2's map: $(cl exec 2 grep self /etc/mosix/cluster.conf)" \
	cl exec 2 grep -qx "self 2" /etc/mosix/cluster.conf
check hostname "n3 says $(cl exec 3 cat /proc/sys/kernel/hostname)" \
	test "$(cl exec 3 cat /proc/sys/kernel/hostname)" = n3

# The host's files (binaries, this repository) are the node's.
check host-files "sha of /bin/sh differs on n2" \
	test "$(cl exec 2 sha256sum /bin/sh)" = "$(sha256sum /bin/sh)"
check repo-visible "n2 does not see $CLUSTER" cl exec 2 test -x "$CLUSTER"

# exec: exit statuses, deaths by signal, stdin, the caller's directory.
cl exec 1 sh -c 'exit 7'
check exec-status "got $?, want 7" test $? -eq 7
{ cl exec n2 sh -c 'kill -TERM $$'; } 2>/dev/null
check exec-signal "got $?, want 143" test $? -eq 143
cl exec 3 /nonexistent 2>/dev/null
check exec-missing "got $?, want 127" test $? -eq 127
out=$(echo hello | cl exec 2 tr a-z A-Z)
check exec-stdin "got '$out'" test "$out" = HELLO
out=$(cd /usr/share && cl exec 1 pwd)
check exec-cwd "got '$out'" test "$out" = /usr/share

# Every node's map and key load with the C loader (appliance/cluster.c).
if [ -f "$TOP/$B/libappliance.a" ] && command -v gcc >/dev/null; then
	cat >"$T/load.c" <<'EOF'
#include "appliance/cluster.h"
#include <stdio.h>
int main(int argc, char **argv)
{
	struct cluster c;
	struct err e;
	if (cluster_load(argv[1], &c, &e) < 0)
		return fprintf(stderr, "%s\n", e.msg), 1;
	printf("self %d nodes %zu %s", c.self, c.nnodes, c.nodes[c.nnodes - 1].addr);
	for (int i = 0; i < CLUSTER_KEY_LEN; i++)
		printf("%s%02x", i ? "" : " key ", c.key[i]);
	printf("\n");
	cluster_free(&c);
	return 0;
}
EOF
	san=() && [[ $B == *asan* ]] && san=("-fsanitize=address,undefined")
	gcc "${san[@]}" -I"$TOP/appliance/include" -o "$T/load" "$T/load.c" "$TOP/$B/libappliance.a" 2>"$T/err"
	got=""
	for k in 1 2 3; do got="$got$("$T/load" "$S/n$k/etc" 2>&1)"$'\n'; done
	key=$(sed -n '1s/.* key //p' <<<"$got")
	want=""
	for k in 1 2 3; do want="${want}self $k nodes 3 10.77.0.3 key $key"$'\n'; done
	check map-loads "$got" test "$got" = "$want" -a ${#key} -eq 64
	check key-mode "$(stat -c %a "$S/n1/etc/cluster.key")" test "$(stat -c %a "$S/n1/etc/cluster.key")" = 600
else
	t_skip cluster/map-loads "no $B/libappliance.a or gcc"
fi

# cut takes n2 off the network, heal brings it back.
if command -v ping >/dev/null; then
	cl cut 2
	cl exec 1 ping -c 1 -W 1 -q 10.77.0.2 >/dev/null 2>&1
	rc=$?
	st=$(status_of 2 6)
	check cut "ping after cut: exit $rc; status says $st" test $rc -ne 0 -a "$st" = cut
	cl exec 3 ping -c 1 -W 2 -q 10.77.0.1 >/dev/null 2>&1
	check cut-others-fine "n3 cannot reach n1" test $? -eq 0
	cl heal 2
	ok=1
	for _ in 1 2 3; do cl exec 1 ping -c 1 -W 1 -q 10.77.0.2 >/dev/null 2>&1 && ok=0 && break; done
	check heal "n2 still unreachable after heal" test $ok -eq 0
fi

# guestd per node: started in the node's namespaces (own map), killed, restarted.
if command -v python3 >/dev/null; then
	for k in 1 2 3; do GUESTD=$FAKE cl start-guestd $k >/dev/null 2>"$T/err$k"; done
	st=$(cl status | awk '/^n[0-9]/ && $5 == "running"' | wc -l)
	check guestd-start "running on $st of 3: $(cat "$T"/err?)" test "$st" -eq 3 -a -S "$S/n3/run/guestd.sock"
	check guestd-own-node "$(cat "$S/n2/guestd.log")" grep -q "host n2 self 2" "$S/n2/guestd.log"
	pid=$(cl status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["nodes"][1]["guestd"])')
	cl kill-guestd 2 >/dev/null
	gone "$pid"
	check guestd-kill "pid $pid still there, or status: $(cl status | grep '^n2')" \
		test $? -eq 0 -a "$(status_of 2 5)" = stopped
	GUESTD=$FAKE cl start-guestd n2 >/dev/null 2>"$T/err"
	check guestd-restart "$(cat "$T/err")" test "$(status_of 2 5)" = running
	GUESTD=$FAKE cl start-guestd n2 >/dev/null 2>&1
	check guestd-twice-refused "a second guestd started" test $? -ne 0
	for k in 1 2 3; do cl kill-guestd $k --term >/dev/null; done
else
	t_skip cluster/guestd-start "python3 (for fake-guestd) not installed"
fi
if [ -x "$BIN/guestd" ]; then
	bad=""
	for k in 1 2 3; do cl start-guestd $k >/dev/null 2>>"$T/real" || bad="$bad n$k"; done
	check guestd-real "no guestd on$bad: $(cat "$T/real")" test -z "$bad"
	# A second guestd on n1, as a daemon: what keeps it from starting (the
	# address in use) is said on the terminal, with exit 1, not in syslog.
	msg=$(cl exec 1 timeout 10 "$BIN/guestd" -c /etc/mosix -r /tmp/second-guestd 2>&1)
	rc=$?
	[ $rc -eq 1 ] && grep -q "Address already in use" <<<"$msg"
	check guestd-daemon-start-error "exit $rc: $msg" test $? -eq 0
	# Relative -c and -r still hold once the daemon has gone to "/": a
	# process migrated there is confined to RUNDIR/empty, found by its path.
	rel='guestd -c ../etc/./mosix -r ./mosix'
	cl kill-guestd 2 >/dev/null
	cl exec 2 sh -c "cd /run && exec $BIN/$rel" >"$T/rel" 2>&1
	msg=$(cl exec 1 "$BIN/mosrun" -2 sh -c 'exit 7' 2>&1)
	rc=$?
	pkill -f "$rel"
	cl start-guestd 2 >/dev/null 2>>"$T/rel"
	check guestd-relative-dirs "exit $rc (want 7): $msg $(cat "$T/rel")" test $rc -eq 7 -a -z "$msg"
else
	t_skip cluster/guestd-real "$B/bin/guestd is not built yet"
fi

# status --json is JSON and lists every node.
if command -v python3 >/dev/null; then
	n=$(cl status --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["nodes"]))' 2>&1)
	check status-json "got $n" test "$n" = 3
fi

# down: no process, namespace, mount, mount point or state is left.
for k in br n1 n2 n3; do
	f=$S/$k/holder && [ $k = br ] && f=$S/bridge
	read -r p <"$f" && pids="${pids:-} $p" && for ns in net mnt uts; do
		ino=$(stat -L -c %i "/proc/$p/ns/$ns") && [ "$ino" != "$(stat -L -c %i /proc/self/ns/$ns)" ] &&
			inos="${inos:-} $ns:$ino"
	done
done
# Stray processes in a node (also one in namespaces of its own, also in a node
# whose holder died) must go too.
(cl exec 2 sleep 1$$1 >/dev/null 2>&1 &)
(cl exec 3 unshare --net --mount sleep 1$$2 >/dev/null 2>&1 &)
sleep 0.3
read -r p <"$S/n3/holder" && kill -KILL "$p"
t0=$(date +%s%N)
cl down >"$T/out" 2>&1
rc=$?
echo "  down took $((($(date +%s%N) - t0) / 1000000)) ms"
UP=0
left=""
for p in $pids; do gone "$p" || left="$left pid:$p"; done
stat -L -c '%n %i' /proc/[0-9]*/ns/{net,mnt,uts} 2>/dev/null >"$T/ns.after"
for i in $inos; do
	grep -q "/${i%%:*} ${i#*:}\$" "$T/ns.after" && left="$left $i"
done
grep -q "$S" /proc/self/mountinfo && left="$left mount"
[ -e "$S" ] && left="$left $S"
# (mount points stay while another cluster of this machine uses them)
if ! pgrep -f '^mosix-cluster-[0-9]+-n' >/dev/null; then
	for mp in /etc/mosix /run/mosix /home/mosix; do
		[ -e "$mp" ] && ! grep -qx "$mp" "$T/mp.before" && left="$left $mp"
	done
fi
ip -o link show | sed 's/^[0-9]*: \([^:@]*\).*/\1/' | sort >"$T/links.after"
cmp -s "$T/links.before" "$T/links.after" || left="$left links"
pgrep -f "sleep 1$$[12]" >/dev/null && left="$left stray-sleep"
check down "exit $rc, left:$left $(cat "$T/out")" test $rc -eq 0 -a -z "$left"
cl down >"$T/out" 2>&1
check down-idempotent "exit $?: $(cat "$T/out")" grep -q "nothing up" "$T/out"
