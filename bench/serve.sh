#!/bin/sh
# bench/serve.sh BUILD_DIR - the keymail serve figures of `make bench`
# (and alone: `make bench-serve`); the table goes to bench/RESULTS-serve.md.
#
# Measures, on a store of 1,000 synthetic keys (bench/kmgen) in a durable
# PostgreSQL (fsync on, as bench/run.sh):
#   LMTP vs filter   mails per second for the same mails (GET by key ID,
#                    and ADD of a key already stored: a merge that finds
#                    nothing new), each answered through the mailer
#                    (/bin/cat, output to /dev/null): `keymail filter` once
#                    per mail, one after the other and 4 at a time, against
#                    keymail serve's LMTP (4 workers) with one session
#                    sending them one after the other and 4 sessions at
#                    once (tests/lmtp-client.py, one reply per recipient)
#   HKP              requests per second of op=get&options=mr by
#                    fingerprint with 4 workers, wrk (2 threads, 8
#                    connections, 10 s), rate limit off
# The reply rate limit stays on (its database write happens) with a limit
# no run reaches. As root the measured part runs as the user "keymail".
# Environment: BENCH_SERVE_MAILS (400 per kind), BENCH_SERVE_DIR.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)

if [ "${KM_BENCH_INNER:-}" != 1 ]; then
	B=$(cd "${1:-build}" && pwd)
	sh "$top/scripts/deps-bench.sh"
	W=${BENCH_SERVE_DIR:-$B/bench-serve}
	rm -rf "$W"
	mkdir -p "$W/bin"
	cp "$B/keymail" "$B/bench/kmgen" "$top/bench/serve.sh" "$top/bench/mkmails.py" \
	    "$top/tests/lmtp-client.py" "$top/scripts/pg.sh" "$W/bin/"
	cp -R "$top/help" "$W/bin/help"
	{ git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown; } > "$W/version.txt"
	if [ "$(id -u)" = 0 ]; then
		id keymail >/dev/null 2>&1 ||
		    useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin keymail
		chown -R keymail "$W"
		d=$W
		while [ "$d" != / ]; do d=$(dirname "$d"); chmod o+x "$d" 2>/dev/null || true; done
		as="setpriv --reuid=keymail --regid=keymail --init-groups --"
	else
		as=
	fi
	$as env KM_BENCH_INNER=1 HOME="$W" sh "$W/bin/serve.sh" "$W"
	cp "$W/RESULTS-serve.md" "$top/bench/RESULTS-serve.md"
	cat "$top/bench/RESULTS-serve.md"
	exit 0
fi

# ---- inner part (unprivileged) ------------------------------------------------
W=$1
cd "$W"
BIN=$W/bin
KM=$BIN/keymail
M=${BENCH_SERVE_MAILS:-400}
MM="/usr/bin/python3 $BIN/mkmails.py"
LC="/usr/bin/python3 $BIN/lmtp-client.py"
log() { echo "bench-serve: $*" >&2; }
now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN {printf "%.0f", n / (b - a)}'; }

