# Incoming peer sync: a peer's "incremental" is merged like ADD but never
# answered, and its X-KeyServer-Sent trail is kept with the change (lower
# case, addr-spec only), so that `keymail sync` skips those peers. A
# user's ADD is still answered, and records an empty trail whatever
# headers it carries (mail-protocol.md 4.2, 4.5).
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/sync-lib.sh"
km_newdb incoming
cat >>"$T/keymail.conf" <<EOC
peer = pgp-public-keys@up.example
peer = Pgp-Public-Keys@Other.Example sks
peer = pgp-public-keys@third.example generic
peer = pgp-public-keys@keys.test.example
peer = PGP-Public-Keys@up.example generic
EOC
q() { psql "$KM_DB" -qAtc "$1"; }
km_gpg_init
for who in ida jon kim lea max ned; do
	# Lea's key is one a pks peer can take; the others are EdDSA.
	if [ $who = lea ]; then algo=rsa2048; else algo=ed25519; fi
	km_gpg_genkey $algo "$who <$who@example.org>"
	gpg --armor --export "$who@example.org" >"$T/$who.asc"
	eval "$(echo "$who" | tr a-z A-Z)=$(km_gpg_fpr "$who@example.org")"
done

# incr FILE SUBJECT KEYFILE: a peer's incremental, as pks or onak send it
incr() {
	{
		printf 'Return-Path: <>\nFrom: pgp-public-keys@up.example\n'
		printf 'To: pgp-public-keys@keys.test.example\nSubject: %s\n' "$2"
		printf 'X-KeyServer-Sent: Up Server <PGP-Public-Keys@UP.Example>\n'
		printf 'X-Keyserver-Sent: pgp-public-keys@third.example\n'
		printf 'Precedence: list\nMIME-Version: 1.0\nContent-Type: application/pgp-keys\n\n'
		cat "$3"
	} >"$1"
}
has() { "$KEYMAIL" get "0x$1" >/dev/null 2>&1; }
queued() { q "select q.seen::text from sync_queue q join keys k on k.id = q.key_id where k.fingerprint = '\\x$1'::bytea"; }

incr "$T/i1.eml" incremental "$T/ida.asc"
km_filter "$T/i1.eml"; check_eq "incremental exit" "$rc" 0
check_eq "incremental: no reply" "$(nreplies)" 0
check "incremental merged" has "$IDA"
check_eq "trail kept, lower case, addr-spec" "$(queued "$IDA")" "{pgp-public-keys@up.example,pgp-public-keys@third.example}"

# The keyword is a whole word, any case; an argument is ignored.
incr "$T/i2.eml" "INCREMENTAL" "$T/jon.asc"
km_filter "$T/i2.eml"
incr "$T/i3.eml" "Incremental update from up" "$T/kim.asc"
km_filter "$T/i3.eml"
check_eq "INCREMENTAL / Incremental ...: no reply" "$(nreplies)" 0
check "INCREMENTAL merged" has "$JON"
check "Incremental with an argument merged" has "$KIM"
# Nothing new: nothing queued again (Ida's entry unchanged, one row).
incr "$T/i4.eml" incremental "$T/ida.asc"
km_filter "$T/i4.eml"
check_eq "re-sent incremental: no reply" "$(nreplies)" 0
check_eq "one queue row per key" "$(q 'select count(*) from sync_queue')" 3

# Not the keyword: "incrementals" is an unknown command, answered with
# help, and nothing is merged.
incr "$T/i5.eml" incrementals "$T/lea.asc"
sed -i 's/^Return-Path: <>$/Return-Path: <someone@example.org>/; s/^Precedence: list$//; s/^From: .*/From: someone@example.org/' "$T/i5.eml"
km_filter "$T/i5.eml"
check_eq "incrementals: answered" "$(nreplies)" 1
check_eq "incrementals: as invalid" "$(reply_subject "$(last_reply)")" "Your command, incrementals, was invalid"
if has "$LEA"; then notok "incrementals merged a key"; else ok; fi

