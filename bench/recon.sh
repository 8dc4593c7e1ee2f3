#!/bin/sh
# bench/recon.sh BUILD_DIR - the reconciliation figures of `make bench`
# (reconciliation.md 14; issue 12 "Performance"). `BENCH_ONLY=recon make
# bench` runs only this; a full `make bench` appends its table to
# bench/RESULTS.md. Output: bench/RECON.md (and standard output).
#
# Two stores of BENCH_RECON_N (100,000) synthetic keys (bench/kmgen seed
# BENCH_SEED) in one private PostgreSQL, differing by 1,000 elements: 400
# keys only A holds, 400 only B holds and 100 held in two versions
# (tests/recon-keys.py), so w = 500. One `keymail recon` at A, then the
# mails shuttled (tests/recon-shuttle.py) until none is left. Reported:
# control mails and octets, MORE rounds, and for each step the keymail
# process's CPU time (user + system; the PostgreSQL backend's share is not
# in it) and elapsed time; both exports are compared at the end.
# With BENCH_1M=1 (`make bench-1m`): the initiator's snapshot at
# 1,000,000 keys, its `keymail recon` starting a session (median of 3), on
# a store whose 1,000,000 rows are made by SQL: the snapshot reads only
# each row's id and digest, so the rows need no real key, and making a
# million real keys and importing them would take an hour for a figure
# of a few seconds. BENCH_RECON_ONLY_1M=1 runs only that part.
#
# keymail refuses root: as root, keymail, PostgreSQL and the capture
# mailer run as the user "keymail", as in the tests.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "${1:-build}" && pwd)
W=${BENCH_DIR:-$B/bench-run}/recon
SEED=${BENCH_SEED:-1}
PY=/usr/bin/python3
log() { echo "bench-recon: $*" >&2; }

rm -rf "$W"
mkdir -p "$W/bin" "$W/outbox" "$W/cache"
cp "$B/keymail" "$B/bench/kmgen" "$W/bin/"
if [ "$(id -u)" = 0 ]; then
	id keymail >/dev/null 2>&1 ||
	    useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin keymail
	d=$W
	while [ "$d" != / ]; do d=$(dirname "$d"); chmod o+x "$d" 2>/dev/null || true; done
	as="setpriv --reuid=keymail --regid=keymail --init-groups --"
else
	as=
fi
cat >"$W/bin/km" <<EOF
#!/bin/sh
exec $as "$W/bin/keymail" "\$@"
EOF
cat >"$W/bin/capture.sh" <<EOF
#!/bin/sh
exec 9>>"$W/outbox/.lock"
flock 9
n=\$(cat "$W/outbox/.seq" 2>/dev/null || echo 0)
n=\$((n + 1))
cat >"$W/outbox/.tmp"
mv "$W/outbox/.tmp" "$W/outbox/\$(printf %06d \$n).eml"
echo \$n >"$W/outbox/.seq"
EOF
chmod 755 "$W/bin/km" "$W/bin/capture.sh"
[ "$(id -u)" = 0 ] && chown -R keymail "$W"
KM=$W/bin/km

PG=$(sh "$top/scripts/pg.sh" start "$W/pg")
PG=${PG% dbname=keymail}
trap 'sh "$top/scripts/pg.sh" stop "$W/pg" >/dev/null 2>&1' EXIT
q() { psql "$PG dbname=$1" -qAtc "$2"; }

# conf NAME: $W/NAME.conf for database km_NAME
conf() {
	cat >"$W/$1.conf" <<EOF
database = $PG dbname=km_$1
address = pgp-public-keys@$1.keys.test
sendmail = $W/bin/capture.sh
help_dir = $top/help
server_key = $W/$1/server-key
EOF
	mkdir -p "$W/$1"
	chmod 700 "$W/$1"
	[ "$(id -u)" = 0 ] && chown keymail "$W/$1" "$W/$1.conf"
	true
}

# scan_ms DB: the server's time for the snapshot's scan (EXPLAIN ANALYZE
# of the same SELECT the COPY runs), median of 3, in ms.
scan_ms() {
	for _i in 1 2 3; do
		q "$1" "explain (analyze, timing off) select id, digest from keys" |
		    sed -n 's/^Execution Time: \([0-9.]*\) ms/\1/p'
	done | sort -n | sed -n 2p
}

# timed OUT CMD...: "elapsed user system maxrss_kb" of CMD into OUT
timed() { _o=$1; shift; /usr/bin/time -f "%e %U %S %M" -o "$_o" "$@"; }

