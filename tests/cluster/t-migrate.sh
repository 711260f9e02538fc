#!/usr/bin/env bash
# t-migrate.sh: real migrations between the nodes of a netns test cluster.
# Home is n1; every check is the program's own output or exit status.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/suite.sh"
TOOLS=$TOP/$B/tools
cluster_suite migrate 4

# progs_case NAME ROUTE...: start NAME at home, move it along ROUTE (node
# numbers or 'home'), let it check itself, expect PASS with its home pid.
progs_case() {
	local name=$1 label=$2 out=$W/$1.$2.out go=$W/go.$1.$2 pid m
	shift 2
	on 1 env MOSTEST_GO="$go" TMPDIR=/tmp mosrun "$PROGS/$name" >"$out" 2>&1 &
	local mr=$!
	if ! pid=$(ready_pid "$out"); then
		t_fail "migrate/$name/$label" "never ready: $(tail -n 3 "$out")"
		wait_exit $mr 5
		return
	fi
	for hop in "$@"; do
		if ! m=$(on 1 mosmigrate -w "$pid" "$hop" 2>&1); then
			t_fail "migrate/$name/$label" "mosmigrate $hop: $m"
			touch "$go"
			wait_exit $mr 30
			return
		fi
	done
	# where the last hop took it, and where it still is when told to go on
	local want=${hop/home/1} at
	at=$(where_been "$pid")
	touch "$go"
	wait_exit $mr 60
	if [ "$RC" -eq 0 ] && grep -q "^PASS $name pid=$pid\$" "$out" && [ "${at%% *}" = "$want" ]; then
		t_pass "migrate/$name/$label"
	else
		t_fail "migrate/$name/$label" "exit $RC, on node '$at' (want $want) when told to go on: $(tail -n 3 "$out" | tr '\n' ' ')"
	fi
}

