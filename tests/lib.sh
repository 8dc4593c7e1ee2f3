# tests/lib.sh - shared helpers for end-to-end tests (sourced by tests/e2e/*.sh).
#
# Expects tests/run's environment (KM_BUILD, KM_TOP, KM_TMP, KM_TEST_PG).
# Each test gets its own work directory $T, its own database (km_newdb),
# and may start a local SMTP receiver (km_smtp_start) that the real msmtp
# delivers to. Results: ok/notok/check; km_done prints "N passed, N failed".

set -u
: "${KM_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${KM_BUILD:=$KM_TOP/build}"
: "${KM_TMP:=$(mktemp -d /tmp/keymail-test.XXXXXX)}"
# Debian's python3 has python3-aiosmtpd; a python3 earlier in PATH may not.
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
SHARED_KEYS=$KM_TOP/../shared/testdata/keys
T=$(mktemp -d "$KM_TMP/t.XXXXXX")
chmod 755 "$T"
# KM_ID: this test's own suffix for database names, unique in the run
# (the hex of $T's mktemp letters: $T lives until the run ends). The pid
# ($$) is not: a long run (make asan) wraps pid_max, and a later script
# that got an earlier one's pid found its database already there.
KM_ID=$(basename "$T" | cut -c3- | od -An -tx1 | tr -d ' \n')
# keymail refuses to run as root. When the tests run as root (CI's
# `make check`), $KEYMAIL runs the binary as the unprivileged system user
# "keymail" (scripts/pg.sh makes it too): the binary and the help texts
# are copied under $T (the checkout may be unreadable to that user, say
# under /root), and $T itself belongs to it, so that a test mailer can
# write there; km_give hands over other directories. The wrapper switches
# user with setpriv, which execs (no child process), so "$KEYMAIL" ... &
# gives keymail's own pid to the kill tests. KM_EXEC_PREFIX, if set, runs
# the binary under a tool (e.g. "valgrind -q --error-exitcode=99").
# KEYMAIL_CONF and the rest of the environment pass through.
KM_HELP=$KM_TOP/help
km_give() { if [ "$(id -u)" = 0 ]; then chown keymail "$@"; fi; }
mkdir -p "$T/.km"
if [ "$(id -u)" = 0 ]; then
	id keymail >/dev/null 2>&1 ||
	    useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin keymail
	chmod a+x "$KM_TMP"
	cp "$KM_BUILD/keymail" "$T/.km/keymail.bin"
	cp -R "$KM_TOP/help" "$T/.km/help"
	chmod -R a+rX "$T/.km"
	KM_HELP=$T/.km/help
	_km_as="setpriv --reuid=keymail --regid=keymail --init-groups --"
	km_give "$T"
else
	ln -s "$KM_BUILD/keymail" "$T/.km/keymail.bin"
	_km_as=
fi
cat >"$T/.km/keymail" <<EOW
#!/bin/sh
HOME=$T/.km; export HOME
exec $_km_as \${KM_EXEC_PREFIX:-} "$T/.km/keymail.bin" "\$@"
EOW
chmod 755 "$T/.km/keymail"
KEYMAIL=$T/.km/keymail
_pass=0
_fail=0

ok()    { _pass=$((_pass + 1)); }
notok() { _fail=$((_fail + 1)); echo "FAIL: $*"; }
# check DESCRIPTION COMMAND...: passes when the command succeeds
check() { d=$1; shift; if "$@"; then ok; else notok "$d"; fi; }
# check_eq DESCRIPTION GOT WANT
check_eq() { if [ "$2" = "$3" ]; then ok; else notok "$1: got '$2', want '$3'"; fi; }
km_done() {
	[ -n "${_smtp_pid:-}" ] && kill "$_smtp_pid" 2>/dev/null
	echo "$_pass passed, $_fail failed"
	[ "$_fail" -eq 0 ]
}

