#!/usr/bin/env bash
# t-real.sh: real programs (python3, perl, gzip) checkpointed mid-run, killed,
# recovered, finish with output byte-identical to an uninterrupted run.
source "$(dirname "$0")/../lib.sh"
mktmp
d=$T

# run_case NAME OUTFILE CMD...: reference run, then a supervised run
# checkpointed (chkexit) at 40% of the reference time and recovered with
# stdout redirected back into OUTFILE (-O 1=...), then compare.
run_case() {
	local name=$1 out=$2 t0 delay
	shift 2
	t0=$(date +%s%N)
	"$@" >"$d/$name.ref" 2>&1 || { t_fail "real/$name" "reference run failed"; return; }
	delay=$(( ($(date +%s%N) - t0) * 4 / 10 / 1000000 ))
	delay=$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))
	mosrun -C "$d/$name.ck" "$@" >"$out" 2>"$d/$name.err" &
	local mr=$! pid=""
	sleep "$delay"
	pid=$(pgrep -P "$mr" | head -n 1)
	if [ -z "$pid" ]; then
		t_fail "real/$name" "program finished before the checkpoint (make it longer)"
		wait_exit "$mr" 5
		return
	fi
	local msg
	msg=$(mosmigrate "$pid" chkexit 2>&1)
	wait_exit "$mr" 30
	if [ "$RC" -ne 75 ] || [ ! -s "$d/$name.ck.1" ]; then
		t_fail "real/$name" "chkexit: mosrun exit $RC, $msg $(cat "$d/$name.err")"
		return
	fi
	timeout 300 mosrun -R "$d/$name.ck.1" -O "1=$out" >/dev/null 2>"$d/$name.err2"
	local rc=$?
	if [ $rc -ne 0 ]; then
		t_fail "real/$name" "recovery exit $rc: $(tail -n 3 "$d/$name.err2")"
	elif cmp -s "$d/$name.ref" "$out"; then
		t_pass "real/$name"
	else
		t_fail "real/$name" "output differs from the uninterrupted run ($(cmp "$d/$name.ref" "$out" 2>&1 | head -n 1))"
	fi
}

# python3: a deterministic computation printing as it goes.
cat >"$d/loop.py" <<'PY'
import hashlib
h = hashlib.sha256()
acc = 0
for i in range(12_000_000):
    acc = (acc * 31 + i) % 1_000_003
    if i % 200_000 == 0:
        h.update(str(acc).encode())
        print(i, acc, h.hexdigest()[:16], flush=True)
print("done", acc, h.hexdigest())
PY
run_case python3 "$d/python3.out" python3 "$d/loop.py"

# perl: the same idea, with a hash table that grows.
cat >"$d/loop.pl" <<'PL'
$| = 1; my %h; my $acc = 0;
for my $i (0 .. 6_000_000) {
    $acc = ($acc * 17 + $i) % 999_983;
    $h{$acc % 50_000} .= "x" if $i % 7 == 0;
    print "$i $acc ", scalar(keys %h), "\n" if $i % 200_000 == 0;
}
print "done $acc\n";
PL
run_case perl "$d/perl.out" perl "$d/loop.pl"

# gzip of a file in progress: input read through an fd, output to stdout.
python3 -c '
import random
r = random.Random(7)
words = [("%x" % r.getrandbits(20)) for _ in range(5000)]
with open("'"$d"'/big.txt", "w") as f:
    for i in range(1_500_000):
        f.write(" ".join(r.choice(words) for _ in range(8)) + "\n")
'
run_case gzip "$d/gzip.out" gzip -6 -c "$d/big.txt"

# The recovered process keeps writing through its own fd (not stdout): gzip -k
# creates big2.txt.gz itself, so the fd is reopened at its offset.
cp "$d/big.txt" "$d/big2.txt"
gzip -6 -c "$d/big2.txt" >"$d/big2.ref"
mosrun -C "$d/gz2.ck" gzip -6 -k "$d/big2.txt" 2>"$d/gz2.err" &
mr=$!
sleep 1
pid=$(pgrep -P "$mr" | head -n 1)
if [ -n "$pid" ] && mosmigrate "$pid" chkexit >/dev/null 2>&1; then
	wait_exit "$mr" 30
	timeout 300 mosrun -R "$d/gz2.ck.1" 2>>"$d/gz2.err"
	if cmp -s "$d/big2.ref" "$d/big2.txt.gz"; then
		t_pass real/gzip-own-file
	else
		t_fail real/gzip-own-file "big2.txt.gz differs: $(tail -n 2 "$d/gz2.err")"
	fi
else
	t_fail real/gzip-own-file "could not checkpoint gzip (pid '$pid'): $(cat "$d/gz2.err")"
	wait_exit "$mr" 5
fi
