# Trusted mode, claiming a key (owner-control.md 2, 4.2, 6, 7.1, 14): four
# owners made by GnuPG 2.2 (RSA, Ed25519/Cv25519, NIST P-256, DSA/ElGamal)
# ADD their keys; nothing is published and every lookup answers as for a
# key never stored (byte for byte, Date, Message-ID and MIME boundary
# aside); an unsigned SHOW gets a challenge that gpg --decrypt reads; its
# CONFIRM publishes the key, which GET returns and GnuPG imports into a
# fresh keyring; signed HIDE and SHOW (gpg --clearsign) work at once for
# every key type, and a hidden key is answered for as one never stored; a
# token works once and never appears in a Subject.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/owner-lib.sh"
command -v gpg >/dev/null || { notok "gpg not installed"; km_done; exit 1; }

own_newdb own530
# Many token mails go to alice here; 533-owner-limits tests the limits.
own_conf max_token_mails_per_day 0
H=$(own_home owners)
KINDS="rsa ed p256 dsa"
for k in $KINDS; do
	eval "F_$k=\$(own_genkey \"$H\" $k \"Owner $k <$k@owner.example>\")"
done
for k in $KINDS; do
	eval "f=\$F_$k"
	check "key $k made" [ -n "$f" ]
	# precondition of the challenge path below: the owner can decrypt
	check "key $k has an encryption subkey" own_has_encr "$H" "$f"
done
: >"$T/all.asc"
for k in $KINDS; do
	eval "own_export \"$H\" \"\$F_$k\" \"$T/$k.asc\""
	cat "$T/$k.asc" >>"$T/all.asc"
done

# ---- ADD: received, nothing published ----------------------------------
own_send "ADD" "$T/all.asc"
check_eq "ADD exit" "$rc" 0
check_eq "ADD subject" "$(reply_subject "$reply")" "Your command, ADD"
decoded_body "$reply" >"$T/add.txt"
check_eq "ADD: four keys received" "$(grep -c '^    received$' "$T/add.txt")" 4
check "ADD reply says nothing of what was new" sh -c "! grep -q 'New public keys' '$T/add.txt'"

# Unclaimed: GET, INDEX, VERBOSE INDEX, MGET and LAST find nothing.
for k in $KINDS; do
	eval "f=\$F_$k"
	own_send "GET $f"
	check_eq "GET unclaimed $k" "$(reply_subject "$reply")" "Your command, GET $f, failed"
done
own_send "INDEX owner.example"
check_eq "INDEX unclaimed" "$(reply_subject "$reply")" "Your command, INDEX owner.example, failed"
own_send "VERBOSE INDEX Owner rsa"
check_eq "VERBOSE INDEX unclaimed" "$(reply_subject "$reply")" "Your command, VERBOSE INDEX Owner rsa, failed"
own_send "MGET owner\\.example"
check_eq "MGET unclaimed" "$(reply_subject "$reply")" "Your command, MGET owner\\.example, failed"
own_send "LAST 1"
check_eq "LAST unclaimed" "$(reply_subject "$reply")" "Your command, LAST 1, failed"

# Absent-alike: the same mail against a database that never held the key.
db2=km_own530b_$KM_ID
psql "$KM_TEST_PG dbname=postgres" -qAtc "create database $db2" >/dev/null
sed "s|^database = .*|database = $KM_TEST_PG dbname=$db2|" "$T/keymail.conf" >"$T/never.conf"
KEYMAIL_CONF=$T/never.conf "$KEYMAIL" initdb >/dev/null 2>&1
# absent_alike WHAT SUBJECT...: each Subject gets from us byte for byte the
# reply the database that never held a key gives.
absent_alike() {
	_what=$1
	shift
	for q in "$@"; do
		km_mail "$T/probe.eml" "$q"
		n0=$(nreplies)
		km_filter "$T/probe.eml"
		a=$(own_nth 1)
		KEYMAIL_CONF=$T/never.conf "$KEYMAIL" filter <"$T/probe.eml"
		b=$(own_nth 1)
		check "two replies for '$q'" [ "$(nreplies)" -eq $((n0 + 2)) ]
		own_normal "$a" >"$T/a.norm"
		own_normal "$b" >"$T/b.norm"
		check "absent-alike: '$q' ($_what) answered as for a key never stored" \
		    cmp -s "$T/a.norm" "$T/b.norm"
	done
}
absent_alike unclaimed "GET $F_rsa" "GET 0x$(echo "$F_ed" | cut -c25-40)" "INDEX Owner p256" \
    "VERBOSE INDEX dsa@owner.example" "SIGNERS $F_p256"

