# Trusted mode, what comes in for a claimed key (owner-control.md 7.2-7.4,
# 14): third-party certifications made with gpg --quick-sign-key wait as
# held items; HELD lists them in a reply encrypted to the key; ACCEPT
# publishes them, REJECT ... BLOCK drops them and keeps the issuer out; a
# new user ID is held until ACCEPTed by the key's own fingerprint; a newer
# self-signature (gpg --quick-set-expire) is published at once; REPLACE
# with a user ID left out (gpg --export-filter) removes it for good (an
# upload of the full key does not bring it back, an unsigned REPLACE with
# it does); a REPLACE of a key not stored claims it; a key revocation is
# published at once, and a hidden revoked key answers GET by fingerprint
# with its revocation-only copy (gpg --list-packets).
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/owner-lib.sh"
command -v gpg >/dev/null || { notok "gpg not installed"; km_done; exit 1; }

own_newdb own531
own_conf max_token_mails_per_day 0
own_conf max_held_per_key_per_hour 0
H=$(own_home owner)
O=$(own_genkey "$H" ed "Owner One <one@owner.example>")
P=$(own_genkey "$H" ed "Owner Two <two@owner.example>")
T1H=$(own_home t1)
T1=$(own_genkey "$T1H" ed "Third One <t1@third.example>")
T2H=$(own_home t2)
T2=$(own_genkey "$T2H" ed "Third Two <t2@third.example>")
for f in "$O" "$P" "$T1" "$T2"; do check "key made" [ -n "$f" ]; done
uidhash() { printf '%s' "$1" | sha256sum | cut -c1-16 | tr a-f A-F; }

own_export "$H" "$O" "$T/o.asc"
own_export "$H" "$P" "$T/p.asc"
own_export "$T1H" "$T1" "$T/t1.asc"
own_export "$T2H" "$T2" "$T/t2.asc"
cat "$T/o.asc" "$T/p.asc" "$T/t1.asc" "$T/t2.asc" >"$T/all.asc"
own_send ADD "$T/all.asc"
own_block "$H" "$O" SHOW >"$T/b.txt"
own_send "SHOW $O" "$T/b.txt"
check_eq "O claimed and shown" "$(reply_subject "$reply")" "Your command, SHOW $O"

# ---- a third-party certification is held --------------------------------
own_certify "$H" "$O" "$T1H" "$T1" "$T/o-t1.asc"
check_eq "T1's certification made" "$(own_sigs_by "$T/o-t1.asc" "$T1")" 1
own_send ADD "$T/o-t1.asc"
decoded_body "$reply" >"$T/add.txt"
check "ADD says received" grep -q '^    received$' "$T/add.txt"
own_get "$O" "$T/g1.asc"
check_eq "T1's certification not published" "$(own_sigs_by "$T/g1.asc" "$T1")" 0

own_send "HELD $O"
check_eq "HELD subject" "$(reply_subject "$reply")" "Your command, HELD $O"
own_decrypt "$H" "$reply" >"$T/held.txt"
check_eq "HELD: fingerprint" "$(grep '^fingerprint: ' "$T/held.txt")" "fingerprint: $O"
check_eq "HELD: state" "$(grep '^state: ' "$T/held.txt")" "state: visible"
check_eq "HELD: notify" "$(grep '^notify: ' "$T/held.txt")" "notify: none"
U1=$(uidhash "Owner One <one@owner.example>")
check_eq "HELD: the item" "$(grep '^held: ' "$T/held.txt" | cut -d' ' -f2,3)" "$T1 uid:$U1"
sed -n '/^-----BEGIN PGP PUBLIC KEY BLOCK-----$/,$p' "$T/held.txt" >"$T/held-key.asc"
check_eq "HELD: the key with the held certification" "$(own_sigs_by "$T/held-key.asc" "$T1")" 1

own_block "$H" "$O" ACCEPT "$T1" >"$T/b.txt"
own_send "ACCEPT $O $T1" "$T/b.txt"
check_eq "ACCEPT T1" "$(reply_subject "$reply")" "Your command, ACCEPT $O $T1"
own_get "$O" "$T/g2.asc"
check_eq "T1's certification published" "$(own_sigs_by "$T/g2.asc" "$T1")" 1

