# tests/lib.sh: shared helpers for shell-level tests. Source it.
# Every test case ends in exactly one of t_pass / t_fail / t_skip, which print
# a line and append it to $RESULTS (set by ci/check.sh; a temp file otherwise).

: "${B:=build}"
: "${RESULTS:=$(mktemp /tmp/mosix-results.XXXXXX)}"
export RESULTS
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$TOP/$B/bin
PROGS=$TOP/$B/progs
export PATH=$BIN:$PATH

t_pass() { echo "PASS $1"; echo "PASS $1" >> "$RESULTS"; }
t_fail() { echo "FAIL $1: $2"; echo "FAIL $1: $2" >> "$RESULTS"; }
t_skip() { echo "SKIP $1: $2"; echo "SKIP $1: $2" >> "$RESULTS"; }

# wait_for FILE PATTERN [SECONDS]: wait until FILE contains PATTERN (grep -E).
wait_for() {
	local f=$1 pat=$2 secs=${3:-20} i
	for ((i = 0; i < secs * 20; i++)); do
		grep -Eq -- "$pat" "$f" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# ready_pid FILE [SECONDS]: wait (default 30 s) for a "READY ... pid=N" line
# in FILE, as the test programs print it, and print N.
ready_pid() {
	wait_for "$1" '^READY ' "${2:-30}" || return 1
	sed -n 's/^READY .* pid=\([0-9]*\).*/\1/p' "$1" | head -n 1
}

# wait_exit PID [SECONDS]: wait for a background child of this shell and set
# RC to its exit status; 124 on timeout (it is killed). Not for use in $(...).
wait_exit() {
	local pid=$1 secs=${2:-60} i st
	for ((i = 0; i < secs * 20; i++)); do
		st=$(ps -o stat= -p "$pid" 2>/dev/null)
		if [ -z "$st" ] || [ "${st:0:1}" = Z ]; then
			wait "$pid"
			RC=$?
			return 0
		fi
		sleep 0.05
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	RC=124
}

# mktmp: set $T to a fresh directory that is removed when the script exits.
# (Call it directly, not in $(...): a subshell would run the EXIT trap at once.)
mktmp() {
	T=$(mktemp -d /tmp/mosix-test.XXXXXX)
	# shellcheck disable=SC2064
	trap "rm -rf '$T'" EXIT
}

# Descriptors leaked into the test run by whatever started it would be
# inherited by every program and make them uncheckpointable (a pipe): close them.
for _fd in /proc/$$/fd/*; do
	_fd=${_fd##*/}
	case "$_fd" in 0 | 1 | 2 | 255) ;; *) eval "exec $_fd>&-" 2>/dev/null ;; esac
done
unset _fd
