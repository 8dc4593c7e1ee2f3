# keymail serve under policy = trusted (server.md 5.8, owner-control.md
# 2, 3, 7): every HKP and VKS lookup answers what GET, INDEX and VERBOSE
# INDEX by mail answer, from the same lookup code.
#  - a visible key: the published copy, byte for byte the mail GET's; a
#    user ID held for its owner is neither served nor found (op=get, index,
#    mr listing, VKS by-email);
#  - an unclaimed key and a hidden key: 404, byte for byte the answer for
#    a key never stored (mail: ", failed", the same text);
#  - a hidden key with a key revocation: op=get and VKS by exact
#    fingerprint serve its revocation-only copy (the mail GET's bytes; a
#    key packet and its revocation, nothing else, as gpg --list-packets
#    reads it); by key ID and by INDEX it stays absent;
#  - /pks/add is an anonymous ADD under the policy: stored, held (a new
#    key stays unclaimed, a new user ID of a visible key stays out of its
#    published copy), the ADD report's trusted wording, and no mail at all;
#  - LMTP answers as the filter (the same pipeline);
#  - a server whose configured policy is not the one the database was
#    built for answers 503 to lookups and uploads, and LMTP 451 (the
#    filter defers mail then), and says why in its log.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/owner-lib.sh"
. "$KM_TOP/tests/serve-lib.sh"
trap sv_cleanup EXIT
command -v gpg >/dev/null || { notok "gpg not installed"; km_done; exit 1; }

own_newdb srvpol
SOCK=$T/lmtp.sock
sv_conf "hkp_listen = 127.0.0.1:0" "lmtp_listen = $SOCK" "serve_workers = 1" "hkp_rate_limit = 0"
LC() { $PY "$KM_TOP/tests/lmtp-client.py" "$SOCK" "$@"; }
H=$(own_home owner)
V=$(own_genkey "$H" ed "Vera Visible <vera@owner.example>")
D=$(own_genkey "$H" ed "Hugo Hidden <hugo@owner.example>")
U=$(own_genkey "$H" ed "Ulla Unclaimed <ulla@owner.example>")
N=$(own_genkey "$H" ed "Nils New <nils@owner.example>")
for f in "$V" "$D" "$U" "$N"; do check "key made" [ -n "$f" ]; done
kid() { echo "$1" | cut -c25-40; }
NONE=0000000000000000000000000000000000000001
NOKID=0000000000000001

for f in "$V" "$D" "$U"; do own_export "$H" "$f" "$T/k.asc"; cat "$T/k.asc"; done >"$T/all.asc"
own_send ADD "$T/all.asc"
check_eq "mail ADD of three keys" "$(reply_subject "$reply")" "Your command, ADD"
own_block "$H" "$V" SHOW >"$T/b.txt"
own_send "SHOW $V" "$T/b.txt"
check_eq "V claimed and shown" "$(reply_subject "$reply")" "Your command, SHOW $V"
own_block "$H" "$D" HIDE >"$T/b.txt"
own_send "HIDE $D" "$T/b.txt"
check_eq "D claimed and hidden" "$(reply_subject "$reply")" "Your command, HIDE $D"
# A new user ID of the visible key, mailed: held for its owner.
own_gpg "$H" --quick-add-uid "$V" "Vera Work <vera@work.example>" >/dev/null 2>&1
own_export "$H" "$V" "$T/v2.asc"
own_send ADD "$T/v2.asc"
check_eq "the work user ID is in what was mailed" "$(own_uids "$T/v2.asc" | grep -c work)" 1

sv_start || { km_done; exit 1; }

