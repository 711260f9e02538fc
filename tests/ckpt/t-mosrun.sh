#!/usr/bin/env bash
# t-mosrun.sh: mosrun and mosmigrate as a user meets them: exit statuses,
# signals, refusals of what cannot be checkpointed, periodic and atomic
# checkpoints, bad command lines.
source "$(dirname "$0")/../lib.sh"
mktmp
d=$T

# check NAME CONDITION-COMMAND... [-- why]: pass when the command succeeds.
check() {
	local name=$1 why=$2
	shift 2
	if "$@"; then t_pass "mosrun/$name"; else t_fail "mosrun/$name" "$why"; fi
}

# Exit statuses and deaths by signal are the program's.
mosrun sh -c 'exit 7'
check exit-status "got $?, want 7" test $? -eq 7
mosrun sh -c 'kill -SEGV $$' 2>/dev/null
rc=$?
check death-by-signal "got $rc, want 139 (SIGSEGV)" test $rc -eq 139
mosrun sh -c 'sleep 0.2 & wait; exit 3'
check children-followed "got $?, want 3" test $? -eq 3
mosrun /nonexistent/program 2>"$d/err"
rc=$?
check missing-program "exit $rc: $(cat "$d/err")" grep -q "No such file" "$d/err"

# A signal sent to mosrun reaches the program.
mosrun sleep 60 &
mr=$!
sleep 0.3
kill -TERM "$mr"
wait_exit "$mr" 10
check sigterm-passed-on "mosrun exit $RC, want 143" test "$RC" -eq 143

# Stop and continue: the program stops and resumes.
mosrun sh -c 'for i in $(seq 40); do echo $i; sleep 0.05; done' >"$d/count" &
mr=$!
sleep 0.3
pid=$(pgrep -P "$mr")
kill -STOP "$pid"
sleep 0.3
n1=$(wc -l <"$d/count")
sleep 0.5
n2=$(wc -l <"$d/count")
kill -CONT "$pid"
wait_exit "$mr" 20
check stop-cont "lines while stopped: $n1 -> $n2; exit $RC; final $(wc -l <"$d/count")" \
	test "$n1" -eq "$n2" -a "$RC" -eq 0 -a "$(wc -l <"$d/count")" -eq 40

# refuse NAME PATTERN CMD...: a checkpoint of CMD is refused with PATTERN and
# the process carries on unharmed.
refuse() {
	local name=$1 pat=$2 mr pid msg rc
	shift 2
	mosrun -C "$d/$name" "$@" &
	mr=$!
	for _ in $(seq 40); do
		pid=$(pgrep -P "$mr" | head -n 1)
		[ -n "$pid" ] && break
		sleep 0.05
	done
	sleep 0.5
	msg=$(mosmigrate "$pid" checkpoint 2>&1)
	rc=$?
	sleep 0.2
	if [ $rc -ne 0 ] && grep -Eq "$pat" <<<"$msg" && kill -0 "$pid" 2>/dev/null &&
		[ ! -e "$d/$name.1" ] && ! ls "$d/$name".*tmp* >/dev/null 2>&1; then
		t_pass "mosrun/refuse-$name"
	else
		t_fail "mosrun/refuse-$name" "mosmigrate exit $rc: $msg"
	fi
	kill -9 "$pid" 2>/dev/null
	wait_exit "$mr" 10
}
refuse pipe "pipe" python3 -c 'import os,time; r, w = os.pipe(); time.sleep(30)'
refuse socket "socket" python3 -c 'import socket,time; s=socket.socket(); time.sleep(30)'
refuse threads "thread" python3 -c 'import threading,time; threading.Thread(target=time.sleep,args=(30,)).start(); time.sleep(30)'
refuse children "child process" sh -c 'sleep 30; true'
cp /bin/sleep "$d/suid-sleep"
chmod u+s "$d/suid-sleep"
refuse setuid "setuid" "$d/suid-sleep" 30

# Periodic checkpoints (-A, in minutes): two come within a few seconds.
GO=$d/go
MOSTEST_GO=$GO mosrun -C "$d/auto" -A 0.01 "$PROGS/heap_sparse" >"$d/auto.out" 2>&1 &
mr=$!
for _ in $(seq 200); do [ -e "$d/auto.2" ] && break; sleep 0.05; done
touch "$GO"
wait_exit "$mr" 30
check auto-checkpoint "exit $RC; files: $(ls "$d" | grep auto | tr '\n' ' ')" \
	test -e "$d/auto.1" -a -e "$d/auto.2" -a "$RC" -eq 0
out=$(MOSTEST_GO=$GO timeout 60 mosrun -R "$d/auto.2" 2>&1)
check auto-checkpoint-recovers "$out" grep -q "^PASS heap_sparse" <<<"$out"
rm -f "$GO"

