# tests/owner-lib.sh - helpers for the owner-control tests (tests/e2e/53*.sh,
# owner-control.md 14). Sourced after tests/lib.sh.
#
# Owners and third parties are GnuPG 2.2 homes under $T made with
# --faked-system-time ten days back, so that control blocks signed "now" or
# with a faked time a little in the past are younger than the keys. No
# assertion looks at a key ID or fingerprint's digits: fingerprints are
# only passed on and compared whole.

ROBOT=pgp-public-keys@keys.test.example
OWN_PAST=$(( $(date +%s) - 10 * 86400 ))
export GPG_TTY=

# own_newdb NAME [POLICY]: a fresh database (km_newdb) for POLICY
# (default trusted), recorded with initdb --change-policy.
own_newdb() {
	km_newdb "$1"
	own_conf policy "${2:-trusted}"
	"$KEYMAIL" -c "$T/keymail.conf" initdb --change-policy >"$T/initdb.log" 2>&1 ||
	    { notok "initdb --change-policy"; cat "$T/initdb.log"; }
}

# own_conf KEY VALUE: set a keymail.conf key (a later line wins).
own_conf() { printf '%s = %s\n' "$1" "$2" >>"$T/keymail.conf"; }

# own_home NAME: a GnuPG home $T/g-NAME (printed).
own_home() {
	_h=$T/g-$1
	mkdir -p "$_h"
	chmod 700 "$_h"
	echo "allow-loopback-pinentry" >"$_h/gpg-agent.conf"
	echo "$_h"
}

# own_gpg HOME ARGS...: gpg in HOME, no prompts.
own_gpg() {
	_h=$1
	shift
	gpg --homedir "$_h" --batch --yes --pinentry-mode loopback --passphrase '' "$@"
}

# own_genkey HOME KIND UID: a key made ten days ago: KIND rsa (RSA 2048
# and an RSA encryption subkey), ed (Ed25519, Cv25519), p256 (NIST P-256
# ECDSA and ECDH), dsa (DSA 2048, ElGamal 2048), sign (Ed25519 alone, no
# encryption subkey). Prints the fingerprint.
own_genkey() {
	_h=$1
	case $2 in
	rsa) _p=rsa2048 _s=rsa2048 ;;
	ed) _p=ed25519 _s=cv25519 ;;
	p256) _p=nistp256 _s=nistp256 ;;
	dsa) _p=dsa2048 _s=elg2048 ;;
	sign) _p=ed25519 _s= ;;
	esac
	own_gpg "$_h" --faked-system-time "$OWN_PAST" --quick-gen-key "$3" "$_p" \
	    sign,cert never >"$T/genkey.log" 2>&1
	_f=$(gpg --homedir "$_h" --with-colons --fingerprint "$3" 2>/dev/null |
	    awk -F: '/^fpr/ {print $10; exit}')
	[ -n "$_f" ] || { echo "own_genkey: gpg made no key $3:" >&2; cat "$T/genkey.log" >&2; }
	# The encryption subkey is a precondition of every challenge test: a
	# gpg that failed to add it (seen once, in a loaded full run: a DSA
	# owner without its ElGamal subkey, so its SHOW could not be
	# encrypted) is tried again, and its messages go to the log.
	_n=0
	while [ -n "$_s" ] && [ -n "$_f" ] && [ $_n -lt 3 ] &&
	    ! gpg --homedir "$_h" --with-colons --list-keys "$_f" 2>/dev/null |
	    awk -F: '$1 == "sub" && $12 ~ /e/ {f = 1} END {exit !f}'; do
		[ $_n -gt 0 ] && { echo "own_genkey: no encryption subkey on $3 yet; gpg said:" >&2; cat "$T/genkey.log" >&2; }
		own_gpg "$_h" --faked-system-time "$OWN_PAST" --quick-add-key "$_f" \
		    "$_s" encr never >"$T/genkey.log" 2>&1
		_n=$((_n + 1))
	done
	echo "$_f"
}

# own_has_encr HOME FPR: the key has a usable encryption subkey in HOME.
own_has_encr() {
	gpg --homedir "$1" --with-colons --list-keys "$2" 2>/dev/null |
	    awk -F: '$1 == "sub" && $12 ~ /e/ {f = 1} END {exit !f}'
}

# own_export HOME FPR FILE: the public key, armored.
own_export() { own_gpg "$1" --armor --export "$2" >"$3" 2>/dev/null; }

# own_kid FPR: the 64-bit key ID of a v4 fingerprint, its last 16 digits.
own_kid() { echo "$1" | cut -c25-40; }

# own_sigs_by FILE FPR: how many certifications by FPR a key file holds,
# as GnuPG lists them (imported into a scratch home under $T).
own_sigs_by() {
	_g=$(own_home "sb$$")
	own_gpg "$_g" --import "$1" >/dev/null 2>&1
	gpg --homedir "$_g" --with-colons --list-sigs 2>/dev/null |
	    awk -F: -v k="$(own_kid "$2")" '$1 == "sig" && $5 == k' | wc -l
	rm -rf "$_g"
}

