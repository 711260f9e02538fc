#!/usr/bin/env bash
# t-mmon.sh: mmon, the monitor of the whole cluster (issue 14), against a
# cluster with known, different loads: n2 hosts two CPU-bound guests from
# n1 (mosrun -2, locked there), n3 runs one of its own (mosrun -L), n4
# holds 100 MB; every node has half a core and 256 MB. --json is checked
# against mosctl status --json and those loads, --once's bars against the
# loads; a stopped process counts as frozen; disk and network rates show
# where they are made; --nodes, --node. Then mmon runs under tmux
# (send-keys, capture-pane): no flicker, every display key and its
# variants, help, quit with confirmation, the detail panel with a node's
# processes, find, refresh rate, bottom line, colour, a resize, a node
# whose guestd is killed (or whose link is cut) shown DEAD within the
# gossip bound and alive again, d, this node's guestd stopped ("not
# available") and back, column widths and scrolling in a narrow window,
# --bw, TERM=dumb; and as an ordinary user. Usage errors, hostctl mon's.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/suite.sh"
cluster_suite mmon 4 --cpus 0.5 --mem 256
command -v tmux >/dev/null || { t_skip mmon/tmux "tmux is not installed (apt-get install tmux)"; }
TM="tmux -L mmon-$$"
suite_cleanup() { # the loads end with the cluster
	$TM kill-server 2>/dev/null
	return 0
}
MMON=$BIN/mmon

# jcheck NODE PY [OPTION...]: python expression PY over NODE's mmon --json as j,
# with n[K] the entry of node K; exit 0 when it is true.
jcheck() {
	local node=$1 expr=$2 out
	out=$(on "$node" "$MMON" --json "${@:3}" 2>&1) || return 1
	python3 -c '
import json, sys
j = json.loads(sys.argv[1]); n = {x["node"]: x for x in j["nodes"]}
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$out" "$expr"
}

# the loads: two guests on n2 (home n1), one local on n3, 100 MB held on n4
SPIN="$PROGS/spin 100000000000"
on 1 mosrun -2 $SPIN >/dev/null 2>&1 &
on 1 mosrun -2 $SPIN >/dev/null 2>&1 &
on 3 mosrun -L $SPIN >/dev/null 2>&1 &
on 4 python3 -c 'import time; x = bytearray(100 << 20); x[::4096] = b"x" * len(x[::4096]); time.sleep(3600)' &
disown -a # they end with the cluster, quietly

LOADS='n[2]["load_raw"] > 1.5 and 0.6 < n[3]["load_raw"] < 1.4 and n[1]["load_raw"] < 0.4
and n[4]["load_raw"] < 0.4 and n[2]["guests"] == 2 and n[1]["locals"] == 2 and n[3]["locals"] == 1
and n[4]["mem_free_mb"] < 160 and n[1]["mem_free_mb"] > 200'
if wait_until 40 jcheck 1 "$LOADS"; then
	t_pass mmon/json-known-loads
else
	t_fail mmon/json-known-loads "$(on 1 "$MMON" --json 2>&1 | tr '\n' ' ')"
fi

# --json against mosctl status --json: the same nodes, states, speeds,
# memory, processes; load is mosctl's normalised by the node's power
j=$(on 1 "$MMON" --json)
m=$(on 1 mosctl status --json)
if python3 -c '
import json, sys
j = json.loads(sys.argv[1]); m = json.loads(sys.argv[2])
a = {x["node"]: x for x in j["nodes"]}; b = {x["node"]: x for x in m["nodes"]}
assert sorted(a) == [1, 2, 3, 4] == sorted(b), (sorted(a), sorted(b))
for k in a:
    x, y = a[k], b[k]
    for key in ("state", "speed", "mem_total_mb", "locals", "guests", "frozen", "ncpus"):
        assert x[key] == y[key], (k, key, x[key], y[key])
    assert abs(x["cpus"] - y["cpus"]) < 0.01 and abs(x["mem_free_mb"] - y["mem_free_mb"]) < 20
    assert abs(x["load_raw"] - y["load"]) < 0.8, (k, x["load_raw"], y["load"])
    assert abs(x["load"] - x["load_raw"] * 10000 / (x["speed"] * x["ncpus"])) < 0.01
    assert x["mem_total_mb"] == 256 and x["state"] == "up" and x["reason"] is None
    assert x["age"] < j["dead_after"] and x["version"] and x["status"] == []
    assert x["net_kbs"] is not None and x["io_kbs"] is not None
