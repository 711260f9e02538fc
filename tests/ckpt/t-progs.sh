#!/usr/bin/env bash
# tests/ckpt/t-progs.sh: checkpoint every workload in tests/progs/ with mosrun and
# mosmigrate, recover it into a new process, and let the program check its own state.
#   ckpt/NAME/exit      mosmigrate chkexit: mosrun exits 75, mosrun -R ck.1 passes in a new pid
#   ckpt/NAME/continue  mosmigrate checkpoint: the original passes, then so does mosrun -R ck.1
#   ckpt/NAME/stop      mosmigrate chkstop: the process stays stopped until SIGCONT (two programs)
#   ckpt/selfckpt       mosix_checkpoint() from inside the program, then mosrun -R
# Usage: B=build bash tests/ckpt/t-progs.sh [NAME...]
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"

STOP_PROGS="heap_sparse counter_static"
EXIT_CHECKPOINTED=75

# kill_tree PID: SIGKILL PID and everything below it, children first.
kill_tree() {
	local p=$1 c
	# shellcheck disable=SC2013 # pids, one word each
	for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do
		kill_tree "$c"
	done
	kill -9 "$p" 2>/dev/null
}

# reap PID SECS: wait for background job PID, set rc to its status (124 after
# SECS, when it and its children are killed). Unlike wait_exit this runs in the
# current shell: a `wait` inside $(...) cannot collect the job's status.
reap() {
	local pid=$1 secs=$2 i
	for ((i = 0; i < secs * 20; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"
			rc=$?
			return
		fi
		sleep 0.05
	done
	kill_tree "$pid"
	wait "$pid" 2>/dev/null
	rc=124
}

# how: rc in words, for failure reasons.
how() {
	if [ "$rc" = 124 ]; then echo "did not exit in time (killed)"; else echo "exited $rc"; fi
}

# clean CMD...: exec CMD with stdin from /dev/null and no descriptor above 2.
# Whatever the runner leaks (its pipes) would be inherited by the program, and
# an open pipe cannot be checkpointed: the engine rightly refuses.
clean() {
	local fd
	exec </dev/null
	for fd in /proc/"$BASHPID"/fd/*; do
		fd=${fd##*/}
		[ "$fd" -gt 2 ] && eval "exec $fd>&-"
	done
	exec "$@"
}

# run SECS OUT CMD...: run CMD cleanly and bounded, output to OUT; sets rc.
run() {
	local secs=$1 out=$2
	shift 2
	clean "$@" >"$out" 2>&1 &
	reap $! "$secs"
}

# fail CASE REASON: show the tails of this case's outputs, then record the failure.
fail() {
	local f
	for f in "$d"/out1 "$d"/mig "$d"/out2; do
		[ -s "$f" ] || continue
		echo "  --- ${f##*/}:"
		tail -n 6 "$f" | sed 's/^/  | /'
	done
	t_fail "$1" "$2"
	cleanup
}

# cleanup: kill what a case left running.
cleanup() {
	[ -n "${mr:-}" ] && kill_tree "$mr"
	[ -n "${pid:-}" ] && [ -d /proc/"$pid" ] &&
		[[ $(readlink /proc/"$pid"/exe 2>/dev/null) == "$(readlink -f "$PROGS")"/* ]] &&
		kill -9 "$pid"
	mr='' pid=''
	wait 2>/dev/null
}

# newcase NAME KIND: a fresh directory d with a tmp/ for the program's files.
newcase() {
	d=$TOP_TMP/$1-$2
	mkdir -p "$d/tmp"
	mr='' pid=''
}

# start NAME [ENV...]: mosrun -C $d/ck NAME in the background, wait for READY,
# set mr (mosrun's pid) and pid (the program's). Returns 1 when it never got ready.
start() {
	local name=$1
	shift
	clean env "$@" MOSTEST_GO="$d/go" TMPDIR="$d/tmp" mosrun -C "$d/ck" "$PROGS/$name" \
		>"$d/out1" 2>&1 &
	mr=$!
	wait_for "$d/out1" "^READY $name pid=[0-9]+" 30 || return 1
	pid=$(sed -n "s/^READY $name pid=\([0-9]*\).*/\1/p" "$d/out1" | head -n 1)
}

# recover T NAME: mosrun -R $d/ck.1 must pass in a process other than $pid.
recover() {
	local t=$1 name=$2 p
	run 120 "$d/out2" env MOSTEST_GO="$d/go" mosrun -R "$d/ck.1"
	[ "$rc" = 0 ] || { fail "$t" "mosrun -R ck.1 $(how), want exit 0"; return 1; }
	p=$(sed -n "s/^PASS $name pid=\([0-9]*\).*/\1/p" "$d/out2" | head -n 1)
	[ -n "$p" ] || { fail "$t" "recovered program did not print PASS"; return 1; }
	[ "$p" != "$pid" ] || { fail "$t" "recovered into the same pid $p"; return 1; }
}

# case_exit NAME: checkpoint and exit, then recover.
case_exit() {
	local name=$1 t=ckpt/$1/exit
	newcase "$name" exit
	start "$name" || { fail "$t" "no READY line within 30 s"; return; }
	run 60 "$d/mig" mosmigrate "$pid" chkexit
	[ "$rc" = 0 ] || { fail "$t" "mosmigrate $pid chkexit $(how)"; return; }
	reap "$mr" 60
	mr=''
	[ "$rc" = $EXIT_CHECKPOINTED ] ||
		{ fail "$t" "after chkexit mosrun $(how), want exit $EXIT_CHECKPOINTED"; return; }
	[ -f "$d/ck.1" ] || { fail "$t" "no checkpoint file ck.1"; return; }
	[ ! -d /proc/"$pid" ] || { fail "$t" "original pid $pid still exists"; return; }
	touch "$d/go"
	recover "$t" "$name" || return
	t_pass "$t"
}

# case_continue NAME: checkpoint, let the original finish, then recover the image too.
case_continue() {
	local name=$1 t=ckpt/$1/continue p
	newcase "$name" continue
	# Both runs use the same files: the first one must not delete them.
	start "$name" MOSTEST_KEEP=1 || { fail "$t" "no READY line within 30 s"; return; }
	run 60 "$d/mig" mosmigrate "$pid" checkpoint
	[ "$rc" = 0 ] || { fail "$t" "mosmigrate $pid checkpoint $(how)"; return; }
	[ -f "$d/ck.1" ] || { fail "$t" "no checkpoint file ck.1 after mosmigrate returned"; return; }
	kill -0 "$mr" 2>/dev/null || { fail "$t" "mosrun is gone after a plain checkpoint"; return; }
	touch "$d/go"
	reap "$mr" 60
	mr=''
	[ "$rc" = 0 ] || { fail "$t" "original: mosrun $(how), want exit 0"; return; }
	p=$(sed -n "s/^PASS $name pid=\([0-9]*\).*/\1/p" "$d/out1" | head -n 1)
	[ "$p" = "$pid" ] || { fail "$t" "original did not print PASS with pid $pid"; return; }
	recover "$t" "$name" || return
	t_pass "$t"
}

# proc_state PID: the one-letter state from /proc/PID/status.
proc_state() {
	sed -n 's/^State:[[:space:]]*\([A-Za-z]\).*/\1/p' /proc/"$1"/status 2>/dev/null
}

# case_stop NAME: checkpoint and stop; the program must not run until SIGCONT.
case_stop() {
	local name=$1 t=ckpt/$1/stop st
	newcase "$name" stop
	start "$name" || { fail "$t" "no READY line within 30 s"; return; }
	run 60 "$d/mig" mosmigrate "$pid" chkstop
	[ "$rc" = 0 ] || { fail "$t" "mosmigrate $pid chkstop $(how)"; return; }
	[ -f "$d/ck.1" ] || { fail "$t" "no checkpoint file ck.1"; return; }
	# A stopped tracee of mosrun may show t (tracing stop) rather than T.
	st=$(proc_state "$pid")
	[[ $st == [Tt] ]] || { fail "$t" "state of $pid is '$st' after chkstop, want T"; return; }
	touch "$d/go"
	sleep 1
	st=$(proc_state "$pid")
	[[ $st == [Tt] ]] || { fail "$t" "state of $pid is '$st' 1 s later, want T"; return; }
	! grep -q '^PASS' "$d/out1" || { fail "$t" "the program ran on while stopped"; return; }
	kill -CONT "$pid"
	reap "$mr" 60
	mr=''
	[ "$rc" = 0 ] || { fail "$t" "after SIGCONT mosrun $(how), want exit 0"; return; }
	grep -q "^PASS $name pid=$pid\$" "$d/out1" ||
		{ fail "$t" "original did not print PASS after SIGCONT"; return; }
	t_pass "$t"
}

# case_selfckpt: the program checkpoints itself, then the image is recovered.
case_selfckpt() {
	local t=ckpt/selfckpt p
	newcase selfckpt self
	pid=''
	run 60 "$d/out1" env TMPDIR="$d/tmp" mosrun -C "$d/ck" "$PROGS/selfckpt"
	[ "$rc" = 0 ] || { fail "$t" "mosrun -C $(how), want exit 0"; return; }
	grep -q '^CKPT-TAKEN' "$d/out1" || { fail "$t" "no CKPT-TAKEN line"; return; }
	grep -q '^PASS selfckpt' "$d/out1" || { fail "$t" "no PASS line from the first run"; return; }
	[ -f "$d/ck.1" ] || { fail "$t" "no checkpoint file ck.1"; return; }
	run 60 "$d/out2" mosrun -R "$d/ck.1"
	[ "$rc" = 0 ] || { fail "$t" "mosrun -R ck.1 $(how), want exit 0"; return; }
	grep -q '^RECOVERED' "$d/out2" || { fail "$t" "no RECOVERED line after mosrun -R"; return; }
	grep -q '^PASS selfckpt' "$d/out2" || { fail "$t" "no PASS line after mosrun -R"; return; }
	p=$(sed -n 's/^CKPT-TAKEN pid=\([0-9]*\).*/\1/p' "$d/out1" | head -n 1)
	! grep -q "^PASS selfckpt pid=$p\$" "$d/out2" ||
		{ fail "$t" "recovered into the same pid $p"; return; }
	t_pass "$t"
}

main() {
	local p name names=("$@")
	if [ ! -x "$BIN/mosrun" ] || [ ! -x "$BIN/mosmigrate" ]; then
		t_skip ckpt/progs "$BIN/mosrun or mosmigrate not built"
		return
	fi
	if [ ${#names[@]} = 0 ]; then
		for p in "$PROGS"/*; do # spin, grow, ioloop: loads, not self-checking workloads
			case ${p##*/} in spin | grow | ioloop) continue ;; esac
			[ -x "$p" ] && names+=("${p##*/}")
		done
	fi
	if [ ${#names[@]} = 0 ]; then
		t_skip ckpt/progs "no workload programs in $PROGS"
		return
	fi
	# Not mktmp: its EXIT trap would fire when the $(...) subshell ends.
	TOP_TMP=$(mktemp -d /tmp/mosix-progs.XXXXXX)
	trap 'cleanup; rm -rf "$TOP_TMP"' EXIT
	for name in "${names[@]}"; do
		if [ "$name" = selfckpt ]; then
			case_selfckpt
			cleanup
			continue
		fi
		case_exit "$name"
		cleanup
		case_continue "$name"
		cleanup
		if [[ " $STOP_PROGS " == *" $name "* ]]; then
			case_stop "$name"
			cleanup
		fi
	done
}

main "$@"
