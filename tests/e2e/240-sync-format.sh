# The incrementals we send, byte for byte as handed to the mailer, against
# mail-protocol.md 4.4 (what pks, SKS 1.1.6 and onak accept), checked by
# an independent reader written here in Python: exact Subject, bare
# X-KeyServer-Sent addresses (trail, then ours), one armor block with a
# blank line after BEGIN, 64-column base64, a CRC-24 line that is present
# and correct, LF only, 7-bit, not multipart, no transfer encoding but
# 7bit, old-format packet headers for tags below 16. GnuPG must import the
# body. Per peer profile: pks gets no photo ID and only RSA/DSA/ElGamal
# keys, sks no v5/v6 keys.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/sync-lib.sh"
km_newdb format
cat >>"$T/keymail.conf" <<EOC
this_site = pgp-public-keys@keys.test.example
peer = old@pks.example pks
peer = sks@sks.example sks
peer = new@any.example generic
EOC
km_gpg_init
km_gpg_genkey rsa2048 'Pia Photo <pia@example.org>'
PIA=$(km_gpg_fpr pia@example.org)
gpg --batch --pinentry-mode loopback --passphrase '' --quick-add-key "$PIA" rsa2048 encr never 2>/dev/null
# A photo ID (user attribute): a JPEG stub is enough for GnuPG.
printf '\377\330\377\340\000\020JFIF\000\001\001\000\000\001\000\001\000\000\377\331' >"$T/p.jpg"
printf '%s\n' "$T/p.jpg" | gpg --batch --pinentry-mode loopback --passphrase '' \
    --command-fd 0 --edit-key "$PIA" addphoto save >/dev/null 2>&1
gpg --export "$PIA" | gpg --list-packets 2>/dev/null | grep -q '^:attribute packet:' &&
    ok || notok "GnuPG made no photo ID"
km_gpg_genkey ed25519 'Eve Edwards <eve@example.org>'
EVE=$(km_gpg_fpr eve@example.org)
gpg --armor --export "$PIA" >"$T/pia.asc"
gpg --armor --export "$EVE" >"$T/eve.asc"

