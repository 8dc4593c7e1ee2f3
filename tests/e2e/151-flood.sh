# Certificate flooding (CVE-2019-13050) with real signatures made by GnuPG:
# 30 keys certify one user ID of a victim key; the store keeps
# max_sigs_per_uid = 10 third-party signatures per user ID, preferring
# those it can verify with a signer key it holds (5 of the 30 are
# stored), and the result does not depend on the order in which the
# victim and the signer keys arrive. What was kept is read back with
# GnuPG, not with our parser.
. "$KM_TOP/tests/lib.sh"
km_gpg_init
NSIGNERS=30
km_gpg_genkey ed25519 'Victor Victim <victor@example.org>'
VIC=$(km_gpg_fpr victor@example.org)
i=1
while [ $i -le $NSIGNERS ]; do
	km_gpg_genkey ed25519 "Signer $i <signer$i@example.org>"
	gpg --batch --pinentry-mode loopback --passphrase '' -u "$(km_gpg_fpr "signer$i@example.org")" \
	    --quick-sign-key "$VIC" 'Victor Victim <victor@example.org>' >/dev/null 2>&1
	i=$((i + 1))
done
gpg --armor --export "$VIC" > "$T/victim.asc"
nthird=$(gpg --with-colons --check-sigs "$VIC" 2>/dev/null | awk -F: -v me="$(echo "$VIC" | cut -c25-40)" '/^sig/ && $5 != me' | wc -l)
check_eq "gpg made $NSIGNERS third-party certifications" "$nthird" "$NSIGNERS"
# the first five signers are the ones the keyserver will know
: > "$T/known.asc"; : > "$T/known.ids"
for i in 1 2 3 4 5; do
	f=$(km_gpg_fpr "signer$i@example.org")
	gpg --armor --export "$f" >> "$T/known.asc"
	echo "$f" | cut -c25-40 >> "$T/known.ids"
done

add() { km_mail "$T/m.eml" ADD "$1"; km_filter "$T/m.eml"; }
# get_bin NAME: the victim as stored, binary, via keymail get
get_bin() { "$KEYMAIL" get "0x$VIC" > "$T/$1.asc" && gpg --dearmor < "$T/$1.asc" > "$T/$1.bin"; }
# issuers FILE: key IDs of the signatures on the victim's user ID, as gpg reads them
issuers() { gpg --list-packets < "$1" 2>/dev/null | awk '/^:user ID packet/ {u=1} /^:public sub key/ {u=0} u && /^:signature packet/ {print toupper($NF)}' | sort; }

# Order 1: the five signer keys first, then the flooded key.
km_newdb flood1
echo "max_sigs_per_uid = 10" >> "$T/keymail.conf"
add "$T/known.asc"
check "signer keys stored" grep -q "New public keys added: 5" "$(last_reply)"
add "$T/victim.asc"
r=$(last_reply)
check "victim stored" grep -q "New public keys added: 1" "$r"
check "report names the flood limit" grep -q "dropped: 20 third-party signatures over the limit of 10 per user ID" "$r"
get_bin order1
issuers "$T/order1.bin" > "$T/order1.ids"
me=$(echo "$VIC" | cut -c25-40)
check_eq "self-signature kept" "$(grep -c "$me" "$T/order1.ids")" 1
check_eq "10 third-party signatures kept" "$(grep -vc "$me" "$T/order1.ids")" 10
check_eq "every verifiable one kept" "$(grep -cxF -f "$T/known.ids" "$T/order1.ids")" 5
# GnuPG imports what we serve and sees those ten
G=$T/g2; mkdir -m 700 "$G"
GNUPGHOME=$G gpg --batch --import "$T/order1.asc" >/dev/null 2>&1
check_eq "gpg imports the capped key (1 self + 10)" "$(GNUPGHOME=$G gpg --with-colons --list-sigs "$VIC" 2>/dev/null | grep -c "^sig")" 11
GNUPGHOME=$G gpgconf --kill gpg-agent 2>/dev/null

# The flooded key again: nothing new, nothing grows.
add "$T/victim.asc"
check "flooded key again: nothing new" grep -q "nothing new" "$(last_reply)"
get_bin again
check "stored key unchanged" cmp -s "$T/order1.bin" "$T/again.bin"

# VERBOSE INDEX: '!' for the self-signature and the five verified ones.
km_mail "$T/v.eml" "VERBOSE INDEX victor@example.org"; km_filter "$T/v.eml"
decoded_body "$(last_reply)" > "$T/index"
check_eq "verified lines" "$(grep -c '^sig!' "$T/index")" 6
check_eq "not checked lines" "$(grep -c '^sig ' "$T/index")" 5
for id in $(cat "$T/known.ids"); do
	check "signer $id verified" grep -q "^sig!       $(echo "$id" | cut -c9-16) " "$T/index"
done

# Order 2: the flooded key first (nothing verifiable yet), then the signer
# keys, then the flooded key once more: the same bytes as order 1.
km_newdb flood2
echo "max_sigs_per_uid = 10" >> "$T/keymail.conf"
add "$T/victim.asc"
check "order 2: flood limit applied" grep -q "dropped: 20 third-party signatures" "$(last_reply)"
get_bin first
check_eq "order 2: 10 third-party signatures" "$(issuers "$T/first.bin" | grep -vc "$me")" 10
add "$T/known.asc"
add "$T/victim.asc"
get_bin order2
check "same stored key in both orders" cmp -s "$T/order1.bin" "$T/order2.bin"
km_done
