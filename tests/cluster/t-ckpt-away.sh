#!/usr/bin/env bash
# t-ckpt-away.sh: checkpoints of a process that runs away from home save the
# program, not its deputy: it comes home for the checkpoint (the image needs
# its memory and its home's files together) and goes back after. The image
# holds the program's memory, recovery gives the program's own result, and a
# chkexit ends the process only once its image is faithful. As root and as
# an ordinary user.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/suite.sh"
cluster_suite ckaway 3
suite_user_bin
EXIT_CHECKPOINTED=75

# where NODE PID: "node where migrations" of PID in NODE's registry.
where() {
	on "$1" mosctl localstatus --json | python3 -c '
import json, sys
for p in json.load(sys.stdin)["processes"]:
    if p["pid"] == int(sys.argv[1]) and p["kind"] == "local": print(p["where"], p["migrations"])' "$2"
}

# mib TEXT: the MiB figure of a "checkpointed ... (N MiB of memory" message.
mib() { sed -n 's/.*(\([0-9.]*\) MiB of memory.*/\1/p' <<<"$1" | head -n 1; }

# --- checkpoint and carry on (root): heap_sparse holds 16 MiB of pages
D=$W/root && mkdir -p "$D"
on 1 env MOSTEST_GO="$D/go" mosrun -2 -C "$D/ck" "$PROGS/heap_sparse" >"$D/out" 2>&1 &
MR=$!
P=$(ready_pid "$D/out" 60) || t_fail ckaway/continue "never ready: $(cat "$D/out")"
for _ in $(seq 40); do [ "$(where 1 "$P")" = "2 1" ] && break; sleep 0.25; done
w0=$(where 1 "$P")
m=$(on 1 mosmigrate "$P" checkpoint 2>&1)
rc=$?
w1=$(where 1 "$P")
size=$(mib "$m")
touch "$D/go"
wait_exit $MR 60
if [ "$w0" = "2 1" ] && [ $rc -eq 0 ] && python3 -c "import sys; sys.exit(not ${size:-0} >= 15)" &&
	grep -q "carries on at node 2" <<<"$m" && [ "$w1" = "2 2" ] && [ "$RC" -eq 0 ] &&
	grep -q "^PASS heap_sparse pid=$P$" "$D/out"; then
	t_pass "ckaway/continue-saves-the-program (${size} MiB)"
else
	t_fail ckaway/continue-saves-the-program "before '$w0', after '$w1' (where moves); mosmigrate exit $rc: $m; mosrun exit $RC: $(tail -n 2 "$D/out" | tr '\n' ' ')"
fi
out=$(on 1 env MOSTEST_GO="$D/go" timeout 120 mosrun -R "$D/ck.1" 2>&1)
rc=$?
if [ $rc -eq 0 ] && grep -q "^PASS heap_sparse pid=" <<<"$out" && ! grep -q "pid=$P$" <<<"$out"; then
	t_pass ckaway/recovered-image-is-the-program
else
	t_fail ckaway/recovered-image-is-the-program "mosrun -R exit $rc: $(tail -n 3 <<<"$out" | tr '\n' ' ')"
fi

# --- chkexit as an ordinary user: ends only once the image is saved, and
# the recovered process is the program (stoppable, with its own output)
D=$W/user && mkdir -p "$D" && chown "$SUITE_USER" "$D"
as_user 1 env MOSTEST_GO="$D/go" mosrun -2 -C "$D/ck" signals >"$D/out" 2>&1 &
MR=$!
P=$(ready_pid "$D/out" 60) || t_fail ckaway/user-chkexit "never ready: $(cat "$D/out")"
for _ in $(seq 40); do [ "$(where 1 "$P")" = "2 1" ] && break; sleep 0.25; done
w0=$(where 1 "$P")
m=$(as_user 1 mosmigrate "$P" chkexit 2>&1)
mrc=$?
wait_exit $MR 60
if [ "$w0" = "2 1" ] && [ $mrc -eq 0 ] && [ "$RC" -eq $EXIT_CHECKPOINTED ] && [ -s "$D/ck.1" ] &&
	[ "$(stat -c %u "$D/ck.1")" = "$SUITE_USER" ]; then
	t_pass ckaway/user-chkexit
else
	t_fail ckaway/user-chkexit "where '$w0'; mosmigrate exit $mrc: $m; mosrun exit $RC (want $EXIT_CHECKPOINTED): $(tail -n 2 "$D/out" | tr '\n' ' ')"
fi
touch "$D/go"
out=$(as_user 1 env MOSTEST_GO="$D/go" timeout 120 mosrun -R "$D/ck.1" 2>&1)
rc=$?
if [ $rc -eq 0 ] && grep -q "^PASS signals pid=" <<<"$out"; then
	t_pass ckaway/user-recovers-the-program
else
	t_fail ckaway/user-recovers-the-program "mosrun -R exit $rc: $(tail -n 3 <<<"$out" | tr '\n' ' ')"
fi

# --- chkstop: checkpointed at home, it stays stopped there until SIGCONT
D=$W/cut && mkdir -p "$D"
on 1 env MOSTEST_GO="$D/go" mosrun -2 -C "$D/ck" "$PROGS/signals" >"$D/out" 2>&1 &
MR=$!
P=$(ready_pid "$D/out" 60) || t_fail ckaway/chkstop-stops-it-at-home "never ready"
for _ in $(seq 40); do [ "$(where 1 "$P")" = "2 1" ] && break; sleep 0.25; done
on 1 mosmigrate "$P" chkstop >"$D/m" 2>&1
rc=$?
sleep 1 # still stopped a second later (a stopped tracee of mosrun shows t or T)
st=$(on 1 ps -o stat= -p "$P" | tr -d ' ')
w1=$(where 1 "$P")
on 1 kill -CONT "$P"
touch "$D/go"
wait_exit $MR 60
if [ $rc -eq 0 ] && [[ ${st:0:1} == [Tt] ]] && [ "${w1%% *}" = 1 ] && [ -s "$D/ck.1" ] && [ "$RC" -eq 0 ] &&
	grep -q "^PASS signals pid=$P$" "$D/out"; then
	t_pass ckaway/chkstop-stops-it-at-home
else
	t_fail ckaway/chkstop-stops-it-at-home "exit $rc: $(cat "$D/m"); state '$st' at '$w1'; mosrun exit $RC: $(tail -n 2 "$D/out" | tr '\n' ' ')"
fi
