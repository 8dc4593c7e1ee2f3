# A revocation certificate mailed on its own (issue 15, item 5): GnuPG's
# openpgp-revocs.d/FPR.rev file exactly as GnuPG wrote it (the protective
# ':' in front of the armor line included), and the bare certificate of
# gpg --generate-revocation, are verified with the stored key and merged;
# GnuPG then reads the key back as revoked. A certificate for a key we do
# not hold, or one that does not verify, stores nothing and says why.
# The corpus pairs (a key, its upstream revocation certificate, and the
# upstream revoked key) must end in the same store as the revoked key.
. "$KM_TOP/tests/lib.sh"
km_newdb revoc
km_gpg_init
km_gpg_genkey ed25519 'Rita Revoker <rita@example.org>'
fpr=$(km_gpg_fpr rita@example.org)
gpg --armor --export "$fpr" > "$T/rita.asc"
km_mail "$T/add.eml" ADD "$T/rita.asc"; km_filter "$T/add.eml"
check_eq "key stored" "$(psql "$KM_DB" -Atc "select count(*) from keys")" 1
check_eq "not revoked yet" "$(psql "$KM_DB" -Atc "select revoked from keys")" f

# 1. The .rev file as it is, pasted into the body (mutt: "i" / include).
rev=$GNUPGHOME/openpgp-revocs.d/$fpr.rev
check "GnuPG wrote a revocation certificate" [ -s "$rev" ]
check "it starts the armor with the protective colon" grep -q '^:-----BEGIN PGP PUBLIC KEY BLOCK-----' "$rev"
km_mail "$T/rev.eml" ADD "$rev"; km_filter "$T/rev.eml"
r=$(last_reply)
check_eq ".rev exit" "$rc" 0
check_eq ".rev subject" "$(reply_subject "$r")" "Your command, ADD"
decoded_body "$r" > "$T/rev.txt"
check ".rev counted as a revocation" grep -q "New revocation signatures added: 1" "$T/rev.txt"
check ".rev reported as verified and merged" grep -q "revocation certificate verified and merged" "$T/rev.txt"
check ".rev names the key" grep -q "Key $fpr" "$T/rev.txt"
check_eq "store: revoked" "$(psql "$KM_DB" -Atc "select revoked from keys")" t
check_eq "store: still one key" "$(psql "$KM_DB" -Atc "select count(*) from keys")" 1
G=$T/fresh; mkdir -m 700 "$G"
"$KEYMAIL" get "0x$fpr" > "$T/got.asc"
GNUPGHOME=$G gpg --batch --import "$T/got.asc" 2>/dev/null
check_eq "GnuPG reads the served key as revoked" \
    "$(GNUPGHOME=$G gpg --with-colons -k "$fpr" 2>/dev/null | awk -F: '/^pub/ {print $2}')" r
# The same certificate again: nothing new, and it says so.
km_mail "$T/rev2.eml" ADD "$rev"; km_filter "$T/rev2.eml"
decoded_body "$(last_reply)" > "$T/rev2.txt"
check "second time: already stored" grep -q "already stored with the key" "$T/rev2.txt"
check "second time: no new revocation counted" sh -c "! grep -q 'New revocation signatures added' '$T/rev2.txt'"

# 2. As a mutt attachment (Debian labels .rev application/octet-stream),
#    for a second key, made with gpg --generate-revocation (no colon).
km_gpg_genkey ed25519 'Ralf Revoker <ralf@example.org>'
fpr2=$(km_gpg_fpr ralf@example.org)
gpg --armor --export "$fpr2" > "$T/ralf.asc"
km_mail "$T/add2.eml" ADD "$T/ralf.asc"; km_filter "$T/add2.eml"
printf 'y\n0\n\ny\n' | gpg --no-tty --command-fd 0 --status-fd 2 --pinentry-mode loopback \
    --passphrase '' --armor --output "$T/ralf.rev" --generate-revocation "$fpr2" 2>/dev/null