pg=$W/pg
KM_PG_OPTS="-c fsync=on" sh "$BIN/pg.sh" start "$pg" >/dev/null
PGC="host=$pg user=$(id -un)"
SV=
cleanup() {
	[ -n "$SV" ] && kill -TERM "$SV" 2>/dev/null && wait "$SV" 2>/dev/null
	sh "$BIN/pg.sh" stop "$pg" >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM
psql "$PGC dbname=postgres" -qc "create database kmserve" >/dev/null
cat > "$W/km.conf" <<EOC
database = $PGC dbname=kmserve
address = pgp-public-keys@keys.test.example
sendmail = /bin/cat
help_dir = $BIN/help
max_replies_per_hour = 1000000000
EOC
export KEYMAIL_CONF=$W/km.conf
"$KM" initdb
"$BIN/kmgen" -n 1000 -s 1 -o "$W/syn1k.gpg" -l "$W/syn1k.list"
"$KM" import -q "$W/syn1k.gpg"
line=$(sed -n '501p' "$W/syn1k.list")
FPR=$(echo "$line" | cut -d' ' -f2)
KEYID=$(echo "$line" | cut -d' ' -f3)
$MM cmd "GET 0x$KEYID" "$M" "$W/mail-get" "$W/get.list"
$MM head 1 "$W/syn1k.gpg" "$W/one.gpg"
# ADD of a stored key: M mails of key 0 (a merge that adds nothing)
$MM add "$W/one.gpg" "$W/mail-add0" "$W/add0.list"
i=0; : > "$W/add.list"
while [ $i -lt "$M" ]; do cat "$W/add0.list" >> "$W/add.list"; i=$((i + 1)); done

# keymail filter: one process per mail
filter_seq() { while read -r f; do "$KM" filter < "$f" > /dev/null 2>&1; done < "$1"; }
filter_par() { xargs -P 4 -n 1 sh -c '"$0" filter < "$1" > /dev/null 2>&1' "$KM" < "$1"; }
# LMTP: N sessions of M/N mails each
lmtp_par() {	# lmtp_par LIST N
	split -n "l/$2" -d "$1" "$W/part."
	pids=
	for p in "$W"/part.??; do
		xargs $LC "$W/lmtp.sock" < "$p" > "$p.out" &
		pids="$pids $!"
	done
	wait $pids	# not the server, also a child of this shell
	cat "$W"/part.*.out > "$W/lmtp.out"
	rm -f "$W"/part.*
}

: > "$W/rows.txt"
for kind in get add; do
	list=$W/$kind.list
	log "filter, $kind, one at a time"
	a=$(now); filter_seq "$list"; b=$(now)
	fs=$(rate "$M" "$a" "$b")
	log "filter, $kind, 4 at a time"
	a=$(now); filter_par "$list"; b=$(now)
	fp=$(rate "$M" "$a" "$b")
	echo "$kind $fs $fp" >> "$W/rows.txt"
done

cat >> "$W/km.conf" <<EOC
lmtp_listen = $W/lmtp.sock
hkp_listen = 127.0.0.1:0
serve_workers = 4
hkp_rate_limit = 0
EOC
"$KM" serve > /dev/null 2> "$W/serve.log" &
SV=$!
i=0
until grep -q 'serve: started' "$W/serve.log"; do
	i=$((i + 1)); [ $i -gt 600 ] && { log "serve did not start"; exit 1; }
	sleep 0.1
done
PORT=$(sed -n 's/.*hkp listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$W/serve.log")
: > "$W/lrows.txt"
for kind in get add; do
	list=$W/$kind.list
	log "LMTP, $kind, one session"
	a=$(now); lmtp_par "$list" 1; b=$(now)
	ok1=$(grep -c '^END 250' "$W/lmtp.out" || true)
	ls_=$(rate "$M" "$a" "$b")
	log "LMTP, $kind, 4 sessions"
	a=$(now); lmtp_par "$list" 4; b=$(now)
	ok4=$(grep -c '^END 250' "$W/lmtp.out" || true)
	lp=$(rate "$M" "$a" "$b")
	echo "$kind $ls_ $lp $ok1 $ok4" >> "$W/lrows.txt"
done

log "HKP get by fingerprint, wrk"
curl -s -o "$W/get.out" -w '%{http_code}\n' "http://127.0.0.1:$PORT/pks/lookup?op=get&options=mr&search=0x$FPR" > "$W/get.status"
wrk -t 2 -c 8 -d 10s --latency "http://127.0.0.1:$PORT/pks/lookup?op=get&options=mr&search=0x$FPR" > "$W/wrk.txt" 2>&1 || true
HKP_RPS=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$W/wrk.txt")
HKP_P50=$(awk '$1 == "50%" {print $2}' "$W/wrk.txt")
HKP_P99=$(awk '$1 == "99%" {print $2}' "$W/wrk.txt")
HKP_NON2XX=$(awk '/Non-2xx/ {print $NF}' "$W/wrk.txt")
kill -TERM "$SV"; wait "$SV" || true; SV=

{
	echo "# keymail serve: LMTP against keymail filter, and HKP"
	echo
	echo "Run $(date -u '+%Y-%m-%d %H:%M UTC'), code $(cat "$W/version.txt"), $(nproc) CPUs,"
	echo "load average at the end $(cut -d' ' -f1-3 /proc/loadavg) (other work on the"
	echo "machine counts: compare rows of the same run only). Store: 1,000 synthetic"
	echo "keys; PostgreSQL with fsync on; replies to /bin/cat; $M mails per row."
	echo
	echo "| mails | filter, 1 at a time | filter, 4 at a time | LMTP, 1 session | LMTP, 4 sessions |"
	echo "|---|---|---|---|---|"
	while read -r kind fs fp; do
		l=$(grep "^$kind " "$W/lrows.txt")
		set -- $l
		label=$([ "$kind" = get ] && echo "GET 0xKEYID" || echo "ADD of a stored key")
		echo "| $label | $fs/s | $fp/s | $2/s ($4 x 250) | $3/s ($5 x 250) |"
	done < "$W/rows.txt"
	echo
	echo "HKP \`op=get&options=mr\` by fingerprint, 4 workers, wrk -t2 -c8 -d10s:"
	echo "**${HKP_RPS:-?} requests/s**, latency median ${HKP_P50:-?}, p99 ${HKP_P99:-?}"
	echo "(first answer: HTTP $(cat "$W/get.status"); non-2xx during the run: ${HKP_NON2XX:-0})."
} > "$W/RESULTS-serve.md"
