# SIGNERS (owner-control.md 4.4) on a trusted server: the key's published
# copy and those of the issuers of its published certifications, in one
# block GnuPG imports; issuers left out are named with the reason
# (absent, hidden, over limit); a held certification does not count; a
# key that is not public answers as GET does.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/owner-lib.sh"
command -v gpg >/dev/null || { notok "gpg not installed"; km_done; exit 1; }

own_newdb own537
H=$(own_home owner)
O=$(own_genkey "$H" ed "Owner G <g@owner.example>")
S1H=$(own_home s1); S1=$(own_genkey "$S1H" ed "Signer One <s1@sig.example>")
S2H=$(own_home s2); S2=$(own_genkey "$S2H" ed "Signer Two <s2@sig.example>")
S3H=$(own_home s3); S3=$(own_genkey "$S3H" ed "Signer Three <s3@sig.example>")
S4H=$(own_home s4); S4=$(own_genkey "$S4H" ed "Signer Four <s4@sig.example>")
own_export "$H" "$O" "$T/o.asc"
for n in 1 2 3 4; do
	eval "h=\$S${n}H f=\$S$n"
	own_export "$h" "$f" "$T/s$n.asc"
	own_gpg "$h" --import "$T/o.asc" >/dev/null 2>&1
	own_gpg "$h" --default-key "$f" --quick-sign-key "$O" >/dev/null 2>&1
	own_gpg "$h" --armor --export "$O" >"$T/o-s$n.asc"
done
# S1 and S2 shown, S3 stored but never claimed, S4 never stored.
cat "$T/o.asc" "$T/s1.asc" "$T/s2.asc" "$T/s3.asc" >"$T/keys.asc"
own_send ADD "$T/keys.asc"
for x in "$O:$H" "$S1:$S1H" "$S2:$S2H"; do
	f=${x%%:*} h=${x#*:}
	own_block "$h" "$f" SHOW >"$T/b.txt"
	own_send "SHOW $f" "$T/b.txt"
	check_eq "SHOW" "$(reply_subject "$reply")" "Your command, SHOW $f"
done
cat "$T/o-s1.asc" "$T/o-s2.asc" "$T/o-s3.asc" "$T/o-s4.asc" >"$T/certs.asc"
own_send ADD "$T/certs.asc"
# Held certifications do not count yet.
own_send "SIGNERS $O"
check_eq "SIGNERS" "$(reply_subject "$reply")" "Your command, SIGNERS $O"
decoded_body "$reply" >"$T/s0.txt"
check "SIGNERS before ACCEPT: no certifier" grep -q 'keys of 0 certifier' "$T/s0.txt"
own_block "$H" "$O" ACCEPT ALL >"$T/b.txt"
own_send "ACCEPT $O ALL" "$T/b.txt"
check_eq "ACCEPT ALL" "$(reply_subject "$reply")" "Your command, ACCEPT $O ALL"

own_send "SIGNERS $O"
check_eq "SIGNERS after ACCEPT" "$(reply_subject "$reply")" "Your command, SIGNERS $O"
decoded_body "$reply" >"$T/s.txt"
sed -n '/^-----BEGIN PGP PUBLIC KEY BLOCK-----$/,/^-----END PGP PUBLIC KEY BLOCK-----$/p' "$T/s.txt" >"$T/s.asc"
g=$(own_home probe)
own_gpg "$g" --import "$T/s.asc" >/dev/null 2>&1
got=$(gpg --homedir "$g" --with-colons --list-keys 2>/dev/null | awk -F: '$1 == "pub" {want = 1} $1 == "fpr" && want {print $10; want = 0}' | sort | tr '\n' ' ')
check_eq "the key and its two shown certifiers" "$got" "$(printf '%s\n' "$O" "$S1" "$S2" | sort | tr '\n' ' ')"
check_eq "S3 hidden" "$(grep -c "^$S3 hidden\$" "$T/s.txt")" 1
check_eq "S4 absent" "$(grep -c "^$S4 absent\$" "$T/s.txt")" 1

# Over limit: room for the key and one certifier.
own_conf max_reply_keys 2
own_send "SIGNERS 0x$(echo "$O" | cut -c25-40)"
decoded_body "$reply" >"$T/s2.txt"
check_eq "over limit: one certifier left out" "$(grep -c ' over limit$' "$T/s2.txt")" 1

# A key that is not public answers as GET does.
own_send "SIGNERS $S3"
check_eq "SIGNERS of an unclaimed key" "$(reply_subject "$reply")" "Your command, SIGNERS $S3, failed"
decoded_body "$reply" >"$T/s3.txt"
check "as GET: no matching keys" grep -q '^No matching keys in database.$' "$T/s3.txt"
own_send "SIGNERS alice"
check_eq "SIGNERS needs a key ID or fingerprint" "$(reply_subject "$reply")" "Your command, SIGNERS alice, failed"
km_done
