#!/usr/bin/env bash
# callsurvey.sh: which system calls everyday programs make, and what a
# migrated process does with each (forwarded home, run locally, or it goes
# home). Runs a corpus natively under strace -f, then classifies every call
# with the forwarding table (tests/tools/fwdclass, built with the tree).
#
#   B=build-x tests/tools/callsurvey.sh [OUTDIR]
#
# OUTDIR (default /var/tmp/mosix-callsurvey) gets raw.<case> strace logs,
# calls.txt ("call programs class", most used first) and home.txt (the calls
# of the corpus that still send a process home, with the programs that make
# them). ioctl, fcntl and prctl are listed per request ("ioctl:TCGETS").
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
B=${B:-build}
CLASS=$TOP/$B/tools/fwdclass
OUT=${1:-/var/tmp/mosix-callsurvey}
PY=/usr/bin/python3
[ -x "$CLASS" ] || { echo "callsurvey: no $CLASS (make B=$B first)" >&2; exit 2; }
command -v strace >/dev/null || { echo "callsurvey: strace is not installed" >&2; exit 2; }
rm -rf "$OUT" && mkdir -p "$OUT/w" && cd "$OUT/w" || exit 2

# Inputs: a text file, a small tree, a C file, a Python and a Perl script.
seq 1 200000 | sed 's/$/ lorem ipsum dolor/' >text
mkdir -p tree/a/b tree/c && for i in 1 2 3 4 5; do cp text "tree/a/f$i"; echo "$i" >"tree/c/g$i"; done
printf 'int main(void) { return 0; }\n' >hello.c
printf 'all: out.txt\nout.txt: text\n\thead -n 5 text >out.txt\n' >Makefile
cat >stdlib.py <<'EOF'
import json, hashlib, sqlite3, tempfile, shutil, os, zlib, csv, io, re, time, pathlib
d = {"a": list(range(1000)), "b": "x" * 1000}
s = json.dumps(d); assert json.loads(s) == d
print(hashlib.sha256(s.encode()).hexdigest())
with tempfile.TemporaryDirectory() as t:
    p = pathlib.Path(t) / "f"; p.write_text(s); shutil.copy(p, p.with_suffix(".2"))
    shutil.copytree(t, t + "-copy"); shutil.rmtree(t + "-copy")
    db = sqlite3.connect(os.path.join(t, "db")); db.execute("create table x(a, b)")
    db.executemany("insert into x values (?, ?)", [(i, str(i)) for i in range(1000)])
    db.commit(); print(db.execute("select count(*), sum(a) from x").fetchone()); db.close()
    os.utime(p, (1, 2)); print(os.stat(p).st_mtime, len(os.listdir(t)))
