# `keymail sync` loses nothing and sends nothing twice:
# - killed (SIGKILL) while the mailer holds a message: the messages the
#   mailer accepted before stay sent, the next run sends the rest;
# - a mailer that fails for one peer: the others get theirs, that peer
#   gets it on the next run, and nobody gets anything twice;
# - two runs at once: the second says so and exits 0, no double send;
# - database down: exit 75.
# The runs use -v: without it, keymail sync writes its per-message lines
# and its summary to syslog only (stderr gets warnings and errors).
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/sync-lib.sh"
km_newdb crash
mkdir -p "$T/mail" "$T/state"
km_give "$T/mail" "$T/state"
cat >>"$T/keymail.conf" <<EOC
peer = p1@peer.example generic
peer = p2@peer.example generic
peer = p3@peer.example generic
EOC
q() { psql "$KM_DB" -qAtc "$1"; }
# holders of the sync run's lock (store/pg_internal.h: advisory lock 28013, 2) in this database
lock_held() { q "select count(*) from pg_locks where locktype = 'advisory' and classid = 28013 and objid = 2 and database = (select oid from pg_database where datname = current_database())"; }

# The test mailer. It files each incremental it accepts under $T/mail, named
# after its recipient and key (taken from the message by GnuPG-free
# means: its To: and a hash of its armor). Behaviour is chosen by files
# in $T/state:
#   kill-at N   the Nth message of this run is not accepted: the mailer
#               SIGKILLs keymail (its parent) instead, then exits 75
#   fail-to A   messages to A are refused (exit 75)
#   hold        before accepting, create $T/state/holding and wait until
#               $T/state/release exists
cat >"$T/mailer.sh" <<'EOM'
#!/bin/sh
S=__T__/state
msg=$(cat)
# Replies to the ADDs go through here too: keep them apart, uncounted.
if ! printf '%s\n' "$msg" | grep -q '^Subject: incremental$'; then
	printf '%s\n' "$msg" >>"__T__/state/replies"
	exit 0
fi
n=$(( $(cat "$S/count" 2>/dev/null || echo 0) + 1 ))
echo $n >"$S/count"
to=$(printf '%s\n' "$msg" | sed -n 's/^To: //p' | head -n 1)
if [ -f "$S/kill-at" ] && [ "$n" -eq "$(cat "$S/kill-at")" ]; then
	kill -KILL "$PPID"
	exit 75
fi
if [ -f "$S/fail-to" ] && [ "$to" = "$(cat "$S/fail-to")" ]; then
	echo "mailer: refusing $to for this test" >&2
	exit 75
fi
if [ -f "$S/hold" ]; then
	: >"$S/holding"
	while [ ! -f "$S/release" ]; do sleep 0.05; done
fi
key=$(printf '%s\n' "$msg" | sed -n '/^-----BEGIN/,/^-----END/p' | md5sum | cut -c1-12)
printf '%s\n' "$msg" >"__T__/mail/$to.$key.$n"
EOM
sed -i "s|__T__|$T|g" "$T/mailer.sh"
chmod 755 "$T/mailer.sh"
sed -i "s|^sendmail = .*|sendmail = $T/mailer.sh|" "$T/keymail.conf"

km_gpg_init
for who in amy ben cat; do
	km_gpg_genkey ed25519 "$who <$who@example.org>"
	gpg --armor --export "$who@example.org" >"$T/$who.asc"
	km_mail "$T/add-$who.eml" ADD "$T/$who.asc" "$who <$who@example.org>"
	km_filter "$T/add-$who.eml"
done
check_eq "three keys queued" "$(q 'select count(*) from sync_queue')" 3
# pairs: "recipient keyhash" per accepted message, sorted
pairs() { ls "$T/mail" | sed 's/\.[0-9]*$//' | sort; }
reset_state() { rm -f "$T"/state/count "$T"/state/kill-at "$T"/state/fail-to "$T"/state/hold "$T"/state/holding "$T"/state/release; }