assert j["self"] == 1 and j["total"] == 4 and j["live"] == 4 and j["max_age"] >= j["info_age"]
assert a[1]["self"] and not a[2]["self"]
' "$j" "$m" 2>"$W/json.err"; then
	t_pass mmon/json-matches-mosctl
else
	t_fail mmon/json-matches-mosctl "$(tail -n 1 "$W/json.err"); mmon: $(tr '\n' ' ' <<<"$j")"
fi

# --once: the load screen as text; n2's bar is the tallest, n3's is half
# of it or so, n1 and n4 have none (a row at most: n1 runs the suite's
# commands, whose load decays for some seconds)
once_bars() {
	on 1 env COLUMNS=80 LINES=24 "$MMON" --once >"$W/once.txt"
	rc=$?
	[ $rc -eq 0 ] && python3 -c '
import sys
rows = open(sys.argv[1]).read().split("\n")
assert len(rows) >= 24 and "Load (1 = one standard CPU busy)" in rows[0], rows[0]
assert rows[23].startswith("[Nodes: 4][Live: 4][Info age:"), rows[23]
nums = rows[22]
cols = {int(nums[i]): i for i in range(len(nums)) if nums[i].isdigit()}
assert sorted(cols) == [1, 2, 3, 4], nums
h = {k: sum(1 for r in rows[2:21] if len(r) > x and r[x] == "#") for k, x in cols.items()}
assert h[1] <= 1 and h[4] <= 1 and h[2] > h[3] > 1 and abs(h[2] - 2 * h[3]) <= 3, h
' "$W/once.txt" 2>"$W/once.err"
}
if wait_until 30 once_bars; then
	t_pass mmon/once-bars
else
	t_fail mmon/once-bars "exit $rc: $(tail -n 1 "$W/once.err"); $(tr '\n' '|' <<<"$(cat "$W/once.txt")")"
fi

# the display options, and -t (no bottom line), as --once shows them
opts_ok=1
for o in "-l:Load (1 = one" "-m:Memory: used" "-s:Status: S stay" "-u:Utilisation" "-p:Processes:" "-i:Disk I/O"; do
	on 1 env COLUMNS=80 LINES=24 "$MMON" --once "${o%%:*}" | head -n 1 | grep -qF "${o#*:}" || opts_ok="${o%%:*}"
done
on 1 env COLUMNS=80 LINES=24 "$MMON" --once -t | grep -q '^\[Nodes:' && opts_ok=-t
[ "$opts_ok" = 1 ] && t_pass mmon/display-options || t_fail mmon/display-options "$opts_ok: $(on 1 "$MMON" --once "$opts_ok" | head -n 3)"

# --nodes and --node: a filter, another node's view
jcheck 1 'sorted(n) == [2, 3] and j["total"] == 4' --nodes 2..3 && jcheck 1 'sorted(n) == [1, 3, 4]' --nodes 1,3-4 &&
	t_pass mmon/nodes-filter || t_fail mmon/nodes-filter "$(on 1 "$MMON" --json --nodes 2..3 2>&1 | head -c 300)"
jcheck 1 'j["self"] == 3 and n[3]["self"] and not n[1]["self"] and j["live"] == 4' --node 3 &&
	jcheck 1 'j["self"] == 2' -h 10.77.0.2 && t_pass mmon/other-nodes-view ||
	t_fail mmon/other-nodes-view "$(on 1 "$MMON" --json --node 3 2>&1 | head -c 300)"

