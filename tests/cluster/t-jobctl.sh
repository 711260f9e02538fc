#!/usr/bin/env bash
# t-jobctl.sh: job control and interrupted calls of migrated processes.
# SIGSTOP/SIGTSTP/SIGCONT sent to the home pid stop and continue the body,
# and the home process (and mosrun, for the shell) stop with it; a forwarded
# call interrupted by a signal restarts under SA_RESTART and fails with EINTR
# without it, as a local call would.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/suite.sh"
SIGPROBE=$TOP/$B/tools/sigprobe
suite_cleanup() {
	exec 7>&- 2>/dev/null
	pkill -u 65534 -f "$SIGPROBE" 2>/dev/null
}
cluster_suite jobctl 3

state() { awk '{print $3}' "/proc/$1/stat" 2>/dev/null; }
# stopped PID: in a stop for 0.3 s on end (a body is in a ptrace-stop, 't',
# for a moment during each forwarded call too)
stopped() {
	local i
	for i in 1 2 3 4 5 6; do
		[[ $(state "$1") == [tT] ]] || return 1
		sleep 0.05
	done
}
lines() { wc -l <"$1"; }
# wait_state PID stopped|running: up to 10 s.
wait_state() {
	local i
	for ((i = 0; i < 100; i++)); do
		if [ "$2" = stopped ]; then stopped "$1" && return 0; else ! stopped "$1" && return 0; fi
		sleep 0.1
	done
	return 1
}

# start_ticker OUT [ENV...]: mosrun -2 sigprobe ticker; sets HP (home pid),
# BODY (its body's pid on node 2), MR (mosrun's pid).
start_ticker() {
	local out=$1
	shift
	"$CL" exec 1 env "$@" mosrun -v -2 "$SIGPROBE" ticker >"$out" 2>&1 &
	MR=$!
	HP=$(wait_for "$out" '^READY ' 30 && sed -n 's/^READY ticker pid=//p' "$out")
	BODY=""
	for _ in $(seq 50); do
		BODY=$(pgrep -u 65534 -f "$SIGPROBE ticker" | head -n 1)
		[ -n "$BODY" ] && break
		sleep 0.1
	done
	MR=$(awk '{print $4}' "/proc/$HP/stat" 2>/dev/null)
}

# end_ticker OUT: SIGTERM it, expect "DONE"; 0 when it ended well.
end_ticker() {
	kill -TERM "$HP" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$HP" 2>/dev/null || break; sleep 0.1; done
	wait_for "$1" '^DONE ' 10
}

# SIGSTOP / SIGCONT to the home pid.
out=$W/stop.out
start_ticker "$out"
why=""
if [ -z "$HP" ] || [ -z "$BODY" ] || ! grep -q "runs on node 2" "$out"; then
	why="did not start on node 2: $(head -n 3 "$out" | tr '\n' ' ')"
else
	kill -STOP "$HP"
	wait_state "$BODY" stopped || why="body $BODY not stopped ($(state "$BODY"))"
	[ -z "$why" ] && ! wait_state "$HP" stopped && why="home pid $HP not stopped ($(state "$HP"))"
	sleep 0.5
	a=$(lines "$out")
	sleep 1
	b=$(lines "$out")
	[ -z "$why" ] && [ "$a" != "$b" ] && why="output grew while stopped ($a -> $b lines)"
	kill -CONT "$HP"
	[ -z "$why" ] && ! wait_state "$BODY" running && why="body not continued"
	[ -z "$why" ] && ! wait_state "$HP" running && why="home pid not continued"
	sleep 1
	c=$(lines "$out")
	[ -z "$why" ] && [ "$c" -le "$b" ] && why="no output after SIGCONT"
fi
end_ticker "$out" || why="${why:-no DONE after SIGTERM: $(tail -n 2 "$out" | tr '\n' ' ')}"
[ -z "$why" ] && t_pass jobctl/sigstop-sigcont || t_fail jobctl/sigstop-sigcont "$why"

# SIGTSTP (Ctrl-Z's signal) with its default action: the body, the home
# process and mosrun (what the shell waits on) all stop; SIGCONT resumes.
out=$W/tstp.out
start_ticker "$out"
why=""
kill -TSTP "$HP"
wait_state "$BODY" stopped || why="body not stopped ($(state "$BODY"))"
[ -z "$why" ] && ! wait_state "$HP" stopped && why="home pid not stopped ($(state "$HP"))"
[ -z "$why" ] && ! wait_state "$MR" stopped && why="mosrun $MR not stopped ($(state "$MR"))"
kill -CONT "$MR" "$HP"
[ -z "$why" ] && ! wait_state "$BODY" running && why="body not continued"
b=$(lines "$out")
sleep 1
[ -z "$why" ] && [ "$(lines "$out")" -le "$b" ] && why="no output after SIGCONT"
end_ticker "$out" || why="${why:-no DONE: $(tail -n 2 "$out" | tr '\n' ' ')}"
[ -z "$why" ] && t_pass jobctl/sigtstp-stops-job || t_fail jobctl/sigtstp-stops-job "$why"

