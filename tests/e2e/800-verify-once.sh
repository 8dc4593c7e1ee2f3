# Verify only what is new (sql/050-known.sql, pgp/known.c).
#
# Keys made by GnuPG with a known shape: X, an RSA 2048 primary key with
# two user IDs and an Ed25519 signing subkey (3 RSA-2048 verifications:
# two certifications and the binding, 1 EdDSA: the subkey's
# back-signature), and Y, an Ed25519 key with one user ID (1 EdDSA).
# A first import verifies those 5 and says so; importing them again
# verifies none and skips the 5, and a store whose rows lost their lists
# (as rows stored before sql/050) verifies them once more and fills them.
# A re-ADD of X brings nothing new; with one octet of a self-signature
# flipped, that signature is new and is verified, found bad and dropped;
# Y with its only certification flipped is refused, stored or not.
# Finally a certifier that arrives later: with max_sigs_per_uid = 1, the
# victim's user ID keeps the newer of two unverifiable certifications,
# and once the older one's signer is stored, the next ADD verifies it
# and keeps it instead (the rule prefers verified ones).
. "$KM_TOP/tests/lib.sh"
km_gpg_init
q() { gpg --batch --pinentry-mode loopback --passphrase '' "$@" >/dev/null 2>&1; }
q --quick-gen-key 'Xavier Shape <x1@shape.example>' rsa2048 sign never
X=$(km_gpg_fpr x1@shape.example)
q --quick-add-uid "$X" 'Xavier Second <x2@shape.example>'
q --quick-add-key "$X" ed25519 sign never
q --quick-gen-key 'Yvonne Shape <y@shape.example>' ed25519 cert never
Y=$(km_gpg_fpr y@shape.example)
gpg --export "$X" "$Y" > "$T/xy.gpg"
gpg --armor --export "$X" > "$T/x.asc"
gpg --armor --export "$Y" > "$T/y.asc"
check "keys made" test -n "$X" -a -n "$Y" -a -s "$T/xy.gpg"

# flip FILE OUT UIDTEXT: OUT is FILE (binary) with the last octet of the
# first signature after the user ID containing UIDTEXT flipped (its
# signature value: the digest prefix still matches)
flip() { $PY - "$1" "$2" "$3" <<'PY'
import sys
d = bytearray(open(sys.argv[1], 'rb').read()); i = 0; after = False; done = False
while i < len(d):
    c = d[i]
    if c & 0x40:
        tag = c & 0x3f; o = d[i + 1]
        if o < 192: h, n = 2, o
        elif o < 224: h, n = 3, ((o - 192) << 8) + d[i + 2] + 192
        else: h, n = 6, int.from_bytes(d[i + 2:i + 6], 'big')
    else:
        tag = (c >> 2) & 15; lt = c & 3
        h = 1 + (1, 2, 4)[lt]; n = int.from_bytes(d[i + 1:i + h], 'big')
    if tag == 13:
        after = sys.argv[3].encode() in bytes(d[i + h:i + h + n])
    elif tag == 2 and after and not done:
        d[i + h + n - 1] ^= 1; done = True
    i += h + n
assert done
open(sys.argv[2], 'wb').write(d)
PY
}
dearmor() { gpg --dearmor < "$1" > "$2"; }
armor() { $PY -c 'import base64,sys; d=open(sys.argv[1],"rb").read(); b=base64.b64encode(d).decode(); print("-----BEGIN PGP PUBLIC KEY BLOCK-----\n"); print("\n".join(b[i:i+64] for i in range(0,len(b),64))); print("-----END PGP PUBLIC KEY BLOCK-----")' "$1" > "$2"; }

km_newdb once
DB=$KM_DB
"$KEYMAIL" import -s "$T/xy.gpg" 2>"$T/i1"
check_eq "first import exits 0" "$?" 0
check_eq "first import: verified 5, by kind" "$(grep '^import: verified' "$T/i1")" \
    "import: verified 5 (RSA-2048 3, EdDSA 2), skipped 0"
check "first import: 2 new" grep -q "2 keys: 2 new" "$T/i1"
"$KEYMAIL" export > "$T/d1.gpg"

"$KEYMAIL" import -s "$T/xy.gpg" 2>"$T/i2"
check_eq "second import: nothing verified, 5 skipped" "$(grep '^import: verified' "$T/i2")" \
    "import: verified 0, skipped 5 (RSA-2048 3, EdDSA 2)"
check "second import: 2 unchanged" grep -q "2 keys: 0 new, 0 updated, 2 unchanged" "$T/i2"
"$KEYMAIL" export > "$T/d2.gpg"
check "second import changes nothing" cmp -s "$T/d1.gpg" "$T/d2.gpg"

# rows without lists (stored before sql/050): verified again, filled in
psql "$DB" -qc "update keys set packets = null, verified = null"
"$KEYMAIL" import -s "$T/xy.gpg" 2>"$T/i3"
check_eq "rows without lists: verified again" "$(grep '^import: verified' "$T/i3")" \
    "import: verified 5 (RSA-2048 3, EdDSA 2), skipped 0"