# ---- the challenge path: SHOW, decrypt, CONFIRM, GET ---------------------
for k in $KINDS; do
	eval "f=\$F_$k"
	own_send "SHOW $f"
	subj=$(reply_subject "$reply")
	check_eq "SHOW $k subject" "$subj" "Your command, SHOW $f, needs confirmation"
	# a failure says why in the log
	[ "$subj" = "Your command, SHOW $f, needs confirmation" ] ||
	    decoded_body "$reply" | sed 's/^/    reply: /'
	check "SHOW $k: part 2 is us-ascii" grep -q 'charset=us-ascii' "$reply"
	own_message "$reply" >"$T/m.asc"
	check "SHOW $k: one PGP MESSAGE" [ "$(grep -c '^-----BEGIN PGP MESSAGE-----$' "$T/m.asc")" = 1 ]
	own_decrypt "$H" "$reply" >"$T/plain.txt"
	check_eq "SHOW $k: command line" "$(grep '^command: ' "$T/plain.txt")" "command: SHOW"
	check_eq "SHOW $k: fingerprint line" "$(grep '^fingerprint: ' "$T/plain.txt")" "fingerprint: $f"
	check_eq "SHOW $k: requested-by" "$(grep '^requested-by: ' "$T/plain.txt")" "requested-by: alice@example.org"
	check_eq "SHOW $k: keyserver" "$(grep '^keyserver: ' "$T/plain.txt")" "keyserver: $ROBOT"
	tok=$(own_token_of "$T/plain.txt")
	check "SHOW $k: one token line" [ -n "$tok" ]
	check "SHOW $k: no token in the mail outside the ciphertext" sh -c "! grep -q '$tok' '$reply'"
	# Still hidden until CONFIRM.
	own_send "GET $f"
	check_eq "GET before CONFIRM $k" "$(reply_subject "$reply")" "Your command, GET $f, failed"
	own_send "CONFIRM $tok" "" "Bob Helper <bob@example.net>"
	check_eq "CONFIRM $k subject" "$(reply_subject "$reply")" "Your command, CONFIRM"
	check "CONFIRM reply carries no token" sh -c "! grep -q '$tok' '$reply'"
	own_get "$f" "$T/got-$k.asc"
	check_eq "GET after CONFIRM $k" "$(reply_subject "$reply")" "Your command, GET $f"
	check_eq "GnuPG imports the published $k key" "$(own_uids "$T/got-$k.asc")" "Owner $k <$k@owner.example>"
	# Used once.
	own_send "CONFIRM $tok"
	check_eq "CONFIRM again $k" "$(reply_subject "$reply")" "Your command, CONFIRM, failed"
	eval "TOK_$k=\$tok"
done
own_send "INDEX owner.example"
check_eq "INDEX finds the four shown keys" "$(decoded_body "$reply" | grep -c '^pub ')" 4