for p in "$PROGS"/*; do
	n=$(basename "$p")
	case $n in selfckpt | spin | grow | ioloop) continue ;; esac # loads, not self-checking workloads
	progs_case "$n" remote 2
	progs_case "$n" r2r-home 2 3 home
done

# away_start TAG NODE PRE CODE: mosrun -v -NODE of a Python program that runs
# PRE, says READY, waits for the file $W/go.TAG, then runs CODE; its stdout in
# $W/TAG.out, mosrun's in $W/TAG.err. Sets mr, pid (its home pid) and, once
# n1's registry shows it running on NODE (1 if it never does), at: "NODE
# 1>NODE", where it is and where it has been.
away_start() {
	local tag=$1 node=$2
	pid="" at=""
	rm -f "$W/go.$tag"
	on 1 mosrun -v -"$node" /usr/bin/python3 -c 'import os, signal, sys, time
'"$3"'
print("READY away pid=%d" % os.getpid(), flush=True)
while not os.path.exists(sys.argv[1]): time.sleep(0.05)
'"$4" "$W/go.$tag" >"$W/$tag.out" 2>"$W/$tag.err" &
	mr=$!
	pid=$(ready_pid "$W/$tag.out") && wait_until 20 runs_on "$pid" "$node"
	local r=$?
	at=$(where_been "$pid")
	return $r
}
# away_ok TAG NODE: at (sampled right before the test let TAG's process go
# on) shows it on NODE, never home since it left; mosrun -v said it ran on
# NODE and never that it came home.
away_ok() {
	[ "$at" = "$2 1>$2" ] && grep -q "runs on node $2 " "$W/$1.err" && ! grep -q "is home" "$W/$1.err"
}

# Exit statuses and deaths by signal come home, from a process that ran away
# until it ended.
away_start exit 2 "" 'sys.exit(7)'
touch "$W/go.exit"
wait_exit $mr 30
if [ "$RC" -eq 7 ] && away_ok exit 2; then
	t_pass migrate/exit-status
else
	t_fail migrate/exit-status "exit $RC, want 7; where, been: '$at'; $(tr '\n' ' ' <"$W/exit.err")"
fi
away_start term 3 "" 'os.kill(os.getpid(), signal.SIGTERM)'
touch "$W/go.term"
wait_exit $mr 30
if [ "$RC" -eq 143 ] && away_ok term 3; then
	t_pass migrate/death-by-signal
else
	t_fail migrate/death-by-signal "exit $RC, want 143; where, been: '$at'; $(tr '\n' ' ' <"$W/term.err")"
fi

# A signal sent to the home pid reaches the body (a handler there reports it).
away_start sig 2 'signal.signal(signal.SIGUSR1, lambda s, f: (print("got", s, flush=True), sys.exit(5)))' ''
kill -USR1 "$pid" 2>/dev/null
wait_exit $mr 30
if [ "$RC" -eq 5 ] && grep -q "^got 10" "$W/sig.out" && away_ok sig 2; then
	t_pass migrate/signal-relayed
else
	t_fail migrate/signal-relayed "exit $RC; where, been: '$at'; $(tail -n 3 "$W/sig.out" "$W/sig.err" | tr '\n' ' ')"
fi

# The terminal: a migrated process reads its home terminal (a pty here), and
# Ctrl-C typed there kills it (mosrun dies of SIGINT: 130).
out=$(on 1 sh -c "printf 'hello\n' | script -qec \"mosrun -v -2 /bin/sh -c 'read x; echo got:\\\$x'\" /dev/null" 2>&1)
if grep -q "runs on node 2" <<<"$out" && grep -q "got:hello" <<<"$out" && ! grep -q "is home" <<<"$out"; then
	t_pass migrate/terminal-stdin
else
	t_fail migrate/terminal-stdin "$(tr '\r\n' '  ' <<<"$out")"
fi
# (SIGINT back to its default first: a test started in the background by a
# shell without job control inherits it ignored, and so would sleep.)
out=$(on 1 sh -c "(sleep 3; printf '\003') | env --default-signal=INT script -qec 'mosrun -v -2 /bin/sleep 30' /dev/null" 2>&1)
rc=$?
if [ $rc -eq 130 ] && grep -q "runs on node 2" <<<"$out"; then
	t_pass migrate/ctrl-c
else
	t_fail migrate/ctrl-c "exit $rc: $(tr '\r\n' '  ' <<<"$out")"
fi

# SIGKILL to the home pid: the body goes too, mosrun dies of SIGKILL.
away_start kill9 2 "" ''
body=$(pgrep -u 65534 -f "go.kill9" | head -n 1) # bodies run as nobody
kill -9 "$pid" 2>/dev/null
wait_exit $mr 20
gone() { ! kill -0 "$1" 2>/dev/null; }
if [ "$RC" -eq 137 ] && [ "$at" = "2 1>2" ] && [ -n "$body" ] && wait_until 10 gone "$body"; then
	t_pass migrate/sigkill-home-pid
else
	t_fail migrate/sigkill-home-pid "exit $RC, where, been: '$at', body '$body' alive: $(kill -0 "$body" 2>/dev/null && echo yes)"
fi

# A parent with 4 children, each migrated to another node, talking through
# pipes that live at home; every wait status must be right.
cat >"$W/family.py" <<'PY'
import os, sys
kids = []
for i in range(4):
    r1, w1 = os.pipe()
    r2, w2 = os.pipe()
    pid = os.fork()
    if pid == 0:
        for _, w, r in kids:          # the older siblings' pipe ends
            os.close(w); os.close(r)
        os.close(w1); os.close(r2)
        total = 0
        with os.fdopen(r1) as f:
            for line in f:
                total += int(line)
        os.write(w2, b"%d\n" % total)
        os._exit(10 + i)
    os.close(r1); os.close(w2)
    kids.append((pid, w1, r2))
print("CHILDREN", " ".join(str(k[0]) for k in kids), flush=True)
sys.stdin.readline()            # the harness migrates the children meanwhile
ok = True
for i, (pid, w, r) in enumerate(kids):
    os.write(w, b"".join(b"%d\n" % x for x in range(1000 * (i + 1))))
    os.close(w)
    got = int(os.read(r, 100))
    want = sum(range(1000 * (i + 1)))
    _, st = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(st)
    print("child", i, "sum", got, "want", want, "exit", code, flush=True)
    ok &= got == want and code == 10 + i
print("PASS family" if ok else "FAIL family", flush=True)
PY
mkfifo "$W/family.in"
on 1 mosrun /usr/bin/python3 "$W/family.py" <"$W/family.in" >"$W/family.out" 2>&1 &
mr=$!
exec 7>"$W/family.in"
wait_for "$W/family.out" '^CHILDREN ' 30
node=2
msgs=""
for k in $(sed -n 's/^CHILDREN //p' "$W/family.out"); do
	msgs="$msgs $(on 1 mosmigrate -w "$k" $node 2>&1 | cut -c1-60);"
	node=$((node % 3 + 2))
done
echo go >&7
exec 7>&-
wait_exit $mr 60
if [ "$RC" -eq 0 ] && grep -q "^PASS family" "$W/family.out"; then
	t_pass migrate/children-pipes-wait
else
	t_fail migrate/children-pipes-wait "exit $RC; $msgs $(tail -n 5 "$W/family.out" | tr '\n' ' ')"
fi

# mosps shows where each process runs; a threaded one is not migratable and
# says why, and mosmigrate refuses it with the reason.
waitgo='import os, sys, time
def wait():
    while not os.path.exists(sys.argv[1]): time.sleep(0.05)
'
rm -f "$W/go.thr"
on 1 mosrun -3 /usr/bin/python3 -c "$waitgo"'wait()' "$W/go.thr" >/dev/null 2>&1 &
m1=$!
on 1 mosrun /usr/bin/python3 -c "$waitgo"'import threading
threading.Thread(target=wait).start(); wait()' "$W/go.thr" >/dev/null 2>&1 &
m2=$!
# both listed, one on node 3, the other with its thread started
both() {
	js=$(on 1 mosps --json)
	python3 -c 'import json,sys
d = json.load(sys.stdin); ps = d["processes"]
far = [p for p in ps if p["node"] == 3 and p["migrations"] == 1 and p["home"] == 1]
thr = [p for p in ps if not p["migratable"] and "threads" in p["why"] and p["node"] == 0]
sys.exit(0 if len(ps) == 2 and far and thr else 1)' <<<"$js"
}
wait_until 20 both
ok=$?
tp=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(" ".join(str(p["pid"]) for p in d["processes"] if not p["migratable"]))' <<<"$js")
ref=$(on 1 mosmigrate "${tp%% *}" 2 2>&1)
mrc=$?
if [ $ok -eq 0 ] && [ $mrc -eq 1 ] && grep -q "threads" <<<"$ref" && both; then
	t_pass migrate/mosps-and-threads
else
	t_fail migrate/mosps-and-threads "mosps: $js; mosmigrate: exit $mrc, $ref"
fi
touch "$W/go.thr"
wait_exit $m1 20
wait_exit $m2 20

# Real programs migrated mid-run give byte-identical output to a local run.
python3 -c '
import random
r = random.Random(3)
w = ["%x" % r.getrandbits(24) for _ in range(4000)]
with open("'"$W"'/in.txt", "w") as f:
    for i in range(400000):
        f.write(" ".join(r.choice(w) for _ in range(6)) + "\n")'
cat >"$W/calc.py" <<'PY'
import hashlib, sys
sys.stdin.readline()  # the harness's go
h = hashlib.sha256(); acc = 0
with open(sys.argv[1], "w") as out:
    for i in range(4_000_000):
        acc = (acc * 31 + i) % 1_000_003
        if i % 100_000 == 0:
            h.update(str(acc).encode()); out.write("%d %d\n" % (i, acc))
print(h.hexdigest())
PY
echo go >"$W/go.txt"
echo "create table t(a,b); with recursive c(x) as (select 1 union all select x+1 from c where x<300000)
insert into t select x, x*x from c; select count(*), sum(b) from t;" >"$W/db.sql"
# real_case NAME INPUT OUTFILE CMD...: a reference run at home without
# mosrun, then under mosrun -v with INPUT on its standard input through a
# pipe that stays empty until the program has been moved to node 2
# (mosmigrate -w, which must succeed) and is seen there. So it does its work
# on node 2, where it must stay to the end: n1's registry sampled while it
# runs says node 2, and mosrun -v never says it came home. Its stdout (and
# OUTFILE) must be byte-identical to the reference's.
real_case() {
	local name=$1 in=$2 outf=$3 pid="" m="" mrc=1 at="" seen="" w
	shift 3
	rm -f "$W/$name".*
	[ -z "$outf" ] || rm -f "$W/$outf"
	(cd "$W" && "$@" <"$in" >"$W/$name.ref.stdout" 2>&1)
	[ -z "$outf" ] || mv "$W/$outf" "$W/$name.ref.file"
	{ wait_until 60 test -e "$W/$name.go"; cat "$in"; } |
		on 1 sh -c "cd '$W' && exec mosrun -v \"\$@\"" sh "$@" >"$W/$name.run.stdout" 2>"$W/$name.run.err" &
	local mr=$!
	find_pid() { pid=$(mosps_pid "$1"); }
	if wait_until 30 find_pid "$1"; then
		m=$(on 1 mosmigrate -w "$pid" 2 2>&1)
		mrc=$?
		at=$(where_been "$pid")
	fi
	touch "$W/$name.go"
	# while it runs: where it is (the samples end when it leaves the registry)
	local t0=$SECONDS
	while [ -n "$pid" ] && w=$(where_been "$pid") && [ -n "$w" ] && ((SECONDS - t0 < 300)); do
		seen="$seen${seen:+,}${w%% *}"
		sleep 0.2
	done
	wait_exit $mr 300
	local why=""
	[ -n "$pid" ] || why="never seen in mosps;"
	[ $mrc -eq 0 ] && [ "$at" = "2 1>2" ] || why="$why mosmigrate -w $pid 2: exit $mrc ($m), then where, been '$at';"
	[ -z "$(tr -d '2,' <<<"$seen")" ] || why="$why seen on nodes $seen while it ran;"
	grep -q "is home" "$W/$name.run.err" && why="$why $(grep "is home" "$W/$name.run.err");"
	[ "$RC" -eq 0 ] || why="$why exit $RC: $(tail -n 3 "$W/$name.run.stdout" "$W/$name.run.err" | tr '\n' ' ');"
	cmp -s "$W/$name.ref.stdout" "$W/$name.run.stdout" || why="$why stdout differs;"
	[ -z "$outf" ] || cmp -s "$W/$name.ref.file" "$W/$outf" || why="$why $outf differs;"
	if [ -z "$why" ]; then
		t_pass "migrate/real-$name (samples on node 2: $(tr -cd 2 <<<"$seen" | wc -c))"
	else
		t_fail "migrate/real-$name" "$why"
	fi
}
real_case python3 "$W/go.txt" calc.out /usr/bin/python3 "$W/calc.py" calc.out
real_case gzip "$W/in.txt" "" /usr/bin/gzip -n -6 -c # (-n: no timestamp, which a file on stdin would give)
real_case sort "$W/in.txt" "" /usr/bin/sort
real_case sqlite3 "$W/db.sql" db.sqlite /usr/bin/sqlite3 db.sqlite

# Sandbox: at the hosting node the body sees only its home's world.
on 2 sh -c 'echo secret >/home/mosix/only-on-n2; printf "#!/bin/sh\necho host\n" >/home/mosix/hostbin; chmod +x /home/mosix/hostbin'
on 2 python3 -c 'import socket,time; s=socket.socket(); s.bind(("127.0.0.1", 47001)); s.listen(); time.sleep(30)' &
lp=$!
on 1 mosrun -2 "$TOOLS/sandbox_probe" "$W/go.sb" /home/mosix/only-on-n2 /home/mosix/hostbin 47001 >"$W/sb.out" 2>&1 &
mr=$!
wait_for "$W/sb.out" '^READY' 20
sleep 0.5
body=$(pgrep -u 65534 -f sandbox_probe | head -n 1) # bodies run as nobody
uid=$(awk '/^Uid:/ {print $2}' "/proc/$body/status" 2>/dev/null)
nproc=$(awk '/^Max processes/ {print $3}' "/proc/$body/limits" 2>/dev/null)
as=$(awk '/^Max address space/ {print $4}' "/proc/$body/limits" 2>/dev/null)
root=$(ls -A "/proc/$body/root/" 2>/dev/null | wc -l)
# its filter is on, with no way to regain privileges; and it was installed
# without forcing the speculation mitigations the program has not at home
# (where the CPU has them: "thread force mitigated" otherwise)
filt=$(awk '/^(Seccomp|NoNewPrivs):/ {printf "%s%s", sep, $2; sep = "/"}' "/proc/$body/status" 2>/dev/null)
ssb=$(sed -n 's/^Speculation_Store_Bypass:[[:space:]]*//p' "/proc/$body/status" 2>/dev/null)
touch "$W/go.sb"
wait_exit $mr 30
kill $lp 2>/dev/null
if [ "$RC" -eq 0 ] && [ "$(grep -c '^PASS' "$W/sb.out")" -eq 3 ] && [ "$uid" = 65534 ] && [ "$root" = 0 ] && [ "$nproc" = 4096 ] &&
	[ "$as" = unlimited ] && [ "$filt" = 1/2 ] && [ -n "$ssb" ] && [ "$ssb" != "thread force mitigated" ]; then
	t_pass migrate/sandbox
