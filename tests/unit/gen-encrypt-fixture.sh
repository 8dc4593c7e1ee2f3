#!/bin/sh
# tests/unit/gen-encrypt-fixture.sh OUT.h - make the keys of
# tests/unit/encrypt_fixture.h (run once by hand; the header is committed,
# so the unit test never depends on fresh random keys). Needs GnuPG 2.2 and
# node with openpgp@6 (OPENPGPJS=path to its node_modules/openpgp).
#
# Every key is made at a fixed (faked) time, so the test can use a fixed
# "now" (FIX_NOW) at which it is valid and what must be expired is.
set -eu
out=${1:-tests/unit/encrypt_fixture.h}
OPENPGPJS=${OPENPGPJS:-$HOME/.cache/keymail-openpgpjs/node_modules/openpgp}
G=$(mktemp -d /tmp/encfix.XXXXXX)
chmod 700 "$G"
export GNUPGHOME="$G"
echo allow-loopback-pinentry > "$G/gpg-agent.conf"
T0=1780000000
gpgt() { t=$1; shift; gpg --batch --pinentry-mode loopback --passphrase '' --faked-system-time "$t!" "$@" >/dev/null 2>&1; }
fpr() { gpg --with-colons --fingerprint "$1" | awk -F: '/^fpr/ {print $10; exit}'; }

# multi: ed25519 primary (sign), encryption subkeys at different times,
# one revoked, one expired, one signing subkey.
gpgt $T0 --quick-gen-key "Multi <multi@enc.example>" ed25519 sign never
M=$(fpr multi@enc.example)
gpgt $((T0 + 50)) --quick-add-key "$M" cv25519 encr never
gpgt $((T0 + 100)) --quick-add-key "$M" rsa2048 encr never
gpgt $((T0 + 200)) --quick-add-key "$M" nistp256 encr never
gpgt $((T0 + 300)) --quick-add-key "$M" brainpoolP256r1 encr never
gpgt $((T0 + 400)) --quick-add-key "$M" cv25519 encr never
gpgt $((T0 + 500)) --quick-add-key "$M" cv25519 encr 1d
gpgt $((T0 + 600)) --quick-add-key "$M" ed25519 sign never
# revoke the fifth subkey (cv25519 @+400)
printf 'key 5\nrevkey\ny\n0\n\ny\nsave\n' |
    gpg --batch --pinentry-mode loopback --passphrase '' --faked-system-time "$((T0 + 700))!" \
    --command-fd 0 --edit-key "$M" >/dev/null 2>&1

# aes128: preferences without AES-256
gpgt $T0 --default-preference-list "AES SHA256 ZLIB Uncompressed" \
    --quick-gen-key "Aes128 <aes128@enc.example>" ed25519 sign never
A=$(fpr aes128@enc.example)
gpgt $((T0 + 10)) --quick-add-key "$A" cv25519 encr never

# signonly, rsa1024
gpgt $T0 --quick-gen-key "Signonly <signonly@enc.example>" ed25519 sign never
S=$(fpr signonly@enc.example)
gpgt $T0 --quick-gen-key "Small <small@enc.example>" rsa1024 sign never
R=$(fpr small@enc.example)
gpgt $((T0 + 10)) --quick-add-key "$R" rsa1024 encr never
# rsasign: RSA-2048 primary, sign only (key flags), no subkey
gpgt $T0 --quick-gen-key "Rsasign <rsasign@enc.example>" rsa2048 sign never
RS=$(fpr rsasign@enc.example)

# v4 key by OpenPGP.js that advertises SEIPD v2 (features, AEAD prefs),
# with an X25519 (algorithm 25) subkey: the v3 PKESK shows the cipher.
V4AEAD=$(NODE_PATH=$(dirname "$OPENPGPJS") node -e '
const openpgp = require("openpgp");
(async () => {
  const k = await openpgp.generateKey({ type: "curve25519", format: "armored",
    userIDs: [{ name: "Aead", email: "aead@enc.example" }],
    date: new Date('"$T0"' * 1000),
    config: { aeadProtect: true, v6Keys: false } });
  process.stdout.write(k.publicKey);
})();')

emit() {	# emit NAME ARMOR
	printf 'static const char %s[] =\n' "$1"
	printf '%s\n' "$2" | sed 's/\\/\\\\/; s/"/\\"/g; s/^/    "/; s/$/\\n"/'
	printf '    ;\n\n'
}
{
	cat <<EOH
/*
 * tests/unit/encrypt_fixture.h - keys for tests/unit/encrypt_test.c, made
 * for this project by tests/unit/gen-encrypt-fixture.sh (GnuPG 2.2 with a
 * faked clock, and OpenPGP.js 6); not from the shared corpus. Public keys
 * only. FIX_NOW is a time at which they are as described below.
 *
 * fix_multi: ed25519 primary (sign only) and subkeys, oldest first:
 *   cv25519 @+50, rsa2048 @+100, nistp256 @+200, brainpoolP256r1 @+300,
 *   cv25519 @+400 (revoked), cv25519 @+500 (expires after 1 day),
 *   ed25519 @+600 (sign).
 * fix_aes128: ed25519 + cv25519, preferences AES-128 only.
 * fix_signonly: ed25519, no encryption subkey.
 * fix_rsa1024: RSA-1024 primary and RSA-1024 encryption subkey.
 * fix_rsasign: RSA-2048 primary, key flags sign only, no subkey.
 * fix_v4aead: OpenPGP.js v4 key, Ed25519 (27) + X25519 (25), features
 *   and AEAD preferences saying SEIPD v2.
 */
#ifndef KM_TEST_ENCRYPT_FIXTURE_H
#define KM_TEST_ENCRYPT_FIXTURE_H

#define FIX_T0		${T0}u
#define FIX_NOW		(FIX_T0 + 10u * 86400u)

EOH
	printf '#define FIX_MULTI_SUB(i) fix_multi_sub[i]\n'
	printf 'static const char *const fix_multi_sub[] = {\n'
	gpg --with-colons --fingerprint "$M" | awk -F: '/^sub/ {s=1; next} /^fpr/ && s {printf "    \"%s\",\n", $10; s=0}'
	printf '};\n\n'
	emit fix_multi "$(gpg --armor --export "$M")"
	emit fix_aes128 "$(gpg --armor --export "$A")"
	emit fix_signonly "$(gpg --armor --export "$S")"
	emit fix_rsa1024 "$(gpg --armor --export "$R")"
	emit fix_rsasign "$(gpg --armor --export "$RS")"
	emit fix_v4aead "$V4AEAD"
	printf '#endif\n'
} > "$out"
gpgconf --kill gpg-agent 2>/dev/null || true
rm -rf "$G"
echo "wrote $out"
