#!/usr/bin/env bash
# t-userview.sh: what the user commands say and do with targets (issue 17):
# a move to a node that does not exist or is down is refused at once, with
# the reason, and the process stays where it was; this node's own number is
# home; a node's address works as a target; a mosrun's pid stands for its
# program; a bad pid is a usage error that says so first; mosrun -h keeps
# the program home even with -NODE. Then: mosrun's option parser (usage
# errors name the option as typed, -NODE after value options), --version on
# every command, -O ...,append/rewind, mosps's states, escaped command
# lines, --guests, migratable only when a move would work and the last
# move's outcome, mosmigrate --json, syscall names, a second guestd.
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

# the node hosting it lists it as a guest, with its home node and home pid
gs=""
for _ in $(seq 20); do
	gs=$(on 2 mosps --guests --json)
	python3 -c 'import json, sys
g = [x for x in json.loads(sys.argv[1])["guests"] if x["home"] == 1 and x["home_pid"] == int(sys.argv[2])]
sys.exit(0 if g and g[0]["pid"] > 0 else 1)' "$gs" "$P" 2>/dev/null && break
	gs="not listed: $gs"
	sleep 0.25
done
[[ $gs != "not listed"* ]] && on 2 mosps --guests | grep -q "^[0-9]* *1 *$P " &&
	t_pass userview/mosps-guests || t_fail userview/mosps-guests "$gs; table: $(on 2 mosps --guests | tr '\n' ';')"

# mosmigrate --json: one object saying what happened, with what was sent
m=$(on 1 mosmigrate --json -w "$P" 3 2>/dev/null)
rc=$?
python3 -c 'import json, sys
o = json.loads(sys.argv[1])
sys.exit(0 if (o["pid"], o["from"], o["to"], o["status"], o["reason"]) == (int(sys.argv[2]), 2, 3, "moved", "")
         and o["bytes"] > 0 and o["ms"] >= 0 else 1)' "$m" "$P" && [ $rc -eq 0 ] && [ "$(where "$P")" = 3 ] &&
	t_pass userview/mosmigrate-json || t_fail userview/mosmigrate-json "exit $rc: $m; where $(where "$P")"
m=$(on 1 mosmigrate --json "$P" 9 2>/dev/null)
rc=$?
[ $rc -eq 1 ] && python3 -c 'import json, sys
o = json.loads(sys.argv[1]); sys.exit(0 if o["status"] == "failed" and "no node" in o["reason"] else 1)' "$m" &&
	t_pass userview/mosmigrate-json-refused || t_fail userview/mosmigrate-json-refused "exit $rc: $m"

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

# --- mosrun's option parser: the first line names the option as typed -------
# first_line WANT CMD...: CMD (on n1) exits 2, says WANT first, then the hint.
usage_case() {
	local name=$1 want=$2 hint=$3 out rc
	shift 3
	out=$(on 1 "$@" 2>&1 >/dev/null)
	rc=$?
	[ $rc -eq 2 ] && [ "$(head -n 1 <<<"$out")" = "$want" ] && [ "$(sed -n 2p <<<"$out")" = "$hint" ] &&
		t_pass "userview/usage/$name" || t_fail "userview/usage/$name" "exit $rc: $(tr '\n' '|' <<<"$out")"
}
TRY="Try 'mosrun --help'."
usage_case A-negative "mosrun: -A: minutes must be a positive number (up to a year), not '-1'" "$TRY" \
	mosrun -A -1 true
usage_case compress "mosrun: --compress: unknown method 'foo' (lzo, lz4, zstd, none)" "$TRY" \
	mosrun --compress=foo true
usage_case unknown "mosrun: unknown option '-Q'" "$TRY" mosrun -Q true
usage_case no-value "mosrun: -C needs a value" "$TRY" mosrun -A5 -C
usage_case O-word "mosrun: -O: 'append' must follow an fd=file entry" "$TRY" mosrun -R x -O append
usage_case mosps "mosps: unknown option '--bogus'" "Try 'mosps --help'." mosps --bogus
usage_case mosmigrate "mosmigrate: unknown option '--bogus'" "Try 'mosmigrate --help'." mosmigrate --bogus 1 2
usage_case guestd "guestd: unknown option '-x'" "Try 'guestd --help'." guestd -x
usage_case guestd-s "guestd: -s must be a whole number from 100 to 60000, not 'abc'" "Try 'guestd --help'." \
	guestd -s abc
usage_case guestd-W "guestd: -W must be a whole number from 1 to 64, not '65'" "Try 'guestd --help'." guestd -W 65

# -NODE after an option with a value (and attached values): it really starts on node 2
on 1 env MOSTEST_GO="$W/go.a5" mosrun -A 5 -C"$W/a5" -2 "$PROGS/signals" >"$W/a5.out" 2>&1 &
MR=$!
P5=$(ready_pid "$W/a5.out")
for _ in $(seq 20); do [ "$(where "$P5")" = 2 ] && break; sleep 0.25; done
w5=$(where "$P5")
touch "$W/go.a5"
wait_exit $MR 30
[ "$w5" = 2 ] && [ "$RC" = 0 ] && grep -q "^PASS signals pid=$P5$" "$W/a5.out" && t_pass userview/A-then-NODE ||
	t_fail userview/A-then-NODE "where '$w5', exit $RC: $(tr '\n' ' ' <"$W/a5.out")"

