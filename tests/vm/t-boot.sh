#!/usr/bin/env bash
# tests/vm/t-boot.sh: a real 3-node cluster of libvirt guests under TCG.
# Builds (or reuses) the guest image, `hostctl up -n 3`, logs into node 1,
# runs a command on node 2 from node 1 over the cluster network, migrates
# across VMs, lets 6 plain jobs spread over the VMs, checks the man pages, `hostctl add` (a 4th node), sends jobs
# there and `hostctl remove 4` (they come home and pass), `hostctl
# down`, and checks that no domain, network, overlay or state is left.
# Needs root, libvirt/qemu (hostctl/deps.txt) and the Debian mirror for the
# first image build. Prints the time of each phase.
set -u
. "$(dirname "$0")/../lib.sh"

T=vm/boot
NAME=${VM_TEST_CLUSTER:-vmtest$$}
IMAGE=${MOSIX_IMAGE:-$TOP/$B/image}
HOSTCTL=$TOP/$B/bin/hostctl
STATE=/var/lib/mosix-hostctl/$NAME
LOG=$(mktemp /tmp/mosix-vm-boot.XXXXXX)
OUT=""
UP=0

# phase NAME CMD...: run and time one phase, output to $LOG.
phase() {
	local what=$1 t0 rc
	shift
	t0=$(date +%s.%N)
	"$@" >>"$LOG" 2>&1
	rc=$?
	printf '  %-32s %6.1f s%s\n' "$what" "$(echo "$(date +%s.%N) - $t0" | bc)" \
		"$([ $rc -eq 0 ] || echo "  (exit $rc)")"
	return $rc
}

# Whatever happens, take the cluster down (and only ours).
cleanup() {
	if [ $UP -eq 1 ] || [ -d "$STATE" ]; then
		"$HOSTCTL" down --name "$NAME" >>"$LOG" 2>&1
	fi
	rm -f "$LOG" "$OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
	t_fail "$T" "$1"
	echo "---- log ----"
	tail -n 40 "$LOG"
	exit 1
}

if [ "$(id -u)" -ne 0 ]; then
	t_skip "$T" "needs root (libvirt qemu:///system)"
	exit 0
fi
[ -x "$HOSTCTL" ] || fail "no $HOSTCTL (make first)"
for tool in qemu-system-x86_64 libvirtd debootstrap; do
	command -v "$tool" >/dev/null || { t_skip "$T" "$tool not installed (ci/deps.sh)"; exit 0; }
done

T0=$(date +%s.%N)
echo "== $T: cluster '$NAME', image $IMAGE"
phase "image build (cached?)" "$TOP/images/build-image.sh" "$IMAGE" || fail "image build failed"
UP=1
phase "hostctl up -n 3" "$HOSTCTL" up -n 3 --name "$NAME" --image "$IMAGE" --timeout 240 ||
	fail "hostctl up failed"

OUT=$(mktemp /tmp/mosix-vm-out.XXXXXX)
# on NODE SCRIPT: run SCRIPT as root on NODE; its output goes to $OUT.
on() { "$HOSTCTL" ssh --name "$NAME" "$1" "$2" >"$OUT"; }
# refuses CMD...: CMD must fail.
refuses() { ! "$@"; }

grep -q "sees all 3 nodes: 3/3" "$LOG" ||
	fail "hostctl up did not report every guestd seeing every node"
phase "ssh n1 uname -a" on 1 'uname -a'
echo "   $(cat "$OUT")"
grep -q '^Linux n1 ' "$OUT" || fail "uname on n1 said '$(cat "$OUT")'"

# our programs must find every library they link inside the guest
phase "our binaries link in the guest" on 1 'for f in /usr/local/bin/* /usr/local/sbin/* \
	/usr/local/lib/mosix/progs/*; do [ -x "$f" ] && ldd "$f" 2>&1 | sed "s|^|$f: |"; done; true'
grep -q "not found" "$OUT" &&
	fail "libraries missing in the guest: $(grep "not found" "$OUT" | head -n 3 | tr '\n' ';')"

phase "n1 -> n2 over the cluster net" on 1 'ssh n2 "hostname; cat /etc/mosix/node"'
got=$(tr '\n' ' ' <"$OUT")
[ "$got" = "n2 2 " ] || fail "node 2 via node 1 said '$got', expected 'n2 2'"

# Migration across VMs: a workload moved n1 -> n2 -> home -> n3 checks its
# own state; gzip migrated to another VM gives the same bytes as at home.
phase "migrate a workload across VMs" on 1 'cd /root && rm -f go hs.out &&
	(MOSTEST_GO=/root/go mosrun /usr/local/lib/mosix/progs/heap_sparse >hs.out 2>&1 &) &&
	for i in $(seq 100); do grep -q READY hs.out && break; sleep 0.2; done &&
	pid=$(sed -n "s/^READY .* pid=\([0-9]*\).*/\1/p" hs.out) &&
	mosmigrate -w $pid 2 && mosps && mosmigrate -w $pid home && mosmigrate -w $pid 3 && touch go &&
	for i in $(seq 150); do grep -q "^PASS\|^FAIL" hs.out && break; sleep 0.2; done; cat hs.out'
