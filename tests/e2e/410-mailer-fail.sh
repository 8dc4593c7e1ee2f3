# Faults: the mailer fails after the store has committed an ADD.
#  - temporary failure (exit 75, 69, killed by a signal, hanging past
#    sendmail_timeout): keymail exits 75 so that the MTA keeps the mail;
#    the keys are stored; the retry re-merges (nothing new, nothing
#    rewritten: "changed" stays) and replies once more; the store equals a
#    clean run's.
#  - permanent failure (67, EX_NOUSER): exit 0, the reply is given up, no
#    retry loop.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/faultlib.sh"
km_gpg_init
fl_genkeys 3 mailkey
gpg --armor --export > "$T/three.asc"
fl_mail "$T/add.eml" ADD "$T/three.asc"
fl_db km_mf_clean_$KM_ID
KEYMAIL_CONF=$T/km_mf_clean_$KM_ID.conf "$KEYMAIL" filter < "$T/add.eml" 2>/dev/null; check_eq "clean run" $? 0
fl_dump km_mf_clean_$KM_ID > "$T/clean.dump"
check_eq "clean store has 3 keys" "$(grep -c '^key ' "$T/clean.dump")" 3

# mailers: each fails its own way, after reading the reply
mk() { printf '#!/bin/sh\ncat >/dev/null\n%s\n' "$2" > "$T/$1.sh"; chmod 755 "$T/$1.sh"; }
mk tempfail 'exit 75'
mk unavail 'exit 69'
mk signal 'kill -9 $$'
mk hang 'exec sleep 30'
mk nouser 'exit 67'
i=0
for how in tempfail unavail signal hang; do
	i=$((i + 1))
	db=km_mf_${how}_$KM_ID
	fl_db $db
	fl_conf "$KM_TEST_PG dbname=$db" "$T/$db.bad.conf" "$T/$how.sh"
	[ $how = hang ] && echo "sendmail_timeout = 1" >> "$T/$db.bad.conf"
	n0=$(fl_nout)
	KEYMAIL_CONF=$T/$db.bad.conf "$KEYMAIL" filter < "$T/add.eml" 2>"$T/$how.err"; rc=$?
	check_eq "mailer $how: exit 75" "$rc" 75
	check "mailer $how: logged" grep -q 'mailer failed' "$T/$how.err"
	check_eq "mailer $how: keys committed before the reply" "$(fl_psql $db -c 'select count(*) from keys')" 3
	t1=$(fl_psql $db -c 'select string_agg(changed::text, $$,$$ order by id) from keys')
	# the MTA retries; this time the mailer works
	KEYMAIL_CONF=$T/$db.conf "$KEYMAIL" filter < "$T/add.eml" 2>/dev/null; rc=$?
	check_eq "mailer $how: retry exits 0" "$rc" 0
	check_eq "mailer $how: retry replied once" "$(fl_nout)" "$((n0 + 1))"
	r=$(last_reply)
	check "mailer $how: the reply says nothing was new" grep -q 'no new keys' "$r"
	t2=$(fl_psql $db -c 'select string_agg(changed::text, $$,$$ order by id) from keys')
	check_eq "mailer $how: the retry rewrote nothing" "$t2" "$t1"
	fl_dump $db > "$T/$how.dump"
	check "mailer $how: store equals the clean run" cmp -s "$T/$how.dump" "$T/clean.dump"
done

db=km_mf_nouser_$KM_ID
fl_db $db
fl_conf "$KM_TEST_PG dbname=$db" "$T/$db.bad.conf" "$T/nouser.sh"
KEYMAIL_CONF=$T/$db.bad.conf "$KEYMAIL" filter < "$T/add.eml" 2>"$T/nouser.err"; rc=$?
check_eq "mailer refuses for good (67): exit 0, no retry" "$rc" 0
check "mailer refuses for good: logged" grep -q 'refused' "$T/nouser.err"
fl_dump $db > "$T/nouser.dump"
check "mailer refuses for good: keys stored all the same" cmp -s "$T/nouser.dump" "$T/clean.dump"
echo "TALLY: mailer faults: $i temporary (retry: 0 keys lost, 1 reply each), 1 permanent"
km_done