one_size() {	# one_size N LABEL
	n=$1
	label=$2
	log "corpus of $n keys (kmgen seed $SEED)"
	common=$W/cache/common-$n.pgp
	"$W/bin/kmgen" -n "$n" -s "$SEED" -o "$common" 2>/dev/null
	"$W/bin/kmgen" -f "$n" -n 4000 -s "$SEED" -o "$W/cache/extra.pgp" 2>/dev/null
	$PY "$top/tests/recon-keys.py" "$W/cache/extra.pgp" "$W/a.pgp" "$W/b.pgp" \
	    0 400 400 100 "$W/kinds"
	[ "$(id -u)" = 0 ] && chown keymail "$W/cache" "$W"/cache/* "$W/a.pgp" "$W/b.pgp"
	for s in a b; do
		q postgres "drop database if exists km_$s" >/dev/null
	done
	q postgres "create database km_a" >/dev/null
	conf a
	conf b
	$KM -c "$W/a.conf" initdb >/dev/null
	log "importing $n keys"
	timed "$W/import.time" $KM -c "$W/a.conf" import -q "$common"
	q postgres "create database km_b template km_a" >/dev/null
	$KM -c "$W/a.conf" import -q "$W/a.pgp"
	$KM -c "$W/b.conf" import -q "$W/b.pgp"
	fa=$($KM -c "$W/a.conf" serverkey)
	fb=$($KM -c "$W/b.conf" serverkey)
	echo "recon_peer = pgp-public-keys@b.keys.test $fb" >>"$W/a.conf"
	echo "recon_peer = pgp-public-keys@a.keys.test $fa" >>"$W/b.conf"
	$KM -c "$W/a.conf" get "0x$fa" | $KM -c "$W/b.conf" import -q
	$KM -c "$W/b.conf" get "0x$fb" | $KM -c "$W/a.conf" import -q
	rm -f "$W"/outbox/*.eml "$W/outbox/.seq" "$W/outbox/.done" "$W/shuttle.log"
	log "keymail recon at A"
	timed "$W/recon.time" $KM -c "$W/a.conf" recon 2>"$W/a.log"
	log "shuttle"
	$PY "$top/tests/recon-shuttle.py" --outbox "$W/outbox" --keymail "$KM" \
	    --route "pgp-public-keys@a.keys.test=$W/a.conf" \
	    --route "pgp-public-keys@b.keys.test=$W/b.conf" \
	    --log "$W/shuttle.log" --timeout 600
	$KM -c "$W/a.conf" export >"$W/a.export"
	$KM -c "$W/b.conf" export >"$W/b.export"
	same=no
	cmp -s "$W/a.export" "$W/b.export" && same=yes
	ends=$(cat "$W/a.log" "$W/a.conf.log" "$W/b.conf.log" 2>/dev/null | grep 'recon: session .* (\(initiator\|responder\)) ' || true)
	rounds=$(echo "$ends" | sed -n 's/.*(initiator) .* rounds=\([0-9]*\) .*/\1/p' | tail -n 1)
	dfound=$(echo "$ends" | sed -n 's/.*(initiator) [a-z]*: d=\([0-9]*\) .*/\1/p' | tail -n 1)
	mails=$(awk -F'\t' '$3 ~ /^RECON /' "$W/shuttle.log" | wc -l)
	bytes=$(awk -F'\t' '$3 ~ /^RECON / {s += $5} END {print s + 0}' "$W/shuttle.log")
	incr=$(awk -F'\t' '$3 == "incremental"' "$W/shuttle.log" | wc -l)
	maxmail=$(awk -F'\t' '$3 ~ /^RECON / && $5 > m {m = $5} END {print m + 0}' "$W/shuttle.log")
	{
		echo
		echo "### Reconciliation, $label"
		echo
		echo "Two stores of the same $(commas "$n") keys plus 900 that differ (400 only at A, 400 only"
		echo "at B, 100 in two versions: d = 1,000 elements, w = 500), one session"
		echo "started by \`keymail recon\` at A. Decoded d = ${dfound:-?}; MORE rounds:"
		echo "${rounds:-?}; control mails: $mails, $bytes octets in all, the largest"
		echo "$maxmail octets (targets: under 40 KB in all at d = 600, each mail at"
		echo "most 50 KB at d = 1,000); $incr incremental mails carried the keys;"
		echo "exports afterwards byte-identical: $same. Import of the common keys:"
		echo "$(cut -d' ' -f1 "$W/import.time") s. The server's scan of A's digests"
		echo "(EXPLAIN ANALYZE of the snapshot's SELECT): $(scan_ms km_a) ms."
		echo
		echo "| step | process | CPU s (user+sys) | elapsed s | peak RSS |"
		echo "|---|---|---|---|---|"
		read -r e u s m <"$W/recon.time"
		echo "| snapshot, prefix of 65,536 cells, OFFER | A: keymail recon | $(awk -v u="$u" -v s="$s" 'BEGIN {printf "%.2f", u + s}') | $e | $((m / 1024)) MB |"
		awk -F'\t' '$3 ~ /^RECON / {
			split($3, w, " ")
			who = ($2 ~ /^pgp-public-keys@a/) ? "A" : "B"
			printf "| %s received | %s: keymail filter | %.2f | %.2f | |\n", w[2], who, $7, $8
		}' "$W/shuttle.log"
		awk -F'\t' '$3 == "incremental" {c += $7; e += $8; n++}
		    END {printf "| %d incremental mails merged | both filters | %.2f | %.2f | |\n", n, c, e}' "$W/shuttle.log"
	} >>"$W/RECON.md"
}
commas() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }

