# keymail serve with a real streaming hot standby (server.md 7), made with
# pg_basebackup -R from the test's own primary (scripts/pg.sh standby):
#  - lookups (HKP and LMTP GET) are served from the standby: its keymail
#    session ran them;
#  - a key added on the primary (over HKP) appears there after replication;
#  - with the primary stopped, lookups go on from the standby, while
#    /pks/add answers 503 and LMTP messages 451 (their reply counter needs
#    the primary), unless no reply limit is set (then LMTP GET is answered
#    from the standby); after the primary's restart writes work again without
#    a server restart;
#  - with the standby stopped, lookups fall back to the primary in the
#    same request, and that is logged once.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/faultlib.sh"
. "$KM_TOP/tests/serve-lib.sh"
fl_pg_start
stop_all() {
	sv_cleanup
	sh "$KM_TOP/scripts/pg.sh" stop "$T/pgs" >/dev/null 2>&1
	sh "$KM_TOP/scripts/pg.sh" stop "$T/pg" >/dev/null 2>&1
}
trap stop_all EXIT
fl_db sb
km_gpg_init
km_gpg_genkey ed25519 'Sandy Standby <sandy@example.org>'
km_gpg_genkey ed25519 'Percy Primary <percy@example.org>'
f1=$(km_gpg_fpr sandy@example.org)
f2=$(km_gpg_fpr percy@example.org)
gpg --armor --export "$f1" > "$T/k1.asc"
gpg --armor --export "$f2" > "$T/k2.asc"
fl_mail "$T/add1.eml" ADD "$T/k1.asc"
KEYMAIL_CONF=$T/sb.conf "$KEYMAIL" filter < "$T/add1.eml" 2>/dev/null
check_eq "key 1 added on the primary" $? 0

# The standby: a base backup of the primary, streaming from it.
sconn=$(sh "$KM_TOP/scripts/pg.sh" standby "$T/pgs" "$T/pg") || { notok "standby did not start"; km_done; exit 1; }
SB=${sconn% dbname=keymail}
sbq() { psql "$SB dbname=sb" -qAt "$@"; }
check_eq "the standby is in recovery" "$(sbq -c 'select pg_is_in_recovery()')" t
check "key 1 is on the standby" sv_wait sh -c "[ \"\$(psql '$SB dbname=sb' -qAtc 'select count(*) from keys')\" = 1 ]"

export KEYMAIL_CONF=$T/sb.conf
SOCK=$T/lmtp.sock
sv_conf "hkp_listen = 127.0.0.1:0" "lmtp_listen = $SOCK" "serve_workers = 1" \
    "database_ro = $SB dbname=sb connect_timeout=2" "max_replies_per_hour = 1000"
sv_start || { km_done; exit 1; }
LC() { $PY "$KM_TOP/tests/lmtp-client.py" "$SOCK" "$@"; }
ranhere() {	# ranhere APP: the standby's session of APP last ran a key lookup
	sbq -c "select query from pg_stat_activity where application_name = '$1'" | grep -qi 'from keys'
}

