#!/usr/bin/env bash
# t-calls.sh: system calls of a process that runs away from home. Each group
# of tests/progs/calls (forwarded calls with their error cases: ENOENT,
# EBADF, EFAULT from a bad pointer) runs at home under mosrun, then started
# on node 2 (mosrun -v -2): the same lines, its own checks pass, and it
# stayed on node 2 for its whole run (mosrun says where it runs and never
# that it came home; guestd's count of calls that brought processes home
# does not move). A call that runs only at home (signalfd) brings the
# process home, named in mosrun's message, mosps (homecomings, home_for)
# and mosctl calls; with mosrun -e it fails with ENOSYS instead (counted as
# refused by the guestd of the node where it ran).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/suite.sh"
cluster_suite calls 2
CALLS=$PROGS/calls
chmod 777 "$W"

# calls_total: how many homecomings guestd of node 1 has counted.
calls_total() {
	on 1 mosctl calls --json | python3 -c '
import json, sys
print(sum(c["homecomings"] for c in json.load(sys.stdin)["calls"]))'
}

# the lines of a run that both runs print the same (no pids)
lines() { grep -v -e '^READY ' -e '^PASS ' -e '^FAIL ' "$1"; }

before=$(calls_total)
for g in fadvise statfs xattr copy times at memory fds sockets process procfs; do
	nice=0
	[ "$g" = process ] && nice=3 # (the nice value it started with is home's, read there)
	on 1 env TMPDIR="$W" nice -n $nice mosrun "$CALLS" "$g" >"$W/home.$g" 2>&1
	hrc=$?
	on 1 env TMPDIR="$W" nice -n $nice mosrun -v -2 "$CALLS" "$g" >"$W/away.$g" 2>"$W/log.$g"
	arc=$?
	d=$(diff <(lines "$W/home.$g") <(lines "$W/away.$g"))
	if [ $hrc -ne 0 ]; then
		t_fail "calls/$g" "at home: exit $hrc: $(grep -e WRONG -e FAIL "$W/home.$g" | tr '\n' '|')"
	elif [ $arc -ne 0 ] || ! grep -q '^PASS calls' "$W/away.$g"; then
		t_fail "calls/$g" "away: exit $arc: $(grep -e WRONG -e FAIL "$W/away.$g" | tr '\n' '|') $(tail -n 2 "$W/log.$g" | tr '\n' '|')"
	elif ! grep -q "runs on node 2" "$W/log.$g" || grep -q "is home from" "$W/log.$g"; then
		t_fail "calls/$g" "did not stay on node 2: $(tr '\n' '|' <"$W/log.$g")"
	elif [ -n "$d" ]; then
		t_fail "calls/$g" "differs from home: $(tr '\n' '|' <<<"$d")"
	else
		t_pass "calls/$g"
	fi
done
after=$(calls_total)
[ -n "$before" ] && [ "$before" = "$after" ] && t_pass calls/no-homecoming-counted ||
	t_fail calls/no-homecoming-counted "guestd counted homecomings: $before -> $after"

# The same as an ordinary user (mosrun setgid to the cluster's group).
suite_user_bin
cp "$CALLS" "$W/ubin/calls" && chmod 755 "$W/ubin/calls"
mkdir -p "$W/u" && chmod 777 "$W/u"
for g in xattr sockets process procfs; do
	as_user 1 env TMPDIR="$W/u" mosrun "$W/ubin/calls" "$g" >"$W/uhome.$g" 2>&1
	hrc=$?
	as_user 1 env TMPDIR="$W/u" mosrun -v -2 "$W/ubin/calls" "$g" >"$W/uaway.$g" 2>"$W/ulog.$g"
	arc=$?
	d=$(diff <(lines "$W/uhome.$g") <(lines "$W/uaway.$g"))
	[ $hrc -eq 0 ] && [ $arc -eq 0 ] && [ -z "$d" ] && grep -q "runs on node 2" "$W/ulog.$g" &&
		! grep -q "is home from" "$W/ulog.$g" && t_pass "calls/user-$g" ||
		t_fail "calls/user-$g" "exit $hrc/$arc: $(tr '\n' '|' <<<"$d") $(tr '\n' '|' <"$W/ulog.$g")"
done

# A call that runs only at home: the process comes home for it, by name.
hold=$W/hold
on 1 env TMPDIR="$W" MOSTEST_HOLD="$hold" mosrun -v -2 "$CALLS" home >"$W/home.out" 2>"$W/home.log" &
mr=$!
if wait_for "$W/home.out" '^HELD ' 30; then
	pid=$(sed -n 's/^HELD pid=\([0-9]*\)/\1/p' "$W/home.out")
	js=$(on 1 mosps --json)
	rec=$(python3 -c '
import json, sys
for p in json.loads(sys.argv[1])["processes"]:
    if p["pid"] == int(sys.argv[2]):
        print(p["node"], p["homecomings"], ",".join(p["home_for"]))' "$js" "$pid")
	row=$(on 1 mosps | awk -v p="$pid" '$1 == p')
	[ "$rec" = "0 1 signalfd4" ] && t_pass calls/mosps-home-for ||
		t_fail calls/mosps-home-for "want '0 1 signalfd4', got '$rec' in $js"
	[[ $row == *" 1:signalfd4 "* ]] && t_pass calls/mosps-came-home-column ||
		t_fail calls/mosps-came-home-column "row: $row"
else
	t_fail calls/mosps-home-for "never held: $(tr '\n' '|' <"$W/home.out") $(tr '\n' '|' <"$W/home.log")"
fi
touch "$hold"
wait_exit $mr 30
grep -q "is home from node 2 (it called signalfd4, which runs only at home)" "$W/home.log" &&
	[ "$RC" -eq 0 ] && grep -q '^signalfd-read: 10$' "$W/home.out" &&
	! grep -q "syscall [0-9]" "$W/home.log" && t_pass calls/home-by-name ||
	t_fail calls/home-by-name "exit $RC: $(tr '\n' '|' <"$W/home.out") $(tr '\n' '|' <"$W/home.log")"
n=$(on 1 mosctl calls | awk '$1 == "signalfd4" { print $2 }')
[ "${n:-0}" -ge 1 ] && [ "$(calls_total)" -gt "$after" ] && t_pass calls/mosctl-calls ||
	t_fail calls/mosctl-calls "signalfd4 counted '${n}': $(on 1 mosctl calls | tr '\n' '|')"

# With -e, the call fails instead, and the process stays away.
out=$(on 1 env TMPDIR="$W" mosrun -e -v -2 "$CALLS" home 2>&1)
rc=$?
[ $rc -eq 0 ] && grep -q '^signalfd: -ENOSYS$' <<<"$out" && grep -q "runs on node 2" <<<"$out" &&
	! grep -q "is home from" <<<"$out" && t_pass calls/no-home-enosys ||
	t_fail calls/no-home-enosys "exit $rc: $(tr '\n' '|' <<<"$out")"
refused=$(on 2 mosctl calls --json | python3 -c '
import json, sys
print([c["refused"] for c in json.load(sys.stdin)["calls"] if c["call"] == "signalfd4"])')
[ "$refused" = "[1]" ] && t_pass calls/mosctl-calls-refused ||
	t_fail calls/mosctl-calls-refused "node 2 counted signalfd4 refusals: $refused"

# mosctl calls: usage and JSON.
on 1 mosctl calls --json | python3 -c 'import json, sys; json.load(sys.stdin)["calls"]' &&
	t_pass calls/mosctl-calls-json || t_fail calls/mosctl-calls-json "not JSON"