# snapshot N: the initiator's `keymail recon` on a store of N rows made by
# SQL, three times (the live session is deleted in between); the median.
snapshot() {
	n=$1
	log "snapshot at $n rows"
	q postgres "drop database if exists km_s" >/dev/null
	q postgres "create database km_s" >/dev/null
	conf s
	$KM -c "$W/s.conf" initdb >/dev/null
	q km_s "insert into keys (fingerprint, version, algo, bits, keyid, created,
	    data, digest) select decode(md5(i::text) || left(md5((-i)::text), 8), 'hex'),
	    4, 22, 255, decode(left(md5(i::text), 16), 'hex'), to_timestamp(0),
	    '\\x'::bytea, sha256(int8send(i)) from generate_series(1, $n) as i" >/dev/null
	q km_s "vacuum analyze keys" >/dev/null
	fp=$($KM -c "$W/s.conf" serverkey)
	conf p
	q postgres "drop database if exists km_p" >/dev/null
	q postgres "create database km_p" >/dev/null
	$KM -c "$W/p.conf" initdb >/dev/null
	pp=$($KM -c "$W/p.conf" serverkey)
	$KM -c "$W/p.conf" get "0x$pp" | $KM -c "$W/s.conf" import -q
	echo "recon_peer = pgp-public-keys@p.keys.test $pp" >>"$W/s.conf"
	for i in 1 2 3; do
		q km_s "delete from recon_sessions" >/dev/null
		timed "$W/snap$i.time" $KM -c "$W/s.conf" recon pgp-public-keys@p.keys.test 2>>"$W/s.log"
	done
	sort -n "$W"/snap?.time | sed -n 2p >"$W/snap.time"
	read -r e u s m <"$W/snap.time"
	scan=$(scan_ms km_s)
	echo "| $(commas "$n") rows | $e | $(awk -v u="$u" -v s="$s" 'BEGIN {printf "%.2f", u + s}') | $scan | $((m / 1024)) MB |" >>"$W/snap.md"
	log "snapshot at $n rows: $e s"
}

{
	echo "## Reconciliation"
	echo
	echo "Generated by \`bench/recon.sh\` (\`BENCH_ONLY=recon make bench\`, or part of"
	echo "\`make bench\`); $(nproc) CPUs; $(date -u +%Y-%m-%d); code $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)."
} >"$W/RECON.md"
[ -z "${BENCH_RECON_ONLY_1M:-}" ] &&
    one_size "${BENCH_RECON_N:-100000}" "$(commas "${BENCH_RECON_N:-100000}") keys"
if [ -n "${BENCH_1M:-}${BENCH_RECON_ONLY_1M:-}" ]; then
	: >"$W/snap.md"
	snapshot 100000
	snapshot 1000000
	{
		echo
		echo "### The initiator's snapshot"
		echo
		echo "\`keymail recon ADDRESS\` starting a session: the digests of every key"
		echo "read in one COPY, the ids, tug-of-war counters and the whole prefix of"
		echo "65,536 cells computed, stored with the session (786 KB), the OFFER"
		echo "signed and mailed. Median of 3 runs; the store's rows made by SQL (the"
		echo "snapshot reads only id and digest). Target: 3 s at 1,000,000 keys."
		echo
		echo "| store | elapsed s | keymail CPU s | server: the scan alone, ms | peak RSS |"
		echo "|---|---|---|---|---|"
		cat "$W/snap.md"
	} >>"$W/RECON.md"
fi
cp "$W/RECON.md" "$top/bench/RECON.md"
cat "$top/bench/RECON.md"
