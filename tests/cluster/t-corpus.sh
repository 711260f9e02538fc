#!/usr/bin/env bash
# t-corpus.sh: everyday programs started away from home stay away. Each case
# of the table runs twice from node 1 in a fresh copy of the same inputs:
# under mosrun at home, and started on node 2 (mosrun -v -2). It passes when
# both give the same exit status, output and result (the case's check, run
# natively afterwards), and the away run stayed on node 2 for its whole run:
# mosrun said it runs there and never that it came home, and guestd's count
# of calls that brought processes home (mosctl calls) did not move. Any
# homecoming fails the case, naming the call.
#
# Cases marked "exec" in the fourth column run other programs (make, cc,
# tar -z, a command substitution): exec at a remote node keeps them there
# too (CORPUS_EXEC=0 leaves them out); those that start threads (zstd
# always does) are marked "threads" and skipped until threads move.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/suite.sh"
cluster_suite corpus 2
chmod 755 "$W"
PY=/usr/bin/python3 # (not a pyenv or conda shim: those exec the real one)

# The inputs, made natively once.
IN=$W/in
mkdir -p "$IN/tree/a/b" "$IN/tree/c"
seq 1 100000 | sed 's/$/ lorem ipsum dolor/' >"$IN/text"
for i in 1 2 3; do head -c 20000 "$IN/text" >"$IN/tree/a/f$i"; echo "$i" >"$IN/tree/c/g$i"; done
printf 'int main(void) { return 7; }\n' >"$IN/hello.c"
printf 'all: out.txt\nout.txt: text\n\thead -n 5 text >out.txt\n' >"$IN/Makefile"
printf '2^100\nscale=20; 4*a(1)\n' >"$IN/calc"
printf 'b 2\na 1\nb 2\nc 3\n' >"$IN/small"
gzip -nc "$IN/text" >"$IN/text.gz" && xz -T1 -c "$IN/text" >"$IN/text.xz"
bzip2 -c "$IN/text" >"$IN/text.bz2"
have_zstd=$(command -v zstd >/dev/null && echo 1)
[ -n "$have_zstd" ] && zstd -q -c "$IN/text" >"$IN/text.zst"
tar -cf "$IN/t.tar" -C "$IN" tree
cat >"$IN/stdlib.py" <<'EOF'
import json, hashlib, sqlite3, tempfile, shutil, os, zlib, re, pathlib, csv, io
d = {"a": list(range(2000)), "b": "x" * 1000}
s = json.dumps(d, sort_keys=True); assert json.loads(s) == d
print(hashlib.sha256(s.encode()).hexdigest(), hashlib.md5(s.encode()).hexdigest())
with tempfile.TemporaryDirectory(dir=".") as t:
    p = pathlib.Path(t) / "f"; p.write_text(s); shutil.copy2(p, p.with_suffix(".2"))
    shutil.copytree(t, t + "-copy"); print(sorted(os.listdir(t + "-copy"))); shutil.rmtree(t + "-copy")
    db = sqlite3.connect(os.path.join(t, "db")); db.execute("create table x(a, b)")
    db.executemany("insert into x values (?, ?)", [(i, str(i)) for i in range(2000)])
    db.commit(); print(db.execute("select count(*), sum(a) from x").fetchone()); db.close()
    os.utime(p, (1, 2)); print(os.stat(p).st_mtime, os.path.getsize(p))
w = io.StringIO(); csv.writer(w).writerows([[1, "a,b"], [2, "c"]]); print(repr(w.getvalue()))
print(len(zlib.compress(s.encode())), re.sub(r"(\d+)", r"<\1>", "a1b22"))
EOF
cat >"$IN/osnet.py" <<'EOF'
import os, socket, select, selectors, signal, time, tempfile, shutil, array, fcntl, resource
a, b = socket.socketpair(); a.sendmsg([b"he", b"llo"]); print(b.recvmsg(16))
fds = array.array("i", [0]); a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
print(b.recvmsg(1, socket.CMSG_SPACE(4))[0]); print(select.select([b], [], [], 0)[0] == [])
s = selectors.DefaultSelector(); s.register(b, selectors.EVENT_READ); print(len(s.select(0)))
with tempfile.TemporaryDirectory(dir=".") as t:
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
printf 'my %%c; open(my $f, "<", "text") or die; while (<$f>) { $c{length($_)}++ } close $f;\nprint join(",", map { "$_=$c{$_}" } sort keys %%c), "\\n";\n' >"$IN/script.pl"

