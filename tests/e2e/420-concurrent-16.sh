# Load: 16 filters at once, all merging the same four keys (A..D) and four
# signers' keys, each mail with a different part of them: one extra user
# ID per key and the certifications of one signer. They must end in the
# union of all sixteen: no lost update, no deadlock left unhandled (every
# run exits 0), no duplicate rows; the store equals the one sixteen
# sequential runs give, and GnuPG reads back exactly what GnuPG itself has
# when it merges all the signers' keyrings.
#
# A start gate without timing: a session holds the advisory locks of all
# eight keys (keymail locks a key before reading it); the sixteen runs
# start, and once pg_stat_activity shows all sixteen waiting, the gate
# opens and they race.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/faultlib.sh"
km_gpg_init
H0=$GNUPGHOME
fl_genkeys 4 conc
gpg --with-colons -k 2>/dev/null | awk -F: '$1 == "fpr" && prev == "pub" {print $10} {prev = $1}' > "$T/abcd.fpr"
k=0
while read -r f; do
	k=$((k + 1))
	for u in 1 2 3 4; do
		gpg --batch --quick-add-uid "$f" "conc $k extra $u <conc$k-u$u@example.org>" >/dev/null 2>&1
	done
done < "$T/abcd.fpr"
check_eq "4 keys with 5 user IDs each" "$(gpg --with-colons -k 2>/dev/null | grep -c '^uid')" 20
gpg --armor --export > "$T/abcd.asc"
G=$T/truth; mkdir -m 700 "$G"
for j in 1 2 3 4; do
	Hj=$T/signer$j; mkdir -m 700 "$Hj"
	GNUPGHOME=$Hj gpg --batch --import "$T/abcd.asc" 2>/dev/null
	GNUPGHOME=$Hj km_gpg_genkey ed25519 "Signer $j <signer$j@example.org>"
	S=$(GNUPGHOME=$Hj km_gpg_fpr signer$j@example.org)
	while read -r f; do
		GNUPGHOME=$Hj gpg --batch --pinentry-mode loopback --passphrase '' -u "$S" --quick-sign-key "$f" >/dev/null 2>&1
	done < "$T/abcd.fpr"
	GNUPGHOME=$Hj gpg --armor --export "$S" > "$T/signer$j.asc"
	GNUPGHOME=$Hj gpg --export > "$T/all$j.gpg"
	GNUPGHOME=$G gpg --batch --import "$T/all$j.gpg" 2>/dev/null
	echo "$S" >> "$T/signers.fpr"
done
GNUPGHOME=$G fl_gpg_summary > "$T/truth.sum"
check_eq "truth: 4 certifications on each of the 20 user IDs" \
    "$(grep -c ' sig .* 10x ' "$T/truth.sum")" 80

# mail i: signer j's view of A..D, cut to the primary user ID and extra u
i=0
for u in 1 2 3 4; do
	for j in 1 2 3 4; do
		i=$((i + 1))
		{ GNUPGHOME=$T/signer$j gpg --armor --export-filter "keep-uid=uid !~ -u || uid =~ -u$u@" --export $(cat "$T/abcd.fpr")
		  cat "$T/signer$j.asc"; } > "$T/m$i.asc"
		fl_mail "$T/m$i.eml" ADD "$T/m$i.asc"
	done
done
check_eq "each mail holds 4 keys with 2 user IDs and the signer" "$(grep -c 'BEGIN PGP' "$T/m7.asc")" 2

fl_db km_c16_seq_$KM_ID; fl_db km_c16_par_$KM_ID
seq=km_c16_seq_$KM_ID par=km_c16_par_$KM_ID
i=1; while [ $i -le 16 ]; do KEYMAIL_CONF=$T/$seq.conf "$KEYMAIL" filter < "$T/m$i.eml" 2>/dev/null || notok "sequential run $i"; i=$((i + 1)); done
fl_dump $seq > "$T/seq.dump"

locks=$(cat "$T/abcd.fpr" "$T/signers.fpr" | while read -r f; do printf "SELECT pg_advisory_xact_lock(('x' || substr('%s', 1, 16))::bit(64)::bigint);" "$f"; done)
fl_hold $par "$locks"
n0=$(fl_nout)
pids=
i=1; while [ $i -le 16 ]; do KEYMAIL_CONF=$T/$par.conf "$KEYMAIL" filter < "$T/m$i.eml" 2>"$T/par$i.err" & pids="$pids $!"; i=$((i + 1)); done
fl_wait_blocked $par 16
fl_release $par
fails=0
for p in $pids; do wait "$p" || fails=$((fails + 1)); done
check_eq "16 concurrent filters all exit 0" "$fails" 0
check_eq "16 replies" "$(fl_nout)" "$((n0 + 16))"
# The row summary (expires, primary user ID) follows the copy of the key
# that was merged last (store.h), so it depends on the order of arrival;
# the key itself (blob, key IDs, words) must not.
fl_dump $par | sed 's/ e[^ ]* u[^ ]*$//' > "$T/par.dump"
sed -i 's/ e[^ ]* u[^ ]*$//' "$T/seq.dump"
check "concurrent store equals the sequential one" cmp -s "$T/par.dump" "$T/seq.dump"
diff "$T/par.dump" "$T/seq.dump" | head -5
check_eq "one row per key" "$(fl_psql $par -c 'select count(*), count(distinct fingerprint) from keys')" "8|8"
check_eq "key IDs: one row per primary key and subkey" "$(fl_psql $par -c 'select count(*) from keyids')" 12
check_eq "no duplicate key ID rows" "$(fl_psql $par -c 'select count(*) from (select key_id, fingerprint from keyids group by 1, 2 having count(*) > 1) d')" 0
check_eq "no duplicate word rows" "$(fl_psql $par -c 'select count(*) from (select word, key_id from key_words group by 1, 2 having count(*) > 1) d')" 0
fl_keydata $par "$T/par.gpg"
P=$T/readback; mkdir -m 700 "$P"
GNUPGHOME=$P gpg --batch --import "$T/par.gpg" 2>/dev/null
GNUPGHOME=$P fl_gpg_summary > "$T/par.sum"
check "GnuPG reads back the union of all sixteen (user IDs and certifications)" cmp -s "$T/par.sum" "$T/truth.sum"
diff "$T/par.sum" "$T/truth.sum" | head -5
dl=$(cat "$T"/par*.err | grep -ci 'deadlock')
echo "TALLY: concurrent: 16 filters on 8 shared keys; deadlock reports: $dl; lost updates: $(diff "$T/par.sum" "$T/truth.sum" | grep -c '^>')"
km_done