# mail_get SUBJECT-ARG FILE: mail GET; its key block into FILE (empty if
# none); prints the reply's Subject
mail_get() {
	own_send "GET $1"
	decoded_body "$reply" | sed -n '/^-----BEGIN PGP PUBLIC KEY BLOCK-----$/,/^-----END PGP PUBLIC KEY BLOCK-----$/p' >"$2"
	reply_subject "$reply"
}
# mail_text COMMAND: the result text a mail COMMAND gets (Subject line
# first, with the argument replaced by ARG, so that two searches compare)
mail_text() {
	own_send "$1"
	{ reply_subject "$reply" | sed "s|${1#* }|ARG|"; decoded_body "$reply"; }
}
# absent NAME PATH REF: PATH answers exactly what REF, the same request
# for a key never stored, answers: 404, the same body, type and length
absent() {
	hkp_get "$3" >"$T/ref.st"
	cp "$T/body" "$T/ref.body"
	ref_hdr="$(hkp_header Content-Type)|$(hkp_header Content-Length)"
	st=$(hkp_get "$2")
	check_eq "$1: 404" "$st" 404
	check_eq "$1: never stored: 404" "$(cat "$T/ref.st")" 404
	check "$1: the body of a key never stored" cmp -s "$T/body" "$T/ref.body"
	check_eq "$1: type and length of a key never stored" \
	    "$(hkp_header Content-Type)|$(hkp_header Content-Length)" "$ref_hdr"
}
hkp_get "/pks/lookup?op=get&options=mr&search=0x$NONE" >/dev/null
check "never stored: the 404 says so" grep -q 'No matching keys' "$T/body"

# ---- the visible key: its published copy, as mail GET sends it ----------
check_eq "mail GET V" "$(mail_get "$V" "$T/mail-v.asc")" "Your command, GET $V"
check_eq "mail GET V: the held user ID is not published" "$(own_uids "$T/mail-v.asc")" \
    "Vera Visible <vera@owner.example>"
check_eq "HKP get V" "$(hkp_get "/pks/lookup?op=get&options=mr&search=0x$V")" 200
check "HKP get V is the mail GET's copy" cmp -s "$T/body" "$T/mail-v.asc"
check_eq "HKP get V by key ID" "$(hkp_get "/pks/lookup?op=get&search=0x$(kid "$V")")" 200
check "by key ID: the same copy" cmp -s "$T/body" "$T/mail-v.asc"
check_eq "HKP get V by address, exact=on" \
    "$(hkp_get "/pks/lookup?op=get&options=mr&search=vera%40owner.example&exact=on")" 200
check "by address: the same copy" cmp -s "$T/body" "$T/mail-v.asc"
check_eq "VKS by-fingerprint V" "$(hkp_get "/vks/v1/by-fingerprint/$V")" 200
check "VKS: the same copy" cmp -s "$T/body" "$T/mail-v.asc"
check_eq "index mr V" "$(hkp_get "/pks/lookup?op=index&options=mr&search=vera")" 200
check_eq "index mr V: one key" "$(head -n 1 "$T/body")" "info:1:1"
check_eq "index mr V: only the published user ID" "$(grep -c '^uid:' "$T/body")" 1
check "index mr V: the published user ID" grep -q '^uid:Vera Visible <vera@owner.example>:' "$T/body"
# The held user ID finds nothing, by mail or by HKP.
check_eq "mail INDEX of the held user ID" "$(reply_subject "$(own_send 'INDEX vera@work.example'; echo "$reply")")" \
    "Your command, INDEX vera@work.example, failed"
absent "index of the held user ID" "/pks/lookup?op=index&search=vera%40work.example" \
    "/pks/lookup?op=index&search=nobody%40work.example"
absent "get of the held user ID, exact=on" "/pks/lookup?op=get&search=vera%40work.example&exact=on" \
    "/pks/lookup?op=get&search=nobody%40work.example&exact=on"
absent "VKS by-email of the held user ID" "/vks/v1/by-email/vera%40work.example" \
    "/vks/v1/by-email/nobody%40work.example"