# a stopped process counts as frozen where it runs
P3=$(on 3 mosctl localstatus --json | python3 -c '
import json, sys
print([p["pid"] for p in json.load(sys.stdin)["processes"] if p["kind"] == "local"][0])')
kill -STOP "$P3"
if wait_until 10 jcheck 1 'n[3]["frozen"] == 1 and n[3]["frozen_load"] > 0'; then
	t_pass mmon/frozen
else
	t_fail mmon/frozen "$(on 1 "$MMON" --json --nodes 3 2>&1)"
fi
kill -CONT "$P3"

# network rates: pings from n1 to n4 (both idle: a busy node answers late)
# show on both, about 280 KB/s each way, and not on n3
on 1 ping -q -i 0.01 -s 1400 -c 800 10.77.0.4 >/dev/null 2>&1 &
PING=$!
if wait_until 8 jcheck 1 'n[1]["net_kbs"] > 100 and n[4]["net_kbs"] > 100 and n[3]["net_kbs"] < 50'; then
	t_pass mmon/net-rates
else
	t_fail mmon/net-rates "$(on 1 "$MMON" --json 2>&1 | grep -o '"node": [0-9]\|"net_kbs": [0-9a-z]*' | tr '\n' ' ')"
fi
wait $PING 2>/dev/null

# disk rates: direct writes on n4 (1 MB a hundred times a second, over the
# same MB of a file) show there, not on n2
cat >"$W/dio.py" <<'EOF'
import mmap, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT | os.O_DIRECT, 0o600)
buf = mmap.mmap(-1, 1 << 20)  # page-aligned, as O_DIRECT wants
end = time.time() + float(sys.argv[2])
while time.time() < end:
    os.pwrite(fd, buf, 0)
    time.sleep(0.01)
os.unlink(sys.argv[1])
EOF
on 4 python3 "$W/dio.py" "$W/dio.data" 8 &
DIO=$!
if wait_until 8 jcheck 1 'n[4]["io_kbs"] > 10000 and n[2]["io_kbs"] < 1000'; then
	t_pass mmon/disk-rates
else
	t_fail mmon/disk-rates "$(on 1 "$MMON" --json 2>&1 | grep -o '"node": [0-9]\|"io_kbs": [0-9a-z]*' | tr '\n' ' ')"
fi
wait $DIO 2>/dev/null

# --- usage ------------------------------------------------------------
usage_case() {
	local name=$1 want=$2 code=$3 out rc
	shift 3
	out=$(on 1 "$MMON" "$@" 2>&1 >/dev/null)
	rc=$?
	[ $rc -eq "$code" ] && [ "$(head -n 1 <<<"$out")" = "$want" ] &&
		t_pass "mmon/usage/$name" || t_fail "mmon/usage/$name" "exit $rc: $(tr '\n' '|' <<<"$out")"
}
usage_case unknown "mmon: unknown option '-x'" 2 -x
usage_case no-value "mmon: -h needs a value" 2 -h
usage_case nodes "mmon: --nodes: 'abc' is not a list of nodes from 1 to 1024 (e.g. 1..8,12)" 2 --nodes abc
usage_case refresh "mmon: --refresh must be a number of seconds from 0.25 to 10, not '0'" 2 --refresh 0
usage_case argument "mmon: unexpected argument 'extra'" 2 extra
usage_case no-such-node "mmon: no node '9' in this node's cluster map" 1 --node 9
[ "$(on 1 "$MMON" -x 2>&1 | sed -n 2p)" = "Try 'mmon --help'." ] && t_pass mmon/usage/hint ||
	t_fail mmon/usage/hint "$(on 1 "$MMON" -x 2>&1)"
out=$(on 1 "$MMON" --help) && grep -q "^usage: mmon" <<<"$out" && grep -q -- "--json" <<<"$out" &&
	[ "$(on 1 "$MMON" --version)" = "mmon (mosix-appliance) $(sed -n 's/^#define MOSIX_VERSION "\(.*\)"$/\1/p' "$TOP/appliance/include/appliance/version.h")" ] &&
	t_pass mmon/help-version || t_fail mmon/help-version "$(on 1 "$MMON" --version)"
out=$(hostctl mon --help 2>&1) && grep -q "usage: hostctl mon" <<<"$out" &&
	out=$(hostctl mon --name no-such-cluster-$$ 2>&1; echo "exit $?") && grep -q "exit 1" <<<"$out" &&
	grep -q "no-such-cluster-$$" <<<"$out" && t_pass mmon/hostctl-mon-cli ||
	t_fail mmon/hostctl-mon-cli "$out"

