# Verify only what is new, under owner control's trusted mode
# (owner-control.md 7.2-7.3; src/cmd/add.c on_key_trusted).
#
# ADD reads what the store knows of a key first and skips the union's
# merge when every packet is stored already; in trusted mode the
# published copy and the held items must still come out exactly as a
# full merge followed by owner control's absorption gives them:
# - a third-party certification (GnuPG --quick-sign-key) on a claimed key
#   is held, not published;
# - the same upload again brings nothing new and changes nothing: the
#   union's row (data, packet names, verified entries, change time), the
#   published copy and the held item (to its arrival time) stay as they
#   were, and the reply is the same "received";
# - a second certifier's certification on top is new: held as well, the
#   first one kept, neither published;
# - the owner's newer self-signature (gpg --quick-set-expire) is new and
#   reaches the published copy at once.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/owner-lib.sh"
command -v gpg >/dev/null || { notok "gpg not installed"; km_done; exit 1; }

own_newdb own802
own_conf max_token_mails_per_day 0
own_conf max_held_per_key_per_hour 0
H=$(own_home owner)
O=$(own_genkey "$H" ed "Owner Once <once@owner.example>")
T1H=$(own_home t1)
T1=$(own_genkey "$T1H" ed "Third One <t1@third.example>")
T2H=$(own_home t2)
T2=$(own_genkey "$T2H" ed "Third Two <t2@third.example>")
for f in "$O" "$T1" "$T2"; do check "key made" [ -n "$f" ]; done
sql() { psql "$KM_DB" -Atc "$1"; }
# Everything of O the store keeps: the union's row, the published copy,
# the held items (ordered), as digests and times.
state() {
	sql "select md5(k.data) || ' ' || md5(coalesce(k.packets, '')) || ' ' ||
	    md5(coalesce(k.verified, '')) || ' ' || k.changed || ' ' ||
	    md5(p.data) || ' ' || p.changed
	    from keys k join published p on p.key_id = k.id
	    where k.fingerprint = '\\x$O'"
	sql "select h.issuer || ' ' || h.component || ' ' || h.created || ' ' ||
	    md5(h.data) || ' ' || h.received || ' ' || h.expires
	    from held h join keys k on k.id = h.key_id
	    where k.fingerprint = '\\x$O' order by h.issuer, h.component"
}
nheld() { sql "select count(*) from held h join keys k on k.id = h.key_id where k.fingerprint = '\\x$O'"; }

own_export "$H" "$O" "$T/o.asc"
own_export "$T1H" "$T1" "$T/t1.asc"
own_export "$T2H" "$T2" "$T/t2.asc"
cat "$T/o.asc" "$T/t1.asc" "$T/t2.asc" >"$T/all.asc"
own_send ADD "$T/all.asc"
own_block "$H" "$O" SHOW >"$T/b.txt"
own_send "SHOW $O" "$T/b.txt"
check_eq "O claimed and shown" "$(reply_subject "$reply")" "Your command, SHOW $O"

# ---- a third-party certification is held ---------------------------------
own_certify "$H" "$O" "$T1H" "$T1" "$T/o-t1.asc"
check_eq "T1's certification made" "$(own_sigs_by "$T/o-t1.asc" "$T1")" 1
own_send ADD "$T/o-t1.asc"
decoded_body "$reply" >"$T/add1.txt"
check "ADD says received" grep -q '^    received$' "$T/add1.txt"
check_eq "T1's certification held" "$(nheld)" 1
check_eq "the union's row has its packet names" \
    "$(sql "select count(*) from keys where fingerprint = '\\x$O' and packets is not null and verified is not null")" 1
own_get "$O" "$T/g1.asc"
check_eq "T1's certification not published" "$(own_sigs_by "$T/g1.asc" "$T1")" 0
state >"$T/s1"

# ---- the same upload again: nothing new, nothing changes -------------------
own_send ADD "$T/o-t1.asc"
decoded_body "$reply" >"$T/add2.txt"
check "again: ADD says received" grep -q '^    received$' "$T/add2.txt"
check "again: the same reply text" cmp -s "$T/add1.txt" "$T/add2.txt"
state >"$T/s2"
check "again: union row, published copy and held item unchanged" cmp -s "$T/s1" "$T/s2"
check_eq "again: one held item" "$(nheld)" 1
own_get "$O" "$T/g2.asc"
check "again: GET answers the same key" cmp -s "$T/g1.asc" "$T/g2.asc"

# ---- a new certification on top is still held -------------------------------
own_gpg "$T2H" --import "$T/o-t1.asc" >/dev/null 2>&1
own_gpg "$T2H" --default-key "$T2" --quick-sign-key "$O" >/dev/null 2>&1
own_gpg "$T2H" --armor --export "$O" >"$T/o-t1t2.asc"
check_eq "the upload carries both certifications" \
    "$(own_sigs_by "$T/o-t1t2.asc" "$T1") $(own_sigs_by "$T/o-t1t2.asc" "$T2")" "1 1"
own_send ADD "$T/o-t1t2.asc"
decoded_body "$reply" >"$T/add3.txt"
check "new certification: ADD says received" grep -q '^    received$' "$T/add3.txt"
check_eq "new certification: two held items" "$(nheld)" 2
check_eq "the first held item is as it was" \
    "$(sed -n 2p "$T/s1")" "$(state | grep "^$T1 ")"
own_get "$O" "$T/g3.asc"
check_eq "neither certification published" \
    "$(own_sigs_by "$T/g3.asc" "$T1") $(own_sigs_by "$T/g3.asc" "$T2")" "0 0"

# ---- the owner's newer self-signature reaches the published copy ------------
own_gpg "$H" --quick-set-expire "$O" 2y >/dev/null 2>&1
own_export "$H" "$O" "$T/o-exp.asc"
own_send ADD "$T/o-exp.asc"
own_get "$O" "$T/g4.asc"
g=$(own_home exp)
own_gpg "$g" --import "$T/g4.asc" >/dev/null 2>&1
exp=$(gpg --homedir "$g" --with-colons --list-keys "$O" 2>/dev/null | awk -F: '$1 == "pub" {print $7}')
check "new expiry published at once" [ -n "$exp" ]
check_eq "still two held items" "$(nheld)" 2
km_done