if grep -q "^PASS heap_sparse" "$OUT" && grep -q "node 2" "$OUT"; then
	t_pass vm/migrate-across-vms
else
	t_fail vm/migrate-across-vms "$(tr '\n' ' ' <"$OUT" | cut -c1-400)"
fi
phase "gzip on another VM" on 1 'cd /root && head -c 3000000 /dev/urandom | od -x >f &&
	a=$(gzip -c f | md5sum) && b=$(mosrun -v -2 gzip -c f 2>err | md5sum) &&
	echo "$a|$b|$(grep -c "runs on node 2" err)"'
IFS='|' read -r a b ran <"$OUT"
if [ -n "$a" ] && [ "$a" = "$b" ] && [ "$ran" = 1 ]; then
	t_pass vm/gzip-across-vms
else
	t_fail vm/gzip-across-vms "home '$a', migrated '$b', ran on node 2: '$ran'"
fi

# An ordinary user's job moves too: mosrun is setgid to the cluster's group
# in the image (guestd gives node connections only to root and that group).
phase "a user's gzip on another VM" on 1 'cd /tmp && head -c 1000000 /dev/urandom | od -x >uf &&
	chmod 644 uf && a=$(gzip -c uf | md5sum) &&
	b=$(setpriv --reuid=65534 --regid=65534 --clear-groups mosrun -v -2 gzip -c uf 2>uerr | md5sum) &&
	echo "$a|$b|$(grep -c "runs on node 2" uerr)|$(stat -c %A:%G /usr/local/bin/mosrun)"'
IFS='|' read -r a b ran perm <"$OUT"
if [ -n "$a" ] && [ "$a" = "$b" ] && [ "$ran" = 1 ] && [ "$perm" = "-rwxr-sr-x:mosix" ]; then
	t_pass vm/user-job-across-vms
else
	t_fail vm/user-job-across-vms "home '$a', migrated '$b', ran on node 2: '$ran', mosrun $perm"
fi

# Fork and forget: 6 CPU-bound jobs started with plain mosrun on the login
# node spread over the three VMs by themselves (guestd's balancer); each
# ends with the output of a run at home. spin computes until the go file
# exists, so a fast machine cannot finish before the spread is seen.
phase "6 plain jobs spread over 3 VMs" on 1 'cd /root && rm -f gob sp?.out && P=/usr/local/lib/mosix/progs &&
	want=$($P/spin 1000000) &&
	for i in 1 2 3 4 5 6; do (mosrun $P/spin 1000000 /root/gob >sp$i.out 2>&1 &); done;
	for i in $(seq 180); do sleep 1; w=$(mosps --json | grep -o "\"node\": [0-9]*" | sort -u | tr -d "\n");
		[ "$w" = "\"node\": 0\"node\": 2\"node\": 3" ] && break; done;
	echo "where: $w after $i s"; mosps; touch gob;
	for i in $(seq 120); do [ "$(cat sp?.out | grep -c "^spin ")" = 6 ] && break; sleep 1; done;
	echo "right: $(cat sp?.out | grep -cx "$want")"'
if grep -q 'where: "node": 0"node": 2"node": 3' "$OUT" && grep -q "^right: 6" "$OUT"; then
	t_pass "vm/6-jobs-spread-over-3-vms ($(grep -o "after [0-9]* s" "$OUT"))"
else
	t_fail vm/6-jobs-spread-over-3-vms "$(tr '\n' ' ' <"$OUT" | cut -c1-500)"
fi

# Our man pages are in the image: man finds and renders them.
phase "man mosrun in the guest" on 1 'man -w mosrun; man mosctl 2>&1 | grep -c "expel"'
if grep -Eq '^/usr/local/(share/)?man/man1/mosrun.1' "$OUT" && [ "$(tail -n 1 "$OUT")" -gt 0 ]; then
	t_pass vm/man-pages
else
	t_fail vm/man-pages "man -w mosrun / man mosctl said: $(tr '\n' ' ' <"$OUT")"
fi

# hostctl mon: mmon on the login node, over its ssh: a snapshot of the
# three VMs, each up, with its CPUs and memory.
MON=$(mktemp /tmp/mosix-vm-mon.XXXXXX)
"$HOSTCTL" mon --name "$NAME" -- --json >"$MON" 2>&1
rc=$?
if [ $rc -eq 0 ] && python3 -c '
import json, sys
nodes = json.load(open(sys.argv[1]))["nodes"]
ok = sorted(n["node"] for n in nodes) == [1, 2, 3] and all(
    n["state"] == "up" and n["cpus"] >= 1 and n["mem_total_mb"] > 0 for n in nodes)
sys.exit(0 if ok else 1)' "$MON"; then
	t_pass vm/hostctl-mon
else
	t_fail vm/hostctl-mon "exit $rc: $(tr '\n' ' ' <"$MON" | cut -c1-400)"