# --- under tmux --------------------------------------------------------
# screen: the pane's text now. wait_screen SECS PATTERN: until it shows
# PATTERN (grep -E). keys K...: send keys.
screen() { $TM capture-pane -p -t mm "$@" 2>/dev/null; }
has_screen() { screen | grep -Eq -- "$1"; }
wait_screen() { wait_until "$1" has_screen "$2"; }
lacks_screen() { ! has_screen "$1"; }
keys() { $TM send-keys -t mm "$@"; }
# start W H CMD...: mmon in a fresh tmux session of W x H
start() {
	$TM kill-session -t mm 2>/dev/null
	$TM new-session -d -s mm -x "$1" -y "$2" "${@:3}"
}
# column NODE: the text of NODE's column (top to bottom, '|' between rows),
# found by its number on the row above the bottom line
column() {
	screen | python3 -c '
import sys
rows = sys.stdin.read().split("\n")
while rows and not rows[-1].strip(): rows.pop()
nums = rows[-2]; k = sys.argv[1]
at = [i for i in range(len(nums)) if nums[i:i + len(k)] == k and (i == 0 or nums[i - 1] == " ")]
print("|".join(r[at[0]:at[0] + 7] if len(r) > at[0] else "" for r in rows[2:-2]) if at else "")' "$1"
}
check() { # check NAME COND-CMD...: pass or fail with the screen
	if "${@:2}"; then t_pass "mmon/tmux/$1"; else t_fail "mmon/tmux/$1" "$(screen | tr '\n' '|')"; fi
}

start 80 24 "$CL" exec 1 "$MMON"
check start wait_screen 10 '^\[Nodes: 4\]\[Live: 4\]\[Info age: [0-9.]+\]\[Max age: [0-9.]+\]'
check load-title wait_screen 3 '^mmon +Load \(1 = one standard CPU busy\)'
# no flicker: what mmon writes over 4 refreshes is the few cells that
# changed (ages, loads), never a cleared screen (a whole 80x24 screen with
# its colours is some 2 KB)
$TM pipe-pane -t mm -o "cat >>$W/pane.out"
sleep 4
$TM pipe-pane -t mm
bytes=$(stat -c %s "$W/pane.out" 2>/dev/null || echo 0)
if [ "$bytes" -gt 0 ] && [ "$bytes" -lt 3000 ] && ! grep -q $'\e\[2J\|\e\[H\e\[J' "$W/pane.out"; then
	t_pass "mmon/tmux/no-flicker ($bytes bytes in 4 s)"
else
	t_fail mmon/tmux/no-flicker "$bytes bytes in 4 s; clears: $(grep -c $'\e\[2J\|\e\[H\e\[J' "$W/pane.out")"
