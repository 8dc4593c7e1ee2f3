# keymail serve under policy = verified (server.md 5.8, owner-control.md
# 8): every HKP and VKS lookup answers what GET and INDEX by mail answer.
#  - a key with one confirmed address of two: op=get by fingerprint, key ID
#    and that address (exact=on or not) and VKS by-fingerprint/by-email
#    serve the mail GET's copy byte for byte (that user ID alone); the mr
#    index lists that user ID alone;
#  - the unconfirmed address, a word of the user ID, and the address of a
#    key nobody confirmed: 404 (not 400: "any other text gets 404"), byte
#    for byte the answer for an address or word never stored (mail INDEX:
#    ", failed");
#  - a key nobody confirmed is served by fingerprint and key ID as mail
#    GET serves it: a copy without user IDs;
#  - a key whose owner confirmed, then HIDEs it: the binding is gone
#    (owner-control.md 8), so its address is absent and the key is served
#    by fingerprint without user IDs, as mail GET serves it;
#  - /pks/add stores the key and mails nobody (no verification mail:
#    an HTTP client has no address); the key is then served by its
#    fingerprint as mail GET serves it.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/owner-lib.sh"
. "$KM_TOP/tests/serve-lib.sh"
trap sv_cleanup EXIT
command -v gpg >/dev/null || { notok "gpg not installed"; km_done; exit 1; }

own_newdb srv641 verified
own_conf max_token_mails_per_day 0
own_conf max_address_mails_per_hour 0
sv_conf "hkp_listen = 127.0.0.1:0" "serve_workers = 1" "hkp_rate_limit = 0"
H=$(own_home alice)
A=$(own_genkey "$H" ed "Alice Secretname <alice@example.org>")
own_gpg "$H" --quick-add-uid "$A" "Alice Othername <alice@other.example>" >/dev/null 2>&1
W=$(own_genkey "$H" ed "Walter Waiting <walter@example.org>")
D=$(own_genkey "$H" ed "Dora Hidden <dora@example.org>")
N=$(own_genkey "$H" ed "Nils New <nils@example.org>")
for f in "$A" "$W" "$D" "$N"; do check "key made" [ -n "$f" ]; done
kid() { echo "$1" | cut -c25-40; }
NONE=0000000000000000000000000000000000000001
NOKID=0000000000000001

# Alice confirms alice@example.org only; Walter never confirms; Dora
# confirms, then hides her key with a signed HIDE.
own_export "$H" "$A" "$T/a.asc"
own_send ADD "$T/a.asc"
check_eq "alice's ADD: the reply and one verification" "$nnew" 2
TOK=$(own_challenge_token "$H" "$(own_nth 1)")
own_send "CONFIRM $TOK"
check_eq "alice confirms" "$(reply_subject "$reply")" "Your command, CONFIRM"
own_export "$H" "$W" "$T/w.asc"
own_send ADD "$T/w.asc" "Walter Waiting <walter@example.org>"
check_eq "walter's ADD" "$(reply_subject "$reply")" "Your command, ADD"
own_export "$H" "$D" "$T/d.asc"
own_send ADD "$T/d.asc" "Dora Hidden <dora@example.org>"
check_eq "dora's ADD: the reply and one verification" "$nnew" 2
TOK=$(own_challenge_token "$H" "$(own_nth 1)")
own_send "CONFIRM $TOK" "" "Dora Hidden <dora@example.org>"
check_eq "dora confirms" "$(reply_subject "$reply")" "Your command, CONFIRM"
own_block "$H" "$D" HIDE >"$T/b.txt"
own_send "HIDE $D" "$T/b.txt" "Dora Hidden <dora@example.org>"
check_eq "dora hides her key" "$(reply_subject "$reply")" "Your command, HIDE $D"

sv_start || { km_done; exit 1; }