# A program that catches SIGTSTP does not stop: its handler runs remotely.
out=$W/tstph.out
start_ticker "$out" TSTP_HANDLER=1
why=""
kill -TSTP "$HP"
sleep 1
stopped "$BODY" && why="body stopped though it catches SIGTSTP"
stopped "$HP" && why="home pid stopped though the program catches SIGTSTP"
end_ticker "$out" || why="${why:-no DONE: $(tail -n 2 "$out" | tr '\n' ' ')}"
grep -q "^DONE .* tstp=1$" "$out" || why="${why:-handler did not run: $(tail -n 1 "$out")}"
[ -z "$why" ] && t_pass jobctl/sigtstp-caught || t_fail jobctl/sigtstp-caught "$why"

# Stopped remotely, brought home: it stays stopped until SIGCONT.
out=$W/home.out
start_ticker "$out"
why=""
kill -STOP "$HP"
wait_state "$HP" stopped || why="home pid not stopped"
m=$("$CL" exec 1 mosmigrate -w "$HP" home 2>&1) || why="${why:-mosmigrate home: $m}"
sleep 1
[ -z "$why" ] && ! stopped "$HP" && why="running at home before SIGCONT ($(state "$HP"))"
a=$(lines "$out")
kill -CONT "$HP"
sleep 1
[ -z "$why" ] && [ "$(lines "$out")" -le "$a" ] && why="no output after SIGCONT at home"
end_ticker "$out" || why="${why:-no DONE: $(tail -n 2 "$out" | tr '\n' ' ')}"
[ -z "$why" ] && t_pass jobctl/stopped-comes-home-stopped || t_fail jobctl/stopped-comes-home-stopped "$why"

# A read of a home pipe interrupted by a signal: restarted under SA_RESTART
# (the data written later arrives), EINTR without; the process stays remote.
out=$W/restart.out
mkfifo "$W/fifo"
"$CL" exec 1 mosrun -v -2 "$SIGPROBE" restart <"$W/fifo" >"$out" 2>&1 &
mr=$!
exec 7>"$W/fifo"
why=""
if ! wait_for "$out" '^WAIT1' 30; then
	why="never ready: $(tail -n 2 "$out" | tr '\n' ' ')"
else
	hp=$(sed -n 's/^READY restart pid=//p' "$out")
	sleep 1 # the read is blocked at home now
	kill -USR1 "$hp"
	sleep 1
	echo hello >&7
	wait_for "$out" '^WAIT2' 10 || why="first read did not return"
	sleep 1
	kill -USR2 "$hp"
fi
wait_exit $mr 20
exec 7>&-
if [ -z "$why" ] && [ "$RC" -eq 0 ] && grep -q '^READ1 6 hello usr1=1$' "$out" &&
	grep -q '^READ2 -1 EINTR usr2=1$' "$out" && grep -q '^PASS$' "$out" &&
	grep -q "runs on node 2" "$out" && ! grep -q "is home" "$out"; then
	t_pass jobctl/sa-restart-and-eintr
else
	t_fail jobctl/sa-restart-and-eintr "${why:-exit $RC}: $(tr '\n' ' ' <"$out")"
fi

