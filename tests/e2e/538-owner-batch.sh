# The hourly batch's owner steps (owner-control.md 9, 11): keymail sync
# mails one digest of new held items to a claimed key's confirmed notify
# address (issuer fingerprints only, never user-ID text), not again while
# nothing new arrives, not beyond max_digests_per_key_per_day; purges
# expired requests; sends nothing for an unconfirmed address. Held-item
# expiry in days is tested by unit/owner_store_test with a given "now".
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/owner-lib.sh"
command -v gpg >/dev/null || { notok "gpg not installed"; km_done; exit 1; }

own_newdb own538
own_conf max_token_mails_per_day 0
H=$(own_home owner)
O=$(own_genkey "$H" ed "Owner D <d@owner.example>")
TH=$(own_home third)
TP=$(own_genkey "$TH" ed "Third Digest <td@third.example>")
T2=$(own_genkey "$TH" ed "Third Again <ta@third.example>")
own_export "$H" "$O" "$T/o.asc"
own_send ADD "$T/o.asc"
own_block "$H" "$O" SHOW >"$T/b.txt"
own_send "SHOW $O" "$T/b.txt"
# certify SIGNER: SIGNER's certification on O, ADDed.
certify() {
	own_gpg "$TH" --import "$T/o.asc" >/dev/null 2>&1
	own_gpg "$TH" --default-key "$1" --quick-sign-key "$O" >/dev/null 2>&1
	own_gpg "$TH" --armor --export "$O" >"$T/o-c.asc"
	own_send ADD "$T/o-c.asc"
}
sync() { "$KEYMAIL" sync >>"$T/sync.log" 2>&1; check_eq "sync exit" "$?" 0; }
# (check() in lib.sh uses $d: the digest's path is $dg.)
# digest_files: the digests in the outbox (Subjects are folded: unfold).
digest_files() {
	for _f in "$T"/outbox/*.eml; do
		[ "$(reply_subject "$_f")" = "keymail: certifications held for key $O" ] && echo "$_f"
	done
}
digests() { digest_files | wc -l; }

# No notify address yet: no digest.
certify "$TP"
sync
check_eq "no notify address: no digest" "$(digests)" 0
# Unconfirmed address: still none.
own_block "$H" "$O" NOTIFY dig@example.net >"$T/b.txt"
own_send "NOTIFY $O dig@example.net" "$T/b.txt"
decoded_body "$(own_nth 1)" >"$T/conf.txt"
tok=$(own_token_of "$T/conf.txt")
sync
check_eq "unconfirmed address: no digest" "$(digests)" 0
own_send "CONFIRM $tok" "" "Dig <dig@example.net>"
check_eq "notify confirmed" "$(reply_subject "$reply")" "Your command, CONFIRM"
# Now the held item is reported once.
sync
check_eq "one digest" "$(digests)" 1
dg=$(digest_files | tail -n 1)
check_eq "digest to the notify address" "$(sed -n 's/^To: //p' "$dg")" dig@example.net
check "digest is auto-generated" grep -q '^Auto-Submitted: auto-generated$' "$dg"
decoded_body "$dg" >"$T/d.txt"
check_eq "digest names the issuer by fingerprint" "$(grep -c "^  $TP\$" "$T/d.txt")" 1
check "digest: no issuer user-ID text" sh -c "! grep -q 'Third Digest' '$T/d.txt'"
check "digest: says HELD" grep -q "HELD $O" "$T/d.txt"
sync
check_eq "nothing new: no second digest" "$(digests)" 1
# Something new within the day: max_digests_per_key_per_day (1) holds it back.
certify "$T2"
sync
check_eq "a new item the same day: no second digest" "$(digests)" 1
check "the limit is logged" grep -q 'max_digests_per_key_per_day' "$T/sync.log"

# Purge: a request made under challenge_ttl = 1 is gone after a sync.
cp "$T/keymail.conf" "$T/normal.conf"
own_conf challenge_ttl 1
own_send "HIDE $O"
cp "$T/normal.conf" "$T/keymail.conf"
check_eq "a pending request" "$(psql "$KM_DB" -qAtc "select count(*) from pending where state = 'pending' and kind = 'challenge'")" 1
sleep 2
sync
check_eq "expired request purged" "$(psql "$KM_DB" -qAtc "select count(*) from pending where kind = 'challenge'")" 0
km_done
