# Reconciliation under the owner-control policies (reconciliation.md 5.1,
# owner-control.md 2, 11): the set a server reconciles is its public
# copies, and what it sends a peer is what its outgoing sync would send.
# A runs in trusted mode: O is claimed and shown by its owner (a signed
# SHOW), so its published copy lacks the certification by T that A's union
# holds; U is stored but unclaimed. B runs in open mode: W is stored, H
# is HIDden there by its owner (a signed HIDE). After one session A must
# have sent exactly O, as its published copy (no certification by T, the
# very octets of A's published copy), and B exactly W and its own server
# key; U and H never leave; the keys A received stay unpublished there, so
# a session a day later finds them again (policies that differ never
# agree, spec 5.1). A's own server key is claimed and shown by keymail
# recon (so that GET finds it in trusted mode). While A's configuration
# names another policy than its database, keymail recon starts nothing
# and exits 75, as sync does.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/owner-lib.sh"
. "$KM_TOP/tests/recon-lib.sh"
command -v gpg >/dev/null || { notok "gpg not installed"; km_done; exit 1; }

HO=$(own_home owner)
O=$(own_genkey "$HO" ed "Owner O <o@owner.example>")
U=$(own_genkey "$HO" ed "Unclaimed U <u@owner.example>")
W=$(own_genkey "$HO" ed "Open W <w@owner.example>")
H=$(own_genkey "$HO" ed "Hidden H <h@owner.example>")
HT=$(own_home third)
TP=$(own_genkey "$HT" ed "Third T <t@third.example>")
kid() { echo "$1" | cut -c25-40; }
for k in O U W H; do eval "own_export \"\$HO\" \"\$$k\" \"\$T/$k.asc\""; done
own_gpg "$HT" --import "$T/O.asc" >/dev/null 2>&1
own_gpg "$HT" --default-key "$TP" --quick-sign-key "$O" >/dev/null 2>&1
own_gpg "$HT" --armor --export "$O" >"$T/O-T.asc"
check "T certified O" sh -c "gpg --list-packets '$T/O-T.asc' 2>/dev/null | grep -q 'keyid $(kid "$TP")\$'"

recon_pair a b || { km_done; exit 1; }
echo "policy = trusted" >>"$T/a.conf"
"$KEYMAIL" -c "$T/a.conf" initdb --change-policy >/dev/null 2>>"$T/a.conf.log"
check_eq "A changed to trusted" "$?" 0