# mosmigrate as MOSIX's migrate: asynchronous by default, -w waits with a
# progress line, -j moves the whole job; bad input is refused with a reason.
out=$W/job.out
"$CL" exec 1 mosrun sh -c 'sleep 60 & sleep 60 & python3 -c "
import os, time
b = os.urandom(40 << 20)
print(\"READY\", os.getpid(), flush=True)
time.sleep(60)"; wait' >"$out" 2>&1 &
jobmr=$!
py=$(wait_for "$out" '^READY ' 30 && awk '/^READY/ {print $2}' "$out")
top=$(ps -o ppid= -p "$py" 2>/dev/null | tr -d ' ')
# where PID: its node in mosps --json (0: home)
where() { "$CL" exec 1 mosps --json | sed -n "s/.*\"pid\": $1, \"node\": \([0-9]*\).*/\1/p"; }
# wait_where PID NODE: up to 10 s
wait_where() { for _ in $(seq 100); do [ "$(where "$1")" = "$2" ] && return 0; sleep 0.1; done; return 1; }

t0=$(date +%s%N)
m=$("$CL" exec 1 mosmigrate "$py" 2 2>&1)
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
if [ $rc -eq 0 ] && grep -q "moving to node 2" <<<"$m" && wait_where "$py" 2; then
	t_pass mosmigrate/async
else
	t_fail mosmigrate/async "exit $rc in $ms ms: $m; mosps says node '$(where "$py")'"
fi

"$CL" exec 1 mosmigrate -w "$py" 3 >"$W/w.out" 2>"$W/w.err"
rc=$?
if [ $rc -eq 0 ] && grep -q "runs on node 3" "$W/w.out" && grep -q "MiB moved" "$W/w.err" &&
	[ "$(where "$py")" = 3 ]; then
	t_pass mosmigrate/wait-with-progress
else
	t_fail mosmigrate/wait-with-progress "exit $rc: $(cat "$W/w.out" "$W/w.err" | tr '\n' ' ')"
fi

"$CL" exec 1 mosmigrate -w -j "$py" 2 >"$W/j.out" 2>&1
rc=$?
nodes=$("$CL" exec 1 mosps --json | sed -n 's/.*"node": \([0-9]*\).*/\1/p' | sort -u | tr '\n' ' ')
n=$(grep -c "runs on node 2" "$W/j.out")
if [ $rc -eq 0 ] && [ "$nodes" = "2 " ] && [ "$n" -eq 4 ]; then
	t_pass mosmigrate/whole-job
else
	t_fail mosmigrate/whole-job "exit $rc, nodes '$nodes', $n moved: $(tr '\n' ' ' <"$W/j.out")"
fi
"$CL" exec 1 mosmigrate -j "$top" home >/dev/null 2>&1
if wait_where "$py" 0 && wait_where "$top" 0; then
	t_pass mosmigrate/whole-job-home
else
	t_fail mosmigrate/whole-job-home "still at node '$(where "$py")' / '$(where "$top")'"
fi
kill -TERM "$top" 2>/dev/null
pkill -TERM -P "$top" 2>/dev/null
wait_exit $jobmr 20

why=""
"$CL" exec 1 mosmigrate -x 1 2 >/dev/null 2>&1
[ $? -eq 2 ] || why="unknown option not a usage error"
"$CL" exec 1 mosmigrate -w 1 checkpoint >/dev/null 2>&1
[ $? -eq 2 ] || why="$why; -w with checkpoint accepted"
m=$("$CL" exec 1 mosmigrate 999999 2 2>&1)
[ $? -eq 1 ] && grep -q "no process 999999" <<<"$m" || why="$why; missing pid: $m"
m=$("$CL" exec 1 mosmigrate "$$" 2 2>&1)
[ $? -eq 1 ] && grep -q "does not run under mosrun" <<<"$m" || why="$why; unsupervised pid: $m"
[ -z "$why" ] && t_pass mosmigrate/bad-input || t_fail mosmigrate/bad-input "$why"

# mosrun -IP / -r IP: the node by its address in the cluster map.
why=""
m=$("$CL" exec 1 mosrun -v -10.77.0.2 /bin/true 2>&1) && grep -q "runs on node 2" <<<"$m" || why="-10.77.0.2: $m"
m=$("$CL" exec 1 mosrun -v -r 10.77.0.3 /bin/true 2>&1) && grep -q "runs on node 3" <<<"$m" || why="$why; -r 10.77.0.3: $m"
m=$("$CL" exec 1 mosrun -10.77.0.99 /bin/true 2>&1)
[ $? -eq 2 ] && grep -q "no node has address 10.77.0.99" <<<"$m" || why="$why; unknown address: $m"
[ -z "$why" ] && t_pass mosrun/start-by-address || t_fail mosrun/start-by-address "$why"

# Calls on home regular files run on a duplicate of the deputy's descriptor
# (the fast path): shared offsets, a descriptor number reused for another
# file after a close, writes, fstat and ftruncate all as at home.
"$CL" exec 1 sh -c 'printf abcdef >/tmp/fa; printf uvwxyz0123 >/tmp/fb; rm -f /tmp/fc'
m=$("$CL" exec 1 mosrun -v -2 /usr/bin/python3 -c '
import os
fd = os.open("/tmp/fa", os.O_RDONLY)
x = os.read(fd, 3); os.lseek(fd, 1, 0); y = os.read(fd, 2); os.close(fd)
fd2 = os.open("/tmp/fb", os.O_RDONLY)
z = os.read(fd2, 3); w = os.pread(fd2, 2, 5); v = os.read(fd2, 2)
fo = os.open("/tmp/fc", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
os.write(fo, b"hello"); os.write(fo, b" world"); st = os.fstat(fo).st_size
os.ftruncate(fo, 5); os.close(fo)
print(x, y, z, w, v, st, fd == fd2)' 2>&1)
c=$("$CL" exec 1 cat /tmp/fc)
if grep -q "^b'abc' b'bc' b'uvw' b'z0' b'xy' 11 True$" <<<"$m" && [ "$c" = hello ] &&
	grep -q "runs on node 2" <<<"$m" && ! grep -q "is home" <<<"$m"; then
	t_pass forward/regular-files-fast-path
else
	t_fail forward/regular-files-fast-path "$(tr '\n' ' ' <<<"$m") /tmp/fc='$c'"
fi