# km_newdb NAME: a fresh database in the run's server; writes $T/keymail.conf
# (sendmail = a capture script unless km_smtp_start was called) and runs initdb.
km_newdb() {
	db=km_$1_$KM_ID
	[ -n "$KM_TEST_PG" ] || { notok "no PostgreSQL server for this run"; km_done; exit 1; }
	psql "$KM_TEST_PG dbname=postgres" -qAtc "create database $db" >/dev/null || { notok "createdb $db"; km_done; exit 1; }
	KM_DB="$KM_TEST_PG dbname=$db"
	mkdir -p "$T/outbox"
	km_give "$T/outbox"
	km_capture_script "$T/capture.sh"
	km_writeconf "$T/capture.sh"
	"$KEYMAIL" -c "$T/keymail.conf" initdb >/dev/null || { notok "keymail initdb"; km_done; exit 1; }
}

# km_capture_script FILE: write the test mailer FILE, which stores each
# message in $T/outbox as NNNNNN.eml, numbered in the order the messages
# arrive (so `ls` lists them in that order and last_reply is the newest).
# Filters may run at once: each message is written to a hidden file of its
# own first, and the number is taken and the file renamed under a lock
# (flock(1)), so no two messages get the same name and no reader sees half
# a message. The counter lives in $T/outbox/.seq and survives rm outbox/*.
km_capture_script() {
	cat >"$1" <<EOC
#!/bin/sh
# test mailer: store each message as a file, like a sendmail -t would accept it
set -e
tmp=\$(mktemp "$T/outbox/.in.XXXXXX")
cat >"\$tmp"
exec 9>>"$T/outbox/.lock"
flock 9
n=\$((\$(cat "$T/outbox/.seq" 2>/dev/null || echo 0) + 1))
echo "\$n" >"$T/outbox/.seq"
mv "\$tmp" "$T/outbox/\$(printf %06d "\$n").eml"
EOC
	chmod 755 "$1"
}

# Tests mail from the same few addresses many times: the reply rate limits
# stay on (every reply is still counted in the database) but far away;
# tests/e2e/425-reply-rate-limit.sh tests the per-address default, and
# 455-backscatter-flood.sh all three levels.
km_writeconf() {
	cat >"$T/keymail.conf" <<EOC
database = $KM_DB
address = pgp-public-keys@keys.test.example
sendmail = $1
help_dir = $KM_HELP
max_replies_per_hour = 1000000
max_domain_replies_per_hour = 1000000
max_total_replies_per_hour = 1000000
EOC
	export KEYMAIL_CONF="$T/keymail.conf"
}

# km_smtp_start: a real SMTP receiver on 127.0.0.1 (tests/smtp-sink.py on
# python3-aiosmtpd, storing into the maildir $T/maildir) and an msmtp
# configuration pointing at it; switches the config's sendmail to the real
# msmtp. The receiver binds a port of the kernel's choosing and names it
# in $T/smtp.port once it listens (no window in which another process
# could take a port we picked).
km_smtp_start() {
	rm -f "$T/smtp.port"
	$PY "$KM_TOP/tests/smtp-sink.py" --maildir "$T/maildir" --port-file "$T/smtp.port" >"$T/smtpd.log" 2>&1 &
	_smtp_pid=$!
	km_wait_port_file "$T/smtp.port" "$_smtp_pid" "SMTP receiver" "$T/smtpd.log" || return 1
	port=$(cat "$T/smtp.port")
	cat >"$T/msmtprc" <<EOC
defaults
auth off
tls off
logfile $T/msmtp.log
account default
host 127.0.0.1
port $port
from pgp-public-keys@keys.test.example
EOC
	chmod 600 "$T/msmtprc"
	km_give "$T/msmtprc"
	km_writeconf "$(command -v msmtp) -C $T/msmtprc -t"
}

