#!/usr/bin/env bash
# tests/ckpt/t-state.sh: state that a checkpoint and recovery keep, or refuse
# to lose (issue 18), as an ordinary user and as root. (t-progs.sh checkpoints
# every workload as root; this adds what needs an argument, another user, or
# a checkpoint that must be refused.)
#   state/user/NAME          mosrun -C, mosmigrate chkexit and mosrun -R as user 65534:
#                            vmflags, sigtrap, memstate, procstate pass in a new pid
#   state/sigtrap-ignore     SIGTRAP ignored stays ignored through a recovery
#   state/refused-keeps-sigtrap[/user]  a checkpoint refused (open pipe) says why and
#                            loses nothing: the pending SIGTRAP, its handler
#   state/refused-storm-keeps-every-sigtrap  SIGTRAPs raised in a loop while checkpoints
#                            are refused: each runs the handler once
#   state/oom-refused        a user's process whose oom_score_adj root lowered is not
#                            checkpointed (its user could not set it again), and says so
#   state/loginuid-kept      recovered where the loginuid is unset: the user sets it back
#   state/loginuid-said      recovered where another loginuid is set: it says it could not
# Usage: B=build bash tests/ckpt/t-state.sh
# --clean CMD...: (how the helpers below run CMD) no descriptor above 2 (a
# leaked pipe would make every program uncheckpointable), stdin from /dev/null.
if [ "${1:-}" = --clean ]; then
	shift
	for fd in /proc/"$$"/fd/*; do
		fd=${fd##*/}
		case "$fd" in 0 | 1 | 2 | 255) ;; *) eval "exec $fd>&-" 2>/dev/null ;; esac
	done
	exec "$@" </dev/null
fi
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"

USER_ID=65534
EXIT_CHECKPOINTED=75

# as_user CMD...: CMD as user 65534 with no descriptor above 2 (a leaked
# pipe would make every program uncheckpointable).
as_user() {
	setpriv --reuid=$USER_ID --regid=$USER_ID --clear-groups "$TOP/tests/ckpt/t-state.sh" \
		--clean "$@"
}

# as_root CMD...: the same as root.
as_root() { "$TOP/tests/ckpt/t-state.sh" --clean "$@"; }


# start RUN DIR NAME [ARG...]: mosrun -C DIR/ck NAME in the background (RUN is
# as_user or as_root); sets mr and pid. 1 when it never got ready.
start() {
	local run=$1 dir=$2 name=$3
	shift 3
	$run env MOSTEST_GO="$dir/go" TMPDIR="$dir" mosrun -C "$dir/ck" "$PROGS/$name" "$@" \
		>"$dir/out1" 2>&1 &
	mr=$!
	pid=$(ready_pid "$dir/out1" 30) || return 1
}

# newdir NAME OWNER: a fresh directory for a case.
newdir() {
	d=$T/$1
	mkdir -p "$d" && chown "$2" "$d"
}

# tails: the case's outputs, on one line.
tails() {
	local f
	for f in "$d"/out1 "$d"/mig "$d"/out2; do
		[ -s "$f" ] && echo -n "${f##*/}: $(tail -n 3 "$f" | tr '\n' ' ') "
	done
}

# ckpt_case LABEL RUN NAME [ARG...]: checkpoint with chkexit, recover, PASS in a new pid.
ckpt_case() {
	local label=$1 t=state/$1 run=$2 name=$3 p
	shift 3
	newdir "$label" "$([ "$run" = as_user ] && echo $USER_ID || echo 0)"
	start "$run" "$d" "$name" "$@" || { t_fail "$t" "never ready: $(tails)"; return; }
	$run mosmigrate "$pid" chkexit >"$d/mig" 2>&1 || { t_fail "$t" "chkexit failed: $(tails)"; wait_exit $mr 5; return; }
	wait_exit $mr 30
	[ "$RC" = $EXIT_CHECKPOINTED ] || { t_fail "$t" "mosrun exit $RC after chkexit, want $EXIT_CHECKPOINTED"; return; }
	touch "$d/go"
	$run env MOSTEST_GO="$d/go" timeout 60 mosrun -R "$d/ck.1" >"$d/out2" 2>&1
	p=$(sed -n "s/^PASS $name pid=\([0-9]*\).*/\1/p" "$d/out2")
	if [ -n "$p" ] && [ "$p" != "$pid" ]; then
		t_pass "$t"
	else
		t_fail "$t" "recovery did not pass in a new pid: $(tails)"
	fi
}

# refused_case LABEL RUN: sigtrap with an open pipe; its checkpoint is refused
# with the reason, and it passes (its pending SIGTRAP and handler intact).
refused_case() {
	local t=state/$1 run=$2 rc
	newdir "$1" "$([ "$run" = as_user ] && echo $USER_ID || echo 0)"
	start "$run" "$d" sigtrap pipe || { t_fail "$t" "never ready: $(tails)"; return; }
	$run mosmigrate "$pid" chkexit >"$d/mig" 2>&1
	rc=$?
	touch "$d/go"
	wait_exit $mr 30
	if [ $rc -ne 0 ] && grep -q "cannot be checkpointed: its fd [0-9]* is pipe:" "$d/mig" &&
		[ "$RC" = 0 ] && grep -q "^PASS sigtrap pid=$pid\$" "$d/out1" && [ ! -e "$d/ck.1" ]; then
		t_pass "$t"
	else
		t_fail "$t" "mosmigrate exit $rc, mosrun exit $RC: $(tails)"
	fi
}

