#!/usr/bin/env bash
# t-hub.sh: guestd as the node's hub. Its registry knows every process that
# a mosrun supervises (owner, home, where it runs; children forked at home
# and away), and every guest; a guestd restarted while jobs run gets them
# back. Each node measures itself (cgroup quota and memory limit of the
# test cluster). The local socket checks who asks: an ordinary user reads
# status but may not administer, move another user's process, or obtain a
# node-to-node session key.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/suite.sh"
cluster_suite hub 4 --cpus 0.5 --speeds 1,1,0.5,0.5 --mem 512
ST=$MOSIX_CLUSTER_STATE
suite_user_bin
USER_ID=$SUITE_USER

# procs NODE: the registry of NODE, one "pid home where uid kind comm" line each.
procs() {
	on "$1" mosctl localstatus --json | python3 -c '
import json, sys
for p in json.load(sys.stdin)["processes"]:
    print(p["pid"], p["home"], p["where"], p["uid"], p["kind"], p["comm"])'
}
# has NODE LINE-PATTERN [SECONDS]: wait until NODE's registry has a matching line.
has() {
	local i
	for ((i = 0; i < ${3:-10} * 4; i++)); do
		procs "$1" | grep -Eq -- "$2" && return 0
		sleep 0.25
	done
	return 1
}
# node_json NODE K KEY: KEY of node K in NODE's mosctl status --json.
node_json() {
	on "$1" mosctl status --json | python3 -c '
import json, sys
for n in json.load(sys.stdin)["nodes"]:
    if n["node"] == int(sys.argv[1]): print(n[sys.argv[2]])' "$2" "$3"
}

# --- each node measures itself: capacity, speed, memory, load
ok=1 why=""
for k in 1 2 3 4; do
	c=$(node_json $k $k cpus) m=$(node_json $k $k mem_total_mb)
	want=0.5
	[ $k -ge 3 ] && want=0.25
	[ "$c" = "$want" ] && [ "$m" = 512 ] || { ok=0; why="$why n$k: cpus $c (not $want) mem $m;"; }
done
s1=$(node_json 1 1 speed) s3=$(node_json 3 3 speed)
python3 -c "import sys; sys.exit(not 0.35 < $s3 / $s1 < 0.65)" || { ok=0; why="$why speed n3/n1 $s3/$s1;"; }
[ $ok = 1 ] && t_pass hub/measures-own-capacity || t_fail hub/measures-own-capacity "$why"

# (loads as n4 sees them by gossip: a query run on a node is itself a
# runnable process there, and the advertised load rises at once)
for _ in $(seq 60); do # the queries above ran on every node: let their loads decay
	python3 -c "import sys; sys.exit(not ($(node_json 4 1 load) < 0.3 and $(node_json 4 3 load) < 0.3))" && break
	sleep 0.5
done
l2a=$(node_json 4 2 load)
on 2 sh -c 'exec timeout 30 sh -c "while :; do :; done"' &
hog=$!
loaded=0
for _ in $(seq 40); do
	sleep 0.25
	python3 -c "import sys; sys.exit(not $(node_json 4 2 load) >= 0.9)" && loaded=1 && break
done
l1=$(node_json 4 1 load) l3=$(node_json 4 3 load) l2=$(node_json 4 2 load)
kill $hog 2>/dev/null
on 2 pkill -f 'while :; do :; done'
wait $hog 2>/dev/null
if [ $loaded = 1 ] && python3 -c "import sys; sys.exit(not ($l1 < 0.5 and $l3 < 0.5))"; then
	t_pass "hub/load-is-the-node's (n2 $l2a -> $l2, n1 $l1, n3 $l3, as n4 sees them)"
else
	t_fail hub/load-is-the-node\'s "a CPU hog on n2: n2 $l2a -> $l2, n1 $l1, n3 $l3 (as n4 sees them)"
fi

f3a=$(node_json 3 3 mem_free_mb) f1a=$(node_json 1 1 mem_free_mb)
on 3 python3 -c '
import time
x = bytearray(200 << 20)
for i in range(0, len(x), 4096): x[i] = 1
print("READY mem pid=0", flush=True)
time.sleep(20)' >"$W/mem.out" 2>&1 &
memp=$!
wait_for "$W/mem.out" '^READY' 30
sleep 2.5
f3b=$(node_json 3 3 mem_free_mb) f1b=$(node_json 1 1 mem_free_mb)
kill $memp 2>/dev/null
wait $memp 2>/dev/null
if [ $((f3a - f3b)) -ge 150 ] && [ $((f1a - f1b)) -lt 50 ] && [ $((f1b - f1a)) -lt 50 ]; then
	t_pass "hub/memory-is-the-node's (n3 free $f3a -> $f3b MB, n1 $f1a -> $f1b)"
else
	t_fail hub/memory-is-the-node\'s "200 MB used on n3: n3 free $f3a -> $f3b MB, n1 $f1a -> $f1b"
fi

