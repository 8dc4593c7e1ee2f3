# A secret key mailed with ADD is refused and nothing of it is stored,
# whether it comes as a PRIVATE KEY BLOCK or disguised as a PUBLIC KEY BLOCK.
. "$KM_TOP/tests/lib.sh"
km_newdb secret
km_gpg_init
km_gpg_genkey ed25519 'Sally Secret <sally@example.org>'
fpr=$(km_gpg_fpr sally@example.org)
gpg --batch --pinentry-mode loopback --passphrase '' --armor --export-secret-keys "$fpr" > "$T/sec.asc"
km_mail "$T/sec.eml" ADD "$T/sec.asc"; km_filter "$T/sec.eml"
check_eq "secret ADD exit" "$rc" 0
r=$(last_reply)
check_eq "secret ADD subject" "$(reply_subject "$r")" "Your command, ADD, failed"
check "secret ADD explains" grep -q "secret key" "$r"
n=$(psql "$KM_DB" -Atc "select count(*) from keys")
check_eq "no key stored from a secret block" "$n" 0

# Same bytes, armor label changed: the packets themselves give it away.
sed 's/PRIVATE KEY BLOCK/PUBLIC KEY BLOCK/' "$T/sec.asc" > "$T/sec2.asc"
km_mail "$T/sec2.eml" ADD "$T/sec2.asc"; km_filter "$T/sec2.eml"
check "disguised secret key refused" grep -q "secret key material" "$(last_reply)"
n=$(psql "$KM_DB" -Atc "select count(*) from keys")
check_eq "still nothing stored" "$n" 0

# A public key next to the secret one in the same mail is still accepted.
gpg --armor --export "$fpr" > "$T/pub.asc"
cat "$T/sec.asc" "$T/pub.asc" > "$T/both.asc"
km_mail "$T/both.eml" ADD "$T/both.asc"; km_filter "$T/both.eml"
r=$(last_reply)
check "public part accepted" grep -q "New public keys added: 1" "$r"
check "secret part still refused" grep -q "secret key" "$r"
G=$T/fresh; mkdir -m 700 "$G"
"$KEYMAIL" get "0x$fpr" | GNUPGHOME=$G gpg --batch --import 2>/dev/null
check_eq "served key imports as public" "$(GNUPGHOME=$G gpg --with-colons -k 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')" "$fpr"
check_eq "served key holds no secret part" "$(GNUPGHOME=$G gpg --with-colons -K 2>/dev/null | grep -c '^sec')" 0
km_done
