# Reconciliation's rules between peers (reconciliation.md 4.1, 11.3-11.5,
# 12.2, 13): crossing offers (the lower SID wins, one session runs), the
# interval and its backoff, recon_max_sessions_per_day with one ABORT busy
# a day, recon_max_keys per 24 hours, ABORT too-large when the caps leave
# nothing to ask for, the futility memo for keys two policies can never
# agree on, and `keymail recon -l`. Stores reset from templates per case.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/recon-lib.sh"

[ -x "$KMGEN" ] || { notok "bench/kmgen is not built"; km_done; exit 1; }
recon_pair a b || { km_done; exit 1; }
"$KMGEN" -n 500 -s 33 -o "$T/corpus.pgp" 2>/dev/null || notok "kmgen"
$PY "$KM_TOP/tests/recon-keys.py" "$T/corpus.pgp" "$T/a.pgp" "$T/b.pgp" \
    30 25 15 10 "$T/kinds" || { notok "recon-keys.py"; km_done; exit 1; }
km_give "$T/a.pgp" "$T/b.pgp"
"$KEYMAIL" -c "$T/a.conf" import -q "$T/a.pgp" 2>>"$T/a.conf.log"
"$KEYMAIL" -c "$T/b.conf" import -q "$T/b.pgp" 2>>"$T/b.conf.log"
recon_template
cp "$T/a.conf" "$T/a.conf.orig"
cp "$T/b.conf" "$T/b.conf.orig"
H=3600
D=60	# 25 + 15 + 2 x 10 elements apart
# setconf NAME LINES: the original configuration plus these lines.
setconf() { cp "$T/$1.conf.orig" "$T/$1.conf"; [ -n "$2" ] && printf '%s\n' "$2" >>"$T/$1.conf"; true; }
incrementals() { awk -F'\t' -v from="${1:-0}" 'NR > from && $3 == "incremental"' "$T/shuttle.log" | wc -l; }

# ---- crossing offers ---------------------------------------------------
recon_reset
recon_run a
recon_run b
check_eq "both offered" "$(grep -l '^Subject: RECON OFFER' "$T"/outbox/*.eml | wc -l)" 2
sa=$(recon_psql a "select lpad(to_hex(sid), 16, '0') from recon_sessions")
sb=$(recon_psql b "select lpad(to_hex(sid), 16, '0') from recon_sessions")
recon_shuttle
check_eq "crossing: shuttle" "$rc" 0
check "crossing: converged" recon_export_same a b
# SIDs compare as unsigned numbers; the bigint column holds their bits.
if [ "$(printf '%s\n%s\n' "$sa" "$sb" | sort | head -n 1)" = "$sa" ]; then win=$sa lose=$sb; else win=$sb lose=$sa; fi
check_eq "the lower SID's session ended ok at A" "$(recon_psql a "select status from recon_sessions where lpad(to_hex(sid), 16, '0') = '$win'")" 1
check_eq "... and at B" "$(recon_psql b "select status from recon_sessions where lpad(to_hex(sid), 16, '0') = '$win'")" 1
check_eq "the higher one ended superseded at A" "$(recon_psql a "select status, reason from recon_sessions where lpad(to_hex(sid), 16, '0') = '$lose'")" "2|3"
check_eq "... and at B" "$(recon_psql b "select status, reason from recon_sessions where lpad(to_hex(sid), 16, '0') = '$lose'")" "2|3"
check_eq "superseded is no failure" "$(recon_psql a 'select failures from recon_peers')|$(recon_psql b 'select failures from recon_peers')" "0|0"

