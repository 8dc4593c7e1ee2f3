# Verified mode end to end with GnuPG 2.2 (owner-control.md 8, 2, 14): a
# key with two addresses ADDed from one of them mails exactly one
# verification, to that address, encrypted to the key (gpg --decrypt reads
# it), never naming the user ID's name; before CONFIRM, INDEX by the
# address finds nothing and GET by fingerprint serves a copy without user
# IDs and without the third party's certification (gpg --list-packets);
# after CONFIRM, INDEX and GET find it with that user ID alone; a
# sign-only key gets its verification in clear; UNPUBLISH + CONFIRM
# removes the address; a second key's confirmation moves it; MGET and LAST
# are refused; VERIFY mails only addresses of the key; HIDE removes every
# binding; initdb --change-policy goes to verified and back.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/owner-lib.sh"
command -v gpg >/dev/null || { notok "gpg not installed"; km_done; exit 1; }

# body_has PATTERN: the decoded reply has a line matching PATTERN.
body_has() { decoded_body "$reply" | grep -q "$1"; }

own_newdb own650 verified
# Several verification mails go to alice here; 652 tests the limits.
own_conf max_token_mails_per_day 0
own_conf max_address_mails_per_hour 0
H=$(own_home alice)
F=$(own_genkey "$H" rsa "Alice Secretname <alice@example.org>")
own_gpg "$H" --quick-add-uid "$F" "Alice Othername <alice@other.example>" >/dev/null 2>&1
own_export "$H" "$F" "$T/alice.asc"
check "alice has two user IDs" [ "$(own_uids "$T/alice.asc" | wc -l)" -eq 2 ]

# A third party certifies alice's key and ADDs the result first.
B=$(own_home bob)
FB=$(own_genkey "$B" ed "Bob Third <bob@third.example>")
own_gpg "$B" --import "$T/alice.asc" >/dev/null 2>&1
own_gpg "$B" --quick-sign-key "$F" >/dev/null 2>&1
own_export "$B" "$F" "$T/alice-signed.asc"
own_send "ADD" "$T/alice-signed.asc" "Bob Third <bob@third.example>"
check_eq "bob's ADD: only the reply (bob is no address of the key)" "$nnew" 1
decoded_body "$reply" >"$T/add-bob.txt"
check "bob's ADD reply: alice's addresses not verified" \
    grep -q "^    alice@example.org: not verified (send VERIFY $F alice@example.org)$" "$T/add-bob.txt"

# ---- ADD from alice: one verification, to alice, encrypted ---------------
own_send "ADD" "$T/alice.asc"
check_eq "ADD exit" "$rc" 0
check_eq "ADD: the reply and one verification" "$nnew" 2
check_eq "ADD subject" "$(reply_subject "$reply")" "Your command, ADD"
decoded_body "$reply" >"$T/add.txt"
check "ADD reply: alice verification sent" \
    grep -q '^    alice@example.org: verification mail sent$' "$T/add.txt"
check "ADD reply: other address not verified" \
    grep -q "^    alice@other.example: not verified (send VERIFY $F alice@other.example)$" "$T/add.txt"
V=$(own_nth 1)
check_eq "verification subject" "$(reply_subject "$V")" "keymail: confirm alice@example.org for key $F"
check_eq "verification to alice" "$(sed -n 's/^To: //p' "$V" | head -n 1)" "alice@example.org"
check "verification auto-generated" grep -q '^Auto-Submitted: auto-generated' "$V"
check "verification never names the user ID" sh -c "! grep -qi 'secretname\|othername' '$V'"
check "verification: one PGP MESSAGE" [ "$(own_message "$V" | grep -c '^-----BEGIN PGP MESSAGE-----$')" = 1 ]
TOK=$(own_challenge_token "$H" "$V")
check "verification decrypts to one token" [ -n "$TOK" ]
check "token block names command and address" sh -c "grep -q '^command: VERIFY$' '$T/plain.txt' && grep -q '^address: alice@example.org$' '$T/plain.txt'"
check "token block never names the user ID" sh -c "! grep -qi 'secretname' '$T/plain.txt'"
check "token in no Subject" sh -c "! grep -l 'Subject:.*$TOK' '$T'/outbox/*.eml"

