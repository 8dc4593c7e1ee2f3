# Faults in the middle of a large ADD (200 keys made by GnuPG, one mail):
# the filter is killed with SIGKILL, and in a second run the database
# server itself is killed (immediate shutdown, as a crash would), while
# keymail is inside the transaction of key 100, after it has already
# rewritten that key's row. Then: no partial key in the store (it equals,
# line for line, a clean store that got exactly the 99 keys before it),
# nothing was replied, and the MTA's retry gives exactly the state of a
# clean run (compared as text dumps, and through GnuPG).
#
# How keymail is stopped at that point, without timing anything: key 100
# (Kilroy) is already stored without its second user ID; a separate
# session holds an uncommitted insert of that user ID's search word for
# Kilroy's row, so keymail's own insert of the word must wait for it. We
# wait until pg_stat_activity shows keymail waiting, then strike.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/faultlib.sh"
fl_pg_start
km_gpg_init
fl_genkeys 199 gkey
km_gpg_genkey ed25519 'Kilroy Kill <kilroy@example.org>'
K=$(km_gpg_fpr kilroy@example.org)
gpg --batch --quick-add-uid "$K" 'Kilroy Zyzzyva <zyzzyva@example.org>' >/dev/null 2>&1
gpg --armor --export-filter 'keep-uid=uid =~ kilroy@' --export "$K" > "$T/k-old.asc"
gpg --with-colons -k 2>/dev/null | awk -F: '/^fpr/ && !seen[$10]++ && prev == "pub" {print $10} {prev = $1}' > "$T/all.fpr"
grep -v "^$K\$" "$T/all.fpr" | sort > "$T/g.fpr"
check_eq "200 keys made" "$(wc -l < "$T/all.fpr")" 200

# The big mail: gkey 1..99, Kilroy (complete), gkey 100..199, one block each.
: > "$T/big.asc"; : > "$T/first99.asc"
n=0
while read -r f; do
	n=$((n + 1))
	[ $n -eq 100 ] && gpg --armor --export "$K" >> "$T/big.asc"
	gpg --armor --export "$f" >> "$T/big.asc"
	[ $n -le 99 ] && gpg --armor --export "$f" >> "$T/first99.asc"
done < "$T/g.fpr"
check_eq "200 armor blocks in the mail" "$(grep -c 'BEGIN PGP PUBLIC KEY BLOCK' "$T/big.asc")" 200
fl_mail "$T/old.eml" ADD "$T/k-old.asc"
fl_mail "$T/big.eml" ADD "$T/big.asc"
fl_mail "$T/first99.eml" ADD "$T/first99.asc"

# References, made by clean runs: "clean" got old + big; "mid" got old +
# the first 99 keys, which is all a store may hold after a fault at key 100.
for db in clean mid ka kb; do fl_db $db; done
KEYMAIL_CONF=$T/clean.conf "$KEYMAIL" filter < "$T/old.eml" 2>/dev/null
KEYMAIL_CONF=$T/clean.conf "$KEYMAIL" filter < "$T/big.eml" 2>/dev/null; check_eq "clean run" $? 0
KEYMAIL_CONF=$T/mid.conf "$KEYMAIL" filter < "$T/old.eml" 2>/dev/null
KEYMAIL_CONF=$T/mid.conf "$KEYMAIL" filter < "$T/first99.eml" 2>/dev/null
fl_dump clean > "$T/clean.dump"; fl_dump mid > "$T/mid.dump"
check_eq "clean store has 200 keys" "$(grep -c '^key ' "$T/clean.dump")" 200
check_eq "mid store has 100 keys" "$(grep -c '^key ' "$T/mid.dump")" 100
check "old and complete Kilroy differ" sh -c "! cmp -s '$T/clean.dump' '$T/mid.dump'"

# run DB: park keymail inside key 100's transaction; $2 says how to strike.
strike() {
	db=$1 how=$2
	KEYMAIL_CONF=$T/$db.conf "$KEYMAIL" filter < "$T/old.eml" 2>/dev/null
	kid=$(fl_psql $db -c "select id from keys where fingerprint = '\\x$K'")
	fl_hold $db "INSERT INTO key_words (word, key_id) VALUES ('zyzzyva', $kid)"
	before=$(fl_nout)
	KEYMAIL_CONF=$T/$db.conf "$KEYMAIL" filter < "$T/big.eml" 2>"$T/$db.err" &
	pid=$!
	fl_wait_blocked $db 1
	# While it waits, readers see only whole keys: the 99 before it and
	# the old Kilroy, not the rewritten row of the open transaction.
	fl_dump $db > "$T/$db.during"
	check "$how: store while keymail is parked equals the mid store" cmp -s "$T/$db.during" "$T/mid.dump"
	if [ "$how" = "SIGKILL filter" ]; then
		kill -KILL $pid
		wait $pid; rc=$?
		check_eq "$how: filter died of SIGKILL" "$rc" 137
		fl_release $db
		fl_wait_gone $db
	else
		fl_pg_kill
		wait $pid; rc=$?
		check_eq "$how: filter exits 75 (EX_TEMPFAIL)" "$rc" 75
		wait "$FL_HOLDER" 2>/dev/null
		fl_pg_restart
	fi
	check_eq "$how: nothing replied" "$(fl_nout)" "$before"
	fl_dump $db > "$T/$db.after"
	check "$how: no partial key (store equals the mid store)" cmp -s "$T/$db.after" "$T/mid.dump"
	[ -s "$T/$db.after" ] && diff "$T/$db.after" "$T/mid.dump" | head -5

	# The MTA's retry.
	KEYMAIL_CONF=$T/$db.conf "$KEYMAIL" filter < "$T/big.eml" 2>/dev/null; rc=$?
	check_eq "$how: retry exits 0" "$rc" 0
	check_eq "$how: retry replied once" "$(fl_nout)" "$((before + 1))"
	check "$how: retry reports the new keys" grep -q 'New public keys added: 100' "$(last_reply)"
	fl_dump $db > "$T/$db.final"
	check "$how: after the retry the store equals the clean run" cmp -s "$T/$db.final" "$T/clean.dump"
	diff "$T/$db.final" "$T/clean.dump" | head -5
}
strike ka "SIGKILL filter"
strike kb "database killed"

# GnuPG's view (not keymail's): every key read back from the store has all
# its user IDs, subkeys and signatures, as in the keyring that made them.
fl_gpg_summary > "$T/source.sum"
for db in ka kb; do
	fl_keydata $db "$T/$db.gpg"
	G=$T/g-$db; mkdir -m 700 "$G"
	GNUPGHOME=$G gpg --batch --import "$T/$db.gpg" 2>/dev/null
	GNUPGHOME=$G fl_gpg_summary > "$T/$db.sum"
	check "$db: GnuPG sees every key, user ID, subkey and signature" cmp -s "$T/$db.sum" "$T/source.sum"
done
check_eq "Kilroy has both user IDs" "$(grep -c "^$K uid" "$T/ka.sum")" 2
echo "TALLY: kill-during-add: 2 faults injected mid-transaction into a 200-key ADD; keys lost after retry: $(( 200 - $(grep -c '^key ' "$T/ka.final") + 200 - $(grep -c '^key ' "$T/kb.final") ))"
km_done
