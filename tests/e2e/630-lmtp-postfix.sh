# keymail serve's LMTP behind a real Postfix (server.md 6.3): a private
# Postfix instance under $T/pf (its own main.cf, master.cf without chroot,
# queue and log; SMTP on a free port of 127.0.0.1, nothing else) routes
# the robot address to lmtp:unix:$T/pf/lmtp.sock.
#  - ADD and GET mailed by SMTP reach keymail through Postfix's lmtp(8)
#    client; Postfix logs status=sent with our 250 reply; the replies
#    leave through the mailer;
#  - with PostgreSQL stopped, Postfix gets 451, defers the mail and keeps
#    it; after the restart a queue flush delivers it and the key is
#    stored.
# Postfix's master must start as root: run as another user, or without
# Postfix installed, the test says so (NOTE) and runs nothing.
. "$KM_TOP/tests/lib.sh"
if [ "$(id -u)" != 0 ] || [ ! -x /usr/sbin/postfix ] || [ ! -x /usr/lib/postfix/sbin/master ]; then
	echo "NOTE: Postfix LMTP test not run (needs root and the postfix package); 0 of 14 checks run"
	km_done; exit 0
fi
. "$KM_TOP/tests/faultlib.sh"
. "$KM_TOP/tests/serve-lib.sh"
fl_pg_start
PF=$T/pf
pf_stop() { postfix -c "$PF/etc" stop >/dev/null 2>&1; }
trap 'pf_stop; sv_cleanup; sh "$KM_TOP/scripts/pg.sh" stop "$T/pg" >/dev/null 2>&1' EXIT

fl_db pfx
export KEYMAIL_CONF=$T/pfx.conf
sv_conf "lmtp_listen = $PF/lmtp.sock" "serve_workers = 2"
mkdir -p "$PF/etc" "$PF/spool" "$PF/data"
chown postfix "$PF/data"
chmod 755 "$PF"
km_give "$PF"	# keymail makes its socket here; Postfix's lmtp(8) connects to it
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$PF/etc/main.cf" <<EOC
compatibility_level = 3.6
queue_directory = $PF/spool
data_directory = $PF/data
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
myhostname = mx.test.example
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains = keys.test.example
smtpd_relay_restrictions = permit_mynetworks, reject
transport_maps = inline:{ pgp-public-keys@keys.test.example=lmtp:unix:$PF/lmtp.sock }
default_transport = error:no outside mail in this test
local_transport = error:no local mail in this test
alias_maps =
alias_database =
# retry soon after a deferral (the test flushes the queue itself anyway)
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
EOC
cat > "$PF/etc/master.cf" <<EOC
127.0.0.1:$port inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
lmtp      unix  - - n - - lmtp
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
EOC
postfix -c "$PF/etc" start >"$T/pf.start" 2>&1 || { notok "private Postfix did not start"; cat "$T/pf.start" "$PF/maillog"; km_done; exit 1; }
sv_start || { km_done; exit 1; }

# smtp FILE: submit a mail to the private Postfix by SMTP
smtp() { $PY - "$port" "$1" <<'PY'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=60)
s.sendmail("alice@example.org", ["pgp-public-keys@keys.test.example"], open(sys.argv[2], "rb").read())
s.quit()
PY
}
pflog() { grep -cE "$1" "$PF/maillog" 2>/dev/null; }
pf_has() { [ "$(pflog "$1")" -ge "$2" ]; }

km_gpg_init
km_gpg_genkey ed25519 'Polly Postfix <polly@example.org>'
fpr=$(km_gpg_fpr polly@example.org)
gpg --armor --export "$fpr" > "$T/polly.asc"
fl_mail "$T/add.eml" ADD "$T/polly.asc"
fl_mail "$T/get.eml" "GET 0x$fpr"

n0=$(fl_nout)
smtp "$T/add.eml"; check_eq "SMTP submission of the ADD" $? 0
check "Postfix delivered it by LMTP: our 250" sv_wait pf_has 'status=sent \(250 2\.0\.0 Ok: ADD done\)' 1
check "keymail logged the LMTP message" sv_wait sv_log_has 'lmtp: from=<alice@example.org> size=[0-9]+ nrcpt=1 command=ADD status=250 2\.0\.0'
check "the ADD was answered" sv_wait sh -c "[ \$(ls '$T/outbox' | wc -l) -ge $((n0 + 1)) ]"
check_eq "the key is stored" "$(fl_psql pfx -c 'select count(*) from keys')" 1
smtp "$T/get.eml"
check "GET delivered: 250" sv_wait pf_has 'status=sent \(250 2\.0\.0 Ok: GET done\)' 1
check "the GET was answered with the key" sv_wait sh -c "grep -ql 'BEGIN PGP PUBLIC KEY BLOCK' '$T'/outbox/* 2>/dev/null"
check "Postfix's lmtp(8) client did it" pf_has "postfix/lmtp\\[[0-9]+\\]: .*relay=.*lmtp\\.sock" 2

# PostgreSQL stopped: 451, deferred, nothing lost.
km_gpg_genkey ed25519 'Dora Deferred <dora@example.org>'
gpg --armor --export dora@example.org > "$T/dora.asc"
fl_mail "$T/add2.eml" ADD "$T/dora.asc"
fl_pg_stop
n1=$(fl_nout)
smtp "$T/add2.eml"
check "database down: Postfix deferred on our 451" sv_wait pf_has 'status=deferred .*451 4\.3\.0' 1
check_eq "database down: nothing sent" "$(fl_nout)" "$n1"
check "the mail waits in Postfix's queue" sh -c "postqueue -c '$PF/etc' -p | grep -q pgp-public-keys@keys.test.example"
fl_pg_restart
postqueue -c "$PF/etc" -f >/dev/null 2>&1
check "after the restart the retry is delivered" sv_wait pf_has 'status=sent \(250 2\.0\.0 Ok: ADD done\)' 2
check "the queue is empty" sv_wait sh -c "postqueue -c '$PF/etc' -p | grep -q 'Mail queue is empty'"
check_eq "both keys stored" "$(fl_psql pfx -c 'select count(*) from keys')" 2
sv_stop
km_done
