# pgp/encrypt.c against GnuPG 2.2 (owner-control.md 6.3): for every
# encryption algorithm GnuPG 2.2 makes (RSA 2048/3072/4096 subkeys, an RSA
# primary that may encrypt, ElGamal with DSA, ECDH on Curve25519, NIST
# P-256/384/521, brainpoolP256/384/512r1 and secp256k1), a message the
# module made (tests/tools/km_encrypt) is decrypted by `gpg --decrypt` to
# exactly the plaintext, through an MDC-protected SEIPD v1 packet, with
# AES-256 (GnuPG's default preferences list it). A key whose preferences
# lack AES-256 gets AES-128. A key with four encryption subkeys gets one
# PKESK for each of the three newest, and each of them alone decrypts the
# message (a GnuPG home holding only that secret subkey), while the oldest
# alone does not. Sign-only and RSA-1024 keys are refused.
. "$KM_TOP/tests/lib.sh"
ENC=$KM_BUILD/tests/tools/km_encrypt
if [ ! -x "$ENC" ]; then
	notok "tests/tools/km_encrypt is not built (make all-tests)"
	km_done
	exit 1
fi
km_gpg_init
GPG="gpg --batch --pinentry-mode loopback --passphrase ''"
fpr_of() { gpg --with-colons --fingerprint "<$1>" 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}'; }
gen() {	# gen NAME PRIMARY SUBKEY: a key "NAME <NAME@enc.example>"
	gpg --batch --pinentry-mode loopback --passphrase '' \
	    --quick-gen-key "Enc $1 <$1@enc.example>" "$2" sign never >/dev/null 2>&1
	f=$(fpr_of "$1@enc.example")
	[ -n "$3" ] && gpg --batch --pinentry-mode loopback --passphrase '' \
	    --quick-add-key "$f" "$3" encr never >/dev/null 2>&1
	gpg --armor --export "$f" > "$T/$1.asc"
}

cat > "$T/plain" <<'EOP'
keyserver: pgp-public-keys@keys.test.example
command: SHOW
fingerprint: 0123456789ABCDEF0123456789ABCDEF01234567
requested-by: bob@example.org
expires: 2026-12-08T04:51:11Z
token: ABCDEFGHIJKLMNOPQRSTUVWXYZ234567

To carry this out, send a mail to pgp-public-keys@keys.test.example
with the Subject: CONFIRM ABCDEFGHIJKLMNOPQRSTUVWXYZ234567
EOP

# decrypt NAME HOME: km_encrypt to NAME's key, gpg --decrypt in HOME;
# sets $status (gpg's status lines) and $rc
decrypt() {
	"$ENC" "$T/$1.asc" < "$T/plain" > "$T/$1.msg" 2> "$T/$1.enc" || { rc=9; return; }
	GNUPGHOME=$2 gpg --batch --status-fd 3 --decrypt "$T/$1.msg" \
	    3> "$T/$1.status" 2> "$T/$1.err" > "$T/$1.out"
	rc=$?
}
verified=
algo_ok() {	# algo_ok NAME: decrypts to the plaintext with AES-256 and MDC
	decrypt "$1" "$GNUPGHOME"
	check_eq "$1: gpg --decrypt exit" "$rc" 0
	check "$1: plaintext exact" cmp -s "$T/$1.out" "$T/plain"
	check "$1: AES-256, MDC (SEIPD v1)" grep -q '^\[GNUPG:\] DECRYPTION_INFO 2 9' "$T/$1.status"
	check "$1: integrity checked" grep -q '^\[GNUPG:\] GOODMDC' "$T/$1.status"
	check "$1: armored with CRC" grep -q '^=' "$T/$1.msg"
	if cmp -s "$T/$1.out" "$T/plain"; then verified="$verified $1"; fi
}

gen rsa2048 rsa2048 rsa2048;		algo_ok rsa2048
gen rsa3072 rsa3072 rsa3072;		algo_ok rsa3072
gen rsa4096 rsa4096 rsa4096;		algo_ok rsa4096
gen elg dsa2048 elg2048;		algo_ok elg
gen cv25519 ed25519 cv25519;		algo_ok cv25519
gen p256 nistp256 nistp256;		algo_ok p256
gen p384 nistp384 nistp384;		algo_ok p384
gen p521 nistp521 nistp521;		algo_ok p521
gen bp256 brainpoolP256r1 brainpoolP256r1;	algo_ok bp256
gen bp384 brainpoolP384r1 brainpoolP384r1;	algo_ok bp384
gen bp512 brainpoolP512r1 brainpoolP512r1;	algo_ok bp512
gen k256 secp256k1 secp256k1;		algo_ok k256
# an RSA primary key that may encrypt, no subkey: the primary is the recipient
gpg --batch --pinentry-mode loopback --passphrase '' \
    --quick-gen-key "Enc rsaprimary <rsaprimary@enc.example>" rsa2048 sign,encr never >/dev/null 2>&1
