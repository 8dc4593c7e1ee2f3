# keymail serve over HKP with GnuPG's dirmngr as the client (server.md 5):
#  - gpg --send-keys from one GNUPGHOME, --recv-keys by fingerprint and
#    --search-keys from another; the machine-readable listing agrees with
#    GnuPG's own view of the key;
#  - a key ADDed by mail is served over HKP, byte for byte what a mail GET
#    sends; a key sent over HKP is found by mail GET, and is queued for
#    the peers with an empty trail, as a user's mail ADD is;
#  - VKS paths, 404 for unknown keys, HEAD, CORS preflight, 405, 501;
#  - an oversized body gets 413 and stores nothing (Content-Length and
#    chunked); malformed keytext is refused (400/422) and stores nothing.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/serve-lib.sh"
trap sv_cleanup EXIT
km_newdb hkpgpg
sv_conf "hkp_listen = 127.0.0.1:0" "serve_workers = 2" "hkp_max_body = 8192" \
    "peer = pgp-public-keys@peer.test.example"
sv_start || { km_done; exit 1; }
HKP=hkp://127.0.0.1:$SV_PORT

# Two throwaway GnuPG homes: A sends, B receives.
GA=$T/gnupg-a; GB=$T/gnupg-b
mkdir -m 700 "$GA" "$GB"
GNUPGHOME=$GA km_gpg_genkey ed25519 'Hilda Hkp <hilda@example.org>'
fpr=$(GNUPGHOME=$GA km_gpg_fpr hilda@example.org)
check "gpg made a key" test -n "$fpr"
GNUPGHOME=$GA gpg --batch --keyserver "$HKP" --send-keys "$fpr" >"$T/send.out" 2>&1
check_eq "gpg --send-keys exit" $? 0
check "send was logged as one /pks/add line" sv_wait sv_log_has 'hkp: 127\.0\.0\.1 "POST /pks/add" 200 '
check "add: 1 key stored" sv_log_has 'hkp: 127\.0\.0\.1 add: 1 key\(s\) stored, 0 refused'
check_eq "the upload is queued for the peer with an empty trail, as a mail ADD" \
    "$(psql "$KM_DB" -qAtc 'select seen::text from sync_queue')" "{}"