check_eq "HKP lookup of key 1" "$(hkp_get "/pks/lookup?op=get&options=mr&search=0x$f1")" 200
check "the HKP worker's lookup ran on the standby" ranhere keymail/hkp
check_eq "the standby session is read-only" "$(sbq -c "select count(*) from pg_stat_activity where application_name = 'keymail/hkp'")" 1
fl_mail "$T/get1.eml" "GET 0x$f1"
r0=$(fl_psql sb -c 'select coalesce(sum(count), 0) from reply_log where address = '\''fault@example.org'\''')
LC "$T/get1.eml" > "$T/c1.out"
check "LMTP GET: 250" grep -q '^END 250 2.0.0 Ok: GET done$' "$T/c1.out"
check "the LMTP worker's lookup ran on the standby" ranhere keymail/lmtp
check "the reply carries key 1" grep -q 'BEGIN PGP PUBLIC KEY BLOCK' "$(ls "$T"/outbox/* | tail -n 1)"
check_eq "the reply was counted on the primary" "$(fl_psql sb -c 'select coalesce(sum(count), 0) from reply_log where address = '\''fault@example.org'\''')" "$((r0 + 1))"

# A key added on the primary appears on the standby.
st=$(curl -s -o "$T/body" -w '%{http_code}' --data-urlencode "keytext@$T/k2.asc" "http://127.0.0.1:$SV_PORT/pks/add")
check_eq "HKP add (on the primary)" "$st" 200
check_eq "the primary has key 2 at once" "$(fl_psql sb -c 'select count(*) from keys')" 2
found2() { [ "$(hkp_get "/pks/lookup?op=get&search=0x$f2")" = 200 ]; }
check "key 2 is served from the standby after replication" sv_wait found2

# The primary stopped: lookups go on, writes get 503 and 451.
fl_pg_stop
check_eq "primary down: HKP lookup" "$(hkp_get "/pks/lookup?op=get&options=mr&search=0x$f1")" 200
check_eq "primary down: index" "$(hkp_get "/pks/lookup?op=index&options=mr&search=percy")" 200
check_eq "primary down: stats" "$(hkp_get "/pks/lookup?op=stats")" 200
check_eq "primary down: VKS" "$(hkp_get "/vks/v1/by-email/sandy%40example.org")" 200
st=$(curl -s -D "$T/headers" -o "$T/body" -w '%{http_code}' --data-urlencode "keytext@$T/k1.asc" "http://127.0.0.1:$SV_PORT/pks/add")
check_eq "primary down: /pks/add 503" "$st" 503
check_eq "503 Retry-After" "$(hkp_header Retry-After)" 30
LC "$T/get1.eml" > "$T/c2.out"
check "primary down: LMTP GET 451 (the reply counter needs it)" grep -q '^END 451 4.3.0' "$T/c2.out"
# With no reply limit at all nothing needs the primary: a reload, and the
# LMTP GET is answered from the standby (its policy check too).
sv_conf "max_replies_per_hour = 0" "max_domain_replies_per_hour = 0" "max_total_replies_per_hour = 0"
kill -HUP "$SV_PID"
check "reload is logged" sv_wait sv_log_has 'serve: reloading configuration'
n0=$(fl_nout)
lmtp_250() { LC "$T/get1.eml" > "$T/c2b.out"; grep -q '^END 250 2.0.0 Ok: GET done$' "$T/c2b.out"; }
check "primary down, no reply limits: LMTP GET 250 from the standby" sv_wait lmtp_250
check_eq "and it was answered" "$(fl_nout)" "$((n0 + 1))"
fl_pg_restart
check_eq "primary back: /pks/add works again" "$(curl -s -o /dev/null -w '%{http_code}' --data-urlencode "keytext@$T/k1.asc" "http://127.0.0.1:$SV_PORT/pks/add")" 200
LC "$T/get1.eml" > "$T/c3.out"
check "primary back: LMTP GET 250" grep -q '^END 250 2.0.0 Ok: GET done$' "$T/c3.out"

# The standby stopped: lookups fall back to the primary in the same request.
sh "$KM_TOP/scripts/pg.sh" stop "$T/pgs" >/dev/null 2>&1
check_eq "standby down: HKP lookup answered from the primary" "$(hkp_get "/pks/lookup?op=get&options=mr&search=0x$f2")" 200
check_eq "standby down: again" "$(hkp_get "/pks/lookup?op=get&options=mr&search=0x$f1")" 200
LC "$T/get1.eml" > "$T/c4.out"
check "standby down: LMTP GET 250" grep -q '^END 250 2.0.0 Ok: GET done$' "$T/c4.out"
check_eq "the HKP worker logged the standby's loss once" "$(sv_log_count 'database_ro: .*lookups go to the primary')" 2
sv_stop
check_eq "exit 0" "$sv_rc" 0
km_done
