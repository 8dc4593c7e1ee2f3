# A version 6 key (RFC 9580 Appendix A.3, a certificate without user ID
# resting on its direct-key signature) through ADD, INDEX, VERBOSE INDEX
# and GET. GnuPG 2.2 cannot read v6 keys, so what GET sends is read back by
# a few lines of Python (packet framing, SHA-256 v6 fingerprints) and
# compared with the fingerprints the RFC prints. The secret form (A.4) is
# refused. The key is also read when pasted as bare base64.
. "$KM_TOP/tests/lib.sh"
km_newdb v6
FPR=CB186C4F0609A697E4D52DFA6C722B0C1F1E27C18A56708F6525EC27BAD9ACC9
SUB=12C83F1E706F6308FE151A417743A1F033790E93E9978488D1DB378DA9930885
km_rfc9580_v6_key "$T/a3.asc" "$T/a4.asc"

km_mail "$T/m.eml" ADD "$T/a4.asc"; km_filter "$T/m.eml"
check_eq "A.4 secret key refused" "$(reply_subject "$(last_reply)")" "Your command, ADD, failed"
check "A.4: nothing stored" sh -c "! \"$KEYMAIL\" get 0x$FPR >/dev/null 2>&1"

# First pasted as bare base64, its armor lines lost: still read.
sed '/^-----/d' "$T/a3.asc" > "$T/a3.b64"
km_mail "$T/m.eml" ADD "$T/a3.b64"; km_filter "$T/m.eml"
r=$(last_reply)
check "A.3 stored (bare base64)" grep -q "New public keys added: 1" "$r"
check "A.3 named by its fingerprint" grep -q "$FPR" "$r"
km_mail "$T/m.eml" ADD "$T/a3.asc"; km_filter "$T/m.eml"
check "A.3 armored: nothing new" grep -q "nothing new" "$(last_reply)"
# a text that merely is base64 is not taken for a key
printf 'test\n' > "$T/word.txt"
km_mail "$T/m.eml" ADD "$T/word.txt"; km_filter "$T/m.eml"
check "a base64 word is no key" grep -q "No public key block was found" "$(last_reply)"

# v6 key IDs are the fingerprint's first 64 bits; INDEX shows the low 32
km_mail "$T/i.eml" "VERBOSE INDEX 0x$FPR"; km_filter "$T/i.eml"
decoded_body "$(last_reply)" > "$T/index"
check "pub line: Ed25519 (E, 255 bits), key ID, 2022/11/30" grep -q "^pub   255E/0609A697 2022/11/30 " "$T/index"
check "fingerprint line" grep -qxF "      Key fingerprint = CB18 6C4F 0609 A697 E4D5 2DFA 6C72 2B0C  1F1E 27C1 8A56 708F 6525 EC27 BAD9 ACC9" "$T/index"

# GET by fingerprint, long key ID and subkey fingerprint: read back
# without our code, from the armor to the v6 fingerprints.
v6read() { $PY - "$1" <<'PY'
import base64, hashlib, sys
lines = open(sys.argv[1]).read().split('\n')
b = lines.index('-----BEGIN PGP PUBLIC KEY BLOCK-----')
body = []
for l in lines[b + 1:]:
    if l.startswith('-----END'):
        break
    if l.startswith('=') or ':' in l or not l:
        continue
    body.append(l)
data = base64.b64decode(''.join(body))
i, out = 0, []
while i < len(data):
    c = data[i]; i += 1
    if c & 0x40:
        tag = c & 0x3f; o = data[i]; i += 1
        if o < 192: n = o
        elif o < 224: n = ((o - 192) << 8) + data[i] + 192; i += 1
        else: n = int.from_bytes(data[i:i + 4], 'big'); i += 4
    else:
        tag = (c >> 2) & 15; lt = c & 3
        k = (1, 2, 4)[lt]; n = int.from_bytes(data[i:i + k], 'big'); i += k
    p = data[i:i + n]; i += n
    if tag in (6, 14) and p[0] == 6:
        out.append('%d %s' % (tag, hashlib.sha256(b'\x9b' + len(p).to_bytes(4, 'big') + p).hexdigest().upper()))
    else:
        out.append('%d' % tag)
print(' '.join(out))
PY
}
for spec in "0x$FPR" 0xCB186C4F0609A697 "0x$SUB"; do
	"$KEYMAIL" get "$spec" > "$T/get.asc"
	check_eq "GET $spec reads back" "$(v6read "$T/get.asc")" "6 $FPR 2 14 $SUB 2"
done
v6read "$T/a3.asc" > "$T/rfc.txt"
check_eq "the RFC's own block reads the same" "$(cat "$T/rfc.txt")" "6 $FPR 2 14 $SUB 2"
km_done