# ---- killed while the mailer holds message 5 of 9 ----------------------
# Keys go in queue order, each to p1, p2, p3: messages 1-3 finish the
# first key (its entry leaves the queue), 4 is the second key to p1.
echo 5 >"$T/state/kill-at"
"$KEYMAIL" sync -v >"$T/run1.log" 2>&1; rc=$?
check_eq "run 1 was killed" "$rc" 137
check_eq "four messages accepted before the kill" "$(ls "$T/mail" | wc -l)" 4
check_eq "two keys still queued" "$(q 'select count(*) from sync_queue')" 2
check_eq "the fourth is marked sent, the fifth is not" "$(q "select string_agg(sent::text, ' ' order by key_id) from sync_queue")" "{p1@peer.example} {}"
# The killed run could not give its lock back: the server frees it once
# the backend has noticed the connection is gone. Until then a new run
# would (rightly) say another one is running; wait for that moment.
i=0
while [ "$(lock_held)" != 0 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
check_eq "the killed run's lock went with its session" "$(lock_held)" 0
reset_state
"$KEYMAIL" sync -v >"$T/run2.log" 2>&1; rc=$?
check_eq "run 2 exit" "$rc" 0
# A run that ends gives the lock back itself: free the moment it exits,
# so that the runs below, each started right after the one before, all
# get it.
check_eq "run 2 gave its lock back" "$(lock_held)" 0
check_eq "nine messages in all" "$(ls "$T/mail" | wc -l)" 9
check_eq "nine distinct (peer, key) pairs: none twice" "$(pairs | uniq | wc -l)" 9
check_eq "every key to every peer" "$(pairs | cut -d. -f1-2 | sort | uniq -c | awk '{print $1}' | sort -u)" 3
check_eq "run 2 sent the five that were left" "$(grep -c 'sync: sent' "$T/run2.log")" 5
check_eq "queue empty" "$(q 'select count(*) from sync_queue')" 0
"$KEYMAIL" sync -v >"$T/run3.log" 2>&1
check_eq "run 3 sends nothing" "$(ls "$T/mail" | wc -l)" 9

# ---- the mailer fails for one peer ------------------------------------
rm -f "$T"/mail/*
gpg --batch --pinentry-mode loopback --passphrase '' --quick-add-uid amy@example.org 'amy two <amy2@example.org>' 2>/dev/null
gpg --armor --export amy@example.org >"$T/amy2.asc"
km_mail "$T/add-amy2.eml" ADD "$T/amy2.asc" 'amy <amy@example.org>'
km_filter "$T/add-amy2.eml"
echo p2@peer.example >"$T/state/fail-to"
"$KEYMAIL" sync -v >"$T/run4.log" 2>&1; rc=$?
check_eq "mailer failure: sync still exits 0" "$rc" 0
check "the failure is logged" grep -q 'p2@peer.example not sent' "$T/run4.log"
check_eq "the other two peers got it" "$(ls "$T/mail" | cut -d. -f1-2 | sort | tr '\n' ' ')" "p1@peer.example p3@peer.example "
check_eq "still queued for p2" "$(q 'select sent::text from sync_queue')" "{p1@peer.example,p3@peer.example}"
reset_state
"$KEYMAIL" sync -v >"$T/run5.log" 2>&1
check_eq "next run: p2 only" "$(ls "$T/mail" | cut -d. -f1-2 | sort | tr '\n' ' ')" "p1@peer.example p2@peer.example p3@peer.example "
check_eq "queue empty again" "$(q 'select count(*) from sync_queue')" 0

# ---- two runs at once -------------------------------------------------
rm -f "$T"/mail/*
gpg --batch --pinentry-mode loopback --passphrase '' --quick-add-uid ben@example.org 'ben two <ben2@example.org>' 2>/dev/null
gpg --armor --export ben@example.org >"$T/ben2.asc"
km_mail "$T/add-ben2.eml" ADD "$T/ben2.asc" 'ben <ben@example.org>'
km_filter "$T/add-ben2.eml"
: >"$T/state/hold"
"$KEYMAIL" sync -v >"$T/run6.log" 2>&1 &
first=$!
i=0
while [ ! -f "$T/state/holding" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
check "first run is in its mailer" test -f "$T/state/holding"
"$KEYMAIL" sync -v >"$T/run7.log" 2>&1; rc=$?
check_eq "second run exits 0" "$rc" 0
check "second run says another is active" grep -q 'another keymail sync is running' "$T/run7.log"
: >"$T/state/release"
wait $first; rc=$?
check_eq "first run exit" "$rc" 0
check_eq "three messages, one per peer" "$(ls "$T/mail" | cut -d. -f1-2 | sort | tr '\n' ' ')" "p1@peer.example p2@peer.example p3@peer.example "
reset_state

# ---- database down ------------------------------------------------------
sed -i "s|^database = .*|database = host=/nonexistent/socket dbname=none connect_timeout=2|" "$T/keymail.conf"
"$KEYMAIL" sync -v >"$T/run8.log" 2>&1; rc=$?
check_eq "database down: exit 75" "$rc" 75
km_done
