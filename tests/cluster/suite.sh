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

cluster_suite() {
	local name=$1 n=$2
	shift 2
	export MOSIX_CLUSTER_STATE=/tmp/mosix-cluster-$name-$$
	W=$(mktemp -d "/var/tmp/mosix-$name.XXXXXX")
	SUITE_FAILS=$(grep -c '^FAIL' "$RESULTS")
	trap 'suite_cleanup; suite_logs; "$CL" down >/dev/null 2>&1; rm -rf "$W"' EXIT
	if ! "$CL" up "$n" --force "$@" >"$W/up.log" 2>&1; then
		t_fail "$name/cluster-up" "$(tail -n 5 "$W/up.log")"
		exit 0
	fi
}
