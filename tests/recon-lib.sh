# tests/recon-lib.sh - helpers for the reconciliation tests
# (tests/e2e/7NN-*.sh), sourced after tests/lib.sh. The setup of
# reconciliation.md 15: one PostgreSQL, instances with their own database,
# configuration, address and server key, mail filed by a capture mailer
# and carried by tests/recon-shuttle.py.
#
# recon_instance NAME: database km_recon_NAME_$KM_ID, $T/NAME.conf
#   (address pgp-public-keys@NAME.keys.test, server_key
#   $T/NAME/server-key, sendmail $T/capture.sh), initdb, `keymail
#   serverkey`; sets FPR_NAME. Extra configuration lines: $RECON_CONF_EXTRA.
# recon_pair A B: two instances naming each other as recon_peer, each
#   holding the other's public key (keymail get on one side, keymail
#   import on the other).
# recon_shuttle [ARGS...]: recon-shuttle.py between them; sets $rc.
# recon_run NAME [ARGS...]: `keymail recon` of NAME (log in $T/NAME.conf.log).
# recon_time OFFSET: the clock for the next commands, OFFSET seconds from
#   the start of the test, through both faketime and KEYMAIL_NOW (spec 4.3).

RECON_NOW0=$(date +%s)
RECON_OFFSET=0
KMGEN=$KM_BUILD/bench/kmgen

mkdir -p "$T/outbox"
km_give "$T/outbox"
cat >"$T/capture.sh" <<EOC
#!/bin/sh
# test mailer: file each message under the outbox, numbered in order;
# \$T/mailer.fail makes it fail temporarily, \$T/mailer.hang hang.
if [ -e "$T/mailer.fail" ]; then cat >/dev/null; exit 75; fi
if [ -e "$T/mailer.hang" ]; then
	echo \$\$ >"$T/mailer.hanging"
	while [ -e "$T/mailer.hang" ]; do sleep 0.1; done
fi
exec 9>>"$T/outbox/.lock"
flock 9
n=\$(cat "$T/outbox/.seq" 2>/dev/null || echo 0)
n=\$((n + 1))
cat >"$T/outbox/.tmp"
mv "$T/outbox/.tmp" "$T/outbox/\$(printf %06d \$n).eml"
echo \$n >"$T/outbox/.seq"
EOC
chmod 755 "$T/capture.sh"

recon_db() { echo "km_recon_$1_$KM_ID"; }
recon_psql() { psql "$KM_TEST_PG dbname=$(recon_db "$1")" -qAtc "$2"; }

recon_instance() {
	_n=$1
	psql "$KM_TEST_PG dbname=postgres" -qAtc "create database $(recon_db "$_n")" >/dev/null ||
	    { notok "createdb $_n"; return 1; }
	mkdir -p "$T/$_n"
	chmod 700 "$T/$_n"
	km_give "$T/$_n"
	{
		echo "database = $KM_TEST_PG dbname=$(recon_db "$_n")"
		echo "address = pgp-public-keys@$_n.keys.test"
		echo "sendmail = $T/capture.sh"
		echo "help_dir = ${KM_HELP:-$KM_TOP/help}"
		echo "server_key = $T/$_n/server-key"
		echo "max_replies_per_hour = 1000000"
		[ -n "${RECON_CONF_EXTRA:-}" ] && printf '%s\n' "$RECON_CONF_EXTRA"
	} >"$T/$_n.conf"
	"$KEYMAIL" -c "$T/$_n.conf" initdb >/dev/null 2>&1 || { notok "initdb $_n"; return 1; }
	_f=$(KEYMAIL_NOW=$(recon_now) "$KEYMAIL" -c "$T/$_n.conf" serverkey 2>>"$T/$_n.conf.log") ||
	    { notok "serverkey $_n"; return 1; }
	eval "FPR_$_n=$_f"
}

recon_pair() {
	recon_instance "$1" || return 1
	recon_instance "$2" || return 1
	eval "_fa=\$FPR_$1; _fb=\$FPR_$2"
	echo "recon_peer = pgp-public-keys@$2.keys.test $_fb" >>"$T/$1.conf"
	echo "recon_peer = pgp-public-keys@$1.keys.test $_fa" >>"$T/$2.conf"
	"$KEYMAIL" -c "$T/$1.conf" get "0x$_fa" >"$T/$1.pub" &&
	"$KEYMAIL" -c "$T/$2.conf" import -q <"$T/$1.pub" 2>>"$T/$2.conf.log" &&
	"$KEYMAIL" -c "$T/$2.conf" get "0x$_fb" >"$T/$2.pub" &&
	"$KEYMAIL" -c "$T/$1.conf" import -q <"$T/$2.pub" 2>>"$T/$1.conf.log" ||
	    { notok "exchanging server keys"; return 1; }
	RECON_A=$1 RECON_B=$2
}

recon_time() {
	RECON_OFFSET=$1
}

# The clock the next keymail runs see (spec 4.3): faketime's library
# preloaded into the real binary (inside the switch to the keymail user)
# and KEYMAIL_NOW, moved by the same offset. Not the faketime wrapper: it
# makes a named semaphore and shared memory per run, /dev/shm/faketime_*_PID,
# that a run killed with SIGKILL (710) leaves behind, and a later wrapper
# whose PID repeats that one fails with "sem_open: File exists" (exit 1).
# Without the wrapper libfaketime shares nothing between processes.
RECON_LIBFAKETIME=
for _l in /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1; do
	[ -e "$_l" ] && { RECON_LIBFAKETIME=$_l; break; }
