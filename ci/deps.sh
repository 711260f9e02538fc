#!/usr/bin/env bash
# ci/deps.sh: install the Debian packages the build and the tests need, only
# when some are missing (apt-get update first, as a fresh machine needs).
set -eu
PKGS="$(cat */deps.txt 2>/dev/null) gcc make libc6-dev libcmocka-dev liblzo2-dev liblz4-dev libzstd-dev libsodium-dev libssl-dev iproute2 pkg-config
      python3 perl gzip procps gnuplot-nox clang-format cppcheck clang-tidy"
missing=""
for p in $PKGS; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