# km_wait_port_file FILE PID WHAT LOG: wait (up to a minute) until the
# receiver PID has written FILE; fails at once if it died.
km_wait_port_file() {
	_i=0
	while [ ! -s "$1" ]; do
		if ! kill -0 "$2" 2>/dev/null; then
			notok "$3 did not start"; cat "$4"; return 1
		fi
		_i=$((_i + 1))
		[ $_i -gt 600 ] && { notok "$3 did not start within a minute"; cat "$4"; return 1; }
		sleep 0.1
	done
}

# km_mail FILE: run the filter on a mail; sets $rc
km_filter() { "$KEYMAIL" filter <"$1"; rc=$?; }

# last_reply: path of the newest captured reply
last_reply() { ls "$T"/outbox/*.eml 2>/dev/null | tail -n 1; }
nreplies() { ls "$T"/outbox/*.eml 2>/dev/null | wc -l; }

# A throwaway GnuPG home with generated keys (no agent state shared).
km_gpg_init() {
	export GNUPGHOME="$T/gnupg"
	mkdir -p "$GNUPGHOME"; chmod 700 "$GNUPGHOME"
	echo "allow-loopback-pinentry" > "$GNUPGHOME/gpg-agent.conf"
}
# km_gpg_genkey ALGO USERID (ALGO: rsa2048, ed25519, nistp256, dsa2048 ...)
km_gpg_genkey() {
	gpg --batch --pinentry-mode loopback --passphrase '' --quick-gen-key "$2" "$1" default never >/dev/null 2>&1
}
km_gpg_fpr() { gpg --with-colons --fingerprint "$1" 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}'; }

# km_mail OUT SUBJECT [BODYFILE [FROM]]: write a plain request mail
km_mail() {
	{
		printf 'From: %s\n' "${4:-Alice Tester <alice@example.org>}"
		printf 'To: pgp-public-keys@keys.test.example\nSubject: %s\n' "$2"
		printf 'Message-ID: <%s.%s@example.org>\nDate: Sun, 22 Nov 2026 10:00:00 +0000\n\n' "$$" "$(date +%s%N)"
		if [ $# -ge 3 ] && [ -n "$3" ]; then cat "$3"; fi
	} >"$1"
}
# reply_subject FILE: the Subject of a reply (unfolded)
reply_subject() { awk '/^$/ {exit} /^Subject:/ {s=$0; sub(/^Subject: /, "", s); getline n; while (n ~ /^[ \t]/) {s = s n; getline n}; print s; exit}' "$1"; }
# decoded_body FILE: the text of a reply with quoted-printable undone
decoded_body() { $PY - "$1" <<'PY'
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.default)
for part in m.walk():
    if part.get_content_maintype() == 'multipart':
        continue
    sys.stdout.write(part.get_content() if part.get_content_maintype() == 'text' else part.get_payload(decode=True).decode('ascii', 'replace'))
PY
}

# km_openpgpjs WHAT: OpenPGP.js 6 (npm openpgp@6) under $T/npm, with
# NODE_PATH set for node and its version in $OPENPGPJS_VERSION. npm's cache in $HOME/.cache/keymail-npm keeps
# later runs offline. Without node or npm, or when the package cannot be
# installed (no network), it says that WHAT was not run (SKIP or NOTE),
# ends the test (km_done, exit 0: not a failure). A version other than
# 6.x is a failure.
km_openpgpjs() {
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
		echo "SKIP: node or npm not found: $1 not run"
		km_done
		exit 0
	fi
	_cache=${KM_NPM_CACHE:-${HOME:-/root}/.cache/keymail-npm}
	mkdir -p "$T/npm"
	if ! (cd "$T/npm" && timeout 180 npm install --silent --no-audit --no-fund \
	    --prefer-offline --fetch-retries=1 --fetch-timeout=30000 \
	    --cache "$_cache" openpgp@6 >"$T/npm.log" 2>&1) ||
	    [ ! -f "$T/npm/node_modules/openpgp/package.json" ]; then
		echo "NOTE: could not install openpgp@6 from npm (no network?): $1 not run"
		km_done
		exit 0
	fi
	export NODE_PATH="$T/npm/node_modules"
	OPENPGPJS_VERSION=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$T/npm/node_modules/openpgp/package.json" | head -n 1)
	case $OPENPGPJS_VERSION in
	6.*) ;;
	*) notok "openpgp@6 installed version $OPENPGPJS_VERSION"; km_done; exit 1 ;;
	esac
}

# km_rfc9580_v6_key PUB SEC: the v6 test key of RFC 9580 Appendix A.3
# (certificate, no user ID) into PUB and A.4 (its unencrypted secret key)
# into SEC, both armored.
km_rfc9580_v6_key() {
	cat > "$1" <<'EOK'
-----BEGIN PGP PUBLIC KEY BLOCK-----

xioGY4d/4xsAAAAg+U2nu0jWCmHlZ3BqZYfQMxmZu52JGggkLq2EVD34laPCsQYf
GwoAAABCBYJjh3/jAwsJBwUVCg4IDAIWAAKbAwIeCSIhBssYbE8GCaaX5NUt+mxy
KwwfHifBilZwj2Ul7Ce62azJBScJAgcCAAAAAK0oIBA+LX0ifsDm185Ecds2v8lw
gyU2kCcUmKfvBXbAf6rhRYWzuQOwEn7E/aLwIwRaLsdry0+VcallHhSu4RN6HWaE
QsiPlR4zxP/TP7mhfVEe7XWPxtnMUMtf15OyA51YBM4qBmOHf+MZAAAAIIaTJINn
+eUBXbki+PSAld2nhJh/LVmFsS+60WyvXkQ1wpsGGBsKAAAALAWCY4d/4wKbDCIh
BssYbE8GCaaX5NUt+mxyKwwfHifBilZwj2Ul7Ce62azJAAAAAAQBIKbpGG2dWTX8
j+VjFM21J0hqWlEg+bdiojWnKfA5AQpWUWtnNwDEM0g12vYxoWM8Y81W+bHBw805
I8kWVkXU6vFOi+HWvv/ira7ofJu16NnoUkhclkUrk0mXubZvyl4GBg==
-----END PGP PUBLIC KEY BLOCK-----
EOK
	cat > "$2" <<'EOK'
-----BEGIN PGP PRIVATE KEY BLOCK-----

xUsGY4d/4xsAAAAg+U2nu0jWCmHlZ3BqZYfQMxmZu52JGggkLq2EVD34laMAGXKB
exK+cH6NX1hs5hNhIB00TrJmosgv3mg1ditlsLfCsQYfGwoAAABCBYJjh3/jAwsJ
BwUVCg4IDAIWAAKbAwIeCSIhBssYbE8GCaaX5NUt+mxyKwwfHifBilZwj2Ul7Ce6
2azJBScJAgcCAAAAAK0oIBA+LX0ifsDm185Ecds2v8lwgyU2kCcUmKfvBXbAf6rh
RYWzuQOwEn7E/aLwIwRaLsdry0+VcallHhSu4RN6HWaEQsiPlR4zxP/TP7mhfVEe
7XWPxtnMUMtf15OyA51YBMdLBmOHf+MZAAAAIIaTJINn+eUBXbki+PSAld2nhJh/
LVmFsS+60WyvXkQ1AE1gCk95TUR3XFeibg/u/tVY6a//1q0NWC1X+yui3O24wpsG
GBsKAAAALAWCY4d/4wKbDCIhBssYbE8GCaaX5NUt+mxyKwwfHifBilZwj2Ul7Ce6
2azJAAAAAAQBIKbpGG2dWTX8j+VjFM21J0hqWlEg+bdiojWnKfA5AQpWUWtnNwDE
M0g12vYxoWM8Y81W+bHBw805I8kWVkXU6vFOi+HWvv/ira7ofJu16NnoUkhclkUr
k0mXubZvyl4GBg==
-----END PGP PRIVATE KEY BLOCK-----
EOK
}
