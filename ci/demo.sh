#!/usr/bin/env bash
# ci/demo.sh: what `make demo` runs. Part 1: build the guest image, bring up
# a 3-node virtual cluster (libvirt, TCG here), log into the login node and
# start more CPU-heavy jobs than it has cores with plain mosrun: the cluster
# moves them to the other VMs by itself while they run; mosps before and
# after shows where, the results are checked, the cluster goes down. Part 2: a running program is checkpointed, killed, recovered, and
# carries on to the same result. Installs what it needs (apt-get), starts
# libvirtd itself, cleans up after itself.
set -eu
cd "$(dirname "$0")/.."
# Descriptors leaked by whatever started us would make the program
# uncheckpointable (an open pipe): close them.
for fd in /proc/$$/fd/*; do
	fd=${fd##*/}
	case "$fd" in 0 | 1 | 2 | 255) ;; *) eval "exec $fd>&-" 2>/dev/null || true ;; esac
done
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "installing build packages (if missing) and building"
./ci/deps.sh
make -j"$(nproc)" all >/tmp/mosix-demo-build.log 2>&1 || {
	tail -n 30 /tmp/mosix-demo-build.log
	exit 1
}
export PATH=$PWD/build/bin:$PATH
D=$(mktemp -d /tmp/mosix-demo.XXXXXX)
NAME=demo$$
trap 'hostctl down --name "$NAME" >/dev/null 2>&1 || true; pkill -P $$ 2>/dev/null || true; rm -rf "$D"' EXIT

say "part 1: building the guest image (cached after the first time)"
images/build-image.sh build/image
say "hostctl up -n 3   (3 VMs under $(hostctl check --json 2>/dev/null | grep -o '"accel": *"[a-z]*"' | cut -d'"' -f4 || echo TCG); each runs guestd)"
hostctl up -n 3 --name "$NAME" --image build/image --timeout 300
P=/usr/local/lib/mosix/progs
say "on the login node n1: the job run locally once, for reference"
hostctl ssh --name "$NAME" 1 "$P/spin 30000000" | tee "$D/ref"
say "on n1: 4 copies started with plain mosrun (n1 has 1 vCPU); the cluster spreads them"
# Each job computes until it is told to finish (a go file), so that it is
# still running however fast this machine is; its result does not depend on
# how long it waited.
hostctl ssh --name "$NAME" 1 "cd /root && rm -f go job.*; for i in 1 2 3 4; do
	(mosrun $P/spin 30000000 /root/go >job.\$i 2>&1 &); done; sleep 1; echo '-- mosps, just started:'; mosps"
hostctl ssh --name "$NAME" 1 "for i in \$(seq 180); do
	w=\$(mosps | awk '\$2 == \"node\" { print \$3 }' | sort -u | tr -d '\\n');
	[ \"\$w\" = 23 ] && break;
	sleep 1; done; echo '-- mosps, a little later:'; mosps; echo '-- mosctl status:'; mosctl status;
	touch go; while [ \$(cat job.* | grep -c .) -lt 4 ]; do sleep 1; done; echo; head job.*" | tee "$D/jobs"
want=$(cat "$D/ref")
# (the WHERE column of the last mosps: 'node 2' and 'node 3' both there)
where=$(sed -n '/^-- mosps, a little later:/,/^-- mosctl status:/p' "$D/jobs" | awk '$2 == "node" { print $3 }' | sort -u | tr -d '\n')
if [ "$where" != 23 ]; then
	echo "the jobs did not spread to n2 and n3"
	exit 1
fi
if [ "$(grep -c "^$want\$" "$D/jobs")" -eq 4 ]; then
	echo "all 4 results equal the local run: $want"
else
	echo "RESULTS DIFFER from the local run ($want)"
	exit 1
fi
say "hostctl down"
hostctl down --name "$NAME"

say "part 2: checkpoint, kill, recover (on this host)"

cat >"$D/work.py" <<'PY'
# A long computation that reports its progress: a stand-in for a simulation.
# It waits at step 10 until told to go on (a file), so that it is still
# running when the demo checkpoints and kills it, however fast the machine.
import hashlib, os, sys, time
go = sys.argv[1]
print("READY pid=%d" % os.getpid(), flush=True)
h = hashlib.sha256()
for step in range(1, 31):
    while step == 10 and not os.path.exists(go):
        time.sleep(0.1)
    for i in range(150_000):
        h.update(i.to_bytes(4, "little"))
    print(f"step {step:2d}/30  digest {h.hexdigest()[:16]}", flush=True)
print("result", h.hexdigest())
PY

say "reference: the computation run straight through (plain python3)"
touch "$D/go.ref"
python3 "$D/work.py" "$D/go.ref" | tail -n 1 | tee "$D/ref"

say "mosrun -C $D/ck python3 work.py   (supervised, checkpointable)"
mosrun -C "$D/ck" python3 "$D/work.py" "$D/go" | tee "$D/out" &
for _ in $(seq 600); do grep -q '^step  9/30' "$D/out" 2>/dev/null && break; sleep 0.1; done
PID=$(sed -n 's/^READY pid=//p' "$D/out")

say "mosmigrate $PID checkpoint   (it keeps running)"
mosmigrate "$PID" checkpoint
sleep 1

say "kill -9 $PID   (the machine 'crashes': the process is gone)"
kill -9 "$PID"
wait 2>/dev/null || true

say "mosrun -I $D/ck.1   (what the checkpoint holds)"
mosrun -I "$D/ck.1" | grep -E '^(image|process|exe|cwd|fd|memory)'

say "mosrun -R $D/ck.1   (recover: it carries on from the checkpoint)"
touch "$D/go"
mosrun -R "$D/ck.1" | tee "$D/rec"

say "the recovered run's result against the uninterrupted one"
if [ "$(tail -n 1 "$D/rec")" = "$(cat "$D/ref")" ]; then
	echo "identical: $(cat "$D/ref")"
else
	echo "DIFFERENT: $(tail -n 1 "$D/rec") vs $(cat "$D/ref")"
	exit 1
fi
