# Peer sync of a trusted server (owner-control.md 11, C26): instance a
# (policy trusted) and b (open) are each other's peers, through the real
# msmtp and tests/smtp-router.py as in the other sync tests. Unclaimed keys
# never leave a; a claimed and shown key leaves as its published copy,
# without the certification held for its owner (also when that
# certification is uploaded again); an unclaimed key that gains a key
# revocation leaves as its revocation-only copy (and b stores it). What
# crossed is read back with GnuPG.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/owner-lib.sh"
. "$KM_TOP/tests/sync-lib.sh"
command -v gpg >/dev/null || { notok "gpg not installed"; km_done; exit 1; }

H=$(own_home owner)
O=$(own_genkey "$H" ed "Owner S <s@owner.example>")
U=$(own_genkey "$H" ed "Unclaimed U <u@owner.example>")
TH=$(own_home third)
TP=$(own_genkey "$TH" ed "Third T <t@third.example>")
kid() { echo "$1" | cut -c25-40; }
own_export "$H" "$O" "$T/o.asc"
own_export "$H" "$U" "$T/u.asc"
own_export "$TH" "$TP" "$T/t.asc"
own_gpg "$TH" --import "$T/o.asc" >/dev/null 2>&1
own_gpg "$TH" --default-key "$TP" --quick-sign-key "$O" >/dev/null 2>&1
own_gpg "$TH" --armor --export "$O" >"$T/o-t.asc"
sed 's/^:-----BEGIN/-----BEGIN/' "$H/openpgp-revocs.d/$U.rev" >"$T/u.rev"
own_gpg "$H" --import "$T/u.rev" >/dev/null 2>&1
own_export "$H" "$U" "$T/u-rev.asc"

sync_router_start a b || { km_done; exit 1; }
sync_instance a "pgp-public-keys@b.test generic" || { km_done; exit 1; }
sync_instance b "pgp-public-keys@a.test generic" || { km_done; exit 1; }
echo "policy = trusted" >>"$T/a.conf"
"$KEYMAIL" -c "$T/a.conf" initdb --change-policy >/dev/null 2>&1
check_eq "a changed to trusted" "$?" 0
# mail_a FILE SUBJECT [BODY]: a mail to instance a
mail_a() {
	km_mail "$T/m.eml" "$1" "${2:-}" 'Alice Owner <alice@example.org>'
	sed -i 's/^To: .*/To: pgp-public-keys@a.test/' "$T/m.eml"
	"$KEYMAIL" -c "$T/a.conf" filter <"$T/m.eml" 2>>"$T/filter.log"
	check_eq "filter at a: $1" "$?" 0
}
# sent_from_a: the keys that left a, as GnuPG reads them (one per line)
sent_from_a() { sync_edges | awk '$1 == "pgp-public-keys@a.test" {print $3}' | sort; }
# packets FPR: the list-packets of the newest incremental a sent with FPR
packets() {
	awk -F'\t' '$4 == "pgp-public-keys@a.test" && $5 == "incremental" {print $9}' "$T/router.log" |
	while read -r f; do
		if msg_fprs "$f" | grep -qx "$1"; then echo "$f"; fi
	done | tail -n 1 | xargs -r gpg --list-packets 2>/dev/null
}

cat "$T/o.asc" "$T/u.asc" "$T/t.asc" "$T/o-t.asc" >"$T/all.asc"
mail_a ADD "$T/all.asc"
sync_until_quiet a b
check_eq "sync exit codes" "$sync_rc" 0
check_eq "unclaimed keys never leave a" "$(sent_from_a)" ""

# Claim O with a signed SHOW: its published copy leaves, without T.
OWN_SERVER=pgp-public-keys@a.test own_block "$H" "$O" SHOW >"$T/show.txt"
mail_a "SHOW $O" "$T/show.txt"
sync_until_quiet a b
check_eq "the shown key left a" "$(sent_from_a)" "$O"
check "b has O" sync_has b "$O"
packets "$O" >"$T/o.pk"
check_eq "O's copy: no certification by T" "$(grep -c "keyid $(kid "$TP")\$" "$T/o.pk")" 0
check_eq "O's copy: its two self-signatures (user ID, subkey)" "$(grep -c "keyid $(kid "$O")\$" "$T/o.pk")" 2
check_eq "b's copy: no certification by T" \
    "$(gpg --with-colons --import-options show-only --import "$T/has.asc" 2>/dev/null |
    awk -F: -v k="$(kid "$TP")" '$1 == "sig" && $5 == k' | wc -l)" 0
# The held certification again: still held, nothing leaves.
mail_a ADD "$T/o-t.asc"
sync_until_quiet a b
check_eq "a held certification never leaves" "$(sent_from_a)" "$O"
packets "$O" >"$T/o2.pk"
check "O's newest copy read back" grep -q '^:public key packet:' "$T/o2.pk"
check_eq "O's newest copy: still no certification by T" "$(grep -c "keyid $(kid "$TP")\$" "$T/o2.pk")" 0
check_eq "held: one item at a" "$(sync_psql a 'select count(*) from held')" 1

# U gains a key revocation: the revocation-only copy leaves.
mail_a ADD "$T/u-rev.asc"
sync_until_quiet a b
check_eq "a sent O and U" "$(sent_from_a | tr '\n' ' ')" "$(printf '%s\n' "$O" "$U" | sort | tr '\n' ' ')"
packets "$U" >"$T/u.pk"
check_eq "U's copy: one key packet" "$(grep -c '^:public key packet:' "$T/u.pk")" 1
check_eq "U's copy: no user ID" "$(grep -c '^:user ID packet:' "$T/u.pk")" 0
check_eq "U's copy: only its revocation" "$(grep -c '^:signature packet:' "$T/u.pk")" 1
check "U's copy: a key revocation" grep -q 'sigclass 0x20' "$T/u.pk"
check "b stored the revocation-only copy" sync_has b "$U"
check_eq "b's U is revoked" "$(sync_psql b "select revoked from keys where fingerprint = decode('$U', 'hex')")" t
check_eq "T never left a" "$(sent_from_a | grep -cx "$TP")" 0
km_done