# mail_get ARG FILE: mail GET; its key block into FILE (empty if none);
# prints the reply's Subject
mail_get() {
	own_send "GET $1"
	decoded_body "$reply" | sed -n '/^-----BEGIN PGP PUBLIC KEY BLOCK-----$/,/^-----END PGP PUBLIC KEY BLOCK-----$/p' >"$2"
	reply_subject "$reply"
}
# mail_index ARG: the Subject of the reply to a mail INDEX
mail_index() { own_send "INDEX $1"; reply_subject "$reply"; }
# same NAME PATH COPY: PATH answers 200 with exactly the key block COPY
same() {
	check_eq "$1: 200" "$(hkp_get "$2")" 200
	check "$1: the mail GET's copy" cmp -s "$T/body" "$3"
}
# absent NAME PATH REF: PATH answers exactly what REF, the same request
# for something never stored, answers: 404, the same body, type, length
absent() {
	hkp_get "$3" >"$T/ref.st"
	cp "$T/body" "$T/ref.body"
	ref_hdr="$(hkp_header Content-Type)|$(hkp_header Content-Length)"
	st=$(hkp_get "$2")
	check_eq "$1: 404" "$st" 404
	check_eq "$1: never stored: 404" "$(cat "$T/ref.st")" 404
	check "$1: the body of something never stored" cmp -s "$T/body" "$T/ref.body"
	check_eq "$1: type and length of something never stored" \
	    "$(hkp_header Content-Type)|$(hkp_header Content-Length)" "$ref_hdr"
}

# ---- alice: the confirmed address alone -----------------------------------
check_eq "mail GET A" "$(mail_get "$A" "$T/mail-a.asc")" "Your command, GET $A"
check_eq "mail GET A: the confirmed user ID alone" "$(own_uids "$T/mail-a.asc")" \
    "Alice Secretname <alice@example.org>"
check_eq "mail GET by the confirmed address" "$(mail_get alice@example.org "$T/mail-a2.asc")" \
    "Your command, GET alice@example.org"
check "mail GET by address: the same copy" cmp -s "$T/mail-a2.asc" "$T/mail-a.asc"
same "HKP get A by fingerprint" "/pks/lookup?op=get&options=mr&search=0x$A" "$T/mail-a.asc"
same "HKP get A by key ID" "/pks/lookup?op=get&search=0x$(kid "$A")" "$T/mail-a.asc"
same "HKP get by the confirmed address, exact=on" \
    "/pks/lookup?op=get&options=mr&search=alice%40example.org&exact=on" "$T/mail-a.asc"
same "HKP get by the confirmed address" \
    "/pks/lookup?op=get&options=mr&search=alice%40example.org" "$T/mail-a.asc"
same "HKP get by the confirmed address, other case" \
    "/pks/lookup?op=get&search=ALICE%40Example.ORG" "$T/mail-a.asc"
same "VKS by-fingerprint A" "/vks/v1/by-fingerprint/$A" "$T/mail-a.asc"
same "VKS by-keyid A" "/vks/v1/by-keyid/$(kid "$A")" "$T/mail-a.asc"
same "VKS by-email of the confirmed address" "/vks/v1/by-email/alice%40example.org" "$T/mail-a.asc"
check_eq "mail INDEX of the confirmed address" "$(mail_index alice@example.org)" \
    "Your command, INDEX alice@example.org"
check_eq "index mr of the confirmed address" \
    "$(hkp_get "/pks/lookup?op=index&options=mr&search=alice%40example.org")" 200
check_eq "index mr: one key" "$(head -n 1 "$T/body")" "info:1:1"
check_eq "index mr: one user ID" "$(grep -c '^uid:' "$T/body")" 1
check "index mr: the confirmed user ID" grep -q '^uid:Alice Secretname <alice@example.org>:' "$T/body"
check "index mr: not the other" sh -c "! grep -q 'other.example' '$T/body'"

# ---- what a text search must not find ----------------------------------------
check_eq "mail INDEX of the unconfirmed address" "$(mail_index alice@other.example)" \
    "Your command, INDEX alice@other.example, failed"
absent "index of the unconfirmed address" "/pks/lookup?op=index&options=mr&search=alice%40other.example" \
    "/pks/lookup?op=index&options=mr&search=nobody%40other.example"
absent "get of the unconfirmed address, exact=on" "/pks/lookup?op=get&search=alice%40other.example&exact=on" \
    "/pks/lookup?op=get&search=nobody%40other.example&exact=on"
absent "VKS by-email of the unconfirmed address" "/vks/v1/by-email/alice%40other.example" \
    "/vks/v1/by-email/nobody%40other.example"
check_eq "mail INDEX by a word of the user ID" "$(mail_index Secretname)" \
    "Your command, INDEX Secretname, failed"
absent "index by a word of the confirmed user ID" "/pks/lookup?op=index&options=mr&search=Secretname" \
    "/pks/lookup?op=index&options=mr&search=Sekretname"