GNUPGHOME=$GB gpg --batch --keyserver "$HKP" --recv-keys "$fpr" >"$T/recv.out" 2>&1
check_eq "gpg --recv-keys exit" $? 0
got=$(GNUPGHOME=$GB gpg --with-colons --list-keys 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')
check_eq "B received A's key" "$got" "$fpr"

GNUPGHOME=$GB gpg --batch --with-colons --keyserver "$HKP" --search-keys hilda@example.org >"$T/search.out" 2>/dev/null
check_eq "gpg --search-keys exit" $? 0
check "search finds the key by fingerprint" grep -q "^pub:$fpr:" "$T/search.out"
# The pub line against GnuPG's own listing of the key: algorithm, bits, creation
want=$(GNUPGHOME=$GA gpg --with-colons --list-keys "$fpr" | awk -F: '/^pub/ {print $4 ":" $3 ":" $6; exit}')
have=$(awk -F: '/^pub/ {print $3 ":" $4 ":" $5; exit}' "$T/search.out")
check_eq "pub line: algo:bits:created as GnuPG sees them" "$have" "$want"
check "uid line carries the user ID" grep -q '^uid:Hilda Hkp <hilda@example.org>:' "$T/search.out"

# Machine-readable listing straight from the server: escaping of ':' and
# non-ASCII octets, a key without expiry, info count.
GNUPGHOME=$GA gpg --batch --pinentry-mode loopback --passphrase '' --quick-add-uid "$fpr" 'Hilda: K%rig Zoë <hilda2@example.org>' >/dev/null 2>&1
GNUPGHOME=$GA gpg --armor --export "$fpr" > "$T/hilda.asc"
st=$(curl -s --max-time 60 -o "$T/add.out" -w '%{http_code}' --data-urlencode "keytext@$T/hilda.asc" "http://127.0.0.1:$SV_PORT/pks/add")
check_eq "curl /pks/add (a new user ID) status" "$st" 200
check "the report says what was new" grep -q '1 new user ID' "$T/add.out"
check_eq "index mr status" "$(hkp_get "/pks/lookup?op=index&options=mr&search=hilda")" 200
check_eq "index mr: info line" "$(head -n 1 "$T/body")" "info:1:1"
check "index mr: escaped user ID" grep -qF 'uid:Hilda%3A K%25rig Zo%C3%AB <hilda2@example.org>:' "$T/body"
check_eq "index mr: content type" "$(hkp_header Content-Type)" "text/plain; charset=utf-8"
check_eq "index mr: X-HKP-Results-Count" "$(hkp_header X-HKP-Results-Count)" 1
check_eq "index mr: pub line has no expiry and no flags" "$(awk -F: '/^pub/ {print $6 "|" $7}' "$T/body")" "|"

# A key ADDed by mail is served over HKP exactly as a mail GET sends it.
km_gpg_init
km_gpg_genkey rsa2048 'Molly Mail <molly@example.org>'
mfpr=$(km_gpg_fpr molly@example.org)
gpg --armor --export "$mfpr" > "$T/molly.asc"
km_mail "$T/add.eml" ADD "$T/molly.asc"
km_filter "$T/add.eml"; check_eq "mail ADD exit" "$rc" 0
km_mail "$T/get.eml" "GET 0x$mfpr"
km_filter "$T/get.eml"; check_eq "mail GET exit" "$rc" 0
decoded_body "$(last_reply)" | sed -n '/^-----BEGIN PGP PUBLIC KEY BLOCK-----$/,/^-----END PGP PUBLIC KEY BLOCK-----$/p' > "$T/mail-get.asc"
check_eq "HKP get (mr) of the mailed key" "$(hkp_get "/pks/lookup?op=get&options=mr&search=0x$mfpr")" 200
check_eq "get: content type" "$(hkp_header Content-Type)" "application/pgp-keys"
check_eq "get: X-HKP-Results-Count" "$(hkp_header X-HKP-Results-Count)" 1
check "HKP get is byte for byte the mail GET's key block" cmp -s "$T/body" "$T/mail-get.asc"
check_eq "HKP get without mr: same body" "$(hkp_get "/pks/lookup?op=get&search=0x$mfpr"; cmp -s "$T/body" "$T/mail-get.asc" && echo same)" "200same"
# by address, as dirmngr's --locate-external-keys asks (exact=on)
check_eq "get by address, exact=on" "$(hkp_get "/pks/lookup?op=get&options=mr&search=molly%40example.org&exact=on")" 200
check_eq "exact=on: a part of the address is not it" "$(hkp_get "/pks/lookup?op=get&options=mr&search=olly%40example.org&exact=on")" 404
check_eq "without exact a word search finds it" "$(hkp_get "/pks/lookup?op=get&search=molly")" 200

# A key sent over HKP is found by mail GET.
km_mail "$T/get2.eml" "GET 0x$fpr"
km_filter "$T/get2.eml"
G=$T/gnupg-c; mkdir -m 700 "$G"
GNUPGHOME=$G gpg --batch --import "$(last_reply)" >/dev/null 2>&1
got=$(GNUPGHOME=$G gpg --with-colons --list-keys 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')
check_eq "mail GET finds the key sent over HKP" "$got" "$fpr"

# The pks listing without mr is the mail INDEX result part.
km_mail "$T/index.eml" "INDEX molly"
km_filter "$T/index.eml"
decoded_body "$(last_reply)" > "$T/mail-index.txt"
check_eq "index without mr" "$(hkp_get "/pks/lookup?op=index&search=molly")" 200
check "index without mr is the mail INDEX listing" sh -c "grep -vxF -f '$T/mail-index.txt' '$T/body' | wc -l | grep -qx 0"
check "index without mr names the key" grep -q 'Molly Mail <molly@example.org>' "$T/body"

# VKS
check_eq "vks by-fingerprint" "$(hkp_get "/vks/v1/by-fingerprint/$mfpr")" 200
check "vks by-fingerprint serves the key" cmp -s "$T/body" "$T/mail-get.asc"
lower=$(echo "$mfpr" | tr 'A-F' 'a-f')
check_eq "vks by-fingerprint, lower case" "$(hkp_get "/vks/v1/by-fingerprint/$lower")" 200
check_eq "vks by-keyid" "$(hkp_get "/vks/v1/by-keyid/$(echo "$mfpr" | cut -c25-40)")" 200
check_eq "vks by-email" "$(hkp_get "/vks/v1/by-email/molly%40example.org")" 200
check "vks by-email serves the key" cmp -s "$T/body" "$T/mail-get.asc"
check_eq "vks by-email, unknown" "$(hkp_get "/vks/v1/by-email/nobody%40example.org")" 404
check_eq "vks by-fingerprint, malformed" "$(hkp_get "/vks/v1/by-fingerprint/0x$mfpr")" 400
check_eq "vks upload" "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data '{}' "http://127.0.0.1:$SV_PORT/vks/v1/upload")" 501

# Unknown keys, bad searches, methods, HEAD, CORS
check_eq "unknown fingerprint" "$(hkp_get "/pks/lookup?op=get&options=mr&search=0x0000000000000000000000000000000000000001")" 404
check "404 body is text" grep -q 'No matching keys' "$T/body"
check_eq "404 carries CORS" "$(hkp_header Access-Control-Allow-Origin)" "*"
check_eq "404 no-cache" "$(hkp_header Cache-Control)" "no-cache"
check_eq "malformed key ID" "$(hkp_get "/pks/lookup?op=get&search=0xZZZZ")" 400
check_eq "search too short" "$(hkp_get "/pks/lookup?op=index&search=a")" 400
check_eq "missing op" "$(hkp_get "/pks/lookup?search=molly")" 400
check_eq "unknown op" "$(hkp_get "/pks/lookup?op=photo&search=molly")" 501
check_eq "bad escape" "$(hkp_get "/pks/lookup?op=get&search=%zz")" 400
check_eq "unknown path" "$(hkp_get "/pks/nothing")" 404
check_eq "stats" "$(hkp_get "/pks/lookup?op=stats")" 200
check "stats names the software" grep -q '^software: keymail ' "$T/body"
check_eq "GET /" "$(hkp_get "/")" 200
check "/ names the robot address" grep -q 'send a mail with Subject HELP to pgp-public-keys@keys.test.example' "$T/body"
st=$(curl -s -I --max-time 60 -o "$T/head" -w '%{http_code}' "http://127.0.0.1:$SV_PORT/pks/lookup?op=get&search=0x$mfpr")
check_eq "HEAD status" "$st" 200
check "HEAD has the GET's length" grep -qi "^Content-Length: $(wc -c < "$T/mail-get.asc")" "$T/head"
st=$(curl -s -X OPTIONS -D "$T/headers" -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SV_PORT/pks/add")
check_eq "OPTIONS" "$st" 204
check_eq "OPTIONS allows" "$(hkp_header Access-Control-Allow-Methods)" "GET, HEAD, POST, OPTIONS"
st=$(curl -s -X DELETE -D "$T/headers" -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SV_PORT/pks/lookup")
check_eq "DELETE on a lookup path" "$st" 405
check_eq "405 Allow" "$(hkp_header Allow)" "GET, HEAD, OPTIONS"

# Oversized bodies (hkp_max_body 8192 here): 413, nothing stored.
km_gpg_genkey ed25519 'Big Body <bigbody@example.org>'
bfpr=$(km_gpg_fpr bigbody@example.org)
gpg --armor --export "$bfpr" > "$T/big.asc"
head -c 9000 /dev/zero | tr '\0' 'x' > "$T/pad"
st=$(curl -s -o "$T/body" -w '%{http_code}' --data-urlencode "keytext@$T/big.asc" --data-urlencode "pad@$T/pad" "http://127.0.0.1:$SV_PORT/pks/add")
check_eq "body over hkp_max_body (Content-Length): 413" "$st" 413
st=$(curl -s -o "$T/body" -w '%{http_code}' -H 'Transfer-Encoding: chunked' --data-urlencode "keytext@$T/big.asc" --data-urlencode "pad@$T/pad" "http://127.0.0.1:$SV_PORT/pks/add")
check_eq "body over hkp_max_body (chunked): 413" "$st" 413
check_eq "nothing of the 413 uploads was stored" "$(hkp_get "/pks/lookup?op=get&search=0x$bfpr")" 404
st=$(curl -s -o "$T/body" -w '%{http_code}' --data-urlencode "keytext@$T/big.asc" "http://127.0.0.1:$SV_PORT/pks/add")
check_eq "the same key alone fits: 200" "$st" 200
check_eq "and is stored" "$(hkp_get "/pks/lookup?op=get&search=0x$bfpr")" 200

# Malformed key text: nothing storable is 422 with ADD's report; a bad form is 400.
st=$(curl -s -o "$T/body" -w '%{http_code}' --data 'keytext=this+is+not+a+key' "http://127.0.0.1:$SV_PORT/pks/add")
check_eq "keytext without a key: 422" "$st" 422
check "422 body is ADD's report" grep -q 'No public key block was found' "$T/body"
sed '5s/./#/' "$T/big.asc" > "$T/broken.asc"
st=$(curl -s -o "$T/body" -w '%{http_code}' --data-urlencode "keytext@$T/broken.asc" "http://127.0.0.1:$SV_PORT/pks/add")
check_eq "damaged armor: 422" "$st" 422
st=$(curl -s -o "$T/body" -w '%{http_code}' --data 'keytext=%zz' "http://127.0.0.1:$SV_PORT/pks/add")
check_eq "malformed escape in the form: 400" "$st" 400
st=$(curl -s -o "$T/body" -w '%{http_code}' --data 'other=1' "http://127.0.0.1:$SV_PORT/pks/add")
check_eq "no keytext: 400" "$st" 400
st=$(curl -s -o "$T/body" -w '%{http_code}' -H 'Content-Type: text/plain' --data-binary "@$T/big.asc" "http://127.0.0.1:$SV_PORT/pks/add")
check_eq "text/plain upload: 415" "$st" 415
gpg --export "$mfpr" > "$T/molly.bin"
st=$(curl -s -o "$T/body" -w '%{http_code}' -H 'Content-Type: application/pgp-keys' --data-binary "@$T/molly.bin" "http://127.0.0.1:$SV_PORT/pks/add")
check_eq "binary application/pgp-keys upload: 200" "$st" 200
check "and it merged as nothing new" grep -q 'nothing new' "$T/body"
GNUPGHOME=$GA gpg --export-secret-keys --armor "$fpr" > "$T/secret.asc" 2>/dev/null
st=$(curl -s -o "$T/body" -w '%{http_code}' --data-urlencode "keytext@$T/secret.asc" "http://127.0.0.1:$SV_PORT/pks/add")
check_eq "a secret key: 422" "$st" 422
check "the report says secret keys are refused" grep -qi 'secret key' "$T/body"

check "every request logged as one line" sv_wait sv_log_has 'hkp: 127\.0\.0\.1 "GET /pks/lookup\?op=stats" 200 [0-9]+ [0-9]+ms'
sv_stop
check_eq "SIGTERM: exit 0" "$sv_rc" 0
check "serve: stopped logged" sv_log_has 'serve: stopped$'
km_done