# ---- unclaimed and hidden keys: absent, as a key never stored -----------
mail_text "GET 0x$NONE" >"$T/mail-none.txt"
for k in U D; do
	eval f=\$$k
	check_eq "mail GET $k" "$(mail_get "$f" "$T/mail-$k.asc")" "Your command, GET $f, failed"
	mail_text "GET $f" >"$T/mail-$k.txt"
	check "mail GET $k: the text for a key never stored" cmp -s "$T/mail-$k.txt" "$T/mail-none.txt"
	absent "$k: get by fingerprint" "/pks/lookup?op=get&options=mr&search=0x$f" \
	    "/pks/lookup?op=get&options=mr&search=0x$NONE"
	absent "$k: get by key ID" "/pks/lookup?op=get&options=mr&search=0x$(kid "$f")" \
	    "/pks/lookup?op=get&options=mr&search=0x$NOKID"
	absent "$k: index mr by fingerprint" "/pks/lookup?op=index&options=mr&search=0x$f" \
	    "/pks/lookup?op=index&options=mr&search=0x$NONE"
	absent "$k: vindex by fingerprint" "/pks/lookup?op=vindex&search=0x$f" \
	    "/pks/lookup?op=vindex&search=0x$NONE"
	absent "$k: VKS by-fingerprint" "/vks/v1/by-fingerprint/$f" "/vks/v1/by-fingerprint/$NONE"
	absent "$k: VKS by-keyid" "/vks/v1/by-keyid/$(kid "$f")" "/vks/v1/by-keyid/$NOKID"
done
absent "U: index by name" "/pks/lookup?op=index&options=mr&search=ulla" \
    "/pks/lookup?op=index&options=mr&search=olla"
absent "U: VKS by-email" "/vks/v1/by-email/ulla%40owner.example" "/vks/v1/by-email/olla%40owner.example"
absent "D: get by address, exact=on" "/pks/lookup?op=get&search=hugo%40owner.example&exact=on" \
    "/pks/lookup?op=get&search=hogo%40owner.example&exact=on"

# ---- a hidden revoked key: the revocation-only copy by exact fingerprint
sed 's/^:-----BEGIN/-----BEGIN/' "$H/openpgp-revocs.d/$D.rev" >"$T/rev.asc"
own_gpg "$H" --import "$T/rev.asc" >/dev/null 2>&1
own_export "$H" "$D" "$T/d-rev.asc"
own_send ADD "$T/d-rev.asc"
check_eq "mail GET of hidden revoked D" "$(mail_get "$D" "$T/mail-drev.asc")" "Your command, GET $D"
check_eq "HKP get of hidden revoked D by fingerprint" \
    "$(hkp_get "/pks/lookup?op=get&options=mr&search=0x$D")" 200
check "HKP get D: the mail GET's revocation-only copy" cmp -s "$T/body" "$T/mail-drev.asc"
g=$(own_home probe)
own_gpg "$g" --list-packets "$T/body" >"$T/pk.txt" 2>/dev/null
check_eq "revocation-only copy: one key packet" "$(grep -c '^:public key packet:' "$T/pk.txt")" 1
check_eq "revocation-only copy: one signature" "$(grep -c '^:signature packet:' "$T/pk.txt")" 1
check_eq "revocation-only copy: no user ID" "$(grep -c '^:user ID packet:' "$T/pk.txt")" 0
check "revocation-only copy: a key revocation" grep -q 'sigclass 0x20' "$T/pk.txt"
check_eq "VKS by-fingerprint D" "$(hkp_get "/vks/v1/by-fingerprint/$D")" 200
check "VKS D: the same revocation-only copy" cmp -s "$T/body" "$T/mail-drev.asc"
absent "hidden revoked D: get by key ID" "/pks/lookup?op=get&search=0x$(kid "$D")" \
    "/pks/lookup?op=get&search=0x$NOKID"
absent "hidden revoked D: index by fingerprint" "/pks/lookup?op=index&search=0x$D" \
    "/pks/lookup?op=index&search=0x$NONE"
absent "hidden revoked D: index mr by address" "/pks/lookup?op=index&options=mr&search=hugo%40owner.example" \
    "/pks/lookup?op=index&options=mr&search=hogo%40owner.example"
