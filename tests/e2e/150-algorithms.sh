# Every public-key algorithm GnuPG 2.2 makes, as primary key and as
# encryption subkey (RSA, DSA + ElGamal, ECDSA on NIST P-256/384/521,
# brainpoolP256/384/512r1 and secp256k1 with ECDH subkeys, EdDSA + Cv25519),
# and self-signatures with every hash gpg offers: stored whole, INDEX lines
# as GnuPG's own listing predicts them (bits, SKS/onak letter, key ID,
# date), every self-signature marked verified ('!') by VERBOSE INDEX, and
# GET imported back into GnuPG with all subkeys bound. SHA-1 self-
# signatures made today are refused with a reason (policy: check.c).
. "$KM_TOP/tests/lib.sh"
km_newdb algos
km_gpg_init
gen() {	# gen NAME PRIMARY SUBKEY [gpg options]
	n=$1 p=$2 s=$3; shift 3
	gpg --batch --pinentry-mode loopback --passphrase '' "$@" \
	    --quick-gen-key "Algo $n <$n@algo.example>" "$p" sign never >/dev/null 2>&1
	f=$(km_gpg_fpr "$n@algo.example")
	[ -n "$s" ] && gpg --batch --pinentry-mode loopback --passphrase '' "$@" \
	    --quick-add-key "$f" "$s" encr never >/dev/null 2>&1
	echo "$n $f" >> "$T/keys"
}
: > "$T/keys"
gen rsa rsa2048 rsa2048
gen dsa dsa2048 elg2048
gen p256 nistp256 nistp256
gen p384 nistp384 nistp384
gen p521 nistp521 nistp521
gen bp256 brainpoolP256r1 brainpoolP256r1
gen bp384 brainpoolP384r1 brainpoolP384r1
gen bp512 brainpoolP512r1 brainpoolP512r1
gen k256 secp256k1 secp256k1
gen ed ed25519 cv25519
gen sha224 rsa2048 "" --cert-digest-algo SHA224
gen sha384 nistp384 "" --cert-digest-algo SHA384
gen sha512 ed25519 "" --cert-digest-algo SHA512
check_eq "gpg made every key" "$(awk '$2 != ""' "$T/keys" | wc -l)" 13

gpg --armor --export $(awk '{print $2}' "$T/keys") > "$T/all.asc"
km_mail "$T/add.eml" ADD "$T/all.asc"; km_filter "$T/add.eml"
r=$(last_reply)
check "all 13 stored" grep -q "New public keys added: 13" "$r"
check "nothing rejected" sh -c "! grep -q 'rejected' '$r'"
check "nothing dropped" sh -c "! grep -q 'dropped:' '$r'"

# The pub line as gpg's listing predicts it (letters: mail-protocol.md 2.4).
expected_pub() {
	gpg --with-colons --fixed-list-mode --list-keys "$1" | awk -F: '
	function letter(a) { return a==1?"R":a==2?"r":a==3?"s":a==16?"g":a==17?"D":a==18?"e":(a==19||a==22)?"E":a==20?"G":"?" }
	/^pub/ { printf "pub %5d%s/%s %s ", $3, letter($4), substr($5, 9, 8), strftime("%Y/%m/%d", $6, 1); exit }'
}
while read -r name fpr; do
	uid="Algo $name <$name@algo.example>"
	want="$(expected_pub "$fpr")$uid"
	km_mail "$T/i.eml" "VERBOSE INDEX 0x$fpr"; km_filter "$T/i.eml"
	decoded_body "$(last_reply)" > "$T/got"
	check "$name: pub line" grep -qxF "$want" "$T/got"
	check "$name: self-signature verified" grep -q "^sig!       $(echo "$fpr" | cut -c33-40) " "$T/got"
	# GET, into a fresh GnuPG: the subkey arrives bound
	"$KEYMAIL" get "0x$fpr" > "$T/get.asc"
	G=$T/g-$name; mkdir -m 700 "$G"
	GNUPGHOME=$G gpg --batch --import "$T/get.asc" >/dev/null 2>&1
	check_eq "$name: GET imports with its subkeys" \
	    "$(GNUPGHOME=$G gpg --with-colons --list-keys 2>/dev/null | grep -c '^sub')" \
	    "$(gpg --with-colons --list-keys "$fpr" | grep -c '^sub')"
	GNUPGHOME=$G gpgconf --kill gpg-agent 2>/dev/null
done < "$T/keys"

# Subkey letters and sizes are gpg's too: ElGamal 'g'... are not in the
# pks layout (no sub lines), so check the stored subkey algorithms via gpg.
check "ElGamal subkey served" sh -c "gpg --with-colons --list-keys $(awk '$1=="dsa"{print $2}' "$T/keys") | grep -q '^sub:[^:]*:2048:16:'"

# SHA-1 self-signature made now: refused, with the reason.
gen sha1 ed25519 "" --cert-digest-algo SHA1
f=$(awk '$1=="sha1"{print $2}' "$T/keys")
gpg --armor --export "$f" > "$T/sha1.asc"
km_mail "$T/add.eml" ADD "$T/sha1.asc"; km_filter "$T/add.eml"
r=$(last_reply)
check_eq "SHA-1 key refused" "$(reply_subject "$r")" "Your command, ADD, failed"
check "SHA-1 reason" grep -q "SHA-1 hash refused after 2023-01-01" "$r"
km_done
