#!/usr/bin/env bash
# t-exec.sh: execve at a remote node. A migrated program that runs another
# program (a wrapper script, a shell, make, Python's subprocess, posix_spawn)
# keeps running away from home: the deputy runs the exec at home, so the
# pid, /proc/PID/exe, cmdline, comm and close-on-exec descriptors are right
# there, and the new program goes back to the node at once. Every case
# checks the output against a local run and, from mosrun's own account
# (-v: every start, fork and exec there, every homecoming), that no process
# of the job ever came home; a setuid program is the one that must.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/suite.sh"
cluster_suite exec 3

# stayed_remote FILE NODE: mosrun -v's account in FILE says that every
# process ran on NODE and none came home or stayed home.
stayed_remote() {
	! grep -Eq "is home from|stays at home|stays home|failed|could not" "$1" &&
		grep -q "runs on node $2" "$1"
}

# run_remote NAME NODE CMD...: run CMD under mosrun -v -NODE on n1 in $W,
# output in $W/NAME.out, mosrun's account in $W/NAME.err, status in RC.
run_remote() {
	local name=$1 node=$2
	shift 2
	on 1 sh -c 'cd "$1" && shift && exec "$@"' sh "$W" mosrun -v "-$node" "$@" \
		>"$W/$name.out" 2>"$W/$name.err"
	RC=$?
}