check_eq "mail INDEX of hidden revoked D" \
    "$(reply_subject "$(own_send "INDEX 0x$D"; echo "$reply")")" "Your command, INDEX 0x$D, failed"

# ---- /pks/add: an anonymous ADD under the policy, never any mail ---------
n0=$(nreplies)
own_export "$H" "$N" "$T/n.asc"
st=$(curl -s -o "$T/add.out" -w '%{http_code}' --data-urlencode "keytext@$T/n.asc" \
    "http://127.0.0.1:$SV_PORT/pks/add")
check_eq "/pks/add of a new key" "$st" 200
check "the report says received" grep -q '^    received$' "$T/add.out"
check "the report says keys wait for their owner" grep -q 'only once its owner' "$T/add.out"
absent "the uploaded key is unclaimed" "/pks/lookup?op=get&search=0x$N" \
    "/pks/lookup?op=get&search=0x$NONE"
own_gpg "$H" --quick-add-uid "$V" "Vera Home <vera@home.example>" >/dev/null 2>&1
own_export "$H" "$V" "$T/v3.asc"
st=$(curl -s -o "$T/add.out" -w '%{http_code}' -H 'Content-Type: application/pgp-keys' \
    --data-binary "@$T/v3.asc" "http://127.0.0.1:$SV_PORT/pks/add")
check_eq "/pks/add of the visible key with a new user ID" "$st" 200
check "the report does not say what was new" sh -c "! grep -qi 'new user ID' '$T/add.out'"
check_eq "no mail was sent for either upload" "$(nreplies)" "$n0"
check_eq "HKP get V after the upload" "$(hkp_get "/pks/lookup?op=get&search=0x$V")" 200
check "the published copy did not change" cmp -s "$T/body" "$T/mail-v.asc"
check_eq "mail GET of the uploaded key" "$(mail_get "$N" "$T/mail-n.asc")" "Your command, GET $N, failed"
n1=$(nreplies)
LC "$T/req.eml" >"$T/lmtp.out"
check "the same GET by LMTP: 250" grep -q '^END 250 2.0.0 Ok: GET done$' "$T/lmtp.out"
check_eq "LMTP: one reply" "$(nreplies)" "$((n1 + 1))"
check_eq "LMTP: the filter's answer" "$(reply_subject "$(last_reply)")" "Your command, GET $N, failed"
check_eq "the union has the uploaded key (held, not lost)" \
    "$(psql "$KM_DB" -qAtc "select count(*) from keyids where fingerprint = decode('$N', 'hex')")" 1
sv_stop
check_eq "SIGTERM: exit 0" "$sv_rc" 0

# ---- the configured policy differs from the database's: 503 --------------
own_conf policy open
sv_start || { km_done; exit 1; }
check_eq "policy differs: lookup 503" "$(hkp_get "/pks/lookup?op=get&search=0x$V")" 503
check_eq "policy differs: Retry-After" "$(hkp_header Retry-After)" 30
check_eq "policy differs: an unclaimed key is not revealed" "$(hkp_get "/pks/lookup?op=get&search=0x$U")" 503
check_eq "policy differs: VKS 503" "$(hkp_get "/vks/v1/by-email/ulla%40owner.example")" 503
st=$(curl -s -o "$T/add.out" -w '%{http_code}' --data-urlencode "keytext@$T/n.asc" \
    "http://127.0.0.1:$SV_PORT/pks/add")
check_eq "policy differs: /pks/add 503" "$st" 503
check "the log says why, once" sh -c "[ \$(grep -c 'hkp: the configuration says policy open but the database was built for policy trusted' '$SV_LOG') = 1 ]"
check_eq "the filter defers mail then too" "$(km_filter "$T/req.eml"; echo "$rc")" 75
LC "$T/req.eml" >"$T/lmtp.out"
check "and LMTP answers 451" grep -q '^END 451 4.3.0' "$T/lmtp.out"
sv_stop
check_eq "SIGTERM: exit 0" "$sv_rc" 0
km_done