# name <TAB> command (mosrun goes before it; redirections are the shell's)
# <TAB> check (run natively in the case's directory afterwards; - none)
# <TAB> exec or threads: the program execs or starts threads (skipped)
CASES=$(
	cat <<'EOF'
sort	sort -r text	-
sha256sum	sha256sum text	-
md5sum	md5sum text	-
wc	wc text	-
cat	cat text	-
head	head -n 3 text	-
tail	tail -n 3 text	-
cut	cut -d' ' -f1,3 text	-
tr	tr a-z A-Z <text	-
uniq	uniq -c small	-
cp	cp text copy	sha256sum copy
dd	dd if=text of=dd.out bs=64k status=none	sha256sum dd.out
tee	tee tee.out <text	sha256sum tee.out
split	split -l 30000 text part.	sha256sum part.*
ls	ls -lR --time-style=+ tree	-
du	du -ab tree	-
stat	stat -c '%n %s %F %a %h' text tree	-
touch	touch -d @100000 text	stat -c %Y text
chmod	chmod 640 text	stat -c %a text
ln	ln -s text sym	readlink sym
lnhard	ln text hard	stat -c %h text
mv	mv text moved	ls
rm	rm text	ls
mkdir	mkdir -p d/e/f	find d
rmdir	rmdir tree/c	ls tree
find	find tree -name 'f*' -size +1k	-
tar-create	tar -cf out.tar tree	tar -tvf out.tar --numeric-owner
tar-list	tar -tf t.tar	-
tar-extract	tar -xf t.tar -C tree/a	find tree/a
gzip	gzip -9 text	sha256sum text.gz
gunzip	gzip -dc text.gz	-
xz	xz -T1 -k text	xz -dc text.xz | sha256sum
unxz	xz -dc text.xz	-
bzip2	bzip2 -k text	bzip2 -dc text.bz2 | sha256sum
bunzip2	bzip2 -dc text.bz2	-
zstd	zstd -q -k text -o text.2.zst	zstd -q -dc text.2.zst | sha256sum	threads
unzstd	zstd -q -dc text.zst	-	threads
grep	grep -c lorem text	-
grep-n	grep -n '^9999[0-9] ' text	-
sed	sed -n 's/lorem/LOREM/p;100q' text	-
sed-i	sed -i 's/ipsum/IPSUM/' small	cat small
awk	awk '{s += $1} END {print s, NR}' text	-
python3	/usr/bin/python3 stdlib.py	-
python3-os	/usr/bin/python3 osnet.py	-
perl	perl script.pl	-
bash	bash -c 'i=0; while [ $i -lt 3000 ]; do i=$((i + 1)); done; read -r x <text; printf "%s %s\n" "$i" "$x"; echo *'	-
sqlite3	sqlite3 db.sqlite 'create table t(a); insert into t values (1),(2),(3); select count(*), sum(a) from t;'	-
bc	bc -lq calc	-
git-hash	git hash-object text	-
make	make -s	cat out.txt	exec
cc	cc -O1 -o hello hello.c	./hello; echo $?	exec
tar-gzip	tar -czf out.tgz tree	tar -tzf out.tgz	exec
bash-subst	bash -c 'echo $(wc -l <text)'	-	exec
EOF
)

# calls_total: homecomings guestd of node 1 has counted so far.
calls_total() {
	on 1 mosctl calls --json | "$PY" -c '
import json, sys
print(sum(c["homecomings"] for c in json.load(sys.stdin)["calls"]))'
}

