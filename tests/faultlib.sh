# tests/faultlib.sh - helpers for the fault tests (tests/e2e/4*.sh), sourced
# after tests/lib.sh.
#
# Tests that stop or kill PostgreSQL must not touch the run's shared server:
# fl_pg_start starts a private one under $T/pg (scripts/pg.sh), stopped
# again when the test exits. fl_db makes a database in it with keymail's
# schema; fl_dump prints a database's key store as text that does not
# depend on timing (no timestamps, no ids), so two stores can be compared
# with cmp: the state after a fault and a retry against a clean run.
# fl_hold / fl_release park keymail at a chosen point of a transaction (by
# holding a lock it will wait for); fl_wait_blocked waits, by looking at
# pg_stat_activity, until it is parked there. Nothing here measures time:
# every wait is for a state, with a generous cap on the number of polls.

FL_PG=

fl_pg_start() {
	FL_PG=$(sh "$KM_TOP/scripts/pg.sh" start "$T/pg") || { notok "private PostgreSQL did not start"; km_done; exit 1; }
	FL_PG=${FL_PG% dbname=keymail}
	trap 'sh "$KM_TOP/scripts/pg.sh" stop "$T/pg" >/dev/null 2>&1' EXIT
}
fl_pg_stop() { sh "$KM_TOP/scripts/pg.sh" stop "$T/pg" >/dev/null 2>&1; }
fl_pg_kill() { sh "$KM_TOP/scripts/pg.sh" kill "$T/pg" >/dev/null 2>&1; }
fl_pg_restart() { sh "$KM_TOP/scripts/pg.sh" start "$T/pg" >/dev/null || notok "private PostgreSQL did not restart"; }

# fl_db NAME: a database NAME with keymail's schema in the private server
# (or, with FL_PG empty, in the run's server).
fl_db() {
	srv=${FL_PG:-$KM_TEST_PG}
	psql "$srv dbname=postgres" -qAtc "create database $1" >/dev/null || { notok "createdb $1"; return 1; }
	fl_conf "$srv dbname=$1" "$T/$1.conf"
	KEYMAIL_CONF=$T/$1.conf "$KEYMAIL" initdb >/dev/null || notok "initdb $1"
}

# fl_conf CONNINFO FILE [MAILER]: a configuration for that database; replies
# go to $T/outbox (one file each, unique names in the order of arrival, safe
# with many filters at once: km_capture_script) unless MAILER is given.
fl_conf() {
	mkdir -p "$T/outbox"
	km_give "$T/outbox"
	[ -x "$T/fl-capture.sh" ] || km_capture_script "$T/fl-capture.sh"
	cat >"$2" <<EOC
database = $1
address = pgp-public-keys@keys.test.example
sendmail = ${3:-$T/fl-capture.sh}
help_dir = $KM_HELP
EOC
	chmod 644 "$2"
}

fl_psql() { db=$1; shift; psql "${FL_PG:-$KM_TEST_PG} dbname=$db" -qAt "$@"; }

# fl_dump DB: the store as sorted text lines: keys (fingerprint, sha256 of
# the canonical blob, row summary), key IDs, search words, and the tables
# later migrations added if they exist (key_uids, sync_queue key set).
fl_dump() {
	fl_psql "$1" <<'EOS'
SELECT 'key ' || encode(fingerprint, 'hex') || ' ' || encode(sha256(data), 'hex')
    || ' v' || version || ' a' || algo || ' b' || bits || ' r' || revoked
    || ' e' || coalesce(extract(epoch FROM expires)::bigint::text, '-')
    || ' u' || coalesce(md5(primary_uid), '-')
    FROM keys ORDER BY 1;
SELECT 'kid ' || encode(k.fingerprint, 'hex') || ' ' || encode(i.fingerprint, 'hex')
    || ' ' || encode(i.keyid, 'hex') || ' ' || i.short_id || ' ' || i.is_subkey
    FROM keyids i JOIN keys k ON k.id = i.key_id ORDER BY 1;
SELECT 'word ' || encode(k.fingerprint, 'hex') || ' ' || w.word
    FROM key_words w JOIN keys k ON k.id = w.key_id ORDER BY 1;
SELECT 'nkeys ' || count(*) FROM keys;
EOS
	if [ "$(fl_psql "$1" -c "select to_regclass('key_uids') is not null")" = t ]; then
		fl_psql "$1" -c "SELECT 'uid ' || encode(k.fingerprint, 'hex') || ' ' || md5(u.uid)
		    FROM key_uids u JOIN keys k ON k.id = u.key_id ORDER BY 1"
	fi
}

