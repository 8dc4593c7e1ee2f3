# Reconciliation end to end (reconciliation.md 15): two stores made from
# one bench/kmgen corpus by packet surgery (tests/recon-keys.py, not
# keymail), differing by 300 keys only A holds, 200 only B holds and 50
# keys held in two versions neither of which contains the other: 600
# elements. One `keymail recon` at A, then the mails are shuttled between
# the two filters until none is left. Both exports must then be the same
# octets, every missing key must have crossed exactly once (read back by
# GnuPG from the mails), the control mails must stay within the budget of
# spec 14 (under 40 KB at d = 600), both end lines must report the
# difference that was built and the same mail figures the shuttle saw,
# and a second session a day later between the converged stores must
# send three control mails and no key.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/recon-lib.sh"

[ -x "$KMGEN" ] || { notok "bench/kmgen is not built"; km_done; exit 1; }
recon_pair a b || { km_done; exit 1; }
"$KMGEN" -n 1800 -s 12 -o "$T/corpus.pgp" 2>/dev/null || notok "kmgen"
$PY "$KM_TOP/tests/recon-keys.py" "$T/corpus.pgp" "$T/a.pgp" "$T/b.pgp" \
    400 300 200 50 "$T/kinds" || { notok "recon-keys.py"; km_done; exit 1; }
km_give "$T/a.pgp" "$T/b.pgp"
"$KEYMAIL" -c "$T/a.conf" import -q "$T/a.pgp" 2>>"$T/a.conf.log"
check_eq "import into A" "$?" 0
"$KEYMAIL" -c "$T/b.conf" import -q "$T/b.pgp" 2>>"$T/b.conf.log"
check_eq "import into B" "$?" 0
# Each store: its keys and both server keys.
check_eq "keys in A" "$(recon_psql a 'select count(*) from keys')" $((400 + 300 + 50 + 2))
check_eq "keys in B" "$(recon_psql b 'select count(*) from keys')" $((400 + 200 + 50 + 2))
recon_export_same a b && notok "the stores are the same before the session"

# ---- one session --------------------------------------------------------
recon_run a
check_eq "keymail recon exit" "$rc" 0
check "the session started" grep -q "recon: session [0-9a-f]\{16\} with pgp-public-keys@b.keys.test started: n=752 cells=128" "$T/a.conf.log"
recon_shuttle
check_eq "shuttle" "$rc" 0
check_eq "every filter exited 0" "$(awk -F'\t' '$4 != 0' "$T/shuttle.log" | wc -l)" 0
check "the exports are the same octets" recon_export_same a b
check_eq "keys in A after" "$(recon_psql a 'select count(*) from keys')" $((400 + 300 + 200 + 50 + 2))

# Every missing key crossed once: A's own and the two-version keys to B,
# B's own and the two-version keys to A; nothing else.
awk '$2 == "a" || $2 == "two" {print $1}' "$T/kinds" | sort >"$T/want-b"
awk '$2 == "b" || $2 == "two" {print $1}' "$T/kinds" | sort >"$T/want-a"
recon_carried pgp-public-keys@b.keys.test | sort >"$T/got-b"
recon_carried pgp-public-keys@a.keys.test | sort >"$T/got-a"
check "A sent exactly its 350 keys, each once" cmp -s "$T/want-b" "$T/got-b"
check "B sent exactly its 250 keys, each once" cmp -s "$T/want-a" "$T/got-a"
check_eq "keys to B" "$(wc -l <"$T/got-b")" 350
check_eq "keys to A" "$(wc -l <"$T/got-a")" 250
check_eq "incrementals carry X-Keymail-Recon" \
    "$(for f in $(awk -F'\t' '$3 == "incremental" {print $1}' "$T/shuttle.log"); do grep -c '^X-Keymail-Recon: [0-9a-f]\{16\}$' "$T/outbox/$f"; done | sort -u)" 1
check_eq "nothing through the reply path" "$(grep -l '^Subject: Your command' "$T"/outbox/*.eml 2>/dev/null | wc -l)" 0

# The control mails: within spec 14's budget, and what the end lines say.
mails=$(recon_control_mails)
bytes=$(recon_control_bytes)
check "control mails: 5 or 7 (one or two MOREs), got $mails" test "$mails" -eq 5 -o "$mails" -eq 7
check "control bytes under 40 KB at d = 600, got $bytes" test "$bytes" -lt 40000
echo "NOTE d=600: $mails control mails, $bytes octets"
check "initiator's end line" end_has a "(initiator) ok: d=600 ours=350 theirs=250 cells=[0-9]* rounds=[12] mails=$mails bytes=$bytes keys_sent=350 skipped=0 unknown=0 secs=[0-9]*$"
check "responder's end line" end_has b "(responder) ok: d=600 ours=250 theirs=350 cells=[0-9]* rounds=[12] mails=$mails bytes=$bytes keys_sent=250 skipped=0 unknown=0 secs=[0-9]*$"
check_eq "sessions recorded at A" "$(recon_psql a 'select role, status from recon_sessions')" "1|1"
check_eq "sessions recorded at B" "$(recon_psql b 'select role, status from recon_sessions')" "2|1"
check_eq "no cells kept after the end (spec 5.2)" "$(recon_psql a 'select count(*) from recon_sessions where cells is not null')" 0

# The digests keymail wrote equal the SQL function's (sql/040-recon.sql).
check_eq "digests at A" "$(recon_psql a 'select count(*) from keys where digest <> km_key_digest(data)')" 0
check_eq "digests at B" "$(recon_psql b 'select count(*) from keys where digest <> km_key_digest(data)')" 0

# ---- a day later: converged stores -----------------------------------------
line0=$(wc -l <"$T/shuttle.log")
recon_time 90000
recon_run a
check_eq "second keymail recon" "$rc" 0
recon_shuttle
check_eq "second shuttle" "$rc" 0
check_eq "second session: 3 control mails" "$(recon_control_mails "$line0")" 3
b2=$(recon_control_bytes "$line0")
check "second session: a few KB, got $b2" test "$b2" -lt 6000
check_eq "second session: no keys" "$(awk -F'\t' -v from="$line0" 'NR > from && $3 == "incremental"' "$T/shuttle.log" | wc -l)" 0
check "second end line: d=0" end_last a "(initiator) ok: d=0 ours=0 theirs=0 cells=128 rounds=0 mails=3 bytes=$b2 keys_sent=0 "
check "still the same" recon_export_same a b
km_done