# ---- before CONFIRM ---------------------------------------------------------
own_send "INDEX alice@example.org"
check_eq "INDEX before CONFIRM" "$(reply_subject "$reply")" "Your command, INDEX alice@example.org, failed"
check "INDEX before CONFIRM: not found" body_has '^No matching keys in database.$'
own_send "INDEX Alice"
check_eq "INDEX by a word" "$(reply_subject "$reply")" "Your command, INDEX Alice, failed"
check "INDEX by a word: addresses only" body_has 'complete e-mail address only'
own_get "$F" "$T/get0.asc"
check "GET by fingerprint serves a copy" [ -s "$T/get0.asc" ]
check "GET before CONFIRM: a note on the missing user IDs" body_has 'no published user ID'
gpg --list-packets "$T/get0.asc" >"$T/p0.txt" 2>/dev/null
check_eq "copy without user IDs" "$(grep -c ':user ID packet:' "$T/p0.txt")" 0
check_eq "copy without certifications" "$(grep -c 'sigclass 0x1[0-3]' "$T/p0.txt")" 0
check "copy keeps the subkey" grep -q ':public sub key packet:' "$T/p0.txt"
own_send "MGET alice"
check_eq "MGET refused" "$(reply_subject "$reply")" "Your command, MGET alice, failed"
check "MGET: policy line" body_has '^MGET is not offered by this server (policy verified).$'
own_send "LAST 1"
check_eq "LAST refused" "$(reply_subject "$reply")" "Your command, LAST 1, failed"
check "LAST: policy line" body_has '^LAST is not offered by this server (policy verified).$'
own_send "SHOW $F"
check_eq "SHOW refused" "$(reply_subject "$reply")" "Your command, SHOW $F, failed"

# ---- CONFIRM publishes that user ID alone --------------------------------
own_send "CONFIRM $TOK"
check_eq "CONFIRM subject" "$(reply_subject "$reply")" "Your command, CONFIRM"
own_send "INDEX alice@example.org"
check_eq "INDEX after CONFIRM" "$(reply_subject "$reply")" "Your command, INDEX alice@example.org"
decoded_body "$reply" >"$T/index.txt"
check "INDEX names the confirmed user ID" grep -q 'alice@example.org' "$T/index.txt"
check "INDEX leaves the other out" sh -c "! grep -q 'other.example' '$T/index.txt'"
own_send "INDEX <ALICE@Example.ORG>"
check_eq "INDEX by address, any case" "$(reply_subject "$reply")" "Your command, INDEX <ALICE@Example.ORG>"
own_get "$F" "$T/get1.asc"
check_eq "GET: that user ID alone" "$(own_uids "$T/get1.asc")" "Alice Secretname <alice@example.org>"
gpg --list-packets "$T/get1.asc" >"$T/p1.txt" 2>/dev/null
check_eq "GET: its self-signature, no third-party certification" \
    "$(grep -c 'sigclass 0x1[0-3]' "$T/p1.txt")" 1
own_send "CONFIRM $TOK"
check_eq "token works once" "$(reply_subject "$reply")" "Your command, CONFIRM, failed"
own_send "ADD" "$T/alice.asc"
check_eq "ADD again: the reply alone" "$nnew" 1
check "ADD again: published" body_has '^    alice@example.org: published$'

# ---- VERIFY: only addresses of the key ------------------------------------
own_send "VERIFY $F alice@other.example mallory@evil.example"
check_eq "VERIFY: reply and one mail" "$nnew" 2
decoded_body "$reply" >"$T/verify.txt"
check "VERIFY: other address mailed" grep -q '^    alice@other.example: verification mail sent$' "$T/verify.txt"
check "VERIFY: a stranger is not mailed" grep -q '^    mallory@evil.example: not an address' "$T/verify.txt"
check_eq "VERIFY mail to the other address" "$(sed -n 's/^To: //p' "$(own_nth 1)" | head -n 1)" "alice@other.example"
own_send "VERIFY 0123"
check_eq "VERIFY malformed" "$(reply_subject "$reply")" "Your command, VERIFY 0123, failed"

# ---- a sign-only key: verification in clear (verify_encrypt = preferred) --
S=$(own_home sig)
FS=$(own_genkey "$S" sign "Sig Only <sig@example.org>")
own_export "$S" "$FS" "$T/sig.asc"
own_send "ADD" "$T/sig.asc" "Sig Only <sig@example.org>"
check_eq "sign-only ADD: reply and verification" "$nnew" 2
V=$(own_nth 1)
check "sign-only verification: no PGP MESSAGE" sh -c "! grep -q 'BEGIN PGP MESSAGE' '$V'"
decoded_body "$V" >"$T/sigv.txt"
TS=$(own_token_of "$T/sigv.txt")
check "sign-only verification: token in clear" [ -n "$TS" ]
check "sign-only verification never names the user ID" sh -c "! grep -q 'Sig Only' '$V'"

# ---- verify_encrypt = required refuses it; never sends it in clear ---------
own_conf verify_encrypt required
S2=$(own_genkey "$S" sign "Sig Two <sig2@example.org>")
own_export "$S" "$S2" "$T/sig2.asc"
own_send "ADD" "$T/sig2.asc" "Sig Two <sig2@example.org>"
check_eq "required, sign-only: the reply alone" "$nnew" 1
check "required: the reply says why" body_has '^    sig2@example.org: verification mail not sent (this key cannot receive encrypted mail)$'
own_conf verify_encrypt never
own_send "ADD" "$T/alice.asc" "Alice Othername <alice@other.example>"
check_eq "never: reply and verification" "$nnew" 2
check "never: in clear although the key can encrypt" sh -c "! grep -q 'BEGIN PGP MESSAGE' '$(own_nth 1)'"
own_conf verify_encrypt preferred

