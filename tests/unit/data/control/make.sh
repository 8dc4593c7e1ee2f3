#!/bin/sh
# tests/unit/data/control/make.sh - make the control-block fixtures of
# tests/unit/owner_control_test.c: our own throwaway keys, made with
# GnuPG 2.2 under a faked clock (and craft.py for what GnuPG will not
# make), control blocks clearsigned by them, mails carrying the blocks,
# and cases.tsv, which says what the checks must answer for each mail.
#
# Run by hand (sh make.sh) when the fixtures must change; the output is
# committed, so the unit tests depend on neither GnuPG's nor the clock's
# behaviour. The secret keys are deleted at the end.
#
# sh make.sh DIR writes the fixtures to DIR instead: tests/e2e/520-
# control-gpg.sh does that at test time, to check the blocks the
# installed GnuPG makes. Without python3-cryptography or openssl the
# crafted cases are left out (a NOTE says so).
#
# Times: keys are made at KT = T0 - 10 days, blocks signed at T0 unless a
# case says otherwise; each case gives the "now" it is checked at.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
mkdir -p "$out"
cd "$out"
craft=yes
if ! python3 -c 'import cryptography' 2>/dev/null || ! command -v openssl >/dev/null; then
	craft=
	echo "NOTE: python3-cryptography or openssl missing: crafted cases left out"