# own_certify HOME FPR SIGNER-HOME SIGNER-FPR OUT: SIGNER's certification
# on the key FPR of HOME, exported armored to OUT (via $T/o.asc).
own_certify() {
	own_export "$1" "$2" "$T/o.asc"
	own_gpg "$3" --import "$T/o.asc" >/dev/null 2>&1
	own_gpg "$3" --default-key "$4" --quick-sign-key "$2" >/dev/null 2>&1
	own_gpg "$3" --armor --export "$2" >"$5"
}

# own_nonce: 20 characters of [A-Za-z0-9].
own_nonce() { tr -dc 'A-Za-z0-9' </dev/urandom | head -c 20; }

# own_block HOME FPR CMD [ARG...]: a control block for "CMD FPR ARG...",
# clearsigned by FPR; stdout. OWN_TIME (epoch) signs with a faked clock;
# OWN_KEYFILE appends the REPLACE key; OWN_NONCE fixes the nonce;
# OWN_SIGNER signs with another key of HOME; OWN_SERVER names another
# keyserver.
own_block() {
	_h=$1 _f=$2 _c=$3
	shift 3
	{
		echo "keymail-control: 1"
		echo "keyserver: ${OWN_SERVER:-$ROBOT}"
		echo "command: $_c"
		echo "fingerprint: $_f"
		for _a in "$@"; do echo "argument: $_a"; done
		echo "nonce: ${OWN_NONCE:-$(own_nonce)}"
		if [ -n "${OWN_KEYFILE:-}" ]; then echo; cat "$OWN_KEYFILE"; fi
	} >"$T/block.txt"
	if [ -n "${OWN_TIME:-}" ]; then
		own_gpg "$_h" --faked-system-time "$OWN_TIME" --local-user "${OWN_SIGNER:-$_f}" \
		    --clearsign --output - "$T/block.txt" 2>/dev/null
	else
		own_gpg "$_h" --local-user "${OWN_SIGNER:-$_f}" --clearsign --output - \
		    "$T/block.txt" 2>/dev/null
	fi
}

# own_send SUBJECT [BODYFILE [FROM]]: mail the robot; sets $rc and $reply
# (the new mail in the outbox, "" if none) and $nnew (how many arrived).
own_send() {
	_n0=$(nreplies)
	km_mail "$T/req.eml" "$1" "${2:-}" "${3:-Alice Owner <alice@example.org>}"
	km_filter "$T/req.eml"
	_n1=$(nreplies)
	nnew=$((_n1 - _n0))
	reply=
	if [ "$nnew" -gt 0 ]; then
		reply=$(ls "$T"/outbox/*.eml | sed -n "$((_n0 + 1))p")
	fi
}

# own_nth N: the Nth newest mail of the outbox (1 = newest).
own_nth() { ls "$T"/outbox/*.eml | tail -n "$1" | head -n 1; }

# own_message FILE: the armored PGP MESSAGE of a reply's second part.
own_message() { decoded_body "$1" | sed -n '/^-----BEGIN PGP MESSAGE-----$/,/^-----END PGP MESSAGE-----$/p'; }

# own_decrypt HOME FILE: the plaintext of a reply's PGP MESSAGE.
own_decrypt() {
	own_message "$2" >"$T/msg.asc"
	own_gpg "$1" --decrypt "$T/msg.asc" 2>/dev/null
}

# own_token_of TEXT-FILE: the one token line's token ("" if not exactly one).
own_token_of() {
	_t=$(grep -E '^token: [A-Z2-7]{32}$' "$1")
	[ "$(printf '%s\n' "$_t" | grep -c .)" = 1 ] && printf '%s\n' "${_t#token: }"
}

# own_challenge_token HOME FILE: decrypt a challenge and print its token.
own_challenge_token() {
	own_decrypt "$1" "$2" >"$T/plain.txt"
	own_token_of "$T/plain.txt"
}

# own_get FPR FILE: GET by fingerprint; the reply's key part into FILE
# (empty if the reply carries no key block).
own_get() {
	own_send "GET $1"
	decoded_body "$reply" | sed -n '/^-----BEGIN PGP PUBLIC KEY BLOCK-----$/,/^-----END PGP PUBLIC KEY BLOCK-----$/p' >"$2"
}

# own_uids FILE: the user IDs GnuPG reads from a key file, sorted.
own_uids() {
	_g=$(own_home "probe$$")
	rm -rf "$_g"/pubring.kbx
	own_gpg "$_g" --import "$1" >/dev/null 2>&1
	gpg --homedir "$_g" --with-colons --list-keys 2>/dev/null |
	    awk -F: '$1 == "uid" {print $10}' | sort
	rm -rf "$_g"
}

# own_normal FILE: a reply with its Date, Message-ID and MIME boundary
# (the random parts) replaced, for byte comparisons.
own_normal() {
	_b=$(sed -n 's/.*boundary="\([^"]*\)".*/\1/p' "$1" | head -n 1)
	sed -e 's/^Date: .*/Date: X/' -e 's/^Message-ID: .*/Message-ID: X/' \
	    -e "s/$_b/BOUNDARY/g" "$1"
}
