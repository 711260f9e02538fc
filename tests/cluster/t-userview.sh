#!/usr/bin/env bash
# t-userview.sh: what the user commands say and do with targets (issue 17):
# a move to a node that does not exist or is down is refused at once, with
# the reason, and the process stays where it was; this node's own number is
# home; a node's address works as a target; a mosrun's pid stands for its
# program; a bad pid is a usage error that says so first; mosrun -h keeps
# the program home even with -NODE.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/suite.sh"
cluster_suite userview 3

# where PID: the node n1's registry says PID runs on ("" if unknown).
where() {
	on 1 mosctl localstatus --json | python3 -c '
import json, sys
for p in json.load(sys.stdin)["processes"]:
    if p["pid"] == int(sys.argv[1]) and p["kind"] == "local": print(p["where"])' "$1"
}

on 1 env MOSTEST_GO="$W/go" mosrun "$PROGS/signals" >"$W/a.out" 2>&1 &
MR=$!
P=$(ready_pid "$W/a.out") || t_fail userview/start "never ready"
for _ in $(seq 20); do [ "$(where "$P")" = 1 ] && break; sleep 0.25; done

m=$(on 1 mosmigrate "$P" 9 2>&1)
rc=$?
[ $rc -eq 1 ] && grep -q "no node '9'" <<<"$m" && [ "$(where "$P")" = 1 ] &&
	t_pass userview/unknown-node-refused || t_fail userview/unknown-node-refused "exit $rc: $m; where $(where "$P")"

m=$(on 1 mosmigrate "$P" 1 2>&1)
rc=$?
[ $rc -eq 0 ] && grep -q "is at home" <<<"$m" && t_pass userview/own-number-is-home ||
	t_fail userview/own-number-is-home "exit $rc: $m"

m=$(on 1 mosmigrate -w "$P" 10.77.0.2 2>&1)
rc=$?
[ $rc -eq 0 ] && [ "$(where "$P")" = 2 ] && t_pass userview/address-as-target ||
	t_fail userview/address-as-target "exit $rc: $m; where $(where "$P"); n1: $(on 1 mosctl status | tr "\n" ";")"

MP=$(ps -o ppid= -p "$P" | tr -d ' ') # the mosrun: the program's parent
m=$(on 1 mosmigrate -w "$MP" home 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ "$(where "$P")" = 1 ] && grep -q "its program is pid $P" <<<"$m"; then
	t_pass userview/mosrun-pid-stands-for-its-program
else
	t_fail userview/mosrun-pid-stands-for-its-program "mosrun $MP: exit $rc: $m; where $(where "$P")"
fi

"$CL" kill-guestd 3 >/dev/null
for _ in $(seq 40); do on 1 mosctl status --json | grep -q '"node": 3, "up": false' && break; sleep 0.5; done
m=$(on 1 mosmigrate "$P" 3 2>&1)
rc=$?
[ $rc -eq 1 ] && grep -q "node 3 is down" <<<"$m" && [ "$(where "$P")" = 1 ] &&
	t_pass userview/down-node-refused || t_fail userview/down-node-refused "exit $rc: $m; where $(where "$P")"
"$CL" start-guestd 3 >/dev/null

m=$(on 1 mosmigrate abc 2 2>&1)
rc=$?
[ $rc -eq 2 ] && [ "$(head -n 1 <<<"$m")" = "mosmigrate: the pid must be a whole number from 1 to 2147483647, not 'abc'" ] &&
	t_pass userview/bad-pid-says-so-first || t_fail userview/bad-pid-says-so-first "exit $rc: $(head -n 1 <<<"$m")"

touch "$W/go"
wait_exit $MR 30
[ "$RC" = 0 ] && grep -q "^PASS signals pid=$P$" "$W/a.out" && t_pass userview/program-passes ||
	t_fail userview/program-passes "exit $RC: $(tail -n 2 "$W/a.out" | tr '\n' ' ')"

out=$(on 1 mosrun -v -2 -h "$PROGS/counter_static" 2>&1)
rc=$?
[ $rc -eq 0 ] && grep -q "^PASS" <<<"$out" && ! grep -q "runs on node" <<<"$out" &&
	t_pass userview/h-keeps-it-home || t_fail userview/h-keeps-it-home "exit $rc: $(tr '\n' ' ' <<<"$out")"
