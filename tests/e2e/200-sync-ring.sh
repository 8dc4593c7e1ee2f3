# Peer sync end to end: two and then three keymail instances (own
# databases, own configs) mail each other through the real msmtp and one
# SMTP receiver (tests/smtp-router.py) that hands each message to the
# right instance's `keymail filter`. A key ADDed at one instance must
# reach every other one after their `keymail sync` runs, no key may cross
# an edge twice, and once everything is quiet another sync sends nothing.
# Which keys arrived is read back by GnuPG, not by keymail.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/sync-lib.sh"
km_gpg_init
km_gpg_genkey rsa2048 'Rita Ring <rita@example.org>'
km_gpg_genkey ed25519 'Tom Triangle <tom@example.org>'
km_gpg_genkey ed25519 'Una Update <una@example.org>'
RITA=$(km_gpg_fpr rita@example.org)
TOM=$(km_gpg_fpr tom@example.org)
UNA=$(km_gpg_fpr una@example.org)
gpg --armor --export "$RITA" >"$T/rita.asc"
gpg --armor --export "$TOM" >"$T/tom.asc"
gpg --armor --export "$UNA" >"$T/una.asc"

# add NAME FILE: a user ADD at instance NAME (its reply goes to the mailbox)
add() {
	km_mail "$T/add.eml" ADD "$2" 'Rita <rita@example.org>'
	"$KEYMAIL" -c "$T/$1.conf" filter <"$T/add.eml" 2>>"$T/filter.log"
	check_eq "ADD at $1" "$?" 0
}
# edges_once: no (from, to, key) appears twice in the router log
edges_once() {
	sync_edges >"$T/edges"
	dup=$(sort "$T/edges" | uniq -d)
	check_eq "no key crossed an edge twice" "$dup" ""
}

sync_router_start a b c x y z || { km_done; exit 1; }

# ---- two instances ---------------------------------------------------
sync_instance a "pgp-public-keys@b.test sks" || { km_done; exit 1; }
sync_instance b "pgp-public-keys@a.test sks" || { km_done; exit 1; }
add a "$T/rita.asc"
check_eq "ADD got its reply" "$(awk -F'\t' '$3 == "rita@example.org"' "$T/router.log" | wc -l)" 1
check "queued at a with an empty trail" test "$(sync_psql a 'select seen::text from sync_queue')" = "{}"
sync_until_quiet a b
check "two instances settle" test "$rounds" -gt 0
check_eq "sync exit codes" "$sync_rc" 0
check "b has Rita's key" sync_has b "$RITA"
check_eq "b serves the same key" "$(gpg --with-colons --import-options show-only --import "$T/has.asc" 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')" "$RITA"
sync_edges >"$T/edges"
check_eq "a->b carried Rita once" "$(grep -c "^pgp-public-keys@a.test pgp-public-keys@b.test $RITA\$" "$T/edges")" 1
check_eq "b did not send it back (a is in its trail)" "$(grep -c "^pgp-public-keys@b.test" "$T/edges")" 0
check_eq "b's queue is empty" "$(sync_psql b 'select count(*) from sync_queue')" 0
check_eq "a's queue is empty" "$(sync_psql a 'select count(*) from sync_queue')" 0
# The incremental got no reply: only Rita's ADD reply went to a person.
check_eq "no replies to robots" "$(awk -F'\t' '$7 == "mailbox" && $3 ~ /\.test$/' "$T/router.log" | wc -l)" 0
n0=$(wc -l <"$T/router.log")
sync_run a; sync_run b
check_eq "sync again sends nothing" "$(wc -l <"$T/router.log")" "$n0"

# ---- three instances in a ring x -> y -> z -> x ----------------------
sync_instance x "pgp-public-keys@y.test generic" || { km_done; exit 1; }
sync_instance y "pgp-public-keys@z.test generic" || { km_done; exit 1; }
sync_instance z "pgp-public-keys@x.test generic" || { km_done; exit 1; }
ring0=$(wc -l <"$T/router.log")
add x "$T/rita.asc"
add y "$T/tom.asc"
sync_until_quiet x y z
check "the ring settles" test "$rounds" -gt 0
check_eq "ring sync exit codes" "$sync_rc" 0
for n in x y z; do
	check "$n has Rita's key" sync_has "$n" "$RITA"
	check "$n has Tom's key" sync_has "$n" "$TOM"
	check_eq "$n's queue is empty" "$(sync_psql "$n" 'select count(*) from sync_queue')" 0
