# Several filters merging parts of the same key at the same moment end in
# the union of all of them (no lost update).
. "$KM_TOP/tests/lib.sh"
km_newdb conc
km_gpg_init
km_gpg_genkey ed25519 'Connie Current <connie@example.org>'
C=$(km_gpg_fpr connie@example.org)
for i in 1 2 3 4 5 6; do
	gpg --batch --pinentry-mode loopback --passphrase '' --quick-add-uid "$C" "Connie $i <connie$i@example.org>" >/dev/null 2>&1
done
# six mails, each with the key reduced to the primary user ID plus one other
for i in 1 2 3 4 5 6; do
	gpg --armor --export-filter "keep-uid=uid =~ connie@example.org || uid =~ connie$i@" --export "$C" > "$T/k$i.asc"
	km_mail "$T/m$i.eml" ADD "$T/k$i.asc"
done
pids=
for i in 1 2 3 4 5 6; do "$KEYMAIL" filter < "$T/m$i.eml" & pids="$pids $!"; done
fails=0
for p in $pids; do wait "$p" || fails=$((fails + 1)); done
check_eq "all filters exit 0" "$fails" 0
check_eq "six replies, none lost" "$(nreplies)" 6
G=$T/g; mkdir -m 700 "$G"
"$KEYMAIL" get "0x$C" | GNUPGHOME=$G gpg --batch --import 2>/dev/null
check_eq "all seven user IDs present" "$(GNUPGHOME=$G gpg --with-colons -k 2>/dev/null | grep -c '^uid')" 7
check_eq "one row for the key" "$(psql "$KM_DB" -Atc 'select count(*) from keys')" 1
km_done