# A user's ADD is answered and its trail is empty, even with headers.
km_mail "$T/add.eml" ADD "$T/lea.asc" 'Lea <lea@example.org>'
sed -i 's/^Subject: ADD$/Subject: ADD\nX-KeyServer-Sent: pgp-public-keys@up.example/' "$T/add.eml"
km_filter "$T/add.eml"; check_eq "ADD exit" "$rc" 0
check_eq "ADD answered" "$(nreplies)" 2
check_eq "ADD reply subject" "$(reply_subject "$(last_reply)")" "Your command, ADD"
check_eq "ADD queued with an empty trail" "$(queued "$LEA")" "{}"
km_mail "$T/add-ned.eml" ADD "$T/ned.asc" 'Ned <ned@example.org>'
km_filter "$T/add-ned.eml"

# A delivery report carrying an incremental: merged, not forwarded.
{
	printf 'From: MAILER-DAEMON@relay.example\nTo: pgp-public-keys@keys.test.example\n'
	printf 'Subject: incremental\nMIME-Version: 1.0\n'
	printf 'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
	printf -- '--b\nContent-Type: text/plain\n\nreturned:\n'; cat "$T/max.asc"
	printf -- '--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; relay.example\n\n--b--\n'
} >"$T/dsn.eml"
km_filter "$T/dsn.eml"
check_eq "report: no reply" "$(nreplies)" 3
check "report: merged" has "$MAX"
check_eq "report: not queued" "$(queued "$MAX")" ""

# keymail sync then skips the peers in each trail, never sends to
# ourselves, and sends to a peer listed twice once (first line wins). Ida (trail: up, third) goes only to Other; Lea (user ADD)
# to all three; Ned (user ADD, EdDSA) not to up, a pks peer (the
# default profile), which cannot read EdDSA keys.
km_sync() { "$KEYMAIL" sync -v >>"$T/sync.log" 2>&1; rc=$?; }
km_sync; check_eq "sync exit" "$rc" 0
to_of() { for f in "$T"/outbox/*.eml; do
	if grep -q '^Subject: incremental$' "$f" && [ "$(msg_fprs "$f")" = "$1" ]; then
		sed -n 's/^To: //p' "$f"; fi; done | sort | tr '\n' ' '; }
check_eq "Ida went to Other only" "$(to_of "$IDA")" "Pgp-Public-Keys@Other.Example "
check_eq "Lea went to every peer" "$(to_of "$LEA")" \
    "Pgp-Public-Keys@Other.Example pgp-public-keys@third.example pgp-public-keys@up.example "
check_eq "nothing to ourselves" "$(grep -l '^To: pgp-public-keys@keys.test.example' "$T"/outbox/*.eml | wc -l)" 0
check "a peer listed twice is reported" grep -q 'listed twice' "$T/sync.log"
check_eq "Ned (EdDSA) skips the pks peer" "$(to_of "$NED")" \
    "Pgp-Public-Keys@Other.Example pgp-public-keys@third.example "
check_eq "Ida's trail travels on" "$(for f in "$T"/outbox/*.eml; do [ "$(msg_fprs "$f")" = "$IDA" ] && grep '^X-KeyServer-Sent:' "$f"; done | tr '\n' '|')" \
    "X-KeyServer-Sent: pgp-public-keys@up.example|X-KeyServer-Sent: pgp-public-keys@third.example|X-KeyServer-Sent: pgp-public-keys@keys.test.example|"
check_eq "queue empty after sync" "$(q 'select count(*) from sync_queue')" 0
n=$(nreplies)
km_sync
check_eq "second sync sends nothing" "$(nreplies)" "$n"

# No peers configured: merges queue nothing (nothing would empty it).
sed -i '/^peer = /d' "$T/keymail.conf"
gpg --batch --pinentry-mode loopback --passphrase '' --quick-add-uid "$IDA" 'ida two <ida2@example.org>' 2>/dev/null
gpg --armor --export "$IDA" >"$T/ida2.asc"
km_mail "$T/add2.eml" ADD "$T/ida2.asc" 'Ida <ida@example.org>'
km_filter "$T/add2.eml"
check "new user ID merged" sh -c "'$KEYMAIL' get 0x$IDA | gpg --with-colons --import-options show-only --import 2>/dev/null | grep -q ida2@example.org"
check_eq "no peers: nothing queued" "$(q 'select count(*) from sync_queue')" 0
km_done