fi
check numbers wait_screen 3 '^ +1 +2 +3 +4 *$'
# bars: the number of rows with '#' in a node's column
bar() { column "$1" | tr '|' '\n' | grep -c '#'; }
# (n1's load of the commands the suite ran there decays for some seconds)
load_bars() { [ "$(bar 2)" -gt "$(bar 3)" ] && [ "$(bar 3)" -gt 1 ] && [ "$(bar 1)" -le 1 ] && [ "$(bar 4)" -le 1 ]; }
check load-bars wait_until 30 load_bars
keys l
check l-frozen wait_screen 3 '^mmon +Load of frozen processes'
keys l
check l-both wait_screen 3 '^mmon +Load # and frozen load ~'
keys l
check l-round wait_screen 3 '^mmon +Load \(1 = '
keys m
mem_ok() { has_screen '^mmon +Memory: used # free \.' && [[ $(column 4) == *"#|"*"#"* ]] && has_screen '^[0-9]+M +\|'; }
check m-memory wait_until 3 mem_ok
keys m
check m-swap wait_screen 3 '^mmon +Swap: used'
keys s
check s-status wait_screen 3 '^mmon +Status: S stay  L lstay  B block  E expelling'
on 3 mosctl stay >/dev/null
check s-letter-lit eval 'wait_until 5 eval "[[ \$(column 3) == *S* && \$(column 2) != *S* ]]"'
on 3 mosctl nostay >/dev/null
keys s
check s-speed wait_screen 3 '^mmon +Speed of one core .* x cores'
speed_ok() { [[ $(column 1) == *[0-9]x1* && $(column 2) == *[0-9]x1* && $(column 3) == *[0-9]x1* && $(column 4) == *[0-9]x1* ]]; }
check s-speed-cores wait_until 3 speed_ok
keys s
check s-uptime wait_screen 3 '^mmon +Uptime and version'
check s-version wait_screen 3 "^ +$(on 1 "$MMON" --version | awk '{print $3}') +"
keys u
util_ok() { has_screen '^mmon +Utilisation' && [[ $(column 2) == *"100%"* ]]; }
check u-util wait_until 3 util_ok
keys p
procs_ok() {
	has_screen '^mmon +Processes: # local  \+ guests  ~ frozen' &&
		[[ $(column 1) == *"2/0/0"* && $(column 2) == *"0/2/0"* && $(column 3) == *"1/0/0"* && $(column 2) == *"+"* ]]
}
check p-procs wait_until 3 procs_ok
keys i
check i-disk wait_screen 3 '^mmon +Disk I/O'
keys i
check i-net wait_screen 3 '^mmon +Network'
keys l
keys h
check help-opens wait_screen 3 '^mmon help'
keys PgDn
check help-scrolls wait_screen 3 'lines 11-'
keys h
check help-closes wait_screen 3 '^mmon +Load'
keys q
check quit-asks wait_screen 3 'Quit mmon\? \(y/n\)'
keys n
check quit-declined eval 'wait_screen 3 "^\[Nodes: 4\]" && $TM has-session -t mm'
keys Enter
check detail-self wait_screen 5 '^ +\+- Node 1 \(this view.s node\)'
keys ']'
# its two guests from n1, each with its share of n2's CPU
guests_busy() { [ "$(screen | grep -Ec '^ +\| +[0-9]+ +root +1 +([1-9][0-9]?|100)% guest +spin')" = 2 ]; }
check detail-remote-procs eval 'wait_screen 8 "Node 2 " && wait_until 8 guests_busy'
keys Escape
keys C 3 Enter
check detail-by-C eval 'wait_screen 8 "Node 3 " && wait_screen 5 "^ +\| +[0-9]+ +root +3 +[0-9]+% local +spin"'
keys Escape
keys / 10.77.0.4 Enter
check find-by-address wait_screen 3 '^node 4$'
keys +
check faster wait_screen 3 'refresh every 0.5 s|every 0.5s'
keys -
keys t
check bottom-line-off eval 'sleep 1.2; lacks_screen "^\[Nodes:"'
keys t
check bottom-line-on wait_screen 3 '^\[Nodes: 4\]'

# colour: the full bars (n2, n3) are red (SGR 31 or 91); --bw has no colour at all
check colour wait_until 3 eval 'screen -e | grep -Eq $'"'"'\e\[([0-9]+;)*(31|91)m#'"'"
$TM resize-window -t mm -x 120 -y 40
check resize eval 'wait_until 5 eval "[ \$(screen | grep -c .) -ge 38 ] && screen | sed -n 40p | grep -q \"^\[Nodes: 4\]\" && screen | grep -Eq \"^ +\+[-+]{100,}\""'
$TM resize-window -t mm -x 80 -y 24
check resize-back wait_until 5 eval 'screen | sed -n 24p | grep -q "^\[Nodes: 4\]"'

# a killed guestd: DEAD within the bound, alive again after a restart
BOUND=$(on 1 "$MMON" --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["dead_after"])')
t0=$(date +%s.%N)
"$CL" kill-guestd 4 >/dev/null
if wait_until 30 eval '[[ $(column 4) == *DEAD* ]]'; then
	took=$(echo "$(date +%s.%N) - $t0" | bc)
	if (($(echo "$took <= $BOUND + 2.5" | bc))); then
		t_pass "mmon/tmux/dead-within-bound ($took s, bound $BOUND s)"
	else
		t_fail mmon/tmux/dead-within-bound "took $took s, bound $BOUND s"
	fi