# A chain of five execs at node 2, then a wait: the program checks what exec
# keeps and changes; meanwhile the process is on node 2 by mosps, and its home
# /proc entry shows the new program.
on 1 env MOSTEST_GO="$W/go.chain" mosrun -v -2 "$PROGS/execprobe" 5 >"$W/chain.out" 2>"$W/chain.err" &
mr=$!
why=""
pid=$(ready_pid "$W/chain.out" 60) || why="no READY: $(tr '\n' ' ' <"$W/chain.out" "$W/chain.err")"
if [ -z "$why" ]; then
	node=$(on 1 mosps --json | python3 -c '
import json, sys
for p in json.load(sys.stdin)["processes"]:
    if p["pid"] == int(sys.argv[1]): print(p["node"])' "$pid")
	exe=$(on 1 readlink "/proc/$pid/exe")
	args=$(on 1 cat "/proc/$pid/cmdline" | tr '\0' ' ')
	comm=$(on 1 cat "/proc/$pid/comm")
	[ "$node" = 2 ] || why="mosps shows pid $pid at node '$node'"
	[ "$exe" = "$PROGS/execprobe" ] || why="$why; /proc/$pid/exe at home is '$exe'"
	[ "$args" = "$PROGS/execprobe 0 $pid an argument with spaces " ] || why="$why; cmdline '$args'"
	[ "$comm" = execprobe ] || why="$why; comm '$comm'"
fi
touch "$W/go.chain"
wait_exit $mr 60
n=$(grep -c "ran execve at home for node 2" "$W/chain.err")
grep -q "^PASS execprobe" "$W/chain.out" || why="$why; exit $RC: $(tr '\n' ' ' <"$W/chain.out")"
[ "$n" -eq 5 ] || why="$why; $n execs at node 2, not 5"
stayed_remote "$W/chain.err" 2 || why="$why; mosrun: $(tr '\n' ' ' <"$W/chain.err")"
[ -z "$why" ] && t_pass exec/chain-keeps-identity || t_fail exec/chain-keeps-identity "$why"

# A wrapper script (#! interpreter at home, exec of the real program), as a
# pyenv or conda shim is.
cat >"$W/shim" <<SH
#!/bin/sh
# a shim: find the real program, run it in our place
exec /usr/bin/python3 "$W/real.py" "\$@"
SH
cat >"$W/real.py" <<'PY'
import hashlib, os, sys
h = hashlib.sha256()
for i in range(20000):
    h.update(str(i).encode())
print(sys.argv[1:], h.hexdigest(), os.path.basename(os.readlink("/proc/self/exe")))
PY
chmod 755 "$W/shim"
"$W/shim" a "b c" >"$W/shim.ref" 2>&1
run_remote shim 2 "$W/shim" a "b c"
if [ $RC -eq 0 ] && cmp -s "$W/shim.ref" "$W/shim.out" && stayed_remote "$W/shim.err" 2 &&
	grep -q "ran execve at home for node 2" "$W/shim.err"; then
	t_pass exec/wrapper-script-stays-remote
else
	t_fail exec/wrapper-script-stays-remote "exit $RC; $(diff "$W/shim.ref" "$W/shim.out" | head -n 3 | tr '\n' ' '); mosrun: $(tr '\n' ' ' <"$W/shim.err")"
fi

# bash with command substitutions, pipelines and external programs.
cmd='x=$(echo alpha | tr a-z A-Z); y=$(seq 1 500 | sort -rn | head -n 1); echo "$x $y"
printf "%s\n" c b a b | sort | uniq -c; n=$(ls /usr/bin | wc -l); [ "$n" -gt 10 ] && echo many
echo "$(basename "$(dirname /a/b/c)")"; expr 6 \* 7; cat /etc/hostname >/dev/null && echo read'
(cd "$W" && bash -c "$cmd") >"$W/bash.ref" 2>&1
run_remote bash 3 /bin/bash -c "$cmd"
if [ $RC -eq 0 ] && cmp -s "$W/bash.ref" "$W/bash.out" && stayed_remote "$W/bash.err" 3; then
	t_pass exec/bash-pipelines-stay-remote
else
	t_fail exec/bash-pipelines-stay-remote "exit $RC; $(diff "$W/bash.ref" "$W/bash.out" | head -n 4 | tr '\n' ' '); mosrun: $(grep -E 'home|fail|could' "$W/bash.err" | head -n 3 | tr '\n' ' ')"
fi

# Python's subprocess (vfork and exec), os.posix_spawn (a clone that shares
# memory), a failing exec in both, and an exec of the process itself.
cat >"$W/sp.py" <<'PY'
import os, subprocess, sys
print(subprocess.run(["echo", "from subprocess"], capture_output=True, text=True).stdout, end="")
print(subprocess.check_output("echo piped | tr a-z A-Z", shell=True, text=True), end="")
pid = os.posix_spawn("/bin/echo", ["echo", "from posix_spawn"], os.environ)
print("status", os.waitpid(pid, 0)[1], flush=True)
try:
    subprocess.run(["/nonexistent/prog"])
except FileNotFoundError as e:
    print("subprocess error", e.errno)
try:
    os.execv("/nonexistent/prog", ["x"])
except OSError as e:
    print("execv error", e.errno, flush=True)
os.execv("/bin/sh", ["sh", "-c", "echo exec of $0 ok"])
PY
(cd "$W" && python3 sp.py) >"$W/sp.ref" 2>&1
run_remote sp 2 /usr/bin/python3 sp.py
if [ $RC -eq 0 ] && cmp -s "$W/sp.ref" "$W/sp.out" && stayed_remote "$W/sp.err" 2 &&
	[ "$(grep -c 'forked on node 2' "$W/sp.err")" -ge 3 ]; then
	t_pass exec/python-subprocess-stays-remote
else
	t_fail exec/python-subprocess-stays-remote "exit $RC; $(diff "$W/sp.ref" "$W/sp.out" | head -n 4 | tr '\n' ' '); mosrun: $(tr '\n' ' ' <"$W/sp.err" | cut -c1-600)"
fi

# make -j4 of a small C project: make, the compiler driver, cc1, as, ld.
c_project "$W/proj"
(cd "$W/proj" && make -s -j4 >/dev/null 2>&1 && ./prog >"$W/make.ref" && rm -f prog ./*.o)
run_remote make 3 /usr/bin/make -s -C proj -j4
if [ $RC -eq 0 ] && [ -x "$W/proj/prog" ] && "$W/proj/prog" | cmp -s - "$W/make.ref" &&
	stayed_remote "$W/make.err" 3 && [ "$(grep -c 'ran execve at home for node 3' "$W/make.err")" -ge 14 ]; then
	t_pass exec/make-j4-stays-remote
else
	t_fail exec/make-j4-stays-remote "exit $RC: $(grep -E 'home|fail|could' "$W/make.err" | sort | uniq -c | sort -rn | head -n 4 | tr '\n' ' ')"
fi

# A setuid program runs at home (as MOSIX has it), and says so.
mkdir -p "$W/suid" && cp "$PROGS/execprobe" "$W/suid/" && chmod 4755 "$W/suid/execprobe"
run_remote suid 2 /bin/sh -c "exec '$W/suid/execprobe' 1"
if [ $RC -eq 0 ] && grep -q "^PASS execprobe" "$W/suid.out" &&
	grep -q "runs a setuid or setgid program: it stays at home" "$W/suid.err"; then
	t_pass exec/setuid-runs-home
else
	t_fail exec/setuid-runs-home "exit $RC: $(tr '\n' ' ' <"$W/suid.out" "$W/suid.err")"
fi

# As an ordinary user, the exec chain and a shell pipeline at node 3.
suite_user_bin
cp "$PROGS/execprobe" "$W/ubin/" && chmod 755 "$W/ubin/execprobe"
out=$(as_user 1 mosrun -v -3 "$W/ubin/execprobe" 3 2>&1)
rc=$?
if [ $rc -eq 0 ] && grep -q "^PASS execprobe" <<<"$out" &&
	[ "$(grep -c 'ran execve at home for node 3' <<<"$out")" -eq 3 ] && ! grep -q "is home from" <<<"$out"; then
	t_pass exec/as-user-chain
else
	t_fail exec/as-user-chain "exit $rc: $(tr '\n' ' ' <<<"$out")"
fi

# Waits with a signal mask (make's jobserver wait; event loops): the wait
# stays remote, a signal the mask lets through ends it and is handled under
# it, one the mask blocks does not, and the old mask is back after.
on 1 mosrun -v -2 "$PROGS/maskwait" >"$W/mask.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "^PASS maskwait" "$W/mask.out" && stayed_remote "$W/mask.out" 2; then
	t_pass exec/sigmask-waits-stay-remote
else
	t_fail exec/sigmask-waits-stay-remote "exit $rc: $(grep -v 'forked on' "$W/mask.out" | tr '\n' ' ')"
fi