fi
T0=1780000000			# 2026-05-28T20:26:40Z
KT=$((T0 - 864000))
KS=pgp-public-keys@keys.example.net
W=$(mktemp -d "${TMPDIR:-/tmp}/km-control-fixtures.XXXXXX")
trap 'gpgconf --homedir "$W/g" --kill gpg-agent 2>/dev/null; rm -rf "$W"' EXIT
mkdir -m 700 "$W/g"
export GNUPGHOME="$W/g"
rm -f ./*.eml ./*.asc ./*.fpr cases.tsv

g() { gpg -q --batch --no-tty --pinentry-mode loopback --passphrase '' "$@"; }
at() { t=$1; shift; g --faked-system-time "$t!" "$@"; }
fpr_of() { gpg --with-colons -k "$1" | awk -F: '/^fpr/ { print $10; exit }'; }
sub_fpr() { gpg --with-colons -k "$1" | awk -F: '/^fpr/ { n++; if (n == '"$2"' + 1) { print $10; exit } }'; }

# ---- owners ----------------------------------------------------------------
at $KT --quick-gen-key 'RSA Owner <rsa@example.org>' rsa2048 sign,cert never
at $KT --quick-gen-key 'Ed Owner <ed@example.org>' ed25519 cert never
at $KT --quick-gen-key 'P256 Owner <p256@example.org>' nistp256 sign,cert never
at $KT --quick-gen-key 'DSA Owner <dsa@example.org>' dsa2048 sign,cert never
at $KT --quick-gen-key 'Revsub Owner <revsub@example.org>' ed25519 cert never
at $KT --quick-gen-key 'Revoked Owner <revoked@example.org>' ed25519 sign,cert never
at $KT --quick-gen-key 'Expired Owner <expired@example.org>' ed25519 sign,cert never
R=$(fpr_of rsa@example.org)
E=$(fpr_of ed@example.org)
P=$(fpr_of p256@example.org)
D=$(fpr_of dsa@example.org)
V=$(fpr_of revsub@example.org)
K=$(fpr_of revoked@example.org)
X=$(fpr_of expired@example.org)
at $KT --quick-add-key "$E" ed25519 sign never
at $KT --quick-add-key "$E" cv25519 encr never
at $KT --quick-add-key "$V" ed25519 sign never
ES=$(sub_fpr "$E" 1)
VS=$(sub_fpr "$V" 1)

# ---- blocks and mails ------------------------------------------------------
# fields CMD FPR [ARG...]: the lines of a control block (NONCE, KSV set).
fields() {
	c=$1; f=$2; shift 2
	printf 'keymail-control: 1\nkeyserver: %s\ncommand: %s\nfingerprint: %s\n' \
	    "${KSV:-$KS}" "$c" "$f"
	for a in "$@"; do printf 'argument: %s\n' "$a"; done
	printf 'nonce: %s\n' "$NONCE"
}
# sign TIME SIGNER IN OUT [GPG-OPTION...]
sign() {
	t=$1; s=$2; i=$3; o=$4; shift 4
	at "$t" --local-user "$s" "$@" --clearsign -o "$o" "$i"
}
# mail NAME SUBJECT BODY-FILE...: a plain mail with the files as its body.
mail() {
	n=$1; s=$2; shift 2
	{
		printf 'From: Owner <owner@example.org>\nTo: %s\n' "$KS"
		printf 'Subject: %s\nMessage-ID: <%s@example.org>\n' "$s" "$n"
		printf 'Date: Thu, 28 May 2026 20:26:40 +0000\n\n'
		printf 'Please do this.\n\n'
		cat "$@"
		printf '\n-- \nOwner\n'
	} > "$n.eml"
}
# case NAME KEY NOW EXPECTED
case_() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> cases.tsv; }
# simple NAME SUBJECT-CMD FPR SIGNER TIME [ARG...]: fields, sign, mail.
simple() {
	n=$1; c=$2; f=$3; s=$4; t=$5; shift 5
	fields "$c" "$f" "$@" > "$W/$n.in"
	sign "$t" "$s" "$W/$n.in" "$W/$n.asc"
	mail "$n" "$c $f $*" "$W/$n.asc"
}
acc() { printf 'accepted %s nonce=%s created=%s signer=%s' "$1" "$2" "$3" "$4"; }

for k in R E P D V K X; do
	eval f=\$$k
	g --export --armor "$f" > "key-$k.asc"
done

# Accepted: every owner algorithm, primary and subkey signers.
NONCE=rsa-show-0000001
simple ok-rsa-show SHOW "$R" "$R" $T0
case_ ok-rsa-show key-R.asc $T0 "$(acc "SHOW $R" $NONCE $T0 "$R")"
# the window's edges, from the same mail
case_ ok-rsa-show key-R.asc $((T0 + 172800)) "$(acc "SHOW $R" $NONCE $T0 "$R")"
case_ ok-rsa-show key-R.asc $((T0 + 172801)) "refused: signed too long ago"
case_ ok-rsa-show key-R.asc $((T0 - 600)) "$(acc "SHOW $R" $NONCE $T0 "$R")"
case_ ok-rsa-show key-R.asc $((T0 - 601)) "refused: signed in the future"
# the block checked against another owner's key
case_ ok-rsa-show key-P.asc $T0 "refused: signed by a key other than $P"

NONCE=ed-notify-subkey-01
fields NOTIFY "$E" owner@example.org > "$W/n.in"
sign $T0 "$E" "$W/n.in" "$W/n.asc"
mail ok-ed-notify "notify 0x$(echo "$E" | tr A-F a-f) Owner@EXAMPLE.org" "$W/n.asc"
case_ ok-ed-notify key-E.asc $T0 "$(acc "NOTIFY $E owner@example.org" $NONCE $T0 "$ES") subkey"

NONCE=p256-hide-0000001
simple ok-p256-hide HIDE "$P" "$P" $T0
case_ ok-p256-hide key-P.asc $((T0 + 60)) "$(acc "HIDE $P" $NONCE $T0 "$P")"

NONCE=dsa-held-sha256-1
simple ok-dsa-held HELD "$D" "$D" $T0
case_ ok-dsa-held key-D.asc $T0 "$(acc "HELD $D" $NONCE $T0 "$D")"
# SHA2-224: GnuPG 2.2 makes DSA-2048 keys with a 256-bit q, signs with
# SHA2-256 and refuses SHA2-224 for them ("Invalid length"); GnuPG 1.4's
# DSA-2048 keys have a 224-bit q and sign with SHA2-224 (crafted below).
NONCE=rsa-show-sha224-1
fields SHOW "$R" > "$W/r224.in"
sign $T0 "$R" "$W/r224.in" "$W/r224.asc" --digest-algo SHA224
mail ok-rsa-sha224 "SHOW $R" "$W/r224.asc"
case_ ok-rsa-sha224 key-R.asc $T0 "$(acc "SHOW $R" $NONCE $T0 "$R")"
if [ -n "$craft" ]; then
NONCE=dsa224-held-sha224
printf 'keymail-control: 1\nkeyserver: %s\ncommand: HELD\nfingerprint: @FPR@\nnonce: %s\n' \
    "$KS" "$NONCE" > "$W/d224.in"
python3 "$here/craft.py" dsa224 "$out" $T0 $KT "$W/d224.in"
D2=$(cat dsa224.fpr); rm -f dsa224.fpr; mv dsa224.asc key-dsa224.asc
mail ok-dsa224 "HELD $D2" "$W/d224.in.dsa224"
case_ ok-dsa224 key-dsa224.asc $T0 "$(acc "HELD $D2" $NONCE $T0 "$D2")"
fi

NONCE=rsa-reject-sha512
fields REJECT "$R" ALL BLOCK > "$W/rj.in"
sign $T0 "$R" "$W/rj.in" "$W/rj.asc" --digest-algo SHA512
mail ok-rsa-reject "REJECT $R all block" "$W/rj.asc"
case_ ok-rsa-reject key-R.asc $T0 "$(acc "REJECT $R ALL BLOCK" $NONCE $T0 "$R")"

NONCE=ed-accept-issuers
PK=$(echo "$P" | cut -c25-40)
fields ACCEPT "0x$E" "0x$(echo "$PK" | tr A-F a-f)" "$R" > "$W/ac.in"
sign $((T0 - 3600)) "$E" "$W/ac.in" "$W/ac.asc" --digest-algo SHA384
mail ok-ed-accept "ACCEPT $E 0x$PK 0x$R" "$W/ac.asc"
case_ ok-ed-accept key-E.asc $T0 "$(acc "ACCEPT $E 0x$PK $R" $NONCE $((T0 - 3600)) "$ES") subkey"

# REPLACE carries the (dash-escaped) key; what comes out must be it.
NONCE=ed-replace-show-1
{ fields REPLACE "$E" SHOW; echo; cat key-E.asc; } > "$W/rp.in"
sign $T0 "$E" "$W/rp.in" "$W/rp.asc"
mail ok-ed-replace "REPLACE $E SHOW" "$W/rp.asc"
KEYSUM=$(g --export "$E" | sha256sum | cut -c1-64)
case_ ok-ed-replace key-E.asc $T0 "$(acc "REPLACE $E SHOW" $NONCE $T0 "$ES") subkey key=$KEYSUM"

# The same block as a base64 text/plain attachment, CRLF line ends.
{
	printf 'From: owner@example.org\r\nTo: %s\r\nSubject: SHOW %s\r\n' "$KS" "$R"
	printf 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
	printf -- '--b\r\nContent-Type: text/plain\r\n\r\nsee attachment\r\n'
	printf -- '--b\r\nContent-Type: text/html\r\n\r\n<p>see attachment</p>\r\n'
	printf -- '--b\r\nContent-Type: text/plain; name="c.asc"\r\n'
	printf 'Content-Disposition: attachment; filename="c.asc"\r\n'
	printf 'Content-Transfer-Encoding: base64\r\n\r\n'
	sed 's/$/\r/' "$W/ok-rsa-show.asc" | base64 | sed 's/$/\r/'
	printf -- '--b--\r\n'
} > ok-attachment.eml
case_ ok-attachment key-R.asc $T0 "$(acc "SHOW $R" rsa-show-0000001 $T0 "$R")"
# Trailing blanks added in transport do not count (RFC 9580 7.1).
sed 's/^\(nonce: .*\)$/\1  \t/; s/^\(keyserver: .*\)$/\1 /' ok-rsa-show.eml > ok-trailing.eml
case_ ok-trailing key-R.asc $T0 "$(acc "SHOW $R" rsa-show-0000001 $T0 "$R")"

# ---- refused, one per check ------------------------------------------------
# Check 5: a byte of the signed text changed; a byte of the signature.
sed 's/^nonce: rsa-show-0000001/nonce: rsa-show-0000002/' ok-rsa-show.eml > bad-flip-text.eml
case_ bad-flip-text key-R.asc $T0 "refused: signature does not verify"
# flip one base64 character of the signature's last data line: the CRC
# catches it; without the CRC line the signature check does.
last=$(awk '/^-----BEGIN PGP SIGNATURE/ { s = 1; next } s && /^[A-Za-z0-9+\/]+$/ && length($0) == 64 { l = NR } END { print l }' ok-rsa-show.eml)
awk -v l="$last" 'NR == l { c = substr($0, 10, 1); r = (c == "A") ? "B" : "A"; $0 = substr($0, 1, 9) r substr($0, 11) } { print }' ok-rsa-show.eml > bad-flip-sig.eml
case_ bad-flip-sig key-R.asc $T0 "refused: malformed signed block (signature armor checksum does not match)"
grep -v '^=....$' bad-flip-sig.eml > bad-flip-sig-nocrc.eml
case_ bad-flip-sig-nocrc key-R.asc $T0 "refused: signature does not verify"

# Check 2: Subject and block differ (command, argument, fingerprint).
mail bad-subject-cmd "HIDE $R" "$W/ok-rsa-show.asc"
case_ bad-subject-cmd key-R.asc $T0 "refused: Subject and control block differ"
mail bad-subject-arg "NOTIFY $E other@example.org" "$W/n.asc"
case_ bad-subject-arg key-E.asc $T0 "refused: Subject and control block differ"
mail bad-subject-noarg "REPLACE $E" "$W/rp.asc"
case_ bad-subject-noarg key-E.asc $T0 "refused: Subject and control block differ"
NONCE=rsa-show-for-p256
simple bad-subject-fpr SHOW "$P" "$R" $T0
mail bad-subject-fpr "SHOW $R" "$W/bad-subject-fpr.asc"
case_ bad-subject-fpr key-R.asc $T0 "refused: Subject and control block differ"
# Check 2: another keyserver.
NONCE=foreign-keyserver
KSV=pgp-public-keys@keys.example.com
simple bad-keyserver SHOW "$R" "$R" $T0
KSV=
case_ bad-keyserver key-R.asc $T0 "refused: control block is for another keyserver"
# Check 3: signed by another owner's key.
NONCE=other-signer-00001
simple bad-other-signer SHOW "$E" "$P" $T0
case_ bad-other-signer key-E.asc $T0 "refused: signed by a key other than $E"
# Check 3: SHA-1.
NONCE=rsa-sha1-00000001
fields SHOW "$R" > "$W/s1.in"
sign $T0 "$R" "$W/s1.in" "$W/s1.asc" --digest-algo SHA1
mail bad-sha1 "SHOW $R" "$W/s1.asc"
case_ bad-sha1 key-R.asc $T0 "refused: hash algorithm SHA-1 not accepted"
# Check 3: two signatures in the armor.
NONCE=two-signatures-01
fields SHOW "$R" > "$W/two.in"
sign $T0 "$R" "$W/two.in" "$W/two.asc" --local-user "$P"
mail bad-two-sigs "SHOW $R" "$W/two.asc"
case_ bad-two-sigs key-R.asc $T0 "refused: not exactly one signature"
# Check 1: two signed blocks (each valid on its own).
mail bad-two-blocks "SHOW $R" "$W/ok-rsa-show.asc" "$W/ok-rsa-show.asc"
case_ bad-two-blocks key-R.asc $T0 "refused: more than one signed block in the message"
# Check 1: an armor header other than Hash: (the signature still holds).
sed 's/^\(Hash: .*\)$/\1\nCharset: UTF-8/' ok-rsa-show.eml > bad-header.eml
case_ bad-header key-R.asc $T0 "refused: armor header other than Hash: in the signed block"
sed 's/^\(Hash: .*\)$/\1 (and more)/' ok-rsa-show.eml > bad-hash-header.eml
case_ bad-hash-header key-R.asc $T0 "refused: armor header other than Hash: in the signed block"
# Check 6: signed 3 days before and 1 hour after T0 (GnuPG's clock faked).
NONCE=signed-long-ago-1
simple bad-old SHOW "$R" "$R" $((T0 - 259200))
case_ bad-old key-R.asc $T0 "refused: signed too long ago"
NONCE=signed-in-future-1
simple bad-new SHOW "$R" "$R" $((T0 + 3600))
case_ bad-new key-R.asc $T0 "refused: signed in the future"
# Check 2: the fields.
NONCE=text-after-fields
{ fields SHOW "$R"; printf '\nplease\n'; } > "$W/ta.in"
sign $T0 "$R" "$W/ta.in" "$W/ta.asc"
mail bad-text-after "SHOW $R" "$W/ta.asc"
case_ bad-text-after key-R.asc $T0 "refused: malformed control block (text after the fields)"
{ fields SHOW "$R"; echo 'date: today'; } > "$W/uf.in"
sign $T0 "$R" "$W/uf.in" "$W/uf.asc"
mail bad-unknown-field "SHOW $R" "$W/uf.asc"
case_ bad-unknown-field key-R.asc $T0 "refused: malformed control block (unknown field)"
{ fields SHOW "$R"; echo "fingerprint: $R"; } > "$W/rf.in"
sign $T0 "$R" "$W/rf.in" "$W/rf.asc"
mail bad-repeated-field "SHOW $R" "$W/rf.asc"
case_ bad-repeated-field key-R.asc $T0 "refused: malformed control block (field fingerprint repeated)"
fields SHOW "$R" | grep -v '^nonce' > "$W/mf.in"
sign $T0 "$R" "$W/mf.in" "$W/mf.asc"
mail bad-missing-nonce "SHOW $R" "$W/mf.asc"
case_ bad-missing-nonce key-R.asc $T0 "refused: malformed control block (field nonce missing)"
NONCE=short
simple bad-short-nonce SHOW "$R" "$R" $T0
case_ bad-short-nonce key-R.asc $T0 "refused: malformed control block (nonce: 16 to 64 of A-Z a-z 0-9 _ -)"
NONCE=uppercase-name-01
fields SHOW "$R" | sed 's/^command:/Command:/' > "$W/un.in"
sign $T0 "$R" "$W/un.in" "$W/un.asc"
mail bad-field-case "SHOW $R" "$W/un.asc"
case_ bad-field-case key-R.asc $T0 "refused: malformed control block (unknown field)"

# No block at all: the challenge path. gpg --sign output is refused (C7).
mail absent-none "SHOW $R" /dev/null
case_ absent-none key-R.asc $T0 "absent"
NONCE=opaque-signed-msg
fields SHOW "$R" > "$W/op.in"
at $T0 --local-user "$R" --armor --sign -o "$W/op.asc" "$W/op.in"
mail bad-opaque "SHOW $R" "$W/op.asc"
case_ bad-opaque key-R.asc $T0 "refused: a control block must be clearsigned (gpg --clearsign), not a PGP MESSAGE"

# ---- check 4: the signer ---------------------------------------------------
# A signing subkey whose back-signature was stripped: pgp_key_check drops
# the subkey, so it names no part of the key.
if [ -n "$craft" ]; then
python3 "$here/craft.py" strip-backsig key-E.asc key-E-nobacksig.asc
case_ ok-ed-notify key-E-nobacksig.asc $T0 "refused: signed by a key other than $E"
# A subkey bound without key flags (so pgp_key_check keeps it) and without
# back-signature (crafted): not a signing subkey.
NONCE=flagless-subkey-1
printf 'keymail-control: 1\nkeyserver: %s\ncommand: SHOW\nfingerprint: @FPR@\nnonce: %s\n' \
    "$KS" "$NONCE" > flagless.block.in
python3 "$here/craft.py" flagless "$out" $T0 $KT
FL=$(cat flagless.fpr); FLS=$(cat flagless-sub.fpr)
mail bad-flagless "SHOW $FL" flagless.block
rm -f flagless.block.in flagless.block flagless.fpr flagless-sub.fpr
mv flagless.asc key-flagless.asc
case_ bad-flagless key-flagless.asc $T0 "refused: signed by subkey $FLS, which is not a signing subkey with a back-signature"
fi
# A signing subkey revoked after it signed.
NONCE=revoked-subkey-01
simple bad-revoked-sub SHOW "$V" "$V" $T0
printf 'key 1\nrevkey\ny\n0\n\ny\nsave\n' |
    at $((T0 + 10)) --command-fd 0 --edit-key "$V" >/dev/null 2>&1
g --export --armor "$V" > key-V.asc
case_ bad-revoked-sub key-V.asc $T0 "refused: signed by subkey $VS, which is revoked"
# A primary key revoked (its revocation certificate imported).
NONCE=revoked-primary-1
simple bad-revoked SHOW "$K" "$K" $T0
sed 's/^:-----BEGIN/-----BEGIN/' "$GNUPGHOME/openpgp-revocs.d/$K.rev" | g --import
g --export --armor "$K" > key-K.asc
case_ bad-revoked key-K.asc $T0 "refused: key $K is revoked"
# A key that had expired when it signed: expiry set (by a self-signature
# made at T0 - 8 days) to T0 - 7 days, after the block was signed at T0.
NONCE=expired-key-00001
simple bad-expired SHOW "$X" "$X" $T0
at $((T0 - 691200)) --quick-set-expire "$X" 1d
g --export --armor "$X" > key-X.asc
case_ bad-expired key-X.asc $T0 "refused: key $X had expired when it signed"

# ---- v6 (crafted) ----------------------------------------------------------
if [ -n "$craft" ]; then
NONCE=v6-owner-show-01
printf 'keymail-control: 1\nkeyserver: %s\ncommand: SHOW\nfingerprint: @FPR@\nnonce: %s\n' \
    "$KS" "$NONCE" > "$W/v6.in"
python3 "$here/craft.py" v6 "$out" $T0 $KT "$W/v6.in"
S6=$(cat v6.fpr); rm -f v6.fpr; mv v6.asc key-v6.asc
mail ok-v6 "SHOW $S6" "$W/v6.in.v6"
case_ ok-v6 key-v6.asc $T0 "$(acc "SHOW $S6" $NONCE $T0 "$S6")"
mail bad-v6-v4sig "SHOW $S6" "$W/v6.in.v4"
case_ bad-v6-v4sig key-v6.asc $T0 "refused: signature version does not match the key"
fi

# What GnuPG picked, for the record (README).
for n in ok-rsa-show ok-ed-notify ok-p256-hide ok-dsa-held; do
	printf '%s: ' "$n"
	sed -n '/BEGIN PGP SIGNATURE/,/END PGP SIGNATURE/p' "$n.eml" |
	    gpg --list-packets 2>/dev/null | grep -o 'digest algo [0-9]*' | head -n 1
done > gnupg-choices.txt
gpg --version | head -n 2 >> gnupg-choices.txt
g --delete-secret-keys --yes $(gpg --with-colons -K | awk -F: '/^fpr/ { print $10 }') 2>/dev/null || true
echo "made $(wc -l < cases.tsv) cases"