# ---- due, interval, backoff, -l ---------------------------------------
recon_reset
recon_run a -l
check "-l before any session" grep -qx "pgp-public-keys@b.keys.test $FPR_b key=yes last=never status=- d=0 next=.* live=-" "$T/recon.out"
recon_run a
recon_run a -l
check "-l shows the live session" grep -q "status=- d=0 next=.* live=[0-9a-f]\{16\}:offered\$" "$T/recon.out"
recon_shuttle
recon_run a -l
t0=$(date -u -d "@$(recon_now)" +%Y-%m-%dT%H:%M:%SZ)
t24=$(date -u -d "@$(($(recon_now) + 24 * H))" +%Y-%m-%dT%H:%M:%SZ)
check_eq "-l after it" "$(cat "$T/recon.out")" "pgp-public-keys@b.keys.test $FPR_b key=yes last=$t0 status=ok d=$D next=$t24 live=-"
n=$(ls "$T"/outbox/*.eml | wc -l)
recon_time $((23 * H)); recon_run a; recon_run b
check_eq "not due within 24 hours (either side)" "$(ls "$T"/outbox/*.eml | wc -l)" "$n"
recon_time $((24 * H + 60)); recon_run a
check_eq "due after 24 hours" "$(ls "$T"/outbox/*.eml | wc -l)" $((n + 1))

# ---- recon_max_sessions_per_day and ABORT busy ---------------------------
recon_reset
setconf b "recon_max_sessions_per_day = 2"
for i in 1 2 3 4; do
	recon_time $((i * 60))
	recon_run a pgp-public-keys@b.keys.test
	recon_shuttle
done
setconf b ""
check_eq "two sessions at B" "$(recon_psql b 'select count(*) from recon_sessions where status = 1')" 2
check_eq "one ABORT busy" "$(grep -l '^Subject: RECON ABORT' "$T"/outbox/*.eml | wc -l)" 1
check "A ended its third session busy" end_has a "(initiator) aborted busy: "
check "the fourth OFFER was dropped" grep -q 'over recon_max_sessions_per_day, and ABORT busy went to it within 24 hours' "$T/b.conf.log"
check_eq "A's fourth session is still live" "$(recon_psql a 'select count(*) from recon_sessions where status = 0')" 1

# ---- recon_max_keys: at most that many keys to a peer in 24 hours -------
# Both sides at 20 (a WANT list over the initiator's limit would be a
# protocol error, spec 12.2): B asks for 20 of the 35 keys it lacks, and
# sends 20 of its 25; a session two hours later moves nothing; a day
# later the rest goes.
recon_reset
setconf a "recon_max_keys = 20"
setconf b "recon_max_keys = 20"
recon_run a
recon_shuttle
check_eq "20 of A's 35 keys sent" "$(recon_carried pgp-public-keys@b.keys.test | sort -u | wc -l)" 20
check_eq "20 of B's 25 keys sent" "$(recon_carried pgp-public-keys@a.keys.test | sort -u | wc -l)" 20
check "B asked for the first 20" grep -q 'keys wanted from pgp-public-keys@a.keys.test, more than recon_max_keys; the first 20 are asked for' "$T/b.conf.log"
check "A's end line" end_last a "(initiator) ok: d=45 ours=20 theirs=25 .* keys_sent=20 skipped=0 unknown=0 "
check "B's end line: 5 wait" end_last b "(responder) ok: d=60 ours=25 theirs=35 .* keys_sent=20 skipped=5 unknown=0 "
check "B logs the limit" grep -q 'key(s) for pgp-public-keys@a.keys.test not sent: recon_max_keys (20) keys per 24 hours reached' "$T/b.conf.log"
line=$(wc -l <"$T/shuttle.log")
recon_time $((2 * H)); recon_run a pgp-public-keys@b.keys.test; recon_shuttle
check_eq "within 24 hours: no key either way" "$(incrementals "$line")" 0
check "A skipped what B wanted" end_last a "(initiator) ok: .* keys_sent=0 skipped=[1-9][0-9]* "
check "A logs the limit" grep -q 'key(s) for pgp-public-keys@b.keys.test not sent: recon_max_keys (20) keys per 24 hours reached' "$T/a.conf.log"
recon_time $((26 * H)); recon_run a pgp-public-keys@b.keys.test; recon_shuttle
check "a day later the rest went" recon_export_same a b
setconf a ""
setconf b ""

# ---- ABORT too-large ------------------------------------------------------
recon_reset
setconf a "recon_max_cells = 40"
recon_run a
recon_shuttle
setconf a ""
check_eq "too-large: one ABORT from B" "$(grep -l '^Subject: RECON ABORT' "$T"/outbox/*.eml | wc -l)" 1
check "B's end line" end_last b "(responder) aborted too-large: "
check "B says to exchange dumps" grep -q 'recon: the stores differ by more than recon_max_cells can reconcile; exchange dumps (keymail export / keymail import) with pgp-public-keys@a.keys.test' "$T/b.conf.log"
check "A's end line" end_last a "(initiator) aborted too-large: "
check "A says so too" grep -q 'exchange dumps (keymail export / keymail import) with pgp-public-keys@b.keys.test' "$T/a.conf.log"
check_eq "no keys moved" "$(incrementals)" 0
check_eq "failure counted" "$(recon_psql a 'select failures from recon_peers')" 1
# The backoff: the next session is due 24 hours x 2^1 after this one.
n=$(ls "$T"/outbox/*.eml | wc -l)
recon_time $((47 * H)); recon_run a
check_eq "after a failure: not due at 47 hours" "$(ls "$T"/outbox/*.eml | wc -l)" "$n"
recon_time $((48 * H + 60)); recon_run a
check_eq "due at 48 hours" "$(ls "$T"/outbox/*.eml | wc -l)" $((n + 1))
recon_run a pgp-public-keys@B.KEYS.TEST
check "keymail recon ADDRESS: not with a live session" grep -q 'a session with pgp-public-keys@b.keys.test is live; none started' "$T/a.conf.log"
recon_shuttle
check_eq "a good session resets the failures" "$(recon_psql a 'select failures from recon_peers')" 0

# ---- the futility memo (spec 11.5) ----------------------------------------
# B keeps one third-party certification per user ID; A keeps all. A key of
# A with more never looks the same on both sides: each side sends its
# version in two sessions, and then no more.
recon_reset
setconf b "max_sigs_per_uid = 1"
for i in 1 2 3 4; do
	recon_time $(((i - 1) * 25 * H))
	recon_run a
	recon_shuttle
done
setconf b ""
check "session 4, A: nothing sent, something skipped" end_last a "(initiator) ok: d=[1-9][0-9]* .* keys_sent=0 skipped=[1-9][0-9]* "
check "session 4, B: nothing sent, something skipped" end_last b "(responder) ok: d=[1-9][0-9]* .* keys_sent=0 skipped=[1-9][0-9]* "
check "futile keys are logged by fingerprint" grep -q 'recon: [0-9A-F]\{40\} not sent to pgp-public-keys@b.keys.test: sent unchanged in 2 sessions already (futile)' "$T/a.conf.log"
check "... at B too" grep -q 'recon: [0-9A-F]\{40\} not sent to pgp-public-keys@a.keys.test: sent unchanged in 2 sessions already (futile)' "$T/b.conf.log"
km_done
