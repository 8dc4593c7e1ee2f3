# tests/sync-lib.sh - helpers for the peer-sync tests (tests/e2e/2NN-*.sh),
# sourced after tests/lib.sh.
#
# sync_instance NAME [PEER...]: a keymail instance with its own database
#   km_sync_NAME_$KM_ID and config $T/NAME.conf, address
#   pgp-public-keys@NAME.test, one "peer = ..." line per PEER argument
#   (a PEER is "ADDRESS [profile]"), mailing through $SYNC_SENDMAIL
#   (default: the router's msmtp, see sync_router_start).
# sync_router_start NAME...: tests/smtp-router.py on a port of its own choosing, routing
#   pgp-public-keys@NAME.test to $T/NAME.conf; msmtprc in $T/msmtprc.
# sync_edges [N]: from the router log (after its first N lines), lines
#   "FROM RCPT FPR" per incremental (FPR read from the delivered message
#   by GnuPG, not by keymail).

# tests/lib.sh of this tree may or may not hand files to a keymail user.
command -v km_give >/dev/null 2>&1 || km_give() { :; }

SYNC_SENDMAIL=
_router_pid=
# The router must not outlive a test that stops early.
trap 'sync_router_stop' EXIT

sync_router_start() {
	_rargs=
	for n in "$@"; do
		_rargs="$_rargs --route pgp-public-keys@$n.test=$T/$n.conf"
	done
	mkdir -p "$T/spool"
	rm -f "$T/router.port"
	# shellcheck disable=SC2086
	$PY "$KM_TOP/tests/smtp-router.py" --port-file "$T/router.port" --log "$T/router.log" \
	    --spool "$T/spool" --keymail "$KEYMAIL" $_rargs >"$T/router.out" 2>&1 &
	_router_pid=$!
	km_wait_port_file "$T/router.port" "$_router_pid" "SMTP router" "$T/router.out" || return 1
	_rport=$(cat "$T/router.port")
	cat >"$T/msmtprc" <<EOC
defaults
auth off
tls off
logfile $T/msmtp.log
account default
host 127.0.0.1
port $_rport
EOC
	chmod 600 "$T/msmtprc"
	: >"$T/msmtp.log"
	km_give "$T/msmtprc" "$T/msmtp.log"
	SYNC_SENDMAIL="$(command -v msmtp) -C $T/msmtprc -t --from="
}

sync_router_stop() {
	if [ -n "${_router_pid:-}" ]; then
		kill "$_router_pid" 2>/dev/null
		wait "$_router_pid" 2>/dev/null
	fi
	_router_pid=
}

sync_instance() {
	_n=$1; shift
	_db=km_sync_${_n}_$KM_ID
	psql "$KM_TEST_PG dbname=postgres" -qAtc "create database $_db" >/dev/null ||
	    { notok "createdb $_db"; return 1; }
	{
		echo "database = $KM_TEST_PG dbname=$_db"
		echo "address = pgp-public-keys@$_n.test"
		echo "sendmail = ${SYNC_SENDMAIL:-$T/capture.sh}"
		echo "help_dir = ${KM_HELP:-$KM_TOP/help}"
		for p in "$@"; do echo "peer = $p"; done
	} >"$T/$_n.conf"
	"$KEYMAIL" -c "$T/$_n.conf" initdb >/dev/null 2>&1 || { notok "initdb $_n"; return 1; }
}

# sync_psql NAME SQL: a query on instance NAME's database
sync_psql() { psql "$KM_TEST_PG dbname=km_sync_$1_$KM_ID" -qAtc "$2"; }

# sync_run NAME: one `keymail sync` of instance NAME; sets $rc
sync_run() { "$KEYMAIL" -c "$T/$1.conf" sync -v >>"$T/sync-$1.log" 2>&1; rc=$?; }

# sync_until_quiet NAME...: sync every instance in turn until a whole
# round adds nothing to the router log (at most 8 rounds); sets $rounds
# (0 if it never settled) and $sync_rc (the first non-zero sync exit).
sync_until_quiet() {
	rounds=0; sync_rc=0
	_r=1
	while [ $_r -le 8 ]; do
		_before=$(wc -l <"$T/router.log")
		for n in "$@"; do
			sync_run "$n"
			[ "$rc" -ne 0 ] && [ "$sync_rc" -eq 0 ] && sync_rc=$rc
		done
		if [ "$(wc -l <"$T/router.log")" -eq "$_before" ]; then
			rounds=$_r
			return 0
		fi
		_r=$((_r + 1))
	done
	return 1
}

# The fingerprints of the keys in a message, by GnuPG (one per line).
msg_fprs() {
	gpg --batch --with-colons --import-options show-only --import "$1" 2>/dev/null |
	    awk -F: '$1 == "pub" {want = 1} $1 == "fpr" && want {print $10; want = 0}'
}

sync_edges() {
	awk -F'\t' -v from="${1:-0}" 'NR > from && $5 == "incremental" {print $4 "\t" $3 "\t" $9}' "$T/router.log" |
	while IFS="$(printf '\t')" read -r from rcpt file; do
		for f in $(msg_fprs "$file"); do
			printf '%s %s %s\n' "$from" "$rcpt" "$f"
		done
	done
}

# sync_has NAME FPR: does instance NAME serve the key (keymail get)?
sync_has() { "$KEYMAIL" -c "$T/$1.conf" get "0x$2" >"$T/has.asc" 2>/dev/null; }