# --version on every command: "NAME (mosix-appliance) VERSION"
why=""
for c in mosrun mosmigrate mosps mosctl guestd; do
	v=$(on 1 "$c" --version 2>&1)
	[ $? -eq 0 ] && [[ $v =~ ^$c\ \(mosix-appliance\)\ [0-9][0-9.]*$ ]] || why="$why $c: '$v'"
done
[ -z "$why" ] && t_pass userview/version || t_fail userview/version "$why"

# --- -O fd=file,append / ,rewind: a recovered stdout in a new file ----------
# The checkpoint is taken after READY (stdout at an offset); recovered with
# stdout in another file: by default that file starts with zero bytes up to
# the offset (kept as documented); rewind starts at 0; append keeps what the
# file held and writes after it.
on 1 env MOSTEST_GO="$W/go.o" mosrun -C "$W/ock" "$PROGS/counter_static" >"$W/o.out" 2>&1 &
MR=$!
PO=$(ready_pid "$W/o.out")
on 1 mosmigrate "$PO" chkexit >/dev/null 2>&1
wait_exit $MR 30
touch "$W/go.o"
printf 'prev\n' >"$W/o.app"
on 1 mosrun -R "$W/ock.1" -O "1=$W/o.keep" >/dev/null 2>&1
on 1 mosrun -R "$W/ock.1" -O "1=$W/o.rew,rewind" >/dev/null 2>&1
rc_rew=$?
on 1 mosrun -R "$W/ock.1" -O "1=$W/o.app,append" >/dev/null 2>&1
rc_app=$?
keep0=$(head -c 1 "$W/o.keep" | od -An -tx1 | tr -d ' ')
[ "$RC" = 75 ] && [ $rc_rew -eq 0 ] && [ "$(head -c 5 "$W/o.rew")" = "PASS " ] && [ "$keep0" = 00 ] &&
	t_pass userview/O-rewind || t_fail userview/O-rewind "chkexit $RC, exit $rc_rew; rewind: $(head -c 40 "$W/o.rew" | od -c | head -n 2 | tr '\n' ' '); keep starts $keep0"
[ $rc_app -eq 0 ] && [ "$(head -n 1 "$W/o.app")" = prev ] && sed -n 2p "$W/o.app" | grep -q "^PASS counter_static" &&
	t_pass userview/O-append || t_fail userview/O-append "exit $rc_app: $(head -c 60 "$W/o.app" | od -c | head -n 3 | tr '\n' ' ')"

# mosrun -R FILE -NODE: the recovered process carries on at NODE (MOSIX's
# location options apply to a recovery too)
err=$(on 1 mosrun -v -R "$W/ock.1" -2 -O "1=$W/o.r2,rewind" 2>&1 >/dev/null)
rc=$?
[ $rc -eq 0 ] && grep -q "runs on node 2" <<<"$err" && grep -q "^PASS counter_static" "$W/o.r2" &&
	t_pass userview/recover-on-node || t_fail userview/recover-on-node "exit $rc: $(tr '\n' '|' <<<"$err")"

# a named node that is not there: refused (exit 1, the reason first); -F
# runs the program at home instead
m=$(on 1 mosrun -9 true 2>&1)
rc=$?
m2=$(on 1 mosrun -F -9 true 2>&1)
rc2=$?
[ $rc -eq 1 ] && grep -q "no such node 9 .*-F runs it at home instead" <<<"$m" &&
	[ $rc2 -eq 0 ] && grep -q "runs at home (-F)" <<<"$m2" && t_pass userview/named-node-absent-F ||
	t_fail userview/named-node-absent-F "exit $rc: $m; with -F exit $rc2: $m2"