main() {
	if [ ! -x "$BIN/mosrun" ] || ! command -v setpriv >/dev/null; then
		t_skip state "mosrun not built or no setpriv"
		return
	fi
	mktmp
	chmod 755 "$T"
	local name
	for name in vmflags sigtrap memstate procstate; do
		ckpt_case "user/$name" as_user "$name"
	done
	ckpt_case sigtrap-ignore as_root sigtrap ignore
	refused_case refused-keeps-sigtrap as_root
	refused_case refused-keeps-sigtrap/user as_user

	# a SIGTRAP raised over and over (each run by its handler) while
	# checkpoints are asked for and refused: none lost, none doubled
	newdir storm 0
	if start as_root "$d" sigtrap storm; then
		local i refused=0
		for i in 1 2 3 4 5 6; do
			as_root mosmigrate "$pid" chkexit 2>&1 | grep -q "cannot be checkpointed: its fd" &&
				refused=$((refused + 1))
			sleep 0.2
		done
		touch "$d/go"
		wait_exit $mr 30
		if [ $refused = 6 ] && [ "$RC" = 0 ] && grep -q "^PASS sigtrap pid=$pid\$" "$d/out1"; then
			t_pass "state/refused-storm-keeps-every-sigtrap ($(sed -n 's/^raised //p' "$d/out1") raised)"
		else
			t_fail state/refused-storm-keeps-every-sigtrap "$refused of 6 refused, mosrun exit $RC: $(tails)"
		fi
	else
		t_fail state/refused-storm-keeps-every-sigtrap "never ready: $(tails)"
	fi

	# root lowers a user's process's oom_score_adj: no checkpoint, and why
	newdir oom $USER_ID
	if ! start as_user "$d" vmflags; then
		t_fail state/oom-refused "never ready: $(tails)"
	elif ! echo -100 2>/dev/null >/proc/"$pid"/oom_score_adj; then
		t_skip state/oom-refused "root may not lower an oom_score_adj here (no CAP_SYS_RESOURCE)"
		touch "$d/go"
		wait_exit $mr 30
	else
		as_user mosmigrate "$pid" chkexit >"$d/mig" 2>&1
		local rc=$?
		touch "$d/go"
		wait_exit $mr 30
		if [ $rc -ne 0 ] && grep -q "oom_score_adj is -100" "$d/mig" && [ "$RC" = 0 ] &&
			[ ! -e "$d/ck.1" ]; then
			t_pass state/oom-refused
		else
			t_fail state/oom-refused "mosmigrate exit $rc, mosrun exit $RC: $(tails)"
		fi
	fi

	# loginuid: the program runs with loginuid 4242 (root sets it for its
	# shell); recovered by the user where none is set, it gets 4242 back;
	# where another one is set, the recovery says it could not
	if [ "$(cat /proc/self/loginuid 2>/dev/null)" != 4294967295 ]; then
		t_skip state/loginuid "this session's loginuid is set: no unset one to recover under"
		return
	fi
	newdir loginuid $USER_ID
	bash -c 'echo 4242 >/proc/self/loginuid && exec "$@"' _ setpriv --reuid=$USER_ID \
		--regid=$USER_ID --clear-groups "$TOP/tests/ckpt/t-state.sh" --clean \
		env MOSTEST_GO="$d/go" TMPDIR="$d" mosrun -C "$d/ck" "$PROGS/procstate" >"$d/out1" 2>&1 &
	mr=$!
	if pid=$(ready_pid "$d/out1" 30) && as_user mosmigrate "$pid" chkexit >"$d/mig" 2>&1; then
		wait_exit $mr 30
		cp -p "$d/ck.1" "$d/ck2.1"
		touch "$d/go"
		as_user env MOSTEST_GO="$d/go" timeout 60 mosrun -R "$d/ck.1" >"$d/out2" 2>&1
		if grep -q "^PASS procstate pid=" "$d/out2"; then
			t_pass state/loginuid-kept
		else
			t_fail state/loginuid-kept "$(tails)"
		fi
		bash -c 'echo 4343 >/proc/self/loginuid && exec "$@"' _ setpriv --reuid=$USER_ID \
			--regid=$USER_ID --clear-groups "$TOP/tests/ckpt/t-state.sh" --clean \
			env MOSTEST_GO="$d/go" timeout 60 mosrun -R "$d/ck2.1" >"$d/out3" 2>&1
		if grep -q "loginuid 4242 not restored: it is 4343 here" "$d/out3"; then
			t_pass state/loginuid-said
		else
			t_fail state/loginuid-said "$(tail -n 3 "$d/out3" | tr '\n' ' ')"
		fi
	else
		t_fail state/loginuid-kept "no checkpoint: $(tails)"
		wait_exit $mr 5
	fi
}

main "$@"