# ---- signed HIDE and SHOW for every key type ------------------------------
for k in $KINDS; do
	eval "f=\$F_$k"
	own_block "$H" "$f" HIDE >"$T/hide.txt"
	own_send "HIDE $f" "$T/hide.txt"
	check_eq "signed HIDE $k" "$(reply_subject "$reply")" "Your command, HIDE $f"
	own_send "GET $f"
	check_eq "GET hidden $k" "$(reply_subject "$reply")" "Your command, GET $f, failed"
	own_block "$H" "$f" SHOW >"$T/show.txt"
	own_send "SHOW $f" "$T/show.txt"
	check_eq "signed SHOW $k" "$(reply_subject "$reply")" "Your command, SHOW $f"
	own_get "$f" "$T/again-$k.asc"
	check_eq "shown again $k" "$(own_uids "$T/again-$k.asc")" "Owner $k <$k@owner.example>"
done

# Absent-alike for a claimed key its owner HIDes.
own_block "$H" "$F_rsa" HIDE >"$T/hide.txt"
own_send "HIDE $F_rsa" "$T/hide.txt"
check_eq "signed HIDE rsa again" "$(reply_subject "$reply")" "Your command, HIDE $F_rsa"
absent_alike hidden "GET $F_rsa" "GET 0x$(echo "$F_rsa" | cut -c25-40)" "INDEX Owner rsa" \
    "VERBOSE INDEX rsa@owner.example" "MGET rsa@owner" "SIGNERS $F_rsa"

# A sign-only key cannot get a challenge, and says so.
S=$(own_genkey "$H" sign "Signer only <sign@owner.example>")
own_export "$H" "$S" "$T/sign.asc"
own_send "ADD" "$T/sign.asc"
own_send "SHOW $S"
check_eq "sign-only SHOW" "$(reply_subject "$reply")" "Your command, SHOW $S, failed"
decoded_body "$reply" >"$T/body.txt"
check "sign-only: told to sign" grep -q 'cannot receive encrypted mail' "$T/body.txt"
own_block "$H" "$S" SHOW >"$T/s.txt"
own_send "SHOW $S" "$T/s.txt"
check_eq "sign-only signed SHOW" "$(reply_subject "$reply")" "Your command, SHOW $S"
# HELD of a key that cannot encrypt: unsigned refused, signed answered in
# clear (owner-control.md 7.3).
own_send "HELD $S"
check_eq "sign-only unsigned HELD" "$(reply_subject "$reply")" "Your command, HELD $S, failed"
decoded_body "$reply" >"$T/body.txt"
check "sign-only HELD: told to sign" grep -q 'send HELD signed' "$T/body.txt"
own_block "$H" "$S" HELD >"$T/h.txt"
own_send "HELD $S" "$T/h.txt"
check_eq "sign-only signed HELD" "$(reply_subject "$reply")" "Your command, HELD $S"
decoded_body "$reply" >"$T/held.txt"
check "signed HELD: no PGP MESSAGE" sh -c "! grep -q 'BEGIN PGP MESSAGE' '$T/held.txt'"
check_eq "signed HELD in clear: fingerprint" "$(grep '^fingerprint: ' "$T/held.txt")" "fingerprint: $S"
check_eq "signed HELD in clear: state" "$(grep '^state: ' "$T/held.txt")" "state: visible"
check_eq "signed HELD in clear: nothing held" "$(grep -c '^held: ' "$T/held.txt")" 0
sed -n '/^-----BEGIN PGP PUBLIC KEY BLOCK-----$/,/^-----END PGP PUBLIC KEY BLOCK-----$/p' "$T/held.txt" >"$T/held.asc"
check_eq "signed HELD in clear: the key" "$(own_uids "$T/held.asc")" "Signer only <sign@owner.example>"
# A fingerprint not stored.
own_send "SHOW 0123456789ABCDEF0123456789ABCDEF01234567"
check_eq "SHOW of a key not stored" "$(reply_subject "$reply")" \
    "Your command, SHOW 0123456789ABCDEF0123456789ABCDEF01234567, failed"
decoded_body "$reply" >"$T/body.txt"
check "not stored: says so" grep -q 'No key with this fingerprint is stored here' "$T/body.txt"
psql "$KM_TEST_PG dbname=postgres" -qAtc "drop database $db2" >/dev/null 2>&1
km_done
