#!/usr/bin/env bash
# t-state.sh: state that a move must keep (issue 18). Each workload program
# sets up its state, is moved n1 -> n2 -> n3 -> home while it waits, and
# checks that state itself afterwards: memory advice and VMA flags (vmflags),
# its own SIGTRAPs (sigtrap; also raised in a loop while it moves), a shared
# anonymous mapping that only it maps, a deleted file mapped privately and
# POSIX timers (memstate), and process state (procstate). mosps --json must
# show it at each node it was sent to. Two routes as an ordinary user too,
# and each program once checked where it is, at node 2.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/suite.sh"
cluster_suite state 3
suite_user_bin

# node_of PID [USER]: where n1's mosps --json (run as USER: it shows a
# user's own processes) says PID runs (0: home).
node_of() {
	if [ "${2:--}" = - ]; then on 1 mosps --json; else as_user 1 mosps --json; fi | python3 -c '
import json, sys
for p in json.load(sys.stdin)["processes"]:
    if p["pid"] == int(sys.argv[1]): print(p["node"])' "$1"
}

# route_case NAME LABEL USER ARGS...: start NAME at home (as USER, or root
# when USER is -), move it along $ROUTE (default 2 -> 3 -> home), checking
# with mosps that it is where it was sent, then let it check itself there:
# PASS with its home pid.
route_case() {
	local name=$1 label=$2 user=$3 out=$W/$1.$2.out go=$W/go.$1.$2 pid hop m at why=""
	shift 3
	if [ "$user" = - ]; then
		on 1 env MOSTEST_GO="$go" TMPDIR=/tmp mosrun "$PROGS/$name" "$@" >"$out" 2>&1 &
	else
		as_user 1 env MOSTEST_GO="$go" TMPDIR="$W/utmp" mosrun "$W/ubin/$name" "$@" \
			>"$out" 2>&1 &
	fi
	local mr=$!
	if ! pid=$(ready_pid "$out" 30); then
		t_fail "state/$name/$label" "never ready: $(tail -n 3 "$out" | tr '\n' ' ')"
		wait_exit $mr 5
		return
	fi
	for hop in ${ROUTE:-2 3 home}; do
		if [ "$user" = - ]; then
			m=$(on 1 mosmigrate -w "$pid" "$hop" 2>&1) || why="mosmigrate $pid $hop: $m"
		else
			m=$(as_user 1 mosmigrate -w "$pid" "$hop" 2>&1) || why="mosmigrate $pid $hop: $m"
		fi
		[ -z "$why" ] || break
		at=$(node_of "$pid" "$user")
		[ "$at" = "${hop/home/0}" ] || { why="sent to $hop, mosps says node '$at'"; break; }
		sleep 0.3 # it stays there
		at=$(node_of "$pid" "$user")
		[ "$at" = "${hop/home/0}" ] || { why="0.3 s after the move to $hop, at node '$at'"; break; }
	done
	touch "$go"
	wait_exit $mr 60
	if [ -z "$why" ] && [ "$RC" -eq 0 ] && grep -q "^PASS $name pid=$pid\$" "$out"; then
		t_pass "state/$name/$label"
	else
		t_fail "state/$name/$label" "${why:+$why; }exit $RC: $(tail -n 3 "$out" | tr '\n' ' ')"
	fi
}

mkdir -p "$W/utmp" && chown "$SUITE_USER" "$W/utmp"
for p in vmflags sigtrap memstate procstate; do
	cp "$PROGS/$p" "$W/ubin/" && chmod 755 "$W/ubin/$p"
done

route_case vmflags n2-n3-home -
route_case sigtrap n2-n3-home -
route_case sigtrap ignore-n2-n3-home - ignore
route_case sigtrap storm-n2-n3-home - storm
route_case memstate n2-n3-home -
route_case procstate n2-n3-home -
route_case vmflags user-n2-n3-home "$SUITE_USER"
route_case memstate user-n2-n3-home "$SUITE_USER"
# checked where they are: at node 2
for p in vmflags sigtrap memstate procstate; do
	ROUTE=2 route_case "$p" at-n2 -
done