fi
rm -f "$MON"

# A fourth node joins the running cluster; processes started on n1 go there;
# removing it sends them home, where they finish and check themselves.
phase "hostctl add (n4)" "$HOSTCTL" add --name "$NAME" --timeout 180 || fail "hostctl add failed"
if grep -q "sees all 4 nodes: 4/4" "$LOG" && grep -q "^n4 added: 4 nodes" "$LOG"; then
	t_pass vm/add-node
else
	t_fail vm/add-node "add did not report 4 nodes seeing each other"
fi
phase "2 jobs from n1 to n4" on 1 'cd /root && rm -f go4 j?.out && P=/usr/local/lib/mosix/progs &&
	(MOSTEST_GO=/root/go4 mosrun -4 $P/heap_sparse >j1.out 2>&1 &) &&
	(MOSTEST_GO=/root/go4 mosrun -4 $P/fpu_avx >j2.out 2>&1 &) &&
	for i in $(seq 150); do grep -q READY j1.out && grep -q READY j2.out && break; sleep 0.2; done;
	mosps | awk "\$2 == \"node\" && \$3 == 4" | wc -l'
on4=$(tail -n 1 "$OUT") # how many ran on n4 before the remove (WHERE column): both must
phase "hostctl remove 4" "$HOSTCTL" remove --name "$NAME" 4 || fail "hostctl remove 4 failed"
grep -q "n4: .*guests left here: 0" "$LOG" || fail "remove did not report n4's guests gone"
phase "jobs finish at home" on 1 'cd /root && mosps | awk "\$2 == \"node\" && \$3 == 4" | wc -l; touch go4;
	for i in $(seq 150); do grep -q "^PASS\|^FAIL" j1.out && grep -q "^PASS\|^FAIL" j2.out && break;
	sleep 0.2; done; cat j1.out j2.out; mosctl status --json | grep -o "nodes_in_map\": [0-9]*"'
if [ "$on4" = 2 ] && [ "$(head -n 1 "$OUT")" = 0 ] && grep -q "^PASS heap_sparse" "$OUT" && grep -q "^PASS fpu_avx" "$OUT" &&
	grep -q 'nodes_in_map": 3' "$OUT"; then
	t_pass vm/remove-keeps-processes
else
	t_fail vm/remove-keeps-processes "on n4 before: '$on4'; after remove 4: $(tr '\n' ' ' <"$OUT" | cut -c1-400)"
fi
virsh -c qemu:///system list --all --name | grep -qx "mosix-$NAME-n4" && fail "n4's domain is left"
[ -e "$STATE/n4" ] && fail "n4's state dir is left"
phase "remove 1 (must refuse)" refuses "$HOSTCTL" remove --name "$NAME" 1 || fail "remove 1 did not fail"
grep -q "n1 is the login node" "$LOG" || fail "remove 1: no clear message"
phase "remove 9 (must refuse)" refuses "$HOSTCTL" remove --name "$NAME" 9 || fail "remove 9 did not fail"
grep -q "no node '9' in cluster" "$LOG" || fail "remove 9: no clear message"
phase "remove, unknown cluster" refuses "$HOSTCTL" remove --name "no$NAME" 2 || fail "remove of an unknown cluster did not fail"
grep -q "cluster 'no$NAME' is not up" "$LOG" || fail "remove, unknown cluster: no clear message"

# a second up of the same name must refuse and leave the first one alone
phase "second up (must refuse)" refuses "$HOSTCTL" up -n 1 --name "$NAME" --image "$IMAGE" ||
	fail "a second 'hostctl up --name $NAME' did not fail"
grep -q "is already up" "$LOG" || fail "second up: no 'already up' message"
phase "hostctl status" "$HOSTCTL" status --name "$NAME" || fail "status"
[ "$(grep -cE "^  n[0-9] .* running .* yes " "$LOG")" -eq 3 ] ||
	fail "status does not show 3 running nodes answering ssh"
[ "$(grep -cE "^  n[0-9] .* MB +up +[0-9.]+ +[0-9]+$" "$LOG")" -eq 3 ] ||
	fail "status does not show 3 nodes up with their load from guestd"
grep -E '^  n[0-9]' "$LOG" | tail -n 3 | sed 's/^/   /'
phase "hostctl down" "$HOSTCTL" down --name "$NAME" || fail "hostctl down failed"
UP=0

left=""
virsh -c qemu:///system list --all --name | grep -q "^mosix-$NAME-" && left="$left domains"
virsh -c qemu:///system net-list --all --name | grep -qx "mosix-$NAME" && left="$left network"
[ -e "$STATE" ] && left="$left state-dir($STATE)"
[ -n "$left" ] && fail "left behind after down:$left"
"$HOSTCTL" down --name "$NAME" >/dev/null 2>&1 && fail "second down of '$NAME' did not fail"

printf '  %-32s %6.1f s\n' "total" "$(echo "$(date +%s.%N) - $T0" | bc)"
t_pass "$T"
