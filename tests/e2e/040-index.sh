# INDEX and VERBOSE INDEX in the pks column layout (mail-protocol.md 2.4).
# The expected lines are built from GnuPG's own --with-colons listing, not
# from our code: bits, algorithm letter, key ID, creation date, user IDs.
. "$KM_TOP/tests/lib.sh"
km_newdb index
km_gpg_init
km_gpg_genkey rsa2048 'Ivan Index <ivan@example.org>'
km_gpg_genkey ed25519 'Olga Other <olga@example.org>'
km_gpg_genkey nistp256 'Unknown Signer <unknown@example.org>'
IVAN=$(km_gpg_fpr ivan@example.org); OLGA=$(km_gpg_fpr olga@example.org); UNK=$(km_gpg_fpr unknown@example.org)
sleep 1	# a newer self-signature makes this user ID primary for gpg (and us)
gpg --batch --pinentry-mode loopback --passphrase '' --quick-add-uid "$IVAN" 'Ivan Work <ivan@work.example>' >/dev/null 2>&1
# Olga and an unknown key certify Ivan's first user ID.
gpg --batch --pinentry-mode loopback --passphrase '' -u "$OLGA" --quick-sign-key "$IVAN" 'Ivan Index <ivan@example.org>' >/dev/null 2>&1
gpg --batch --pinentry-mode loopback --passphrase '' -u "$UNK" --quick-sign-key "$IVAN" 'Ivan Index <ivan@example.org>' >/dev/null 2>&1
gpg --armor --export "$IVAN" "$OLGA" > "$T/keys.asc"
km_mail "$T/add.eml" ADD "$T/keys.asc"; km_filter "$T/add.eml"
check "ADD of two keys" grep -q "New public keys added: 2" "$(last_reply)"

# expected_pub FPR: the pub line and user-ID lines from gpg's listing
expected_index() {
	gpg --with-colons --fixed-list-mode --list-keys "$1" | awk -F: '
	function letter(a) { return a==1?"R":a==2?"r":a==3?"s":a==16?"g":a==17?"D":a==18?"e":(a==19||a==22)?"E":a==20?"G":"?" }
	/^pub/ { printf "pub %5d%s/%s %s ", $3, letter($4), substr($5, 9, 8), strftime("%Y/%m/%d", $6, 1); n = 0 }
	/^uid/ { if (n++ == 0) print $10; else printf "%31s%s\n", "", $10 }'
}
km_mail "$T/i.eml" "INDEX ivan"; km_filter "$T/i.eml"
decoded_body "$(last_reply)" > "$T/got"
expected_index "$IVAN" > "$T/want"
if grep -qxF -f "$T/want" "$T/got" && [ "$(grep -c '' "$T/want")" = 2 ] && [ "$(grep -cxF -f "$T/want" "$T/got")" = 2 ]; then ok; else notok "INDEX ivan layout"; echo "want:"; cat "$T/want"; echo "got:"; cat "$T/got"; fi
check_eq "INDEX subject" "$(reply_subject "$(last_reply)")" "Your command, INDEX ivan"

km_mail "$T/i.eml" "INDEX olga@example.org"; km_filter "$T/i.eml"
decoded_body "$(last_reply)" > "$T/got"
expected_index "$OLGA" > "$T/want"
check "INDEX olga layout (EdDSA letter E, 255 bits)" grep -qxF -f "$T/want" "$T/got"

# VERBOSE INDEX: self-signature, a known signer by name, an unknown signer.
km_mail "$T/v.eml" "VERBOSE INDEX ivan@example.org"; km_filter "$T/v.eml"
decoded_body "$(last_reply)" > "$T/got"
ivan8=$(echo "$IVAN" | cut -c33-40); olga8=$(echo "$OLGA" | cut -c33-40); unk8=$(echo "$UNK" | cut -c33-40)
# column 3: '!' verified (self-signatures; Olga's key is in the store),
# ' ' not checked (the unknown signer's key is not)
check "self-signature line" grep -qxF "sig!       $ivan8             Ivan Work <ivan@work.example>" "$T/got"
check "known signer line, verified" grep -qxF "sig!       $olga8             Olga Other <olga@example.org>" "$T/got"
check "unknown signer line" grep -qxF "sig        $unk8             (unknown signer - cannot be checked)" "$T/got"
check "fingerprint line" grep -qxF "      Key fingerprint = $(echo "$IVAN" | sed 's/..../& /g; s/ $//; s/\(\([^ ]* \)\{4\}[^ ]*\) /\1  /')" "$T/got"
check "second user ID line" grep -qxF "                               Ivan Index <ivan@example.org>" "$T/got"

