# The hostile-mail corpus (tests/mail/, README there): each case is one
# mail and the outcome it must have, run through `keymail filter` against
# a real database with the small limits of tests/mail/corpus.py. Each case
# starts from an empty store and an empty reply log (emptied after each). tests/mail/check.py
# checks the .expect lines and, for every case, that keymail exits 0 (no
# retry loop, no crash) and that any reply is well-formed and harmless.
. "$KM_TOP/tests/lib.sh"
km_newdb corpus
M=$KM_TOP/tests/mail
$PY "$M/corpus.py" conf >> "$T/keymail.conf"
ncases=0
for e in "$M"/[0-9]*.expect; do
	name=$(basename "$e" .expect)
	ncases=$((ncases + 1))
	cp "$T/keymail.conf" "$T/case.conf"
	sed -n 's/^conf //p' "$e" >> "$T/case.conf"
	setup=$(sed -n 's/^setup //p' "$e")
	if [ -n "$setup" ]; then
		KEYMAIL_CONF=$T/case.conf "$KEYMAIL" filter < "$M/$setup" 2>/dev/null || notok "$name: setup mail"
	fi
	rm -f "$T"/outbox/*
	kind=$(sed -n 's/^generate //p' "$e")
	if [ -n "$kind" ]; then
		$PY "$M/corpus.py" gen "$kind" > "$T/case.eml"
	else
		cp "$M/$name.eml" "$T/case.eml"
	fi
	R=$T/results/$name; mkdir -p "$R"
	KEYMAIL_CONF=$T/case.conf "$KEYMAIL" filter < "$T/case.eml" 2>"$R/log"
	echo $? > "$R/rc"
	echo "$e" > "$R/expect"
	# the count for this case, and an empty store for the next one
	psql "$KM_DB" -qAt -c "select count(*) from keys" \
	    -c "SET client_min_messages = warning" -c "TRUNCATE keys, reply_log CASCADE" > "$R/stored"
	nrep=$(ls "$T"/outbox | wc -l)
	if [ "$nrep" -le 1 ]; then ok; else notok "$name: $nrep replies"; fi
	[ "$nrep" -ge 1 ] && cp "$(ls "$T"/outbox/*.eml | head -n 1)" "$R/reply.eml"
done
$PY "$M/check.py" --results "$T/results" > "$T/check.out" 2>&1
n_ok=$(grep -c '^ok: ' "$T/check.out")
n_bad=$(grep -vc '^ok: ' "$T/check.out")
_pass=$((_pass + n_ok))
_fail=$((_fail + n_bad))
grep -v '^ok: ' "$T/check.out" | while read -r l; do
	echo "$l"
	c=$(echo "$l" | sed -n 's/^FAIL: \([^:]*\):.*/\1/p')
	[ -n "$c" ] && sed 's/^/    log: /' "$T/results/$c/log"
done
echo "TALLY: hostile corpus: $ncases cases"
check "at least 50 cases" [ "$ncases" -ge 50 ]
km_done