else
	t_fail migrate/sandbox "exit $RC, body $body uid '$uid', root entries '$root', nproc '$nproc', address space '$as', no_new_privs/seccomp '$filt', store bypass '$ssb': $(grep -E 'PASS|FAIL' "$W/sb.out" | tr '\n' ' ')"
fi

# move_to_3 TAG: start heap_sparse at home (output in $W/TAG.out), ask for it
# on node 3 with mosmigrate -w, then let it finish; sets m (what mosmigrate
# said), mrc (its exit status) and RC (the program's).
move_to_3() {
	on 1 env MOSTEST_GO="$W/go.$1" mosrun "$PROGS/heap_sparse" >"$W/$1.out" 2>&1 &
	local mr=$! pid
	pid=$(ready_pid "$W/$1.out")
	m=$(on 1 mosmigrate -w "$pid" 3 2>&1)
	mrc=$?
	touch "$W/go.$1"
	wait_exit $mr 30
}

# The hosting node's memory bound (guestd -m MIB): a process bigger than it
# is refused and carries on at home; one that fits runs there, and an
# allocation beyond the bound fails with ENOMEM, as on a smaller machine.
"$CL" kill-guestd 3 --term >/dev/null
"$CL" start-guestd 3 -m 64 >/dev/null
move_to_3 m1
if [ $mrc -ne 0 ] && grep -q "guests here may have 64 MiB" <<<"$m" && grep -q "stays at home" <<<"$m" &&
	[ "$RC" -eq 0 ] && grep -q "^PASS" "$W/m1.out"; then
	t_pass migrate/memory-bound-refuses-bigger
