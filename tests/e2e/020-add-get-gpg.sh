# Keys made by GnuPG are mailed with ADD, fetched with GET in every key-spec
# form, and imported back into a fresh GnuPG: the fingerprints must match.
. "$KM_TOP/tests/lib.sh"
km_newdb addget
km_gpg_init
km_gpg_genkey rsa2048 'Rita RSA <rita@example.org>'
km_gpg_genkey ed25519 'Eddie Edwards <eddie@example.org>'
km_gpg_genkey nistp256 'Nina Nist <nina@example.org>'
km_gpg_genkey dsa2048 'Dora Dsa <dora@example.org>'
addkey() { gpg --batch --pinentry-mode loopback --passphrase '' --quick-add-key "$(km_gpg_fpr "$1@example.org")" "$2" "$3" never >/dev/null 2>&1; }
addkey rita rsa2048 encr
addkey rita rsa2048 sign	# a signing subkey needs a back-signature
addkey eddie cv25519 encr
addkey eddie ed25519 sign
addkey nina nistp256 encr
addkey dora elg2048 encr

for u in rita eddie nina dora; do
	fpr=$(km_gpg_fpr "$u@example.org")
	[ -n "$fpr" ] || { notok "gpg made no key for $u"; continue; }
	gpg --armor --export "$fpr" > "$T/$u.asc"
	km_mail "$T/add-$u.eml" ADD "$T/$u.asc"
	km_filter "$T/add-$u.eml"
	check_eq "ADD $u exit" "$rc" 0
	r=$(last_reply)
	check_eq "ADD $u subject" "$(reply_subject "$r")" "Your command, ADD"
	check "ADD $u reports the new key" grep -q "New public keys added: 1" "$r"
	check "ADD $u names the fingerprint" grep -q "$fpr" "$r"

	# the same key again: nothing new
	km_filter "$T/add-$u.eml"
	check "ADD $u again: nothing new" grep -q "nothing new" "$(last_reply)"

	long=$(echo "$fpr" | cut -c25-40)
	short=$(echo "$fpr" | cut -c33-40)
	spaced=$(echo "$fpr" | sed 's/\(....\)/\1 /g; s/ $//')
	sub=$(gpg --with-colons --list-keys "$fpr" | awk -F: '/^sub/ {print $5; exit}')
	for spec in "0x$fpr" "$fpr" "$spaced" "0x$long" "$long" "0x$short" "$u@example.org" ${sub:+"0x$sub"}; do
		km_mail "$T/get.eml" "GET $spec"
		km_filter "$T/get.eml"
		r=$(last_reply)
		check_eq "GET $spec subject" "$(reply_subject "$r")" "Your command, GET $spec"
		G=$T/import-gnupg; rm -rf "$G"; mkdir -m 700 "$G"
		got=$(GNUPGHOME=$G gpg --batch --import "$r" 2>/dev/null; GNUPGHOME=$G gpg --with-colons --list-keys 2>/dev/null | awk -F: '/^pub/ {getline; print $10}')
		check_eq "GET $spec imports as" "$got" "$fpr"
	done
	# gpg must see every subkey and user ID it exported
	want=$(gpg --with-colons --list-keys "$fpr" | grep -cE '^(sub|uid)')
	have=$(GNUPGHOME=$G gpg --with-colons --list-keys 2>/dev/null | grep -cE '^(sub|uid)')
	check_eq "GET $u keeps subkeys and user IDs" "$have" "$want"
done

# unknown key, malformed IDs, too short
km_mail "$T/g.eml" "GET 0x0123456789ABCDEF"; km_filter "$T/g.eml"
check_eq "GET unknown subject" "$(reply_subject "$(last_reply)")" "Your command, GET 0x0123456789ABCDEF, failed"
check "GET unknown says no match" grep -q "No matching keys" "$(last_reply)"
km_mail "$T/g.eml" "GET 0x123"; km_filter "$T/g.eml"
check "GET 0x123 explains ID lengths" grep -q "8 or 16 hex digits" "$(last_reply)"
km_mail "$T/g.eml" "GET"; km_filter "$T/g.eml"
check_eq "GET without argument" "$(reply_subject "$(last_reply)")" "Your command, GET, is not yet implemented"
# word search is AND of words plus the whole text as a substring
km_mail "$T/g.eml" "GET rita example"; km_filter "$T/g.eml"
check_eq "GET 'rita example' (not a substring)" "$(reply_subject "$(last_reply)")" "Your command, GET rita example, failed"
km_mail "$T/g.eml" "GET Rita RSA"; km_filter "$T/g.eml"
check "GET 'Rita RSA' finds rita" grep -q "BEGIN PGP PUBLIC KEY BLOCK" "$(last_reply)"
km_done