done
edges_once
sync_edges "$ring0" >"$T/edges"
# Rita went x->y->z and stopped (x is in z's trail); Tom y->z->x.
check_eq "Rita's path" "$(grep " $RITA\$" "$T/edges" | cut -d' ' -f1,2 | tr '\n' ' ')" \
    "pgp-public-keys@x.test pgp-public-keys@y.test pgp-public-keys@y.test pgp-public-keys@z.test "
check_eq "Tom's path" "$(grep " $TOM\$" "$T/edges" | cut -d' ' -f1,2 | tr '\n' ' ')" \
    "pgp-public-keys@y.test pgp-public-keys@z.test pgp-public-keys@z.test pgp-public-keys@x.test "
# The trail grew along the way: z got Rita with x and y in it.
check_eq "trail x,y on y->z" "$(awk -F'\t' '$3 == "pgp-public-keys@z.test" && $4 == "pgp-public-keys@y.test" && $6 == "pgp-public-keys@x.test,pgp-public-keys@y.test"' "$T/router.log" | wc -l)" 1
n0=$(wc -l <"$T/router.log")
sync_run x; sync_run y; sync_run z
check_eq "ring: sync again sends nothing" "$(wc -l <"$T/router.log")" "$n0"

# ---- three instances, all peers of each other ------------------------
sync_router_stop
: >"$T/router.log"
sync_router_start a b c || { km_done; exit 1; }
for n in a b; do
	sed -i "s|^sendmail = .*|sendmail = $SYNC_SENDMAIL|" "$T/$n.conf"
done
sed -i '/^peer = /d' "$T/a.conf" "$T/b.conf"
printf 'peer = pgp-public-keys@b.test\npeer = pgp-public-keys@c.test onak\n' >>"$T/a.conf"
printf 'peer = pgp-public-keys@a.test generic\npeer = pgp-public-keys@c.test\n' >>"$T/b.conf"
sync_instance c "pgp-public-keys@a.test sks" "pgp-public-keys@b.test sks" || { km_done; exit 1; }
add c "$T/una.asc"
add a "$T/tom.asc"
sync_until_quiet c a b
check "the mesh settles" test "$rounds" -gt 0
for n in a b c; do
	check "$n has Una's key" sync_has "$n" "$UNA"
	check "$n has Tom's key" sync_has "$n" "$TOM"
	check_eq "$n's queue is empty" "$(sync_psql "$n" 'select count(*) from sync_queue')" 0
done
check "a (which had Rita) still has her" sync_has a "$RITA"
# Sync sends changes, not the database: Rita changed before c existed.
if sync_has c "$RITA"; then notok "c got Rita, who did not change"; else ok; fi
edges_once
# Una from c goes to a and b (trail c); neither sends it back to c.
check_eq "nobody sent Una to c" "$(grep -c " pgp-public-keys@c.test $UNA\$" "$T/edges")" 0
check_eq "c sent Una to a once" "$(grep -c "^pgp-public-keys@c.test pgp-public-keys@a.test $UNA\$" "$T/edges")" 1
# An update travels too: a new user ID on Tom, ADDed at b.
gpg --batch --pinentry-mode loopback --passphrase '' --quick-add-uid "$TOM" 'Tom Second <tom2@example.org>' 2>/dev/null
gpg --armor --export "$TOM" >"$T/tom2.asc"
: >"$T/router.log"
add b "$T/tom2.asc"
sync_until_quiet a b c
for n in a c; do
	sync_has "$n" "$TOM"
	check "$n got Tom's new user ID" sh -c "gpg --with-colons --import-options show-only --import '$T/has.asc' 2>/dev/null | grep -q 'tom2@example.org'"
done
edges_once
n0=$(wc -l <"$T/router.log")
sync_run a; sync_run b; sync_run c
check_eq "mesh: sync again sends nothing" "$(wc -l <"$T/router.log")" "$n0"
check_eq "no filter asked to retry" "$(awk -F'\t' '$8 == "75"' "$T/router.log" | wc -l)" 0

sync_router_stop
km_done