else
	t_fail migrate/memory-bound-refuses-bigger "mosmigrate exit $mrc ($m); run exit $RC: $(tail -n 2 "$W/m1.out")"
fi
cat >"$W/grow.py" <<'PY'
import os, sys, time
print("READY", flush=True)
while not os.path.exists(sys.argv[1]):
    time.sleep(0.05)
try:
    big = bytearray(200 << 20)
    print("GOT", len(big), flush=True)
except MemoryError:
    print("ENOMEM", flush=True)
print("SMALL", len(bytearray(8 << 20)), flush=True)
PY
for k in 3 2; do
	on 1 mosrun -v -$k /usr/bin/python3 "$W/grow.py" "$W/go.grow$k" >"$W/grow$k.out" 2>"$W/grow$k.err" &
	mr=$!
	wait_for "$W/grow$k.out" '^READY' 30
	body=$(pgrep -u 65534 -f grow.py | head -n 1)
	lim=$(awk '/^Max address space/ {print $4}' "/proc/$body/limits" 2>/dev/null)
	touch "$W/go.grow$k"
	wait_exit $mr 60
	eval "rc$k=\$RC lim$k=\$lim"
done
if [ "$rc3" -eq 0 ] && grep -q "runs on node 3" "$W/grow3.err" && [ "$lim3" = $((64 << 20)) ] &&
	grep -qx "ENOMEM" "$W/grow3.out" && grep -qx "SMALL 8388608" "$W/grow3.out" &&
	[ "$rc2" -eq 0 ] && grep -qx "GOT 209715200" "$W/grow2.out" && grep -q "runs on node 2" "$W/grow2.err"; then
	t_pass migrate/memory-bound-enomem-beyond