else
	t_fail mmon/tmux/dead-within-bound "no DEAD in 30 s: $(screen | tr '\n' '|')"
fi
reason_ok() { [[ $(column 4) == *unreach* || $(column 4) == *"too old"* ]] && has_screen '\[Live: 3\]'; }
check dead-reason wait_until 3 reason_ok
keys d
hidden_ok() { has_screen 'dead nodes hidden' && lacks_screen DEAD && has_screen '^ +1 +2 +3 *$'; }
check d-hides wait_until 3 hidden_ok
keys d
check d-shows wait_screen 3 DEAD
"$CL" start-guestd 4 >/dev/null
check dead-comes-back eval 'wait_until 15 eval "has_screen \"\[Live: 4\]\" && lacks_screen DEAD"'

# a cut link: DEAD, information too old
"$CL" cut 4 >/dev/null
check cut-too-old eval 'wait_until 30 eval "[[ \$(column 4) == *\"too old\"* ]]"'
"$CL" heal 4 >/dev/null
check healed wait_screen 15 '\[Live: 4\]'

# this node's guestd stops: not available; it comes back: the cluster again
"$CL" kill-guestd 1 --term >/dev/null
check not-available wait_screen 6 'Information is not available'
"$CL" start-guestd 1 >/dev/null
check recovers eval 'wait_screen 10 "^\[Nodes: 4\]\[Live: 4\]" && lacks_screen "not available"'
keys Q
check Q-quits wait_until 5 eval '! $TM has-session -t mm 2>/dev/null'

# a narrow window: columns 6 wide, three fit; the cursor scrolls them
start 30 24 "$CL" exec 1 "$MMON" --bw
wait_screen 10 '^\[N:4\]\[L:4\]' && t_pass mmon/tmux/narrow-short-bottom-line ||
	t_fail mmon/tmux/narrow-short-bottom-line "$(screen | tr '\n' '|')"
keys v v v v
check narrow-width wait_screen 3 'columns 6 wide'
more_ok() { has_screen '^ +1 +2 +3 *$' && screen | grep -Eq '>$'; }
check narrow-more-right wait_until 3 more_ok
keys Right Right Right
scrolled_ok() { has_screen '^ +2 +3 +4 *$' && screen | grep -Eq '^ +<'; }
check narrow-scrolled wait_until 3 scrolled_ok
keys PgUp
check narrow-page wait_screen 3 '^ +1 +2 +3 *$'
check bw-no-colour eval '! screen -e | grep -q $'"'"'\e\[[0-9;]*3[1-7]m'"'"
keys Q

# TERM=dumb: plain screens, q then y quits
start 80 24 "$CL" exec 1 env TERM=dumb "$MMON"
check dumb-plain wait_screen 10 '^\[Nodes: 4\]\[Live: 4\]'
keys q Enter
check dumb-asks wait_screen 5 'Quit mmon\? \(y/n\)'
keys y Enter
check dumb-quits wait_until 5 eval '! $TM has-session -t mm 2>/dev/null'

# --- an ordinary user ---------------------------------------------------
chmod 755 "$W"
mkdir -p "$W/ubin" && cp "$MMON" "$W/ubin/" && chmod 755 "$W/ubin" "$W/ubin/mmon"
UM=$W/ubin/mmon
out=$(on 1 setpriv --reuid=$SUITE_USER --regid=$SUITE_USER --clear-groups "$UM" --json 2>&1)
python3 -c 'import json, sys; j = json.loads(sys.argv[1]); sys.exit(0 if j["live"] == 4 else 1)' "$out" &&
	t_pass mmon/user-json || t_fail mmon/user-json "$out"
start 80 24 "$CL" exec 1 setpriv --reuid=$SUITE_USER --regid=$SUITE_USER --clear-groups "$UM"
check user-screen wait_screen 10 '^\[Nodes: 4\]\[Live: 4\]'
keys C 2 Enter
check user-detail-remote eval 'wait_screen 8 "Node 2 " && wait_screen 5 "^ +\| +[0-9]+ +root +1 +[0-9]+% guest +spin"'
keys Q