done
recon_now() { echo $((RECON_NOW0 + RECON_OFFSET)); }
# Under AddressSanitizer (make asan) the allocator's first use of a size
# class reads CLOCK_MONOTONIC, which libfaketime answers; before its
# constructor has run, libfaketime then initialises itself with dlsym,
# which mallocs into the same size class and waits forever on the lock
# the allocator holds (every keymail run hung). With the release-to-OS
# interval off the allocator never reads the clock; other builds ignore
# ASAN_OPTIONS.
RECON_ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_release_to_os_interval_ms=-1
recon_prefix() { echo "${KM_EXEC_PREFIX:+$KM_EXEC_PREFIX }env ASAN_OPTIONS=$RECON_ASAN_OPTIONS LD_PRELOAD=$RECON_LIBFAKETIME FAKETIME=+${RECON_OFFSET}s"; }

recon_shuttle() {
	$PY "$KM_TOP/tests/recon-shuttle.py" --outbox "$T/outbox" --keymail "$KEYMAIL" \
	    --route "pgp-public-keys@$RECON_A.keys.test=$T/$RECON_A.conf" \
	    --route "pgp-public-keys@$RECON_B.keys.test=$T/$RECON_B.conf" \
	    --log "$T/shuttle.log" --env "KEYMAIL_NOW=$(recon_now)" \
	    --env "KM_EXEC_PREFIX=$(recon_prefix)" \
	    --hang-file "$T/mailer.hang" --hanging-file "$T/mailer.hanging" \
	    --fail-file "$T/mailer.fail" "$@"
	rc=$?
}

recon_run() {
	_n=$1
	shift
	KEYMAIL_NOW=$(recon_now) KM_EXEC_PREFIX=$(recon_prefix) \
	    "$KEYMAIL" -c "$T/$_n.conf" recon "$@" >"$T/recon.out" 2>>"$T/$_n.conf.log"
	rc=$?
}

# The end lines of sessions in NAME's log.
recon_ends() { grep -h '^keymail: recon: session .* (\(initiator\|responder\)) ' "$T/$1.conf.log" 2>/dev/null; }
# recon_template: keep both databases as they are now, as templates.
# recon_reset: both databases back to the templates, the outbox, the
# shuttle's state and the logs emptied, the clock back at the start.
recon_template() {
	for _n in "$RECON_A" "$RECON_B"; do
		psql "$KM_TEST_PG dbname=postgres" -qAtc "create database km_tpl_${_n}_$KM_ID template $(recon_db "$_n")" >/dev/null ||
		    notok "template of $_n"
	done
}
recon_reset() {
	for _n in "$RECON_A" "$RECON_B"; do
		psql "$KM_TEST_PG dbname=postgres" -qAtc "drop database $(recon_db "$_n") with (force)" >/dev/null &&
		psql "$KM_TEST_PG dbname=postgres" -qAtc "create database $(recon_db "$_n") template km_tpl_${_n}_$KM_ID" >/dev/null ||
		    notok "reset of $_n"
		: >"$T/$_n.conf.log"
	done
	rm -f "$T"/outbox/*.eml "$T/outbox/.seq" "$T/outbox/.done" "$T/mailer.hang" "$T/mailer.fail"
	: >"$T/shuttle.log"
	RECON_OFFSET=0
}

# end_has NAME PATTERN: an end line of NAME matches; end_last: the last one.
end_has() { recon_ends "$1" | grep -q "$2"; }
end_last() { recon_ends "$1" | tail -n 1 | grep -q "$2"; }
# Control mails and their octets in the shuttle log since line N.
recon_control_mails() { awk -F'\t' -v from="${1:-0}" 'NR > from && $3 ~ /^RECON / && $6 != "duplicate" && $6 != "held"' "$T/shuttle.log" | wc -l; }
recon_control_bytes() { awk -F'\t' -v from="${1:-0}" 'NR > from && $3 ~ /^RECON / && $6 != "duplicate" {s += $5} END {print s + 0}' "$T/shuttle.log"; }
# Fingerprints carried by the incrementals delivered to ADDRESS since
# line N of the shuttle log, read by GnuPG (one per line, unsorted).
recon_carried() {
	awk -F'\t' -v from="${2:-0}" -v to="$1" 'NR > from && $3 == "incremental" && $2 == to && ($6 == "delivered" || $6 == "held") {print $1}' "$T/shuttle.log" |
	while read -r f; do
		gpg --batch --with-colons --import-options show-only --import "$T/outbox/$f" 2>/dev/null |
		    awk -F: '$1 == "pub" {want = 1} $1 == "fpr" && want {print $10; want = 0}'
	done
}
recon_export_same() {
	"$KEYMAIL" -c "$T/$1.conf" export >"$T/$1.export" 2>/dev/null &&
	"$KEYMAIL" -c "$T/$2.conf" export >"$T/$2.export" 2>/dev/null &&
	cmp -s "$T/$1.export" "$T/$2.export"
}