check "gpg --generate-revocation wrote a certificate" grep -q '^-----BEGIN PGP PUBLIC KEY BLOCK' "$T/ralf.rev"
{
	printf 'From: Ralf Revoker <ralf@example.org>\nTo: pgp-public-keys@keys.test.example\n'
	printf 'Subject: ADD\nMessage-ID: <ralf.rev@example.org>\nMIME-Version: 1.0\n'
	printf 'Content-Type: multipart/mixed; boundary="b1"\n\n--b1\n'
	printf 'Content-Type: text/plain; charset=us-ascii\n\nMy key is revoked.\n\n--b1\n'
	printf 'Content-Type: application/octet-stream\nContent-Disposition: attachment; filename="%s.rev"\n' "$fpr2"
	printf 'Content-Transfer-Encoding: base64\n\n'
	base64 "$T/ralf.rev"
	printf '\n--b1--\n'
} > "$T/rev3.eml"
km_filter "$T/rev3.eml"
decoded_body "$(last_reply)" > "$T/rev3.txt"
check "attached .rev merged" grep -q "revocation certificate verified and merged" "$T/rev3.txt"
check_eq "store: second key revoked" "$(psql "$KM_DB" -Atc "select revoked from keys where fingerprint = decode('$fpr2', 'hex')")" t

# 3. A certificate for a key this server does not have: nothing stored,
#    and the reply says to send the public key with it.
km_gpg_genkey ed25519 'Nora Nothere <nora@example.org>'
fpr3=$(km_gpg_fpr nora@example.org)
km_mail "$T/rev4.eml" ADD "$GNUPGHOME/openpgp-revocs.d/$fpr3.rev"; km_filter "$T/rev4.eml"
r=$(last_reply)
check_eq "unknown key: subject" "$(reply_subject "$r")" "Your command, ADD, failed"
decoded_body "$r" > "$T/rev4.txt"
check "unknown key: says so" grep -q "for a key this server does not have" "$T/rev4.txt"
check "unknown key: says to send the public key" grep -q "Send the public key together with it" "$T/rev4.txt"
check "unknown key: names the key" grep -q "Key $fpr3" "$T/rev4.txt"
check_eq "unknown key: nothing stored" "$(psql "$KM_DB" -Atc "select count(*) from keys")" 2

# 4. A certificate that does not verify: the stored key of its issuer,
#    but a signature with its last octet changed.
gpg --armor --export "$fpr3" > "$T/nora.asc"
km_mail "$T/add3.eml" ADD "$T/nora.asc"; km_filter "$T/add3.eml"
sed 's/^://' "$GNUPGHOME/openpgp-revocs.d/$fpr3.rev" | gpg --dearmor > "$T/nora.rev.bin"
$PY - "$T/nora.rev.bin" "$T/bad.rev.bin" <<'PY'
import sys
d = bytearray(open(sys.argv[1], 'rb').read())
d[-1] ^= 0x01      # inside the EdDSA signature's S value
open(sys.argv[2], 'wb').write(d)
PY
{
	printf 'From: Nora <nora@example.org>\nTo: pgp-public-keys@keys.test.example\n'
	printf 'Subject: ADD\nMessage-ID: <nora.bad@example.org>\nMIME-Version: 1.0\n'
	printf 'Content-Type: application/pgp-keys\nContent-Transfer-Encoding: base64\n\n'
	base64 "$T/bad.rev.bin"
} > "$T/rev5.eml"
km_filter "$T/rev5.eml"
r=$(last_reply)
check_eq "forged certificate: subject" "$(reply_subject "$r")" "Your command, ADD, failed"
check "forged certificate: does not verify" grep -q "does not verify with this key" "$r"
check_eq "forged certificate: key not revoked" \
    "$(psql "$KM_DB" -Atc "select revoked from keys where fingerprint = decode('$fpr3', 'hex')")" f

# 5. Not a key revocation: a certification on its own is refused with
#    what to do instead.
gpg --batch --pinentry-mode loopback --passphrase '' --yes --default-key "$fpr" \
    --quick-sign-key "$fpr3" >/dev/null 2>&1
