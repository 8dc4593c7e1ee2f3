# Hostile and broken peers (reconciliation.md 12, 15): RECON mails made
# outside keymail (tests/recon-forge.py builds the records, GnuPG signs
# them with the server keys' secrets) are fed to A's filter: garbage,
# truncated and tampered records, unsigned ones, records signed by
# another server or for another recipient, a sender that is not a
# recon_peer, an oversized mail, times out of range, replays, and, from
# the authentic peer inside a live session, ranges and WANT lists over
# the caps. Each is dropped (one "recon: dropped" line naming the check),
# or, when authentic and for a live session, answered with one ABORT
# protocol; the filter exits 0, nothing else changes in the store, and
# nothing goes through the reply path.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/recon-lib.sh"
FORGE="$PY $KM_TOP/tests/recon-forge.py"
km_gpg_init

RECON_CONF_EXTRA="recon_max_cells = 1000
recon_max_keys = 5
recon_max_sessions_per_day = 100"
recon_pair a b || { km_done; exit 1; }
recon_instance x || { km_done; exit 1; }
# A holds X's key too, but X is no recon_peer of A.
"$KEYMAIL" -c "$T/x.conf" get "0x$FPR_x" >"$T/x.pub"
"$KEYMAIL" -c "$T/a.conf" import -q <"$T/x.pub" 2>/dev/null
for n in b x; do
	gpg --dearmor <"$T/$n.pub" >"$T/$n.pub.gpg"
	$FORGE secret "$T/$n/server-key" "$T/$n.pub.gpg" "$T/$n.sec"
	gpg --batch --import "$T/$n.sec" 2>/dev/null
done
check "GnuPG holds B's and X's secrets" sh -c "gpg --list-secret-keys '$FPR_b' '$FPR_x' >/dev/null 2>&1"

