#!/usr/bin/env bash
# ci/check.sh: what `make check` runs. Installs missing packages, builds, runs
# every test level, and ends with one summary line: N passed, N failed, N skipped.
set -u
cd "$(dirname "$0")/.."
MAKEARGS=("$@")
B=build
for a in "$@"; do [ "$a" = ASAN=1 ] && B=build-asan; done
export B

./ci/deps.sh || { echo "check: could not install build dependencies"; echo "0 passed, 1 failed"; exit 1; }
if ! make -j"$(nproc)" "${MAKEARGS[@]}" all >/tmp/mosix-build.log 2>&1; then
	tail -n 40 /tmp/mosix-build.log
	echo "check: build failed (full log: /tmp/mosix-build.log)"
	echo "0 passed, 1 failed"
	exit 1
fi

RESULTS=$(mktemp /tmp/mosix-results.XXXXXX)
export RESULTS
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0

# Level 1: unit tests (cmocka, TAP output, one line per test case).
echo "== unit"
for t in "$B"/unit/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	out=$(CMOCKA_MESSAGE_OUTPUT=TAP timeout 300 "$t" 2>&1)
	rc=$?
	echo "$out" | grep -E '^(ok|not ok|#)' | sed "s/^/  /"
	while read -r line; do
		case "$line" in
		"not ok"*) echo "FAIL unit/$name: ${line#not ok }" >> "$RESULTS" ;;
		"ok"*) echo "PASS unit/$name: ${line#ok }" >> "$RESULTS" ;;
		esac
	done < <(echo "$out" | grep -E '^(ok|not ok) ')
	if [ $rc -ne 0 ] && ! echo "$out" | grep -q '^not ok'; then
		echo "FAIL unit/$name: exited $rc" >> "$RESULTS"
		echo "$out" | tail -n 20
	fi
done

# Level 2 and up: shell-level suites, each a script under tests/*/ named t-*.sh.
for level in ckpt cluster vm; do
	for t in tests/$level/t-*.sh; do
		[ -f "$t" ] || continue
		echo "== $t"
		# every signal at its default: a run started in the background
		# (CI, nohup) would otherwise pass ignored ones on to the tests
		timeout 1800 env --default-signal bash "$t" || true
	done
done

pass=$(grep -c '^PASS' "$RESULTS")
fail=$(grep -c '^FAIL' "$RESULTS")
skip=$(grep -c '^SKIP' "$RESULTS")
if [ "$fail" -gt 0 ]; then
	echo "== failures:"
	grep '^FAIL' "$RESULTS"
fi
rm -f "$RESULTS"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