# --- the registry: a root job and a user's job, at home and away
on 1 env MOSTEST_GO="$W/go.r" mosrun "$PROGS/signals" >"$W/r.out" 2>&1 &
MR=$!
as_user 1 env MOSTEST_GO="$W/go.u" mosrun signals >"$W/u.out" 2>&1 &
MU=$!
R=$(ready_pid "$W/r.out") && U=$(ready_pid "$W/u.out") || t_fail hub/registry-start "never ready: $(cat "$W/r.out" "$W/u.out")"
if has 1 "^$R 1 1 0 local signals$" && has 1 "^$U 1 1 $USER_ID local signals$"; then
	t_pass hub/registry-owner-home-place
else
	t_fail hub/registry-owner-home-place "n1: $(procs 1 | tr '\n' ';')"
fi
m=$(as_user 1 mosmigrate -w "$U" 2 2>&1)
if [ $? -eq 0 ] && has 1 "^$U 1 2 $USER_ID local" && has 2 "^$U 1 2 $USER_ID guest signals$"; then
	t_pass hub/user-process-moves-and-is-registered-there
else
	t_fail hub/user-process-moves-and-is-registered-there "mosmigrate: $m; n1: $(procs 1 | tr '\n' ';') n2: $(procs 2 | tr '\n' ';')"
fi

# children forked at home and away are registered too
cat >"$W/kids.py" <<'PY'
import os, sys, time
go = sys.argv[1]
kids = []
for _ in range(2):
    pid = os.fork()
    if pid == 0:
        while not os.path.exists(go): time.sleep(0.1)
        os._exit(0)
    kids.append(pid)