absent "get by a word of the confirmed user ID" "/pks/lookup?op=get&search=Secretname" \
    "/pks/lookup?op=get&search=Sekretname"
check_eq "mail INDEX of walter's address" "$(mail_index walter@example.org)" \
    "Your command, INDEX walter@example.org, failed"
absent "index of walter's address" "/pks/lookup?op=index&options=mr&search=walter%40example.org" \
    "/pks/lookup?op=index&options=mr&search=wolter%40example.org"
absent "VKS by-email of walter's address" "/vks/v1/by-email/walter%40example.org" \
    "/vks/v1/by-email/wolter%40example.org"

# ---- walter: nothing confirmed, served by fingerprint without user IDs ----
check_eq "mail GET W" "$(mail_get "$W" "$T/mail-w.asc")" "Your command, GET $W"
g=$(own_home probe)
own_gpg "$g" --list-packets "$T/mail-w.asc" >"$T/pw.txt" 2>/dev/null
check_eq "mail GET W: no user ID" "$(grep -c ':user ID packet:' "$T/pw.txt")" 0
check_eq "mail GET W: the key" "$(grep -c '^:public key packet:' "$T/pw.txt")" 1
same "HKP get W by fingerprint" "/pks/lookup?op=get&options=mr&search=0x$W" "$T/mail-w.asc"
same "HKP get W by key ID" "/pks/lookup?op=get&search=0x$(kid "$W")" "$T/mail-w.asc"
same "VKS by-fingerprint W" "/vks/v1/by-fingerprint/$W" "$T/mail-w.asc"

# ---- dora: HIDE removed her binding (owner-control.md 8): her address
# ---- is absent, her key served by fingerprint as walter's is -------------
check_eq "mail INDEX of dora's address" "$(mail_index dora@example.org)" \
    "Your command, INDEX dora@example.org, failed"
absent "D: get by its once confirmed address, exact=on" "/pks/lookup?op=get&search=dora%40example.org&exact=on" \
    "/pks/lookup?op=get&search=dara%40example.org&exact=on"
absent "D: index mr by its once confirmed address" "/pks/lookup?op=index&options=mr&search=dora%40example.org" \
    "/pks/lookup?op=index&options=mr&search=dara%40example.org"
absent "D: VKS by-email" "/vks/v1/by-email/dora%40example.org" "/vks/v1/by-email/dara%40example.org"
check_eq "mail GET D" "$(mail_get "$D" "$T/mail-d.asc")" "Your command, GET $D"
own_gpg "$g" --list-packets "$T/mail-d.asc" >"$T/pd.txt" 2>/dev/null
check_eq "mail GET D: no user ID" "$(grep -c ':user ID packet:' "$T/pd.txt")" 0
same "HKP get D by fingerprint" "/pks/lookup?op=get&options=mr&search=0x$D" "$T/mail-d.asc"
same "VKS by-fingerprint D" "/vks/v1/by-fingerprint/$D" "$T/mail-d.asc"

# ---- /pks/add: stored, nobody mailed -----------------------------------------
n0=$(nreplies)
absent "N before its upload" "/pks/lookup?op=get&search=0x$N" "/pks/lookup?op=get&search=0x$NONE"
own_export "$H" "$N" "$T/n.asc"
st=$(curl -s -o "$T/add.out" -w '%{http_code}' --data-urlencode "keytext@$T/n.asc" \
    "http://127.0.0.1:$SV_PORT/pks/add")
check_eq "/pks/add of a new key" "$st" 200
check "the report says received" grep -q 'received' "$T/add.out"
check_eq "no mail at all (no verification)" "$(nreplies)" "$n0"
check_eq "mail GET N" "$(mail_get "$N" "$T/mail-n.asc")" "Your command, GET $N"
own_gpg "$g" --list-packets "$T/mail-n.asc" >"$T/pn.txt" 2>/dev/null
check_eq "mail GET N: no user ID" "$(grep -c ':user ID packet:' "$T/pn.txt")" 0
same "HKP get N by fingerprint" "/pks/lookup?op=get&options=mr&search=0x$N" "$T/mail-n.asc"
absent "index of N's address" "/pks/lookup?op=index&search=nils%40example.org" \
    "/pks/lookup?op=index&search=nels%40example.org"
sv_stop
check_eq "SIGTERM: exit 0" "$sv_rc" 0
km_done