# to NAME SUBJECT [BODY]: a mail from the owner to NAME's robot.
to() {
	km_mail "$T/m.eml" "$2" "${3:-}" 'Owen Owner <owen@owner.example>'
	sed -i "s/^To: .*/To: pgp-public-keys@$1.keys.test/" "$T/m.eml"
	"$KEYMAIL" -c "$T/$1.conf" filter <"$T/m.eml" 2>>"$T/$1.conf.log"
	check_eq "filter at $1: $(echo "$2" | cut -c1-4)" "$?" 0
}
to a ADD "$T/O-T.asc"
to a ADD "$T/U.asc"
OWN_SERVER=pgp-public-keys@a.keys.test own_block "$HO" "$O" SHOW >"$T/show.txt"
to a "SHOW $O" "$T/show.txt"
check "A: SHOW carried out" grep -q "^Subject: Your command, SHOW $O\$" "$(ls "$T"/outbox/*.eml | tail -n 1)"
to b ADD "$T/W.asc"
to b ADD "$T/H.asc"
OWN_SERVER=pgp-public-keys@b.keys.test own_block "$HO" "$H" HIDE >"$T/hide.txt"
to b "HIDE $H" "$T/hide.txt"
check "B: HIDE carried out" grep -q "^Subject: Your command, HIDE $H\$" "$(ls "$T"/outbox/*.eml | tail -n 1)"
# The replies to the owner are not for the shuttle.
rm -f "$T"/outbox/*.eml "$T/outbox/.seq" "$T/outbox/.done"

hex() { echo "$1" | tr 'A-F' 'a-f'; }
has() { recon_psql "$1" "select count(*) from keys where fingerprint = '\\x$(hex "$2")'"; }
check_eq "A holds O, U and T's certification on O in its union" \
    "$(recon_psql a "select count(*) from keys where fingerprint in ('\\x$(hex "$O")', '\\x$(hex "$U")')")" 2
check_eq "A holds T's certification as a held item" "$(recon_psql a 'select count(*) from held')" 1

# ---- one session -------------------------------------------------------
recon_run a
check_eq "keymail recon at A" "$rc" 0
recon_shuttle
check_eq "shuttle" "$rc" 0
check_eq "every filter exited 0" "$(awk -F'\t' '$4 != 0' "$T/shuttle.log" | wc -l)" 0
check_eq "A's server key: claimed and shown by keymail recon" \
    "$(recon_psql a "select o.state from owner o join keys k on k.id = o.key_id where k.fingerprint = '\\x$(hex "$FPR_a")'")" visible
"$KEYMAIL" -c "$T/a.conf" get "0x$FPR_a" >"$T/a-key.asc" 2>/dev/null
check_eq "A serves its server key by GET in trusted mode" "$?" 0

recon_carried pgp-public-keys@b.keys.test | sort >"$T/got-b"
recon_carried pgp-public-keys@a.keys.test | sort >"$T/got-a"
check_eq "A sent exactly O" "$(cat "$T/got-b")" "$O"
check_eq "B sent exactly W and its server key" "$(cat "$T/got-a")" "$(printf '%s\n' "$W" "$FPR_b" | sort)"
check_eq "U never left A" "$(has b "$U")" 0
check_eq "H never left B" "$(has a "$H")" 0
check "A's end line" end_last a "(initiator) ok: d=3 ours=1 theirs=2 .* keys_sent=1 skipped=0 unknown=0 "
check "B's end line" end_last b "(responder) ok: d=3 ours=2 theirs=1 .* keys_sent=2 skipped=0 unknown=0 "

# What crossed is A's published copy, octet for octet, without T.
check_eq "B's O is A's published copy" \
    "$(recon_psql b "select md5(data) from keys where fingerprint = '\\x$(hex "$O")'")" \
    "$(recon_psql a "select md5(p.data) from published p join keys k on k.id = p.key_id where k.fingerprint = '\\x$(hex "$O")'")"
"$KEYMAIL" -c "$T/b.conf" get "0x$O" 2>/dev/null | gpg --list-packets 2>/dev/null >"$T/o-at-b.pk"
check "B's O: a key GnuPG reads" grep -q "keyid $(kid "$O")\$" "$T/o-at-b.pk"
check_eq "B's O: no certification by T" "$(grep -c "keyid $(kid "$TP")\$" "$T/o-at-b.pk")" 0
# The digests of the published copies are those of spec 5.2.
check_eq "published digests = km_key_digest" \
    "$(recon_psql a 'select count(*) from published where digest <> km_key_digest(data)')" 0
# What A received is in its union, and unpublished there.
check_eq "A stored W" "$(has a "$W")" 1
"$KEYMAIL" -c "$T/a.conf" get "0x$W" >/dev/null 2>&1
check "A does not publish W (unclaimed)" test "$?" -ne 0

# ---- a day later: the policies still differ ------------------------------
recon_time $((25 * 3600))
n0=$(wc -l <"$T/shuttle.log")
recon_run a
check_eq "second keymail recon at A" "$rc" 0
recon_shuttle
check_eq "second shuttle" "$rc" 0
check "second session: A lacks W and B's key again" end_last a "(initiator) ok: d=2 ours=0 theirs=2 .* keys_sent=0 "
check_eq "second session: nothing to B" "$(recon_carried pgp-public-keys@b.keys.test "$n0" | wc -l)" 0

# ---- a configuration that names another policy ----------------------------
grep -v '^policy = ' "$T/a.conf" >"$T/a-open.conf"
recon_time $((50 * 3600))
n1=$(ls "$T"/outbox/*.eml | wc -l)
KEYMAIL_NOW=$(recon_now) "$KEYMAIL" -c "$T/a-open.conf" recon 2>"$T/mismatch.err"
check_eq "policy differs: keymail recon exits 75" "$?" 75
check "it says what to do" grep -q 'keymail initdb --change-policy' "$T/mismatch.err"
check_eq "and sends nothing" "$(ls "$T"/outbox/*.eml | wc -l)" "$n1"
km_done