# --- mosps: stopped, escaped command lines, migratable only when it is ------
# ps_field PID KEY: mosps --json's KEY of PID on n1.
ps_field() {
	on 1 mosps --json | python3 -c '
import json, sys
for p in json.load(sys.stdin)["processes"]:
    if p["pid"] == int(sys.argv[1]): print(p[sys.argv[2]])' "$1" "$2"
}
# prog_of TEXT: the pid of the process under mosrun on n1 whose command
# line holds TEXT (mosps --json; waits for it up to 4 s).
prog_of() {
	local k
	for _ in $(seq 40); do
		k=$(on 1 mosps --json | python3 -c '
import json, sys
for p in json.load(sys.stdin)["processes"]:
    if sys.argv[1] in p["command"]: print(p["pid"])' "$1" | head -n 1)
		[ -n "$k" ] && { echo "$k"; return; }
		sleep 0.1
	done
}
on 1 mosrun -C "$W/sck" sleep 61 >/dev/null 2>&1 &
MS=$!
PS=$(prog_of "sleep 61")
kill -STOP "$PS"
st1=""
for _ in $(seq 20); do st1=$(ps_field "$PS" state) && [ "$st1" = stopped ] && break; sleep 0.1; done
kill -CONT "$PS"
sleep 0.3
st2=$(ps_field "$PS" state)
on 1 mosmigrate "$PS" chkstop >/dev/null 2>&1
st3=""
for _ in $(seq 20); do st3=$(ps_field "$PS" state) && [ "$st3" = stopped ] && break; sleep 0.1; done
line=$(on 1 mosps | awk -v p="$PS" '$1 == p')
[ "$st1" = stopped ] && [ "$st2" = running ] && [ "$st3" = stopped ] && [[ $line == *" stopped "* ]] &&
	t_pass userview/mosps-stopped || t_fail userview/mosps-stopped "SIGSTOP: '$st1', CONT: '$st2', chkstop: '$st3'; table: $line"
kill -9 "$PS" 2>/dev/null
wait $MS 2>/dev/null

on 1 mosrun /usr/bin/python3 -c 'import time; time.sleep(30)' $'a\nb\tc\001' >/dev/null 2>&1 &
MN=$!
PN=$(prog_of "time.sleep(30) a")
sleep 0.5
tab=$(on 1 mosps)
n=$(grep -c "^$PN " <<<"$tab")
# one line per process: every line but the header starts with a pid
grep -qF 'a\nb\tc\x01' <<<"$tab" && [ "$n" = 1 ] && ! tail -n +2 <<<"$tab" | grep -qv '^[0-9]' &&
	t_pass userview/mosps-escaped || t_fail userview/mosps-escaped "table: $(tr '\n' '|' <<<"$tab")"
jc=$(on 1 mosps --json | python3 -c '
import json, sys
for p in json.load(sys.stdin)["processes"]:
    if p["pid"] == int(sys.argv[1]): print(repr(p["command"]))' "$PN")
[ "$jc" = "'/usr/bin/python3 -c import time; time.sleep(30) a\\nb\\tc\\x01'" ] &&
	t_pass userview/mosps-json-escaped || t_fail userview/mosps-json-escaped "$jc"
kill "$PN" 2>/dev/null
wait $MN 2>/dev/null

# a process with anonymous memory shared with another process (its child):
# not migratable, and why; a move asked for anyway (asynchronously, without
# -w) is refused at once with the reason (the migration's own check), it
# stays home, and mosps shows that outcome (memory that only it maps moves:
# tests/cluster/t-state.sh)
on 1 mosrun /usr/bin/python3 -c 'import mmap, os, time
m = mmap.mmap(-1, 1 << 16, flags=mmap.MAP_SHARED); m[0] = 1; p = os.getpid()
if os.fork() == 0:
    while os.getppid() == p: time.sleep(0.1)
    os._exit(0)
time.sleep(30)' >/dev/null 2>"$W/shm.err" &
MM=$!
PM=$(prog_of "MAP_SHARED")
sleep 1
mig=$(ps_field "$PM" migratable)
why=$(ps_field "$PM" why)
m=$(on 1 mosmigrate "$PM" 2 2>&1)
rc=$?
sleep 0.5 # (a move wrongly accepted would be under way by now)
lm=$(ps_field "$PM" last_move)
[ "$mig" = False ] && [[ $why == *"shared anonymous memory"* ]] && [ "$(where "$PM")" = 1 ] &&
	t_pass userview/shared-memory-not-migratable ||
	t_fail userview/shared-memory-not-migratable "migratable '$mig', why '$why', where $(where "$PM")"
[ $rc -eq 1 ] && [[ $(head -n 1 <<<"$m") == "mosmigrate: pid $PM cannot move: it has shared"* ]] &&
	[ "$(where "$PM")" = 1 ] && t_pass userview/shared-memory-move-refused ||
	t_fail userview/shared-memory-move-refused "mosmigrate exit $rc: $m; where $(where "$PM")"
[[ $lm == "failed: pid $PM cannot move: it has shared"* ]] &&
	[[ $(on 1 mosps | awk -v p="$PM" '$1 == p') == *" failed "* ]] &&
	t_pass userview/mosps-last-move || t_fail userview/mosps-last-move "last_move '$lm'"
kill "$PM" 2>/dev/null
wait $MM 2>/dev/null

# --- a call that brings a process home is named, not numbered ---------------
# (signalfd4 runs only at home: tests/progs/calls home)
out=$(on 1 env TMPDIR=/tmp mosrun -v -2 "$PROGS/calls" home 2>&1 >/dev/null)
grep -q "is home from node 2 (it called signalfd4, which runs only at home)" <<<"$out" &&
	! grep -q "syscall [0-9]" <<<"$out" && t_pass userview/syscall-named ||
	t_fail userview/syscall-named "$(tr '\n' '|' <<<"$out")"

# --- a second guestd says another one runs --------------------------------
out=$(timeout 10 "$CL" exec 1 "$BIN/guestd" -c /etc/mosix -f 2>&1)
rc=$?
[ $rc -eq 1 ] && grep -q "another guestd" <<<"$out" && on 1 mosctl status >/dev/null 2>&1 &&
	t_pass userview/second-guestd || t_fail userview/second-guestd "exit $rc: $out"