else
	t_fail migrate/memory-bound-enomem-beyond "node 3: exit $rc3, limit '$lim3', $(cat "$W/grow3.out" "$W/grow3.err" | tr '\n' ' '); node 2: exit $rc2, limit '$lim2', $(tr '\n' ' ' <"$W/grow2.out")"
fi
"$CL" kill-guestd 3 --term >/dev/null
"$CL" start-guestd 3 >/dev/null

# Faults. Target guestd down: the migration fails cleanly, the process carries on at home.
"$CL" kill-guestd 3 >/dev/null
move_to_3 f1
if [ $mrc -ne 0 ] && grep -q "stays at home" <<<"$m" && [ "$RC" -eq 0 ] && grep -q "^PASS" "$W/f1.out"; then
	t_pass migrate/target-down-stays-home
else
	t_fail migrate/target-down-stays-home "mosmigrate exit $mrc ($m); run exit $RC"
fi
"$CL" start-guestd 3 >/dev/null

# Wrong key and garbage: refused and logged; guestd keeps serving.
key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
out=$(on 1 "$TOOLS/wireprobe" 10.77.0.2 4141 key "$key" 2>&1)
rc1=$?
on 1 "$TOOLS/wireprobe" 10.77.0.2 4141 garbage >/dev/null 2>&1
sleep 0.3
good=$(on 1 mosrun -2 sh -c 'exit 4' 2>&1; echo $?)
if [ $rc1 -eq 1 ] && grep -q "authentication failed" <<<"$out" &&
	grep -q "refused" "$MOSIX_CLUSTER_STATE/n2/guestd.log" && [ "$good" = 4 ]; then
	t_pass migrate/wrong-key-and-garbage-refused
else
	t_fail migrate/wrong-key-and-garbage-refused "probe exit $rc1 ($out); later migration gave '$good'"
fi

# The link cut while the process runs there: it is reported lost (exit 76)
# within bounded time, never hangs; the body does not linger on the node.
away_start cut 2 "" ''
left=$(pgrep -u 65534 -f "go.cut" | head -n 1)
"$CL" cut 2 >/dev/null
wait_exit $mr 60
"$CL" heal 2 >/dev/null
if [ "$RC" -eq 76 ] && grep -q "lost" "$W/cut.err" && [ "$at" = "2 1>2" ] && [ -n "$left" ] && wait_until 10 gone "$left"; then
	t_pass migrate/link-cut-reported-lost
else
	t_fail migrate/link-cut-reported-lost "exit $RC, where, been '$at', body '$left' alive: $(kill -0 "$left" 2>/dev/null && echo yes); $(tail -n 2 "$W/cut.err")"
fi