check_eq "rows without lists: filled in" "$(psql "$DB" -Atc "select count(*) from keys where packets is not null and verified is not null")" 2
"$KEYMAIL" import -s "$T/xy.gpg" 2>"$T/i4"
check_eq "after filling in: skipped" "$(grep '^import: verified' "$T/i4")" \
    "import: verified 0, skipped 5 (RSA-2048 3, EdDSA 2)"
"$KEYMAIL" export > "$T/d3.gpg"
check "filling in changes no key" cmp -s "$T/d1.gpg" "$T/d3.gpg"

# ADD: the same key, then with one octet of a self-signature flipped
add() { km_mail "$T/m.eml" ADD "$1"; km_filter "$T/m.eml"; }
add "$T/x.asc"
check "ADD of a stored key: nothing new" grep -q "nothing new" "$(last_reply)"
dearmor "$T/x.asc" "$T/x.gpg"
flip "$T/x.gpg" "$T/x-flip.gpg" 'x2@shape.example'
armor "$T/x-flip.gpg" "$T/x-flip.asc"
add "$T/x-flip.asc"
r=$(last_reply)
check "flipped octet: the signature is verified and dropped" grep -q "dropped: removed 1 signature that does not verify" "$r"
check "flipped octet: the user ID it bound is left out of the upload" grep -q "1 user ID or attribute without a valid self-signature" "$r"
check "flipped octet: nothing new stored" grep -q "nothing new" "$r"
"$KEYMAIL" export > "$T/d4.gpg"
check "flipped octet: the stored key is unchanged" cmp -s "$T/d1.gpg" "$T/d4.gpg"
dearmor "$T/y.asc" "$T/y.gpg"
flip "$T/y.gpg" "$T/y-flip.gpg" 'y@shape.example'
armor "$T/y-flip.gpg" "$T/y-flip.asc"
add "$T/y-flip.asc"
r=$(last_reply)
check_eq "stored key, only certification flipped: refused" "$(reply_subject "$r" | grep -c ', failed')" 1
check "refusal names the key" grep -q "Key $Y" "$r"
check "refusal says why" grep -q "rejected: .*no user ID is validly self-signed" "$r"
"$KEYMAIL" import -s "$T/y-flip.gpg" 2>"$T/i5"
check "import refuses it too" grep -q "^Key $Y: " "$T/i5"
check_eq "import verified it (1 EdDSA)" "$(grep '^import: verified' "$T/i5")" \
    "import: verified 1 (EdDSA 1), skipped 0"

# -- deleting a key (an administrative act) takes its side rows along
# (sql/052 replaced the foreign keys by a trigger)
side() { psql "$DB" -Atc "select (select count(*) from keyids) || ' ' || (select count(*) from key_words) || ' ' || (select count(*) from key_uids)"; }
check_eq "side rows of X and Y: 2 + 1 key IDs, 6 + 3 words, 2 + 1 user IDs" "$(side)" "3 9 3"
psql "$DB" -qc "delete from keys where fingerprint = '\\x$X'"
check_eq "X deleted: only Y's side rows left" "$(side)" "1 3 1"
psql "$DB" -qc "truncate keys cascade"
check_eq "store truncated: no side rows left" "$(side)" "0 0 0"

# -- a certifier that arrives later
ago() { date -u -d "$1" +%Y%m%dT%H%M%S; }
T2=$(ago '-2 hours'); T1=$(ago '-1 hour')
q --faked-system-time "$T2" --quick-gen-key 'Vera Victim <vera@shape.example>' ed25519 cert never
q --faked-system-time "$T2" --quick-gen-key 'Olga Older <olga@shape.example>' ed25519 cert never
q --faked-system-time "$T2" --quick-gen-key 'Nina Newer <nina@shape.example>' ed25519 cert never
V=$(km_gpg_fpr vera@shape.example); O=$(km_gpg_fpr olga@shape.example); N=$(km_gpg_fpr nina@shape.example)
q --faked-system-time "$T1" -u "$O" --quick-sign-key "$V"
q -u "$N" --quick-sign-key "$V"
gpg --armor --export "$V" > "$T/v.asc"
gpg --armor --export "$O" > "$T/o.asc"
certs() {	# key IDs of the third-party signatures on the stored victim
	"$KEYMAIL" get "0x$V" | gpg --dearmor 2>/dev/null | gpg --list-packets 2>/dev/null |
	    awk '/^:signature packet/ {print toupper($NF)}' | grep -v "$(echo "$V" | cut -c25-40)" | sort | tr '\n' ' '
}
OID=$(echo "$O" | cut -c25-40); NID=$(echo "$N" | cut -c25-40)
km_newdb later
echo "max_sigs_per_uid = 1" >> "$T/keymail.conf"
add "$T/v.asc"
check_eq "no signer stored: the newer certification is kept" "$(certs)" "$NID "
add "$T/o.asc"
add "$T/v.asc"
check "the older one comes back as new" grep -q "1 new signature" "$(last_reply)"
check_eq "its signer stored: it is verified and kept" "$(certs)" "$OID "
add "$T/v.asc"
check "the victim again: nothing new" grep -q "nothing new" "$(last_reply)"
check_eq "and the verified one stays" "$(certs)" "$OID "
km_done