# ---- REJECT ... BLOCK: dropped now and later --------------------------------
own_certify "$H" "$O" "$T2H" "$T2" "$T/o-t2.asc"
own_send ADD "$T/o-t2.asc"
own_block "$H" "$O" REJECT "0x$(own_kid "$T2")" BLOCK >"$T/b.txt"
own_send "REJECT $O 0x$(own_kid "$T2") BLOCK" "$T/b.txt"
check_eq "REJECT T2 BLOCK" "$(reply_subject "$reply")" "Your command, REJECT $O 0x$(own_kid "$T2") BLOCK"
# T2 signs again (a new signature) and uploads: dropped, not held.
own_gpg "$T2H" --default-key "$T2" --force-sign-key \
    --cert-policy-url http://t2.example/ --quick-sign-key "$O" >/dev/null 2>&1
own_gpg "$T2H" --armor --export "$O" >"$T/o-t2b.asc"
own_send ADD "$T/o-t2b.asc"
own_send "HELD $O"
own_decrypt "$H" "$reply" >"$T/held2.txt"
check_eq "nothing held after REJECT BLOCK" "$(grep -c '^held: ' "$T/held2.txt")" 0
own_get "$O" "$T/g3.asc"
check_eq "T2 never published" "$(own_sigs_by "$T/g3.asc" "$T2")" 0

# ---- a new user ID waits for ACCEPT by the key's own fingerprint ----------
own_gpg "$H" --quick-add-uid "$O" "Owner One Work <work@owner.example>" >/dev/null 2>&1
own_export "$H" "$O" "$T/o2.asc"
own_send ADD "$T/o2.asc"
own_get "$O" "$T/g4.asc"
check_eq "new user ID held" "$(own_uids "$T/g4.asc")" "Owner One <one@owner.example>"
own_send "HELD $O"
own_decrypt "$H" "$reply" >"$T/held3.txt"
U2=$(uidhash "Owner One Work <work@owner.example>")
check_eq "HELD: own item" "$(grep '^held: ' "$T/held3.txt" | cut -d' ' -f2,3)" "$O uid:$U2"
# ACCEPT unsigned: a challenge, then CONFIRM.
own_send "ACCEPT $O $O"
check_eq "ACCEPT challenge" "$(reply_subject "$reply")" "Your command, ACCEPT $O $O, needs confirmation"
tok=$(own_challenge_token "$H" "$reply")
check_eq "ACCEPT challenge: argument line" "$(grep '^argument: ' "$T/plain.txt")" "argument: $O"
own_send "CONFIRM $tok"
check_eq "CONFIRM ACCEPT" "$(reply_subject "$reply")" "Your command, CONFIRM"
own_get "$O" "$T/g5.asc"
check_eq "both user IDs published" "$(own_uids "$T/g5.asc" | tr '\n' '|')" \
    "Owner One <one@owner.example>|Owner One Work <work@owner.example>|"

# ---- a newer self-signature is published at once ----------------------------
own_gpg "$H" --quick-set-expire "$O" 2y >/dev/null 2>&1
own_export "$H" "$O" "$T/o3.asc"
own_send ADD "$T/o3.asc"
own_get "$O" "$T/g6.asc"
g=$(own_home exp)
own_gpg "$g" --import "$T/g6.asc" >/dev/null 2>&1
exp=$(gpg --homedir "$g" --with-colons --list-keys "$O" 2>/dev/null | awk -F: '$1 == "pub" {print $7}')
check "new expiry published at once" [ -n "$exp" ]

# ---- REPLACE: a user ID left out stays out ----------------------------------
own_gpg "$H" --import "$T/o-t1.asc" >/dev/null 2>&1	# T1's certification too
own_gpg "$H" --armor --export-filter 'keep-uid=mbox !~ work@' --export "$O" >"$T/o-nowork.asc"
OWN_KEYFILE=$T/o-nowork.asc own_block "$H" "$O" REPLACE SHOW >"$T/b.txt"
check "dash-escaped key in the block" grep -q '^- -----BEGIN PGP PUBLIC KEY BLOCK-----' "$T/b.txt"
own_send "REPLACE $O SHOW" "$T/b.txt"
check_eq "REPLACE" "$(reply_subject "$reply")" "Your command, REPLACE $O SHOW"
own_get "$O" "$T/g7.asc"
check_eq "REPLACE removed the work user ID" "$(own_uids "$T/g7.asc")" "Owner One <one@owner.example>"
check_eq "REPLACE kept T1 (in the key sent)" "$(own_sigs_by "$T/g7.asc" "$T1")" 1
own_export "$H" "$O" "$T/o4.asc"
own_send ADD "$T/o4.asc"
own_get "$O" "$T/g8.asc"
check_eq "full key uploaded again: work user ID still out" "$(own_uids "$T/g8.asc")" \
    "Owner One <one@owner.example>"