print(len(zlib.compress(s.encode())), time.time() > 0)
EOF
cat >osnet.py <<'EOF'
import os, socket, select, selectors, signal, time, tempfile, shutil, array, fcntl, resource
a, b = socket.socketpair(); a.sendmsg([b"he", b"llo"]); print(b.recvmsg(16))
fds = array.array("i", [0]); a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
print(b.recvmsg(1, socket.CMSG_SPACE(4))[0]); print(select.select([b], [], [], 0)[0] == [])
s = selectors.DefaultSelector(); s.register(b, selectors.EVENT_READ); print(s.select(0))
with tempfile.TemporaryDirectory() as t:
    p = os.path.join(t, "f"); open(p, "w").write("x" * 1000)
    fd = os.open(p, os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
    try: os.setxattr(p, "user.a", b"1"); print(os.listxattr(p))
    except OSError as e: print(e.errno)
    out = os.open(p + ".2", os.O_WRONLY | os.O_CREAT); os.sendfile(out, fd, 0, 1000)
    os.copy_file_range(fd, out, 10, 0, 0); shutil.copystat(p, p + ".2"); os.utime(p, ns=(1, 2))
    print(os.statvfs(t).f_bsize > 0, os.stat(p).st_mtime_ns, fcntl.fcntl(fd, fcntl.F_GETFL))
print(resource.getrlimit(resource.RLIMIT_NOFILE)[0] > 0, os.getpriority(os.PRIO_PROCESS, 0))
signal.signal(signal.SIGALRM, lambda *a: None); signal.setitimer(signal.ITIMER_REAL, 0.01); time.sleep(0.05)
print(os.sched_getaffinity(0) != set(), os.cpu_count() > 0, os.getloadavg()[0] >= 0)
EOF
cat >script.pl <<'EOF'
my %c; open(my $f, "<", "text") or die; while (<$f>) { $c{length($_)}++ } close $f;
print join(",", map { "$_=$c{$_}" } sort keys %c), "\n";
EOF

# The corpus: one case a line, "name<TAB>command" (run by bash -c).
CORPUS=$(
	cat <<'EOF'
sort	sort -r text | head -n 3
sha256sum	sha256sum text
md5sum	md5sum text
wc	wc text
cp	cp text text.cp
dd	dd if=text of=text.dd bs=64k status=none
ls	ls -laR tree
du	du -s tree
tee	tee text.tee <text >/dev/null
cat	cat text >text.cat
headtail	head -n 3 text; tail -n 3 text
cut	cut -d' ' -f2 text | uniq | head -n 2
tr	tr a-z A-Z <text >text.tr
split	split -l 50000 text part.
stat	stat text
touch	touch -d @1 text.cp
chmod	chmod 600 text.cp
ln	ln -sf text link && ln -f text hard
mv	mv text.cat text.cat2
rm	rm -f text.cat2 part.*
mkdir	mkdir -p d1/d2/d3
find	find tree -type f -size +1k
tar	tar -cf t.tar tree && tar -tf t.tar
gzip	gzip -c text >text.gz && gzip -dc text.gz | wc -c
xz	xz -T1 -c text >text.xz && xz -dc text.xz | wc -c
bzip2	bzip2 -c text >text.bz2 && bzip2 -dc text.bz2 | wc -c
zstd	zstd -q -c text >text.zst && zstd -q -dc text.zst | wc -c
grep	grep -c 'lorem' text
sed	sed 's/lorem/LOREM/' text >text.sed
awk	awk '{s += $1} END {print s}' text
python3	/usr/bin/python3 stdlib.py
python3-os	/usr/bin/python3 osnet.py
perl	perl script.pl
bash	bash -c 'i=0; while [ $i -lt 1000 ]; do i=$((i + 1)); done; echo $i; read -r x <text; echo "$x"'
make	rm -f out.txt; make -s
cc	cc -O1 -o hello hello.c
sqlite3	sqlite3 db.sqlite 'create table if not exists t(a); insert into t values (1); select count(*) from t;'
git	git init -q repo && cd repo && cp ../text . && git add text && git -c user.email=a@b -c user.name=a commit -qm x && git log --oneline | wc -l
bc	echo '2^100' | bc
EOF
)

while IFS=$'\t' read -r name cmd; do
	[ -n "$name" ] || continue
	if ! strace -f -qq -e signal=none -o "$OUT/raw.$name" bash -c "$cmd" >/dev/null 2>"$OUT/err.$name"; then
		echo "callsurvey: $name failed: $(tail -n 2 "$OUT/err.$name")" >&2
	fi
done <<<"$CORPUS"

# call (or call:request) per case, one per line, then classified.
for f in "$OUT"/raw.*; do
	name=${f##*/raw.}
	sed -nE 's/^[0-9]+ +(ioctl|fcntl|prctl)\([^,]*, ([A-Z_0-9x]+).*/\1:\2/p;
		s/^[0-9]+ +([a-z0-9_]+)\(.*/\1/p' "$f" | sort -u | sed "s/\$/ $name/"
done | sort | awk '{n[$1]++; p[$1] = p[$1] (p[$1] ? "," : "") $2}
	END {for (c in n) print c, n[c], p[c]}' | sort -k2,2nr -k1,1 >"$OUT/uses.txt"
cut -d' ' -f1 "$OUT/uses.txt" | "$CLASS" >"$OUT/class.txt"
join <(sort "$OUT/uses.txt") <(sort "$OUT/class.txt") | sort -k2,2nr -k1,1 |
	awk '{printf "%-28s %3d  %-8s %s\n", $1, $2, $4, $3}' >"$OUT/calls.txt"
awk '$3 == "home"' "$OUT/calls.txt" >"$OUT/home.txt"
echo "callsurvey: $(wc -l <"$OUT/calls.txt") calls; $(wc -l <"$OUT/home.txt") still go home" \
	"(list: $OUT/calls.txt, $OUT/home.txt)"