gpg --export "$fpr3" > "$T/nora.signed.bin"
$PY - "$T/nora.signed.bin" "$T/cert.bin" "$fpr" <<'PY'
import sys
# the packets of an exported key: keep the certification issued by argv[3]
d = open(sys.argv[1], 'rb').read(); i = 0; out = b''
while i < len(d):
    c = d[i]
    if c & 0x40:
        tag = c & 0x3f; l = d[i + 1]; h = 2
        if l >= 192 and l < 224: l = ((l - 192) << 8) + d[i + 2] + 192; h = 3
        elif l == 255: l = int.from_bytes(d[i + 2:i + 6], 'big'); h = 6
    else:
        tag = (c >> 2) & 15; lt = c & 3; n = [1, 2, 4][lt]; h = 1 + n
        l = int.from_bytes(d[i + 1:i + 1 + n], 'big')
    pkt = d[i:i + h + l]
    if tag == 2 and bytes.fromhex(sys.argv[3][-16:]) in pkt and pkt[h + 1] == 0x10:
        out = pkt
    i += h + l
open(sys.argv[2], 'wb').write(out)
PY
check "a certification was cut out" [ -s "$T/cert.bin" ]
{
	printf 'From: Nora <nora@example.org>\nTo: pgp-public-keys@keys.test.example\n'
	printf 'Subject: ADD\nMessage-ID: <nora.cert@example.org>\nMIME-Version: 1.0\n'
	printf 'Content-Type: application/pgp-keys\nContent-Transfer-Encoding: base64\n\n'
	base64 "$T/cert.bin"
} > "$T/cert.eml"
km_filter "$T/cert.eml"
r=$(last_reply)
check_eq "lone certification: subject" "$(reply_subject "$r")" "Your command, ADD, failed"
check "lone certification: explains" grep -q "came without its key" "$r"

# 6. Upstream pairs: key + its revocation certificate = the revoked key.
P=${KM_SHARED_KEYS:-$SHARED_KEYS}	# KM_SHARED_KEYS: the corpus elsewhere (a clone beside it)
if [ -d "$P" ]; then
	npairs=0
	for pair in \
	    "valid/hkp__contrib__docker-compose__testswarm__keydump.testvectors__alice.pgp fragments/hkp__contrib__docker-compose__testswarm__keydump.testvectors__alice-revoc.pgp revoked-expired/hkp__contrib__docker-compose__testswarm__keydump.testvectors__alice-revoked.pgp" \
	    "valid/hkp__contrib__docker-compose__testswarm__keydump.testvectors__bob.pgp fragments/hkp__contrib__docker-compose__testswarm__keydump.testvectors__bob-revoc.pgp revoked-expired/hkp__contrib__docker-compose__testswarm__keydump.testvectors__bob-revoked.pgp" \
	    "revoked-expired/hkp__test-key.asc fragments/hkp__test-key-revoke.asc revoked-expired/hkp__test-key-revoked.asc"; do
		set -- $pair
		psql "$KM_DB" -qAtc "SET client_min_messages = warning; TRUNCATE keys CASCADE"
		"$KEYMAIL" import -q "$P/$1" 2>/dev/null
		# the certificate through ADD, as a user would send it
		if head -c 5 "$P/$2" | grep -q -- '-----'; then
			km_mail "$T/pair.eml" ADD "$P/$2"
		else
			{
				printf 'From: Pat <pat@example.org>\nTo: pgp-public-keys@keys.test.example\n'
				printf 'Subject: ADD\nMessage-ID: <pair.%s@example.org>\nMIME-Version: 1.0\n' "$npairs"
				printf 'Content-Type: application/pgp-keys\nContent-Transfer-Encoding: base64\n\n'
				base64 "$P/$2"
			} > "$T/pair.eml"
		fi
		km_filter "$T/pair.eml"
		check "pair $(basename "$2"): merged" grep -q "New revocation signatures added: 1" "$(last_reply)"
		"$KEYMAIL" export > "$T/a.bin"
		psql "$KM_DB" -qAtc "SET client_min_messages = warning; TRUNCATE keys CASCADE"
		"$KEYMAIL" import -q "$P/$3" 2>/dev/null
		"$KEYMAIL" export > "$T/b.bin"
		check "pair $(basename "$2"): store equals the upstream revoked key" cmp -s "$T/a.bin" "$T/b.bin"
		npairs=$((npairs + 1))
	done
	echo "TALLY: revocation pairs: $npairs"
else
	echo "NOTE: ../shared/testdata/keys not found: 6 checks on upstream revocation pairs not run"
fi
km_done