# Pia arrives as a peer's incremental (with a trail), Eve as a user ADD.
{
	printf 'From: pgp-public-keys@upstream.example\nTo: pgp-public-keys@keys.test.example\n'
	printf 'Subject: incremental\nX-KeyServer-Sent: pgp-public-keys@upstream.example\n'
	printf 'X-KeyServer-Sent: "Far Away" <Keys@FAR.example>\nPrecedence: list\n\n'
	cat "$T/pia.asc"
} >"$T/incr.eml"
km_filter "$T/incr.eml"
km_mail "$T/add.eml" ADD "$T/eve.asc" 'Eve <eve@example.org>'
km_filter "$T/add.eml"
rm -f "$T"/outbox/*
"$KEYMAIL" sync -v >"$T/sync.log" 2>&1; check_eq "sync exit" "$?" 0

# check.py FILE THIS_SITE TRAIL...: the contract; prints the packet tags
cat >"$T/check.py" <<'PY'
import base64, re, sys
raw = open(sys.argv[1], 'rb').read()
site, trail = sys.argv[2], sys.argv[3:]
err = []
def need(c, what):
    if not c:
        err.append(what)
need(b'\r' not in raw, 'CR in message')
need(all(b < 0x80 for b in raw), '8-bit byte in message')
head, sep, body = raw.decode('ascii', 'replace').partition('\n\n')
need(sep == '\n\n', 'no header/body separator')
lines = head.split('\n')
need(not any(l[:1] in (' ', '\t') for l in lines), 'folded header')
need(all(': ' in l for l in lines), 'header line without ": "')
hdr = [tuple(l.split(': ', 1)) if ': ' in l else (l, '') for l in lines]
get = lambda n: [v for k, v in hdr if k.lower() == n.lower()]
need(get('Subject') == ['incremental'], 'Subject is %r' % get('Subject'))
need(len(get('From')) == 1 and len(get('To')) == 1, 'From/To')
need(len(get('Date')) == 1 and len(get('Message-ID')) == 1, 'Date/Message-ID')
need(get('Precedence') == ['list'], 'Precedence')
need(get('Auto-Submitted') == ['auto-generated'], 'Auto-Submitted')
need(get('MIME-Version') == ['1.0'], 'MIME-Version')
need(get('Content-Type') == ['application/pgp-keys'], 'Content-Type %r' % get('Content-Type'))
need(get('Content-Transfer-Encoding') in ([], ['7bit']), 'CTE %r' % get('Content-Transfer-Encoding'))
need(not get('X-Loop'), 'X-Loop present')
xks = get('X-KeyServer-Sent')
need(xks == trail + [site], 'X-KeyServer-Sent %r, want %r' % (xks, trail + [site]))
need(all(re.fullmatch(r'[^\s<>()\[\],;:"\\]+@[^\s<>()\[\],;:"\\@]+', v) for v in xks), 'X-KeyServer-Sent not bare')
b = body.split('\n')
if len(b) < 6:
    print('BAD ' + '; '.join(err + ['body too short']))
    sys.exit(0)
need(body.count('-----BEGIN PGP') == 1, 'not exactly one armor block')
need(b[0] == '-----BEGIN PGP PUBLIC KEY BLOCK-----', 'body does not start with BEGIN')
need(b[1] == '', 'no blank line after BEGIN')
need(b[-1] == '' and b[-2] == '-----END PGP PUBLIC KEY BLOCK-----', 'END line (and LF) not last')
data = b[2:-3]
crcline = b[-3]
need(len(data) > 0 and all(re.fullmatch(r'[A-Za-z0-9+/=]+', l) for l in data), 'base64 lines')
need(all(len(l) == 64 for l in data[:-1]) and 0 < len(data[-1]) <= 64, 'not 64 columns')
need(re.fullmatch(r'=[A-Za-z0-9+/]{4}', crcline) is not None, 'no CRC line: %r' % crcline)
pkt = base64.b64decode(''.join(data))
crc = 0xB704CE
for byte in pkt:                       # CRC-24, RFC 4880 6.1
    crc ^= byte << 16
    for _ in range(8):
        crc <<= 1
        if crc & 0x1000000:
            crc ^= 0x1864CFB
crc &= 0xFFFFFF
need(base64.b64decode(crcline[1:]) == crc.to_bytes(3, 'big'), 'CRC wrong')
tags, pos = [], 0
while pos < len(pkt):
    c = pkt[pos]
    if c & 0x40:
        tag, o = c & 63, pkt[pos + 1]
        if o < 192: hl, ln = 2, o
        elif o < 224: hl, ln = 3, ((o - 192) << 8) + pkt[pos + 2] + 192
        else: hl, ln = 6, int.from_bytes(pkt[pos + 2:pos + 6], 'big')
        need(tag >= 16, 'new-format header on tag %d' % tag)
    else:
        tag, lt = (c >> 2) & 15, c & 3
        need(lt != 3, 'indeterminate length')
        hl = 1 + (1, 2, 4, 0)[lt]
        ln = int.from_bytes(pkt[pos + 1:pos + hl], 'big')
    tags.append(tag)
    pos += hl + ln
need(pos == len(pkt), 'packets do not add up')
if err:
    print('BAD ' + '; '.join(err))
else:
    print('OK ' + ','.join(map(str, tags)))
PY

msg_for() {	# msg_for RCPT FPR: the file sent to RCPT carrying FPR
	for f in "$T"/outbox/*.eml; do
		grep -q "^To: $1\$" "$f" && [ "$(msg_fprs "$f")" = "$2" ] && echo "$f"
	done
}
body_of() { sed '1,/^$/d' "$1"; }
imports() {	# imports FILE FPR: GnuPG imports the body of FILE as FPR
	G=$(mktemp -d "$T/g.XXXXXX"); chmod 700 "$G"
	body_of "$1" >"$G/body.asc"
	GNUPGHOME=$G gpg --batch --import "$G/body.asc" 2>/dev/null &&
	    [ "$(GNUPGHOME=$G gpg --with-colons -k 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')" = "$2" ]
}
PIA_TRAIL="pgp-public-keys@upstream.example keys@far.example"

f=$(msg_for old@pks.example "$PIA")
check "pks peer got Pia" test -n "$f"
r=$($PY "$T/check.py" "$f" pgp-public-keys@keys.test.example $PIA_TRAIL); echo "pks: $r"
# public key, user ID, sig, subkey, sig: the photo and its sig are gone
check_eq "pks: contract, no photo ID" "$r" "OK 6,13,2,14,2"
check "pks: GnuPG imports it" imports "$f" "$PIA"

f=$(msg_for sks@sks.example "$PIA")
r=$($PY "$T/check.py" "$f" pgp-public-keys@keys.test.example $PIA_TRAIL); echo "sks: $r"
check_eq "sks: contract, photo ID kept" "$r" "OK 6,13,2,17,2,14,2"
check "sks: GnuPG imports it" imports "$f" "$PIA"

f=$(msg_for new@any.example "$EVE")
r=$($PY "$T/check.py" "$f" pgp-public-keys@keys.test.example); echo "generic: $r"
check_eq "generic: contract (user ADD: only us in the trail)" "$r" "OK 6,13,2"
check "generic: GnuPG imports it" imports "$f" "$EVE"
check_eq "EdDSA key not sent to the pks peer" "$(msg_for old@pks.example "$EVE")" ""
check_eq "sks peer got Eve" "$(msg_for sks@sks.example "$EVE" | wc -l)" 1
check_eq "five messages in all" "$(ls "$T"/outbox/*.eml | wc -l)" 5

# The checker itself catches what it must: a CRLF copy and a damaged CRC.
f=$(msg_for new@any.example "$EVE")
sed 's/$/\r/' "$f" >"$T/crlf.eml"
$PY "$T/check.py" "$T/crlf.eml" pgp-public-keys@keys.test.example | grep -q '^BAD.*CR in message' &&
    ok || notok "checker missed CRLF"
awk '/^=....$/ {print "=AAAA"; next} {print}' "$f" >"$T/badcrc.eml"
$PY "$T/check.py" "$T/badcrc.eml" pgp-public-keys@keys.test.example | grep -q '^BAD.*CRC wrong' &&
    ok || notok "checker missed a bad CRC"
km_done
