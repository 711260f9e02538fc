#!/usr/bin/env bash
# t-fork.sh: processes made at a remote node. A migrated program that forks
# (fork, vfork, clone without shared memory) gets a child that runs where it
# runs, with a child deputy at home: the child's pid, parent, pipes and wait
# status are what they would be at home; real programs that fork (bash, make)
# give the same output as at home. Moves of a busy process never let one of
# its calls run unsupervised in the sandbox.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/suite.sh"
FORKPROBE=$TOP/$B/tools/forkprobe
cluster_suite fork 3

# fork, the raw fork syscall, vfork and clone(CLONE_PARENT_SETTID) at node 2.
out=$(on 1 mosrun -v -2 "$FORKPROBE" 2>&1)
rc=$?
n=$(grep -c "forked on node 2" <<<"$out")
if [ $rc -eq 0 ] && grep -q "^PASS$" <<<"$out" && [ "$n" -eq 4 ] && ! grep -q "is home" <<<"$out"; then
	t_pass fork/four-ways-stay-remote
else
	t_fail fork/four-ways-stay-remote "exit $rc, $n forked remotely: $(tr '\n' ' ' <<<"$out")"
fi

# While its children run, mosps shows them on node 2 (born there, not moved).
on 1 mosrun -v -2 "$FORKPROBE" 3 >"$W/probe3.out" 2>&1 &
mr=$!
why=""
wait_for "$W/probe3.out" '^CHILD ' 30
# the first CHILD line comes after the child reported; it sleeps 3 s meanwhile
sleep 0.5
kid=$(sed -n 's/^CHILD //p' "$W/probe3.out" | head -n 1)
js=$(on 1 mosps --json)
node=$(sed -n "s/.*\"pid\": $kid, \"node\": \([0-9]*\).*/\1/p" <<<"$js")
[ "$node" = 2 ] || why="child $kid at node '$node' by mosps: $js; mosrun: $(tr '\n' ' ' <"$W/probe3.out")"
wait_exit $mr 60
[ "$RC" -eq 0 ] && grep -q '^PASS$' "$W/probe3.out" || why="$why; exit $RC: $(tr '\n' ' ' <"$W/probe3.out")"
[ -z "$why" ] && t_pass fork/children-shown-remote || t_fail fork/children-shown-remote "$why"

# Pipes between parent and remote child, the child's identity, a signal from
# parent to child, and the child's death by it as the parent's wait sees it.
cat >"$W/family.py" <<'PY'
import os, signal, time
r, w = os.pipe()
me = os.getpid()
pid = os.fork()
if pid == 0:
    os.close(r)
    os.write(w, b"%d %d\n" % (os.getpid(), os.getppid()))
    time.sleep(30)
    os._exit(0)
os.close(w)
cpid, cppid = map(int, os.read(r, 100).split())
os.kill(pid, signal.SIGTERM)
_, st = os.waitpid(pid, 0)
ok = cpid == pid and cppid == me and os.WIFSIGNALED(st) and os.WTERMSIG(st) == signal.SIGTERM
print("PASS family" if ok else "FAIL family: fork %d child %d/%d me %d status %#x" %
      (pid, cpid, cppid, me, st), flush=True)
PY
out=$(on 1 mosrun -v -3 /usr/bin/python3 "$W/family.py" 2>&1)
if grep -q "^PASS family" <<<"$out" && grep -q "forked on node 3" <<<"$out"; then
	t_pass fork/pipe-kill-wait
else
	t_fail fork/pipe-kill-wait "$(tr '\n' ' ' <<<"$out")"
fi

# Real programs that fork: bash (subshells, command substitution, a pipeline,
# a background job) and make -j4 of a small C project, output as at home.
cmd='for i in 1 2 3; do (echo sub $i; exit $i); echo st=$?; done; x=$(echo captured); echo $x
seq 1 20000 | sort -rn | head -3; f() { return 7; }; f & wait $!; echo bg=$?'
(cd "$W" && bash -c "$cmd" >"$W/bash.ref" 2>&1)
on 1 sh -c "cd '$W' && mosrun -v -2 /bin/bash -c '$cmd'" >"$W/bash.out" 2>"$W/bash.err"
rc=$?
n=$(grep -c "forked on node 2" "$W/bash.err")
if [ $rc -eq 0 ] && cmp -s "$W/bash.ref" "$W/bash.out" && [ "$n" -ge 5 ]; then
	t_pass fork/real-bash
else
	t_fail fork/real-bash "exit $rc, $n forks remote; diff: $(diff "$W/bash.ref" "$W/bash.out" | head -n 5 | tr '\n' ' ')"
fi

c_project "$W/proj"
(cd "$W/proj" && make -s -j4 >/dev/null 2>&1 && ./prog >"$W/make.ref" && make -s clean)
on 1 sh -c "cd '$W/proj' && mosrun -v -2 /usr/bin/make -s -j4" >"$W/make.out" 2>"$W/make.err"
rc=$?
# (make starts its commands with posix_spawn, a clone that shares memory: it
# goes home for that, and its compilers run there)
if [ $rc -eq 0 ] && [ -x "$W/proj/prog" ] && "$W/proj/prog" | cmp -s - "$W/make.ref" &&
	grep -q "runs on node 2" "$W/make.err"; then
	t_pass fork/real-make-j4
else
	t_fail fork/real-make-j4 "exit $rc: $(tail -n 4 "$W/make.err" | tr '\n' ' ')"
fi

# A process busy with forwarded calls, moved home and away again and again:
# a call caught by the freeze must not run in the sandbox (where the file
# exists not), but again after the move. It is busy until the moves are done
# (a go-file), however long they take; every move must succeed, and it must
# be where the last one took it (home, having been everywhere) at the end.
on 1 sh -c 'echo x >/tmp/home-only'
cat >"$W/busy.py" <<'PY'
import os, sys
n = 0
print("READY busy pid=%d" % os.getpid(), flush=True)
while not os.path.exists(sys.argv[1]):
    os.stat("/tmp/home-only"); n += 1
print("PASS busy", n, flush=True)
PY
rm -f "$W/go.busy"
on 1 mosrun -2 /usr/bin/python3 "$W/busy.py" "$W/go.busy" >"$W/busy.out" 2>&1 &
mr=$!
bp=$(ready_pid "$W/busy.out" 60)
moves=0 failed=""
route="home 3 home 2 3 home 2 home 3 home"
for hop in $route; do
	if m=$(on 1 mosmigrate -w "$bp" "$hop" 2>&1); then
		moves=$((moves + 1))
	else
		failed="$failed $hop: $m;"
	fi
	sleep 0.2
done
at=$(where_been "$bp")
touch "$W/go.busy"
wait_exit $mr 60
if [ "$RC" -eq 0 ] && grep -q "^PASS busy" "$W/busy.out" && [ $moves -eq 10 ] && [ "$at" = "1 1>2>1>3>1>2>3>1>2>1>3>1" ]; then
	t_pass fork/busy-moves-never-run-a-call-unsupervised
else
	t_fail fork/busy-moves-never-run-a-call-unsupervised "exit $RC, $moves moves of 10 ($failed), where, been '$at': $(tail -n 3 "$W/busy.out" | tr '\n' ' ')"
fi