now=$(recon_now)
# forge OUT TYPE SID SEQ BODYHEX [SIGNER [SENDER [RECIPIENT [TIME]]]]
forge() {
	$FORGE record --type "$2" --sid "$3" --seq "$4" --time "${9:-$now}" \
	    --sender "${7:-$FPR_b}" --recipient "${8:-$FPR_a}" --body "$5" \
	    ${6:+--gnupghome "$GNUPGHOME" --signer "$6"} "$1"
}
# mail OUT RECORD SUBJECT [FROM]
mail() { $FORGE mail --from "${4:-pgp-public-keys@b.keys.test}" --to pgp-public-keys@a.keys.test --subject "$3" "$2" "$1"; }
state() {
	recon_psql a "select md5(string_agg(x, '|' order by x)) from (
	    select 's' || t::text as x from recon_sessions t union all
	    select 'p' || t::text from recon_peers t union all
	    select 'k' || t::text from recon_keys t union all
	    select 'f' || t::text from recon_futile t union all
	    select 'r' || t::text from reply_log t union all
	    select 'key' || encode(digest, 'hex') from keys) s"
}
# logged_after N TEXT: A's log holds "recon: dropped mail from" with TEXT
# after its line N.
logged_after() { tail -n +$(($1 + 1)) "$T/a.conf.log" | grep 'recon: dropped mail from ' | grep -qF "$2"; }
nmail() { ls "$T"/outbox/*.eml 2>/dev/null | wc -l; }
# dropped NAME MAIL WHY: exit 0, the drop line, nothing changed, no mail.
dropped() {
	_s=$(state) _m=$(nmail) _l=$(wc -l <"$T/a.conf.log")
	KEYMAIL_NOW=$(recon_now) "$KEYMAIL" -c "$T/a.conf" filter <"$2" 2>>"$T/a.conf.log"
	check_eq "$1: exit" "$?" 0
	check "$1: dropped ($3)" logged_after "$_l" ": $3"
	check_eq "$1: store unchanged" "$(state)" "$_s"
	check_eq "$1: nothing mailed" "$(nmail)" "$_m"
}

SID=0123456789abcdef
DONE=$($FORGE body done 0 0 0)
forge "$T/good.rec" DONE $SID 5 "$DONE" "$FPR_b"
mail "$T/good.eml" "$T/good.rec" "RECON DONE $SID"
dropped "well-formed, unknown session" "$T/good.eml" "DONE for session $SID, which we do not hold"

printf 'not a record at all, just text long enough to pass the first length check of sixty-eight octets' >"$T/garbage.rec"
mail "$T/garbage.eml" "$T/garbage.rec" "RECON OFFER $SID"
dropped "garbage" "$T/garbage.eml" "no KMR1 magic"
head -c 100 "$T/good.rec" >"$T/trunc.rec"
mail "$T/trunc.eml" "$T/trunc.rec" "RECON DONE $SID"
dropped "truncated" "$T/trunc.eml" "what follows the body is not exactly one signature packet"
head -c 40 "$T/good.rec" >"$T/short.rec"
mail "$T/short.eml" "$T/short.rec" "RECON DONE $SID"
dropped "shorter than a header" "$T/short.eml" "the record is shorter than its header"
$PY -c "import sys; d = bytearray(open(sys.argv[1], 'rb').read()); d[70] ^= 1; open(sys.argv[2], 'wb').write(d)" "$T/good.rec" "$T/tamper.rec"
mail "$T/tamper.eml" "$T/tamper.rec" "RECON DONE $SID"
dropped "tampered body" "$T/tamper.eml" "signature does not verify"
forge "$T/unsigned.rec" DONE $SID 5 "$DONE"
mail "$T/unsigned.eml" "$T/unsigned.rec" "RECON DONE $SID"
dropped "unsigned" "$T/unsigned.eml" "what follows the body is not exactly one signature packet"
forge "$T/xsig.rec" DONE $SID 5 "$DONE" "$FPR_x"
mail "$T/xsig.eml" "$T/xsig.rec" "RECON DONE $SID"
dropped "B's record signed by X" "$T/xsig.eml" "issuer fingerprint is not the sender's"
forge "$T/xsender.rec" DONE $SID 5 "$DONE" "$FPR_x" "$FPR_x"
mail "$T/xsender.eml" "$T/xsender.rec" "RECON DONE $SID"
dropped "X's record from B's address" "$T/xsender.eml" "the sender fingerprint is not the peer's configured one"
forge "$T/x.rec" DONE $SID 5 "$DONE" "$FPR_x" "$FPR_x"
mail "$T/x.eml" "$T/x.rec" "RECON DONE $SID" pgp-public-keys@x.keys.test
dropped "a server that is no recon_peer" "$T/x.eml" "not from a recon_peer"
mail "$T/two.eml" "$T/good.rec" "RECON DONE $SID" "pgp-public-keys@b.keys.test, someone@example.org"
dropped "two From addresses" "$T/two.eml" "From: does not hold exactly one address"
forge "$T/other.rec" DONE $SID 5 "$DONE" "$FPR_b" "$FPR_b" "$FPR_x"
mail "$T/other.eml" "$T/other.rec" "RECON DONE $SID"
dropped "for another recipient" "$T/other.eml" "the recipient fingerprint is not ours"
mail "$T/subj.eml" "$T/good.rec" "RECON MORE $SID"
dropped "Subject and record disagree" "$T/subj.eml" "the record's type or SID is not the Subject's"
mail "$T/subj2.eml" "$T/good.rec" "RECON DONE $SID extra"
dropped "a Subject with four words" "$T/subj2.eml" "the Subject is not RECON TYPE SID"
forge "$T/future.rec" DONE $SID 5 "$DONE" "$FPR_b" "" "" $((now + 2 * 86400))
mail "$T/future.eml" "$T/future.rec" "RECON DONE $SID"
dropped "two days in the future" "$T/future.eml" "the record's time is out of range"
forge "$T/old.rec" DONE $SID 5 "$DONE" "$FPR_b" "" "" $((now - 8 * 86400))
mail "$T/old.eml" "$T/old.rec" "RECON DONE $SID"
dropped "eight days old" "$T/old.eml" "the record's time is out of range"
# Oversized: a record within limits, but the mail over 384 KiB.
{ cat "$T/good.eml"; $PY -c "print(('X' * 75 + '\n') * 5300, end='')"; } >"$T/big.eml"
dropped "over recon_max_message_size" "$T/big.eml" "larger than recon_max_message_size"
# An authentic OFFER asking for more cells than our recon_max_cells.
CNT=$($PY -c "print('00000000' * 128)")
OFFER=$($FORGE body offer 000102030405060708090a0b0c0d0e0f 10 1001 65536 "$CNT" "$($PY -c "print('00' * 12 * 1001)")")
forge "$T/bigoffer.rec" OFFER $SID 1 "$OFFER" "$FPR_b"
mail "$T/bigoffer.eml" "$T/bigoffer.rec" "RECON OFFER $SID"
dropped "OFFER over recon_max_cells" "$T/bigoffer.eml" "OFFER with more cells than our recon_max_cells"
# An OFFER with other than 128 counters: malformed, and no live session.
OFFER64=$($FORGE body offer 000102030405060708090a0b0c0d0e0f 10 4 65536 "$($PY -c "print('00000000' * 64)")" "$($PY -c "print('00' * 48)")")
forge "$T/k64.rec" OFFER $SID 1 "$OFFER64" "$FPR_b"
mail "$T/k64.eml" "$T/k64.rec" "RECON OFFER $SID"
dropped "OFFER with 64 counters" "$T/k64.eml" "OFFER with other than 128 counters"
# Over a general limit of keymail.conf (max_headers): dropped, not the
# "not processed" reply.
{ sed -n '1,/^$/p' "$T/good.eml" | sed '$d'; i=0; while [ $i -lt 501 ]; do echo "X-Junk: $i"; i=$((i + 1)); done; echo; sed '1,/^$/d' "$T/good.eml"; } >"$T/headers.eml"
dropped "over max_headers" "$T/headers.eml" "the message has over 500 header fields (max_headers)"
check_eq "no reply through the reply path so far" "$(recon_psql a 'select count(*) from reply_log')" 0

# ---- authentic records out of place in a live session: ABORT protocol ---
# abort NAME TYPE SEQ BODYHEX: start a session at A, answer its OFFER with
# this record from B; A must answer with one ABORT protocol and end it.
abort() {
	RECON_OFFSET=$((RECON_OFFSET + 60))
	recon_run a pgp-public-keys@b.keys.test
	_offer=$(ls "$T"/outbox/*.eml | tail -n 1)
	_sid=$($FORGE show "$_offer" | awk '$1 == "sid" {print $2}')
	forge "$T/ab.rec" "$2" "$_sid" "$3" "$4" "$FPR_b" "" "" "$(recon_now)"
	mail "$T/ab.eml" "$T/ab.rec" "RECON $2 $_sid"
	_m=$(nmail) _keys=$(recon_psql a 'select md5(string_agg(encode(digest, $$hex$$), $$$$ order by digest)) from keys')
	KEYMAIL_NOW=$(recon_now) "$KEYMAIL" -c "$T/a.conf" filter <"$T/ab.eml" 2>>"$T/a.conf.log"
	check_eq "$1: exit" "$?" 0
	check_eq "$1: one mail" "$(nmail)" $((_m + 1))
	_ab=$(ls "$T"/outbox/*.eml | tail -n 1)
	check "$1: it is ABORT protocol to B" sh -c "grep -q '^Subject: RECON ABORT $_sid\$' '$_ab' && grep -q '^To: pgp-public-keys@b.keys.test\$' '$_ab' && $FORGE show '$_ab' | grep -qx 'reason 5'"
	check_eq "$1: the session ended aborted" "$(recon_psql a "select status, reason from recon_sessions where sid = x'$_sid'::bigint")" "2|5"
	check_eq "$1: keys unchanged" "$(recon_psql a 'select md5(string_agg(encode(digest, $$hex$$), $$$$ order by digest)) from keys')" "$_keys"
	check "$1: end line" end_last a "(initiator) aborted protocol: "
}
abort "MORE over 16384 cells" MORE 2 "$($FORGE body more 128 16513 10 10)"
abort "MORE beyond max_cells" MORE 2 "$($FORGE body more 128 1001 10 10)"
abort "MORE not from the cells sent" MORE 2 "$($FORGE body more 100 300 10 10)"
abort "WANT over recon_max_keys" RESULT 2 "$($FORGE body result 10 128 0 $($PY -c "print(''.join('%016x' % i for i in range(1, 7)))"))"
abort "RESULT with WANT ids out of order" RESULT 2 "$($FORGE body result 10 128 0 00000000000000020000000000000001)"
abort "CELLS where none were asked for" CELLS 2 "$($FORGE body cells 128 129 000000000000000000000000)"
abort "a seq from the future" RESULT 7 "$($FORGE body result 10 128 0 -)"
check_eq "still no reply through the reply path" "$(grep -l '^Subject: Your command' "$T"/outbox/*.eml 2>/dev/null | wc -l)" 0

# After ABORT the session is over: anything more for it is dropped.
last=$(ls "$T"/outbox/*.eml | tail -n 1)
sid=$($FORGE show "$last" | awk '$1 == "sid" {print $2}')
forge "$T/late.rec" MORE "$sid" 8 "$($FORGE body more 128 256 10 10)" "$FPR_b" "" "" "$(recon_now)"
mail "$T/late.eml" "$T/late.rec" "RECON MORE $sid"
dropped "a MORE after ABORT" "$T/late.eml" "MORE for session $sid, which has ended"
forge "$T/lateab.rec" ABORT "$sid" 9 "$($FORGE body abort 1)" "$FPR_b" "" "" "$(recon_now)"
mail "$T/lateab.eml" "$T/lateab.rec" "RECON ABORT $sid"
dropped "an ABORT after the end" "$T/lateab.eml" "ABORT for session $sid, which has ended"

# ---- replays of a real session ---------------------------------------------
# The mails of the cases above are not for the shuttle.
for f in "$T"/outbox/*.eml; do echo "${f##*/} old" >>"$T/outbox/.done"; done
RECON_OFFSET=$((RECON_OFFSET + 60))
recon_run a pgp-public-keys@b.keys.test
offer=$(ls "$T"/outbox/*.eml | tail -n 1)
sid=$($FORGE show "$offer" | awk '$1 == "sid" {print $2}')
recon_shuttle
check_eq "a real session: shuttle" "$rc" 0
check "it ended ok" end_last a "(initiator) ok: "
result=$(grep -l "^Subject: RECON RESULT $sid\$" "$T"/outbox/*.eml | tail -n 1)
_m=$(nmail)
KEYMAIL_NOW=$(recon_now) "$KEYMAIL" -c "$T/a.conf" filter <"$result" 2>>"$T/a.conf.log"
check_eq "a replayed RESULT: exit" "$?" 0
check_eq "a replayed RESULT gets the stored DONE again, and no key" "$(nmail)" $((_m + 1))
check "that mail is the DONE" grep -q '^Subject: RECON DONE ' "$(ls "$T"/outbox/*.eml | tail -n 1)"
_s=$(recon_psql b "select count(*), max(status) from recon_sessions")
KEYMAIL_NOW=$(recon_now) "$KEYMAIL" -c "$T/b.conf" filter <"$offer" 2>>"$T/b.conf.log"
check_eq "a replayed OFFER at B: exit" "$?" 0
check "dropped as older" grep -q 'recon: dropped mail from pgp-public-keys@a.keys.test: a repeat older than the last record received' "$T/b.conf.log"
check_eq "B unchanged" "$(recon_psql b "select count(*), max(status) from recon_sessions")" "$_s"
check_eq "no reply anywhere" "$(recon_psql a 'select count(*) from reply_log')|$(recon_psql b 'select count(*) from reply_log')" "0|0"
km_done
