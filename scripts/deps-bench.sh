#!/bin/sh
# scripts/deps-bench.sh - the extra Debian 12 packages `make bench` needs:
# onak (the keyserver we compare against), debian-keyring (905 real keys)
# time (/usr/bin/time, for peak RSS), wrk (HTTP load for keymail serve)
# and pgbouncer (the reference rows
# that show what a connection pooler does to start-up latency). Latency
# runs use bench/timeit.c.
# Kept apart from scripts/deps.sh: the test suite must not need them.
# Needs root (or sudo) only when something is missing.
set -eu
pkgs="onak debian-keyring time pgbouncer wrk"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps-bench.sh: installing:$missing" >&2
if [ "$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >&2
