#!/usr/bin/env bash
# tests/vm/t-hostctl-cli.sh: hostctl's command line without booting anything:
# --help everywhere, --version, bad input gives a clear message and the right exit code,
# commands on a cluster that is not up fail, check --json is well-formed.
set -u
. "$(dirname "$0")/../lib.sh"

HOSTCTL=$TOP/$B/bin/hostctl
OUT=$(mktemp /tmp/mosix-cli.XXXXXX)
trap 'rm -f "$OUT"' EXIT
NAME=clitest$$

if [ ! -x "$HOSTCTL" ]; then
	t_fail vm/cli "no $HOSTCTL"
	exit 0
fi

# expect NAME RC PATTERN CMD...: CMD exits with RC and prints PATTERN (grep -E).
expect() {
	local t=$1 rc=$2 pat=$3 got
	shift 3
	"$@" >"$OUT" 2>&1
	got=$?
	if [ "$got" -ne "$rc" ]; then
		t_fail "vm/cli/$t" "exit $got, expected $rc: $(head -c 300 "$OUT")"
	elif ! grep -Eq -- "$pat" "$OUT"; then
		t_fail "vm/cli/$t" "no '$pat' in: $(head -c 300 "$OUT")"
	else
		t_pass "vm/cli/$t"
	fi
}

for c in check up status ssh console add remove down; do
	expect "help-$c" 0 "usage: hostctl $c" "$HOSTCTL" "$c" --help
done
expect help 0 "commands:" "$HOSTCTL" --help
expect help-version 0 "--version" "$HOSTCTL" --help
expect version 0 "^hostctl \(mosix-appliance\) [0-9][0-9.]*$" "$HOSTCTL" --version
expect no-command 2 "usage: hostctl" "$HOSTCTL"
expect unknown-command 2 "unknown command 'frobnicate'" "$HOSTCTL" frobnicate
expect nodes-zero 2 "nodes must be a whole number from 1 to 64, not '0'" "$HOSTCTL" up -n 0
expect nodes-word 2 "not 'three'" "$HOSTCTL" up -n three
expect nodes-many 2 "from 1 to 64" "$HOSTCTL" up -n 65
expect mem-small 2 "--mem must be a whole number from 128" "$HOSTCTL" up --mem 64
expect cpus-bad 2 "--cpus must be" "$HOSTCTL" up --cpus -1
expect bad-option 2 "usage: hostctl up" "$HOSTCTL" up --bogus
expect stray-arg 2 "usage: hostctl down" "$HOSTCTL" down extra
expect remove-no-node 2 "usage: hostctl remove" "$HOSTCTL" remove
expect add-stray-arg 2 "usage: hostctl add" "$HOSTCTL" add 5
if [ "$(id -u)" -eq 0 ]; then
	expect bad-name 1 "invalid cluster name 'No_Good'" "$HOSTCTL" up --name No_Good
	expect no-image 1 "no guest image directory /nonexistent" "$HOSTCTL" up --name "$NAME" \
		--image /nonexistent
	expect too-much-mem 1 "need about .* MB; the host has" "$HOSTCTL" up --name "$NAME" -n 64 \
		--mem 65536
fi
expect down-not-up 1 "cluster '$NAME' is not up" "$HOSTCTL" down --name "$NAME"
expect ssh-not-up 1 "cluster '$NAME' is not up" "$HOSTCTL" ssh --name "$NAME" true
expect console-not-up 1 "cluster '$NAME' is not up" "$HOSTCTL" console --name "$NAME" 1
if [ "$(id -u)" -eq 0 ]; then
	expect add-not-up 1 "cluster '$NAME' is not up" "$HOSTCTL" add --name "$NAME"
	expect remove-not-up 1 "cluster '$NAME' is not up" "$HOSTCTL" remove --name "$NAME" 2
fi
expect status-not-up 1 "cluster '$NAME' is not up" "$HOSTCTL" status --name "$NAME"
"$HOSTCTL" check --json >"$OUT" 2>/dev/null
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["accel"] in ("kvm","tcg"); assert d["mem_total_mb"] > 0' "$OUT" 2>/dev/null; then
	t_pass vm/cli/check-json
else
	t_fail vm/cli/check-json "not the expected JSON: $(head -c 300 "$OUT")"
fi
[ -e "/var/lib/mosix-hostctl/$NAME" ] && t_fail vm/cli/no-state "a failed command left /var/lib/mosix-hostctl/$NAME"
exit 0