# fl_keydata DB FILE: every stored key blob, concatenated (binary OpenPGP,
# what gpg --import reads), without going through keymail's own output.
fl_keydata() {
	fl_psql "$1" -c "select encode(data, 'hex') from keys order by id" | tr -d '\n' | xxd -r -p > "$2"
}

# fl_gpg_summary: per key in $GNUPGHOME: fingerprint, user IDs, subkeys and
# every signature (issuer, class, creation time) under its user ID, sorted;
# the view of GnuPG, not of keymail.
fl_gpg_summary() {
	gpg --with-colons --fixed-list-mode --list-sigs 2>/dev/null | awk -F: '
	    $1 == "pub" { pub = 1; fpr = ""; next }
	    $1 == "fpr" && pub { fpr = $10; pub = 0; next }
	    $1 == "uid" { uid = $10; print fpr " uid " uid; next }
	    $1 == "sub" { sub_ = 1; next }
	    $1 == "fpr" && sub_ { print fpr " sub " $10; sub_ = 0; uid = "(subkey)"; next }
	    $1 == "sig" || $1 == "rev" { print fpr " sig [" uid "] " $5 " " $11 " " $6 }' | sort
}

# fl_hold DB SQL...: run SQL in a transaction in a background session named
# km_holder and keep it open (holding whatever locks SQL took) until
# fl_release.
fl_hold() {
	db=$1; shift
	{ echo "BEGIN;"; for s in "$@"; do echo "$s;"; done; echo "SELECT pg_sleep(600);"; } |
	    psql "${FL_PG:-$KM_TEST_PG} dbname=$db application_name=km_holder" -qAt >/dev/null 2>&1 &
	FL_HOLDER=$!
	i=0
	while [ "$(fl_psql "$db" -c "select count(*) from pg_stat_activity where application_name = 'km_holder' and query like '%pg_sleep%'")" != 1 ]; do
		i=$((i + 1)); [ $i -gt 600 ] && { notok "lock holder did not start"; return 1; }
		sleep 0.1
	done
}
fl_release() {
	fl_psql "$1" -c "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'km_holder'" >/dev/null 2>&1
	wait "$FL_HOLDER" 2>/dev/null
}

# fl_wait_blocked DB N: until N keymail sessions of DB wait for a lock.
fl_wait_blocked() {
	i=0
	while [ "$(fl_psql "$1" -c "select count(*) from pg_stat_activity where application_name = 'keymail' and datname = '$1' and wait_event_type = 'Lock'")" != "$2" ]; do
		i=$((i + 1)); [ $i -gt 600 ] && { notok "keymail did not reach the lock (want $2 waiting)"; return 1; }
		sleep 0.1
	done
}
# fl_wait_gone DB: until no keymail session of DB is left on the server.
fl_wait_gone() {
	i=0
	while [ "$(fl_psql "$1" -c "select count(*) from pg_stat_activity where application_name = 'keymail' and datname = '$1'")" != 0 ]; do
		i=$((i + 1)); [ $i -gt 600 ] && { notok "keymail sessions still there"; return 1; }
		sleep 0.1
	done
}

# fl_genkeys N PREFIX: N ed25519 keys with a cv25519 subkey in $GNUPGHOME,
# user IDs "PREFIX NNN <prefixNNN@example.org>", in one gpg run.
fl_genkeys() {
	i=1
	while [ $i -le "$1" ]; do
		n=$(printf %03d $i)
		printf 'Key-Type: eddsa\nKey-Curve: ed25519\nKey-Usage: sign\nSubkey-Type: ecdh\nSubkey-Curve: cv25519\nSubkey-Usage: encrypt\nName-Real: %s %s\nName-Email: %s%s@example.org\nExpire-Date: 0\n%%no-protection\n%%commit\n' "$2" "$n" "$2" "$n"
		i=$((i + 1))
	done > "$T/genkeys.params"
	gpg --batch --gen-key "$T/genkeys.params" >/dev/null 2>&1 || notok "gpg key generation"
}

# fl_mail OUT SUBJECT BODYFILE: an ADD-style mail with a unique Message-ID.
fl_mail() { km_mail "$1" "$2" "${3:-}" "${4:-Fault Tester <fault@example.org>}"; }

fl_nout() { ls "$T/outbox" 2>/dev/null | wc -l; }
