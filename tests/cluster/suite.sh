# tests/cluster/suite.sh: what every cluster suite does first (source it after
# tests/lib.sh). cluster_suite NAME N [UP-OPTION...] gives the suite a cluster
# of N nodes (cluster up N UP-OPTION..., e.g. --cpus 0.5) with
# its own state dir (runs from other checkouts coexist), a work dir W that
# every node sees (/var/tmp, not a node-private dir), and takes both down on
# exit, after suite_cleanup (a suite may redefine it). A cluster that does not
# come up is the suite's one failure, NAME/cluster-up.
CL=$TOP/tests/cluster/cluster
on() { "$CL" exec "$@"; }
suite_cleanup() { :; }

# When the suite failed a case, what each node's guestd said last (its debug
# lines left out): the one place a CI log can show why.
suite_logs() {
	local f
	[ "$(grep -c '^FAIL' "$RESULTS")" -gt "${SUITE_FAILS:-0}" ] || return 0
	for f in "$MOSIX_CLUSTER_STATE"/n*/guestd.log; do
		[ -f "$f" ] || continue
		echo "-- ${f#"$MOSIX_CLUSTER_STATE"/} (last lines)"
		grep -v ' debug: ' "$f" | tail -n 15 | sed 's/^/   /'
	done
}

# The calls that brought processes home during the suite, and that guests
# got ENOSYS for under mosrun -e, as each node's guestd counted them
# (mosctl calls), added to $B/calls-home.txt as "suite node call homecomings
# refused" lines: after a test run, the calls to forward next
# (guestd/remote/CALLS.md).
suite_calls() {
	local k
	for ((k = 1; k <= SUITE_NODES; k++)); do
		on "$k" mosctl calls 2>/dev/null | awk -v s="$SUITE_NAME" -v k="$k" 'NR > 1 { print s, k, $1, $2, $3 }'
	done >>"$TOP/$B/calls-home.txt"
}

cluster_suite() {
	local name=$1 n=$2
	SUITE_NAME=$name SUITE_NODES=$n
	shift 2
	export MOSIX_CLUSTER_STATE=/tmp/mosix-cluster-$name-$$
	W=$(mktemp -d "/var/tmp/mosix-$name.XXXXXX")
	SUITE_FAILS=$(grep -c '^FAIL' "$RESULTS")
	trap 'suite_cleanup; suite_logs; suite_calls; "$CL" down >/dev/null 2>&1; rm -rf "$W"' EXIT
	if ! "$CL" up "$n" --force "$@" >"$W/up.log" 2>&1; then
		t_fail "$name/cluster-up" "$(tail -n 5 "$W/up.log")"
		exit 0
	fi
}

# where_all: "pid where" of every local process in n1's registry.
where_all() {
	on 1 mosctl localstatus --json | python3 -c '
import json, sys
for p in json.load(sys.stdin)["processes"]:
    if p["kind"] == "local": print(p["pid"], p["where"])'
}

# wait_until SECS CMD...: until CMD succeeds (every 0.5 s); 1 on timeout.
wait_until() {
	local i
	for ((i = 0; i < $1 * 2; i++)); do "${@:2}" && return 0; sleep 0.5; done
	return 1
}

# suite_user_bin: an ordinary user's view: the user commands copied where
# any user can run them, mosrun setgid to the cluster's group as an
# installation has it; as_user NODE CMD... runs CMD there as SUITE_USER with
# them first in PATH. (Under ASan, a setgid mosrun cannot run LeakSanitizer,
# which needs to trace its own process: mosrun turns it off there.)
SUITE_USER=65534
suite_user_bin() {
	chmod 755 "$W"
	mkdir -p "$W/ubin"
	cp "$BIN"/{mosrun,mosmigrate,mosps,mosctl} "$TOP/$B/tools/lapi_probe" "$PROGS/signals" \
		"$PROGS/heap_sparse" "$W/ubin/"
	chmod 755 "$W/ubin" "$W/ubin"/* && chgrp mosix "$W/ubin/mosrun" && chmod 2755 "$W/ubin/mosrun"
}
as_user() {
	on "$1" setpriv --reuid=$SUITE_USER --regid=$SUITE_USER --clear-groups \
		env PATH="$W/ubin:$PATH" "${@:2}"
}

# mosps_pid WORD: the pid of the one process in n1's mosps --json whose
# command is WORD or begins with WORD and a blank; fails unless exactly one.
mosps_pid() {
	on 1 mosps --json | python3 -c '
import json, sys
w = sys.argv[1]
ps = [p["pid"] for p in json.load(sys.stdin)["processes"]
      if p["command"] == w or p["command"].startswith(w + " ")]
if len(ps) != 1: sys.exit(1)
print(ps[0])' "$1"
}

# where_been PID: "WHERE BEEN" of n1's registry entry of PID (WHERE its node,
# 1 at home; BEEN the nodes it ran on, "1>2>1"); nothing once it is gone.
where_been() {
	[ -n "$1" ] || return 0
	on 1 mosctl localstatus --json | python3 -c '
import json, sys
for p in json.load(sys.stdin)["processes"]:
    if p["kind"] == "local" and p["pid"] == int(sys.argv[1]):
        print(p["where"], ">".join(map(str, p["been"])))' "$1"
}
# runs_on PID NODE: PID runs on NODE now (n1's registry).
runs_on() { [ "$(where_been "$1" | cut -d' ' -f1)" = "$2" ]; }

# c_project DIR: a small C project in DIR (main.c, f1.c..f6.c, a Makefile
# with prog and clean) for make -j4 runs: it prints one number.
c_project() {
	local i
	mkdir -p "$1"
	for i in 1 2 3 4 5 6; do
		printf 'int f%d(int x) { int s = 0; for (int i = 0; i < x; i++) s += i * %d; return s; }\n' "$i" "$i" >"$1/f$i.c"
	done
	{
		echo '#include <stdio.h>'
		for i in 1 2 3 4 5 6; do echo "int f$i(int);"; done
		echo 'int main(void) { printf("%d\n", f1(10) + f2(20) + f3(30) + f4(40) + f5(50) + f6(60)); return 0; }'
	} >"$1/main.c"
	printf 'OBJS = main.o f1.o f2.o f3.o f4.o f5.o f6.o\nprog: $(OBJS)\n\t$(CC) -o $@ $(OBJS)\n%%.o: %%.c\n\t$(CC) -O1 -c -o $@ $<\nclean:\n\trm -f prog $(OBJS)\n' >"$1/Makefile"
}