own_send "HELD $O"
own_decrypt "$H" "$reply" >"$T/held4.txt"
check_eq "suppressed user ID not held either" "$(grep -c '^held: ' "$T/held4.txt")" 0
# Unsigned REPLACE: the key in the body, a challenge, CONFIRM; what it
# holds leaves the suppressed set.
own_send "REPLACE $O" "$T/o4.asc"
check_eq "unsigned REPLACE: challenge" "$(reply_subject "$reply")" "Your command, REPLACE $O, needs confirmation"
tok=$(own_challenge_token "$H" "$reply")
own_send "CONFIRM $tok"
check_eq "CONFIRM REPLACE" "$(reply_subject "$reply")" "Your command, CONFIRM"
own_get "$O" "$T/g8b.asc"
check_eq "REPLACE with the full key: work user ID back" "$(own_uids "$T/g8b.asc" | tr '\n' '|')" \
    "Owner One <one@owner.example>|Owner One Work <work@owner.example>|"
# REPLACE of a key not stored: one signed mail submits and claims it.
N=$(own_genkey "$H" ed "New Owner <new@owner.example>")
own_export "$H" "$N" "$T/n.asc"
OWN_KEYFILE=$T/n.asc own_block "$H" "$N" REPLACE SHOW >"$T/b.txt"
own_send "REPLACE $N SHOW" "$T/b.txt"
check_eq "REPLACE of a key not stored" "$(reply_subject "$reply")" "Your command, REPLACE $N SHOW"
own_get "$N" "$T/gn.asc"
check_eq "submitted, claimed and shown by one mail" "$(own_uids "$T/gn.asc")" "New Owner <new@owner.example>"

# ---- revocations: published at once; revocation-only copies ------------------
own_block "$H" "$P" HIDE >"$T/b.txt"
own_send "HIDE $P" "$T/b.txt"
check_eq "P claimed hidden" "$(reply_subject "$reply")" "Your command, HIDE $P"
own_send "GET $P"
check_eq "P hidden" "$(reply_subject "$reply")" "Your command, GET $P, failed"
for f in "$O" "$P"; do
	sed 's/^:-----BEGIN/-----BEGIN/' "$H/openpgp-revocs.d/$f.rev" >"$T/rev.asc"
	own_gpg "$H" --import "$T/rev.asc" >/dev/null 2>&1
done
own_export "$H" "$O" "$T/o-rev.asc"
own_send ADD "$T/o-rev.asc"
decoded_body "$reply" >"$T/add.txt"
check "ADD says revocation published" grep -q '^    revocation published$' "$T/add.txt"
own_get "$O" "$T/g9.asc"
g=$(own_home rev)
own_gpg "$g" --import "$T/g9.asc" >/dev/null 2>&1
check_eq "O published revoked" "$(gpg --homedir "$g" --with-colons --list-keys "$O" 2>/dev/null | awk -F: '$1 == "pub" {print $2}')" r
own_export "$H" "$P" "$T/p-rev.asc"
own_send ADD "$T/p-rev.asc"
own_get "$P" "$T/g10.asc"
check_eq "hidden revoked P: GET by fingerprint answers" "$(reply_subject "$reply")" "Your command, GET $P"
own_gpg "$g" --list-packets "$T/g10.asc" >"$T/pk.txt" 2>/dev/null
check_eq "revocation-only copy: one key packet" "$(grep -c '^:public key packet:' "$T/pk.txt")" 1
check_eq "revocation-only copy: one signature" "$(grep -c '^:signature packet:' "$T/pk.txt")" 1
check_eq "revocation-only copy: no user ID" "$(grep -c '^:user ID packet:' "$T/pk.txt")" 0
check "revocation-only copy: a key revocation" grep -q 'sigclass 0x20' "$T/pk.txt"
own_send "GET 0x$(own_kid "$P")"
check_eq "hidden revoked P by key ID: nothing" "$(reply_subject "$reply")" "Your command, GET 0x$(own_kid "$P"), failed"
own_send "INDEX two@owner.example"
check_eq "hidden revoked P by INDEX: nothing" "$(reply_subject "$reply")" "Your command, INDEX two@owner.example, failed"
km_done