print("READY kids pid=%d children=%s" % (os.getpid(), ",".join(map(str, kids))), flush=True)
ok = all(os.waitpid(k, 0)[1] == 0 for k in kids)
print("PASS kids" if ok else "FAIL kids", flush=True)
PY
on 1 mosrun /usr/bin/python3 "$W/kids.py" "$W/go.k1" >"$W/k1.out" 2>&1 &
MK1=$!
on 1 mosrun -2 /usr/bin/python3 "$W/kids.py" "$W/go.k2" >"$W/k2.out" 2>&1 &
MK2=$!
K1=$(ready_pid "$W/k1.out" 60) && K2=$(ready_pid "$W/k2.out" 60)
c1=$(sed -n 's/.*children=//p' "$W/k1.out") c2=$(sed -n 's/.*children=//p' "$W/k2.out")
ok=1
for c in ${c1//,/ }; do has 1 "^$c 1 1 0 local" || ok=0; done
for c in ${c2//,/ }; do has 1 "^$c 1 2 0 local" && has 2 "^$c 1 2 [0-9]+ guest" || ok=0; done
[ $ok = 1 ] && [ -n "$c1" ] && [ -n "$c2" ] && t_pass hub/children-home-and-away ||
	t_fail hub/children-home-and-away "kids $c1 / $c2; n1: $(procs 1 | tr '\n' ';') n2: $(procs 2 | tr '\n' ';')"
touch "$W/go.k1" "$W/go.k2"
wait_exit $MK1 30
r1=$RC
wait_exit $MK2 30
gone=1
for p in $K1 $K2 ${c1//,/ } ${c2//,/ }; do procs 1 | grep -q "^$p " && gone=0; done
procs 2 | grep -q "kids\|python" && gone=0
[ $r1 = 0 ] && [ "$RC" = 0 ] && [ $gone = 1 ] && t_pass hub/ended-processes-leave-the-registry ||
	t_fail hub/ended-processes-leave-the-registry "exits $r1/$RC; n1: $(procs 1 | tr '\n' ';') n2: $(procs 2 | tr '\n' ';')"

# --- guestd restarts while jobs run, at home (R on n1) and away (U on n2)
"$CL" kill-guestd 1 >/dev/null && "$CL" kill-guestd 2 >/dev/null
"$CL" start-guestd 1 >/dev/null && "$CL" start-guestd 2 >/dev/null
if has 1 "^$R 1 1 0 local" && has 1 "^$U 1 2 $USER_ID local" && has 2 "^$U 1 2 $USER_ID guest"; then
	t_pass hub/restarted-guestd-gets-its-processes-back
else
	t_fail hub/restarted-guestd-gets-its-processes-back "n1: $(procs 1 | tr '\n' ';') n2: $(procs 2 | tr '\n' ';')"
fi
# the guest re-registered with n2's new guestd: an expel there sends it home
g=$(on 2 mosctl expel --wait --timeout 30 2>&1)
if [ $? -eq 0 ] && has 1 "^$U 1 1 $USER_ID local"; then
	t_pass hub/expel-after-restart
else
	t_fail hub/expel-after-restart "$(tr '\n' ' ' <<<"$g"); n1: $(procs 1 | tr '\n' ';')"
fi
on 2 mosctl noblock >/dev/null

# --- an ordinary user: status yes, administration no
ok=1 why=""
as_user 1 mosctl status >/dev/null 2>&1 || { ok=0; why="status refused;"; }
as_user 1 mosctl whois 2 2>&1 | grep -q "node 2 is 10.77.0.2" || { ok=0; why="$why whois;"; }
[ $ok = 1 ] && t_pass hub/user-reads-status || t_fail hub/user-reads-status "$why"
ok=1 why=""
for c in expel bring block noblock unblock stay nostay lstay nolstay reload; do
	out=$(as_user 1 mosctl $c 2>&1)
	rc=$?
	[ $rc -eq 1 ] && grep -q "permission denied: only root" <<<"$out" || { ok=0; why="$why $c: exit $rc '$out';"; }
done
[ "$(node_json 1 1 status)" = "[]" ] || { ok=0; why="$why status changed: $(node_json 1 1 status);"; }
[ $ok = 1 ] && t_pass hub/user-may-not-administer || t_fail hub/user-may-not-administer "$why"
ok=1 why=""
for what in 2 home checkpoint chkstop; do
	out=$(as_user 1 mosmigrate "$R" $what 2>&1) && { ok=0; why="$why $what: '$out';"; }
done
has 1 "^$R 1 1 0 local" || { ok=0; why="$why root's job moved;"; }
[ $ok = 1 ] && t_pass hub/user-may-not-move-others || t_fail hub/user-may-not-move-others "$why"

# root's policy: stay, lstay and block show in every node's view; block
# refuses arrivals; noblock, nostay, nolstay undo them
out=$(on 3 mosctl stay --json) && on 3 mosctl lstay >/dev/null && on 3 mosctl block >/dev/null
seen=""
for _ in $(seq 40); do
	seen=$(node_json 1 3 status)
	[ "$seen" = "['stay', 'lstay', 'block']" ] && break
	sleep 0.25
done
m=$(on 1 mosmigrate -w "$R" 3 2>&1)
mrc=$?
on 3 mosctl noblock >/dev/null && on 3 mosctl nostay >/dev/null && on 3 mosctl nolstay >/dev/null
after=$(node_json 3 3 status)
if [ "$seen" = "['stay', 'lstay', 'block']" ] && grep -q '"ok": true' <<<"$out" && [ $mrc -ne 0 ] &&
	grep -q "accepts no guests" <<<"$m" && [ "$after" = "[]" ] && has 1 "^$R 1 1 0 local"; then
	t_pass hub/stay-lstay-block
else
	t_fail hub/stay-lstay-block "n1 sees n3 '$seen'; stay --json '$out'; move to blocked n3: exit $mrc '$m'; after: '$after'"
fi

# the session key: root gets a connection with it (the probe sees keys), a
# user's own program does not
out_r=$(on 1 "$TOP/$B/tools/lapi_probe" connect 3 2>&1)
rr=$?
out_u=$(as_user 1 lapi_probe connect 3 2>&1)
ru=$?
if [ $rr -eq 0 ] && grep -q "connection: received" <<<"$out_r" && ! grep -q "key bytes: 0$" <<<"$out_r" &&
	[ $ru -eq 1 ] && grep -q "permission denied" <<<"$out_u" && grep -q "connection: none" <<<"$out_u" &&
	grep -q "key bytes: 0$" <<<"$out_u"; then
	t_pass hub/no-session-key-for-users
else
	t_fail hub/no-session-key-for-users "root: $rr $(tr '\n' ' ' <<<"$out_r"); user: $ru $(tr '\n' ' ' <<<"$out_u")"
fi
# the user's own mosrun (setgid) cannot be read by that user: it may hold
# session keys; the user's program can be
MP=$(on 1 ps -o ppid= -p "$U" | tr -d ' ')
rd() { as_user 1 python3 -c 'import sys; f = open("/proc/%s/mem" % sys.argv[1], "rb"); print("read")' "$1" 2>&1; }
if [ -n "$MP" ] && ! rd "$MP" | grep -q "^read" && rd "$U" | grep -q "^read"; then
	t_pass hub/user-cannot-read-own-mosrun
else
	t_fail hub/user-cannot-read-own-mosrun "mosrun $MP: $(rd "$MP" | tail -n 1); program $U: $(rd "$U" | tail -n 1)"
fi
out=$(as_user 1 lapi_probe register 2>&1)
[ $? -eq 1 ] && grep -q "permission denied" <<<"$out" && t_pass hub/user-may-not-pose-as-a-guest ||
	t_fail hub/user-may-not-pose-as-a-guest "$(tr '\n' ' ' <<<"$out")"
out=$(as_user 1 lapi_probe garbage 2>&1)
if grep -q "malformed request" <<<"$out" && on 1 mosctl status >/dev/null; then
	t_pass hub/garbage-on-the-local-socket
else
	t_fail hub/garbage-on-the-local-socket "$out"
fi

touch "$W/go.r" "$W/go.u"
wait_exit $MR 30
r1=$RC
wait_exit $MU 30
grep -q "^PASS signals pid=$R" "$W/r.out" && grep -q "^PASS signals pid=$U" "$W/u.out" &&
	[ $r1 = 0 ] && [ "$RC" = 0 ] && t_pass hub/jobs-finish ||
	t_fail hub/jobs-finish "exits $r1/$RC: $(tail -n 2 "$W/r.out" "$W/u.out" | tr '\n' ' ')"