# Revoked key: the marker, and the user ID on the next line at column 30.
# gpg wrote a revocation certificate when it made the key; it is disarmed by a leading ':'.
sed 's/^:-----BEGIN/-----BEGIN/' "$GNUPGHOME/openpgp-revocs.d/$OLGA.rev" > "$T/rev.asc"
gpg --batch --import "$T/rev.asc" >/dev/null 2>&1
gpg --armor --export "$OLGA" > "$T/olga-rev.asc"
km_mail "$T/r.eml" ADD "$T/olga-rev.asc"; km_filter "$T/r.eml"
check "revocation counted" grep -q "New revocation signatures added: 1" "$(last_reply)"
km_mail "$T/i.eml" "INDEX olga"; km_filter "$T/i.eml"
decoded_body "$(last_reply)" > "$T/got"
check "revoked marker" grep -q "^pub   255E/$olga8 [0-9/]* \*\*\* KEY REVOKED \*\*\*$" "$T/got"
check "revoked: user ID at column 30" grep -qxF "                              Olga Other <olga@example.org>" "$T/got"
# the revocation survives a later ADD of the unrevoked key
km_mail "$T/a.eml" ADD "$T/keys.asc"; km_filter "$T/a.eml"
km_mail "$T/i.eml" "INDEX olga"; km_filter "$T/i.eml"
check "revocation never forgotten" grep -q "KEY REVOKED" "$(last_reply)"

# Expired key: made with gpg's clock in 2020, valid for one day. The same
# layout with *** KEY EXPIRED ***; revoked and expired shows REVOKED.
gpg --batch --pinentry-mode loopback --passphrase '' --faked-system-time 20200101T000000 \
    --quick-gen-key 'Ella Expired <ella@example.org>' ed25519 default 1d >/dev/null 2>&1
ELLA=$(km_gpg_fpr ella@example.org); ella8=$(echo "$ELLA" | cut -c33-40)
gpg --armor --export "$ELLA" > "$T/ella.asc"
km_mail "$T/a.eml" ADD "$T/ella.asc"; km_filter "$T/a.eml"
check "expired key stored" grep -q "New public keys added: 1" "$(last_reply)"
km_mail "$T/i.eml" "INDEX ella"; km_filter "$T/i.eml"
decoded_body "$(last_reply)" > "$T/got"
check "expired marker" grep -qx "pub   255E/$ella8 2020/01/01 \*\*\* KEY EXPIRED \*\*\*" "$T/got"
check "expired: user ID at column 30" grep -qxF "                              Ella Expired <ella@example.org>" "$T/got"
sed 's/^:-----BEGIN/-----BEGIN/' "$GNUPGHOME/openpgp-revocs.d/$ELLA.rev" > "$T/rev.asc"
gpg --batch --faked-system-time 20200101T000100 --import "$T/rev.asc" >/dev/null 2>&1
gpg --armor --export "$ELLA" > "$T/ella-rev.asc"
km_mail "$T/a.eml" ADD "$T/ella-rev.asc"; km_filter "$T/a.eml"
km_mail "$T/i.eml" "INDEX ella"; km_filter "$T/i.eml"
check "revoked and expired: REVOKED" grep -q "^pub   255E/$ella8 2020/01/01 \*\*\* KEY REVOKED \*\*\*$" "$(last_reply)"

# Too many / nothing
km_mail "$T/i.eml" "INDEX nobody-here"; km_filter "$T/i.eml"
check_eq "INDEX no match" "$(reply_subject "$(last_reply)")" "Your command, INDEX nobody-here, failed"
sed -i 's/^max_reply_keys.*//' "$T/keymail.conf"; echo "max_reply_keys = 1" >> "$T/keymail.conf"
km_mail "$T/i.eml" "INDEX example"; km_filter "$T/i.eml"
check "INDEX too many" grep -q "More than 1 keys match" "$(last_reply)"
km_done