P=$(fpr_of rsaprimary@enc.example)
gpg --armor --export "$P" > "$T/rsaprimary.asc"
algo_ok rsaprimary
check "rsaprimary: encrypted to the primary key" grep -q " $P/1 " "$T/rsaprimary.enc"

# preferences without AES-256
gpg --batch --pinentry-mode loopback --passphrase '' --default-preference-list "AES SHA256 ZLIB Uncompressed" \
    --quick-gen-key "Enc aes128 <aes128@enc.example>" ed25519 sign never >/dev/null 2>&1
A=$(fpr_of aes128@enc.example)
gpg --batch --pinentry-mode loopback --passphrase '' --quick-add-key "$A" cv25519 encr never >/dev/null 2>&1
gpg --armor --export "$A" > "$T/aes128.asc"
decrypt aes128 "$GNUPGHOME"
check "aes128: plaintext exact" cmp -s "$T/aes128.out" "$T/plain"
check "aes128: AES-128" grep -q '^\[GNUPG:\] DECRYPTION_INFO 2 7' "$T/aes128.status"

# Four encryption subkeys, made in order (a faked clock, 100 s apart):
# PKESKs for the three newest only, each of which decrypts alone.
now=$(date +%s)
t0=$((now - 3600))
gpg --batch --pinentry-mode loopback --passphrase '' --faked-system-time "$t0!" \
    --quick-gen-key "Enc multi <multi@enc.example>" ed25519 sign never >/dev/null 2>&1
M=$(fpr_of multi@enc.example)
i=1
for a in rsa2048 cv25519 nistp384 brainpoolP256r1; do
	gpg --batch --pinentry-mode loopback --passphrase '' --faked-system-time "$((t0 + 100 * i))!" \
	    --quick-add-key "$M" "$a" encr never >/dev/null 2>&1
	i=$((i + 1))
done
gpg --armor --export "$M" > "$T/multi.asc"
gpg --with-colons --fingerprint "$M" | awk -F: '/^sub/ {s=1; next} /^fpr/ && s {print $10; s=0}' > "$T/multi.subs"
check_eq "multi: four subkeys" "$(wc -l < "$T/multi.subs")" 4
decrypt multi "$GNUPGHOME"
check "multi: plaintext exact" cmp -s "$T/multi.out" "$T/plain"
# the key IDs of the PKESKs, in order, as GnuPG lists them
gpg --batch --list-packets "$T/multi.msg" 2>/dev/null |
    awk '/^:pubkey enc packet:/ {for (i = 1; i <= NF; i++) if ($i == "keyid") print $(i + 1)}' > "$T/multi.ids"
# the subkeys were made in order: newest first is lines 4, 3, 2
want=$(printf '%s\n' "$(sed -n 4p "$T/multi.subs")" "$(sed -n 3p "$T/multi.subs")" "$(sed -n 2p "$T/multi.subs")" | cut -c25-40)
check_eq "multi: PKESKs for the three newest subkeys, newest first" "$(cat "$T/multi.ids")" "$want"
n=0
while read -r sub; do
	n=$((n + 1))
	H=$T/only$n; mkdir -m 700 "$H"
	echo allow-loopback-pinentry > "$H/gpg-agent.conf"
	gpg --batch --pinentry-mode loopback --passphrase '' --export-secret-subkeys "$sub!" 2>/dev/null |
	    GNUPGHOME=$H gpg --batch --pinentry-mode loopback --passphrase '' --import >/dev/null 2>&1
	GNUPGHOME=$H gpg --batch --pinentry-mode loopback --passphrase '' --decrypt "$T/multi.msg" > "$T/only$n.out" 2>/dev/null
	r=$?
	if [ $n -eq 1 ]; then
		check "multi: the oldest subkey alone cannot decrypt" test "$r" -ne 0
	else
		check_eq "multi: subkey $n alone decrypts" "$r" 0
		check "multi: subkey $n alone: plaintext exact" cmp -s "$T/only$n.out" "$T/plain"
	fi
	GNUPGHOME=$H gpgconf --kill gpg-agent 2>/dev/null
done < "$T/multi.subs"

# refused keys: sign-only, RSA-1024
gen signonly ed25519 ""
"$ENC" "$T/signonly.asc" < "$T/plain" > /dev/null 2> "$T/signonly.enc"
check_eq "sign-only key: NO_USABLE_KEY" "$?" 2
gen small rsa1024 rsa1024
"$ENC" "$T/small.asc" < "$T/plain" > /dev/null 2> "$T/small.enc"
check_eq "RSA-1024 key: NO_USABLE_KEY" "$?" 2

echo "NOTE: decrypted by GnuPG $(gpg --version | head -n 1 | awk '{print $3}'):$verified"
gpgconf --kill gpg-agent 2>/dev/null
km_done