# Atomic: a checkpoint that fails half-way (the filesystem fills up) leaves
# the previous file of that name intact and no temporary file behind.
mkdir -p "$d/small"
if mount -t tmpfs -o size=2m tmpfs "$d/small" 2>/dev/null; then
	MOSTEST_GO=$GO mosrun -C "$d/small/ck" "$PROGS/cwd_rlimit" >"$d/a.out" 2>&1 &
	mr=$!
	mosmigrate "$(ready_pid "$d/a.out" 20)" chkexit >/dev/null
	wait_exit "$mr" 20
	sum1=$(md5sum <"$d/small/ck.1")
	MOSTEST_GO=$GO mosrun -C "$d/small/ck" "$PROGS/heap_sparse" >"$d/b.out" 2>&1 &
	mr=$!
	pid=$(ready_pid "$d/b.out" 20)
	msg=$(mosmigrate "$pid" checkpoint 2>&1)
	rc=$?
	alive=$(kill -0 "$pid" 2>/dev/null && echo yes)
	touch "$GO"
	wait_exit "$mr" 30
	check atomic-on-failure "mosmigrate exit $rc ($msg), alive=$alive, files: $(ls "$d/small")" \
		test $rc -ne 0 -a "$sum1" = "$(md5sum <"$d/small/ck.1")" -a "$alive" = yes \
		-a "$(ls "$d/small")" = ck.1 -a "$RC" -eq 0
	out=$(MOSTEST_GO=$GO timeout 60 mosrun -R "$d/small/ck.1" 2>&1)
	check atomic-old-recovers "$out" grep -q "^PASS cwd_rlimit" <<<"$out"
	umount "$d/small"
	rm -f "$GO"
else
	t_skip mosrun/atomic-on-failure "cannot mount a small tmpfs here (not root?)"
fi

# Killed half-way: SIGKILL mosrun in the middle of writing a large checkpoint.
# No partial ck.2 and no temporary file may be left; ck.1 stays valid.
mosrun -C "$d/big" python3 -c 'import os,time; a = bytearray(os.urandom(1 << 20)) * 700; print("ready", flush=True); time.sleep(60)' >"$d/big.out" 2>&1 &
mr=$!
wait_for "$d/big.out" ready 60
pid=$(pgrep -P "$mr" | head -n 1)
mosmigrate "$pid" checkpoint >/dev/null 2>&1
mosmigrate "$pid" checkpoint >/dev/null 2>&1 &
sleep 0.3
kill -9 "$mr"
wait_exit "$mr" 10
sleep 0.3
check killed-half-way "files left: $(ls "$d" | grep '^big' | tr '\n' ' ')" \
	test -s "$d/big.1" -a ! -e "$d/big.2" -a -z "$(ls "$d" | grep '^big.*tmp')"
mosrun -I "$d/big.1" >/dev/null 2>"$d/big.err"
check killed-half-way-old-valid "$(cat "$d/big.err")" test $? -eq 0
rm -f "$d"/big.*

# Command lines.
mosrun --help >/dev/null
check help "mosrun --help exit $?" test $? -eq 0
mosmigrate --help >/dev/null
check help-mosmigrate "exit $?" test $? -eq 0
bad_usage=""
for bad in "" "-A" "-A x true" "-A -5 true" "-O 1=x true" "-R a -I b" "-C" "-R f -O x" "--compress=gz true"; do
	# shellcheck disable=SC2086
	mosrun $bad >/dev/null 2>&1
	rc=$?
	[ $rc -eq 2 ] || bad_usage="$bad_usage '$bad'->$rc"
done
check usage-errors "want exit 2:$bad_usage" test -z "$bad_usage"
msg=$(mosmigrate $$ checkpoint 2>&1)
check not-under-mosrun "$msg" grep -q "does not run under mosrun" <<<"$msg"
msg=$(mosmigrate 999999999 checkpoint 2>&1)
check no-such-process "$msg" grep -q "no process" <<<"$msg"
msg=$(mosmigrate 12x checkpoint 2>&1)
check bad-pid "exit $?" test $? -eq 2

# guestd's own command line: usage errors exit 2, a map that does not load
# exits 1 with the reason on the terminal, also when it would go to the
# background (nothing left running).
bad_usage=""
for bad in "-m 0" "-m abc" "-m" "extra" "-x"; do
	# shellcheck disable=SC2086
	msg=$(timeout 10 guestd $bad 2>&1)
	rc=$?
	# what was wrong first, then the hint
	[ $rc -eq 2 ] && [[ $(head -n 1 <<<"$msg") == "guestd: "* ]] &&
		[ "$(sed -n 2p <<<"$msg")" = "Try 'guestd --help'." ] || bad_usage="$bad_usage '$bad'->$rc"
done
check guestd-usage-errors "want exit 2 and a message:$bad_usage" test -z "$bad_usage"
bad_conf=""
for fg in -f ""; do
	# shellcheck disable=SC2086
	msg=$(timeout 10 guestd -c "$d/no-such-dir" -r "$d/run" $fg 2>&1)
	rc=$?
	[ $rc -eq 1 ] && grep -q "no-such-dir/cluster.conf: No such file" <<<"$msg" || bad_conf="$bad_conf '$fg'->$rc ($msg)"
done
left=$(pgrep -f "guestd -c $d/no-such-dir")
check guestd-bad-map "$bad_conf; left running: '$left'" test -z "$bad_conf" -a -z "$left"
