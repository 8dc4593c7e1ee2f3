#!/bin/sh
# scripts/deps.sh - install the Debian 12 packages keymail needs to build,
# test and run, if any are missing. Needs root (or sudo) only when
# something is missing.
set -eu
pkgs="build-essential pkg-config clang libpq-dev libgcrypt20-dev libetpan-dev
libpcre2-dev libmicrohttpd-dev postgresql postgresql-client msmtp gnupg python3 python3-aiosmtpd
python3-cryptography openssl postfix faketime pgbouncer curl libclang-rt-14-dev"
# curl: the HKP tests (tests/serve-lib.sh, 605); libclang-rt-14-dev: the
# sanitizer runtimes `make asan` links (clang alone does not pull them in
# with --no-install-recommends).
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps.sh: installing:$missing" >&2
if [ "$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi
export DEBIAN_FRONTEND=noninteractive
# Postfix is for tests/e2e/630-lmtp-postfix.sh, which runs a private
# instance of its own; the package's system service stays unconfigured
# ("No configuration": nothing is started, nothing listens on port 25).
case " $missing " in
*" postfix "*)
	echo "postfix postfix/main_mailer_type select No configuration" |
	    $sudo debconf-set-selections ;;
esac
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >&2