# ---- a second key's confirmation moves the address -----------------------
H2=$(own_home alice2)
F2=$(own_genkey "$H2" ed "Alice New <alice@example.org>")
own_export "$H2" "$F2" "$T/alice2.asc"
own_send "ADD" "$T/alice2.asc"
check_eq "second key: reply and verification" "$nnew" 2
T2=$(own_challenge_token "$H2" "$(own_nth 1)")
own_send "CONFIRM $T2"
check_eq "second CONFIRM" "$(reply_subject "$reply")" "Your command, CONFIRM"
own_get alice@example.org "$T/get2.asc"
check_eq "the address finds the second key" "$(own_uids "$T/get2.asc")" "Alice New <alice@example.org>"
own_get "$F" "$T/get3.asc"
gpg --list-packets "$T/get3.asc" >"$T/p3.txt" 2>/dev/null
check_eq "the first key lost the address" "$(grep -c ':user ID packet:' "$T/p3.txt")" 0

# ---- UNPUBLISH + CONFIRM ------------------------------------------------------
own_send "UNPUBLISH alice@example.org" "" "Somebody <somebody@else.example>"
check_eq "UNPUBLISH subject" "$(reply_subject "$reply")" "Your command, UNPUBLISH alice@example.org"
check_eq "UNPUBLISH: reply and confirmation" "$nnew" 2
U=$(own_nth 1)
check_eq "unpublish confirmation subject" "$(reply_subject "$U")" "keymail: confirm unpublishing alice@example.org"
check_eq "unpublish confirmation to the address" "$(sed -n 's/^To: //p' "$U" | head -n 1)" "alice@example.org"
decoded_body "$U" >"$T/unp.txt"
TU=$(own_token_of "$T/unp.txt")
check "unpublish token in clear" [ -n "$TU" ]
own_send "INDEX alice@example.org"
check_eq "still published before CONFIRM" "$(reply_subject "$reply")" "Your command, INDEX alice@example.org"
own_send "CONFIRM $TU"
check_eq "UNPUBLISH CONFIRM" "$(reply_subject "$reply")" "Your command, CONFIRM"
own_send "INDEX alice@example.org"
check_eq "unpublished" "$(reply_subject "$reply")" "Your command, INDEX alice@example.org, failed"
own_get "$F2" "$T/get4.asc"
gpg --list-packets "$T/get4.asc" >"$T/p4.txt" 2>/dev/null
check_eq "the key is served without the address" "$(grep -c ':user ID packet:' "$T/p4.txt")" 0

# ---- HIDE removes every binding (signed) -------------------------------------
own_send "CONFIRM $TS" "" "Sig Only <sig@example.org>"
own_send "INDEX sig@example.org"
check_eq "sign-only key published" "$(reply_subject "$reply")" "Your command, INDEX sig@example.org"
own_block "$S" "$FS" HIDE >"$T/hide.txt"
own_send "HIDE $FS" "$T/hide.txt" "Sig Only <sig@example.org>"
check_eq "signed HIDE" "$(reply_subject "$reply")" "Your command, HIDE $FS"
own_send "INDEX sig@example.org"
check_eq "HIDE unpublished the address" "$(reply_subject "$reply")" "Your command, INDEX sig@example.org, failed"

# ---- policies: open and trusted refuse VERIFY and UNPUBLISH; change back ---
own_conf policy open
own_send "INDEX alice"
check_eq "filter defers while the policy differs" "$rc" 75
"$KEYMAIL" -c "$T/keymail.conf" initdb --change-policy >"$T/initdb2.log" 2>&1
check_eq "initdb --change-policy to open" "$?" 0
own_send "VERIFY $F"
check_eq "open: VERIFY refused" "$(reply_subject "$reply")" "Your command, VERIFY $F, failed"
check "open: policy line" body_has '^VERIFY is not offered by this server (policy open).$'
own_get "$F" "$T/get5.asc"
check_eq "open: the union again, both user IDs" "$(own_uids "$T/get5.asc" | wc -l)" 2
own_conf policy verified
"$KEYMAIL" -c "$T/keymail.conf" initdb >"$T/initdb3.log" 2>&1
check_eq "initdb without --change-policy refuses" "$?" 78
"$KEYMAIL" -c "$T/keymail.conf" initdb --change-policy >"$T/initdb4.log" 2>&1
check_eq "initdb --change-policy to verified" "$?" 0
own_send "INDEX alice@other.example"
check_eq "verified again: unconfirmed address not found" "$(reply_subject "$reply")" "Your command, INDEX alice@other.example, failed"
own_get "$F" "$T/get6.asc"
gpg --list-packets "$T/get6.asc" >"$T/p6.txt" 2>/dev/null
check_eq "verified again: the copy without user IDs" "$(grep -c ':user ID packet:' "$T/p6.txt")" 0
check "verified again: the key served" [ -s "$T/get6.asc" ]
km_done