# run_case DIR MOSRUN-OPTIONS COMMAND CHECK: out, rc, log and check in DIR,
# run as root (RUNAS=on) or as an ordinary user (RUNAS=as_user).
RUNAS=on
run_case() {
	local d=$1 opts=$2 cmd=$3 check=$4
	rm -rf "$d" && cp -a "$IN" "$d"
	[ "$RUNAS" = on ] || chown -R "$SUITE_USER:$SUITE_USER" "$d"
	"$RUNAS" 1 bash -c "cd '$d' && eval \"mosrun $opts \$1\" >'$d.out' 2>'$d.log' </dev/null; echo \$? >'$d.rc'" _ "$cmd"
	if [ "$check" != - ]; then
		(cd "$d" && bash -c "$check") >"$d.check" 2>&1
	else
		: >"$d.check"
	fi
}

# corpus_case LABEL COMMAND CHECK: run it at home and away, compare, and
# check that it stayed away.
corpus_case() {
	local name=$1 cmd=$2 check=$3 before after h a
	before=$(calls_total)
	run_case "$W/home.$name" "" "$cmd" "$check"
	run_case "$W/away.$name" "-v -2" "$cmd" "$check"
	after=$(calls_total)
	h=$W/home.$name a=$W/away.$name
	# the away run's stderr without mosrun's own lines, to compare with home's
	grep -v '^mosrun' "$a.log" >"$a.err"
	if grep -q "is home from" "$a.log" || [ "$before" != "$after" ]; then
		t_fail "corpus/$name" "came home: $(grep -o 'is home from.*' "$a.log" | head -n 2 | tr '\n' '|') (calls counted $before -> $after)"
	elif ! grep -q "runs on node 2" "$a.log"; then
		t_fail "corpus/$name" "never ran on node 2: $(head -c 300 "$a.log" | tr '\n' '|')"
	elif [ "$(cat "$h.rc")" != "$(cat "$a.rc")" ]; then
		t_fail "corpus/$name" "exit $(cat "$a.rc") away, $(cat "$h.rc") at home: $(tail -n 2 "$a.err" | tr '\n' '|')"
	elif ! cmp -s "$h.out" "$a.out" || ! cmp -s "$h.check" "$a.check" || ! cmp -s "$h.log" "$a.err"; then
		t_fail "corpus/$name" "differs: $(diff "$h.out" "$a.out" | head -n 4 | tr '\n' '|') $(diff "$h.check" "$a.check" | head -n 4 | tr '\n' '|') $(diff "$h.log" "$a.err" | head -n 4 | tr '\n' '|')"
	elif [ ! -s "$h.out" ] && [ ! -s "$h.check" ]; then
		t_fail "corpus/$name" "no output to compare (exit $(cat "$h.rc")): $(head -c 200 "$h.log")"
	else
		t_pass "corpus/$name"
	fi
	rm -rf "$h" "$a"
}

while IFS=$'\t' read -r name cmd check flags; do
	[ -n "$name" ] || continue
	if [ "$flags" = exec ] && [ "${CORPUS_EXEC:-1}" != 1 ]; then
		t_skip "corpus/$name" "it execs (CORPUS_EXEC=0)"
		continue
	elif [ "$flags" = threads ]; then
		t_skip "corpus/$name" "it starts threads: they come home (clone3) until threads move"
		continue
	fi
	case $name in *zstd) [ -n "$have_zstd" ] || { t_skip "corpus/$name" "zstd is not installed"; continue; } ;; esac
	corpus_case "$name" "$cmd" "$check"
done <<<"$CASES"

# Some of them again as an ordinary user (mosrun setgid to the cluster's
# group, as installed).
suite_user_bin
chmod 1777 "$W"
RUNAS=as_user
while IFS=$'\t' read -r name cmd check flags; do
	case " sort cp tar-create gzip grep python3 python3-os sqlite3 " in
	*" $name "*) corpus_case "user-$name" "$cmd" "$check" ;;
	esac
done <<<"$CASES"
