#!/bin/sh
# bench/run.sh BUILD_DIR - `make bench` and `make bench-1m`: keymail and
# onak (Debian's, db4 backend) side by side, same keys, same machine, same
# run; the table goes to bench/RESULTS.md.
#
# Measures
#   crypto   what one verification costs libgcrypt, by kind (bench/vcost)
#   import   first import into an empty store (median of 3): wall time,
#            the verifications it did by kind (keymail import -s), the
#            crypto floor (count x cost per kind / CPUs), the ratios to
#            the floor and to onak's import (`onak -b add`, which checks
#            hash prefixes only; median of 3), peak RSS; then the same
#            dump imported again into the full store, as a ratio to the
#            first import. debian-keyring (905 real keys) and BENCH_N
#            synthetic keys (bench/kmgen, 20,000); 1,000,000 with BENCH_1M
#   mail     throughput of a mixed stream (BENCH_MIX each of ADD of a
#            stored key, ADD of a new key, GET, INDEX; 4 x 100 = 400) with
#            4 deliveries at a time (bench/deliver), on the synthetic
#            store: `keymail filter` straight to PostgreSQL, through
#            pgbouncer (session pooling), keymail serve's LMTP listener
#            (4 workers, 4 sessions) when the build has it, and onak's
#            robot onak-mail.pl with onak; mails/s and ratios
#   latency  `keymail get` and `keymail index`, whole process, median /
#            p90 / p99 of BENCH_RUNS runs (bench/timeit), on stores of
#            1,000 keys and (BENCH_1M) 1,000,000 keys: the p99 ratio
#   profile  (as root, with perf) where the time of an import goes, by
#            program and library, the PostgreSQL server included
#
# Fairness: both run durable (PostgreSQL with fsync on, as deployed; onak's
# db4 fdatasyncs its own commits); both mail robots hand replies to
# /bin/cat with output to /dev/null; keymail's reply rate limit stays on
# (its database write happens) with a limit no run reaches; no sync peers
# on either side. keymail refuses to run as root, so as root everything
# after the package installation runs as the user "keymail" (as the tests
# do). Work files and the corpus cache: $B/bench-run (BENCH_DIR).
#
# Environment: BENCH_RUNS (200), BENCH_N (20000), BENCH_MIX (100),
# BENCH_SEED (1), BENCH_1M (unset), BENCH_DIR, BENCH_PROFILE_ONLY (unset),
# BENCH_ONLY (recon: only bench/recon.sh, the reconciliation figures,
# which a full run appends too; BENCH_RECON_N sets its store size,
# 100000).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)

# ---- outer part: packages, work directory, then the rest unprivileged ----
# BENCH_ONLY=recon: only the reconciliation figures (bench/recon.sh).
if [ "${BENCH_ONLY:-}" = recon ]; then
	exec sh "$top/bench/recon.sh" "${1:-build}"
fi
if [ "${KM_BENCH_INNER:-}" != 1 ]; then
	B=$(cd "${1:-build}" && pwd)
	sh "$top/scripts/deps-bench.sh"
	W=${BENCH_DIR:-$B/bench-run}
	mkdir -p "$W/bin" "$W/cache"
	cc -O2 -Wall -o "$W/bin/timeit" "$top/bench/timeit.c"
	cc -O2 -Wall -o "$W/bin/deliver" "$top/bench/deliver.c"
	cp "$B/keymail" "$B/bench/kmgen" "$B/bench/vcost" "$top/bench/run.sh" \
	    "$top/bench/mkmails.py" "$top/scripts/pg.sh" "$top/tests/lmtp-client.py" "$W/bin/"
	rm -rf "$W/bin/help"
	cp -R "$top/help" "$W/bin/help"
	cp "$top/bench/analysis.md" "$W/analysis.md" 2>/dev/null || : > "$W/analysis.md"
	{
		git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown
		git -C "$top" status --porcelain 2>/dev/null | grep -q . &&
		    echo "(plus uncommitted changes)" || true
	} | tr '\n' ' ' > "$W/version.txt"
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
	# BENCH_PROFILE_ONLY=1: keep the last run's measurements, redo the
	# profile and the report (e.g. after the profile step failed)
	if [ -z "${BENCH_PROFILE_ONLY:-}" ]; then
		$as env KM_BENCH_INNER=1 HOME="$W" sh "$W/bin/run.sh" "$W"
	else
		sed -i '/^### Where an import of\|^## What bounds each figure/,$d' "$W/RESULTS.md"
	fi

	# Profile (perf needs root to see the PostgreSQL server too).
	if [ "$(id -u)" = 0 ] && command -v perf >/dev/null 2>&1; then
		pg=$W/pg-prof
		rm -rf "$pg"
		KM_PG_OPTS="-c fsync=on" sh "$W/bin/pg.sh" start "$pg" >/dev/null
		prof() {	# prof LABEL FILE
			psql "host=$pg user=keymail dbname=postgres" -qc "drop database if exists kmprof" \
			    -c "create database kmprof" >/dev/null
			sed "s|^database = .*|database = host=$pg user=keymail dbname=kmprof|" \
			    "$W/kmsyn.conf" > "$W/prof.conf"
			chmod 644 "$W/prof.conf"
			$as env KEYMAIL_CONF="$W/prof.conf" "$W/bin/keymail" initdb
			# the import (all its threads) and the server, whose
			# backends for the import are forked while perf follows
			# it (the server of this run: nothing else uses it)
			# (perf record -p does not follow forked processes:
			# record everything, note the server's children, and
			# report the import and those only)
			pm=$(head -n 1 "$pg/data/postmaster.pid")
			# the earlier runs' writes flushed first: what the
			# server does in the profile is this import's
			psql "host=$pg user=keymail dbname=postgres" -qc CHECKPOINT >/dev/null
			perf record -q -a -o "$W/perf.data" 2>/dev/null &
			p=$!
			sleep 0.2
			$as env KEYMAIL_CONF="$W/prof.conf" "$W/bin/keymail" import -q "$2" \
			    >/dev/null 2>&1 &
			k=$!
			echo "$k" > "$W/prof.pids"
			while kill -0 $k 2>/dev/null; do
				pgrep -P "$pm" >> "$W/prof.pids" 2>/dev/null || true
				sleep 0.05
			done
			wait $k || true
			kill -INT $p 2>/dev/null; wait $p 2>/dev/null || true
			pids=$(sort -un "$W/prof.pids" | tr '\n' ',' | sed 's/,$//')
			{
				echo
				echo "### Where an import of $1 spends its time"
				echo
				echo "\`perf record -a\`, reported for the keymail process (all its threads)"
				echo "and the processes of the run's own PostgreSQL server while it ran (the"
				echo "backends of the import), in per cent of their samples: \`perf report"
				echo "--percentage relative --sort comm,dso\`, top 12."
				echo
				echo '```'
				perf report -i "$W/perf.data" --pid "$pids" --percentage relative \
				    --sort comm,dso --stdio 2>/dev/null |
				    grep '%' | grep -v '^#' | head -n 12
				echo '```'
			} >> "$W/RESULTS.md"
			rm -f "$W/perf.data" "$W/perf.data.old"
		}
		prof "debian-keyring" /usr/share/keyrings/debian-keyring.gpg
		[ -f "$W/syn5k.gpg" ] && prof "5,000 synthetic keys" "$W/syn5k.gpg"
		sh "$W/bin/pg.sh" stop "$pg"
		rm -rf "$pg"
	fi
	# Reconciliation between two stores (bench/recon.sh, its own table).
	if sh "$top/bench/recon.sh" "$B" >/dev/null; then
		cat "$top/bench/RECON.md" >> "$W/RESULTS.md"
	else
		printf '\n## Reconciliation\n\nbench/recon.sh failed; see its output.\n' >> "$W/RESULTS.md"
	fi
	cat "$W/analysis.md" >> "$W/RESULTS.md"
	cp "$W/RESULTS.md" "$top/bench/RESULTS.md"
	cat "$top/bench/RESULTS.md"
	exit 0
fi

# ---- inner part ----------------------------------------------------------
W=$1
cd "$W"
BIN=$W/bin
C=$W/cache
RUNS=${BENCH_RUNS:-200}
WARM=5
SEED=${BENCH_SEED:-1}
N=${BENCH_N:-20000}
MIX=${BENCH_MIX:-100}
PAR=4
KM=$BIN/keymail
GEN=$BIN/kmgen
TI=$BIN/timeit
DL=$BIN/deliver
MM="/usr/bin/python3 $BIN/mkmails.py"
DEB=/usr/share/keyrings/debian-keyring.gpg
ONAK=/usr/bin/onak
ONAKMAIL=/usr/lib/x86_64-linux-gnu/onak/onak-mail.pl
R=$W/RESULTS.md
NCPU=$(nproc)
log() { echo "bench: $*" >&2; }

busy() {	# what else uses the CPU
	echo "load average $(cut -d' ' -f1-3 /proc/loadavg); busiest processes (%CPU, elapsed, command):"
	ps -eo pcpu,etime,comm --sort=-pcpu | sed -n '2,6p' | sed 's/^/    /'
}
BUSY_START=$(busy)
# what one durable commit costs on this disk (both keyservers pay it)
FSYNC_US=$(/usr/lib/postgresql/*/bin/pg_test_fsync -s 1 -f "$W/fsync.test" 2>/dev/null |
    awk '$1 == "fdatasync" {print $4; exit}')
rm -f "$W/fsync.test"
START=$(date -u '+%Y-%m-%d %H:%M UTC')
T0=$(date +%s)

# ---- PostgreSQL, durable ---------------------------------------------------
pg=$W/pg
sh "$BIN/pg.sh" stop "$pg" >/dev/null 2>&1 || true
rm -rf "$pg"
KM_PG_OPTS="-c fsync=on" sh "$BIN/pg.sh" start "$pg" >/dev/null
PGC="host=$pg user=$(id -un)"
pgb=$W/pgb
cleanup() {
	[ -f "$pgb/pgbouncer.pid" ] && kill "$(cat "$pgb/pgbouncer.pid")" 2>/dev/null
	sh "$BIN/pg.sh" stop "$pg" >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM

newdb() {	# newdb NAME: empty store and $W/NAME.conf
	psql "$PGC dbname=postgres" -qc "drop database if exists $1" -c "create database $1" >/dev/null
	cat > "$W/$1.conf" <<EOC
database = $PGC dbname=$1
address = pgp-public-keys@keys.test.example
sendmail = /bin/cat
help_dir = $BIN/help
max_replies_per_hour = 1000000000
max_domain_replies_per_hour = 1000000000
max_total_replies_per_hour = 1000000000
EOC
	KEYMAIL_CONF=$W/$1.conf "$KM" initdb
}
kmcount() { psql "$PGC dbname=$1" -Atc "select count(*) from keys"; }
kmsize() {	# bytes of all our tables (with indexes and TOAST) per key
	psql "$PGC dbname=$1" -Atc "select round(sum(pg_total_relation_size(format('%I.%I',
	    schemaname, tablename)::regclass)) / greatest((select count(*) from keys), 1))
	    from pg_tables where schemaname = 'public'"
}

newonak() {	# newonak NAME [verify]: empty onak store, $W/onak-NAME/onak.ini
	o=$W/onak-$1
	verify=false
	[ -n "${2:-}" ] && verify=true
	rm -rf "$o"
	mkdir -p "$o/db" "$o/spool"
	cat > "$o/onak.ini" <<EOC
[main]
backend=defaultdb4
backends_dir=/usr/lib/x86_64-linux-gnu/onak/backends
logfile=$o/onak.log
loglevel=3
use_keyd=false
max_reply_keys=128
[verification]
check_sighash=true
drop_v3=true
verify_signatures=$verify
[mail]
maintainer_email=PGP Key Server Administrator <admin@keys.test.example>
mail_dir=$o/spool
mta=/bin/cat
bin_dir=/usr/bin
this_site=pgp-public-keys@keys.test.example
[backend:defaultdb4]
type=db4
location=$o/db
EOC
	# onak-mail.pl reads /etc/onak.ini and runs onak without -c: point
	# both at this store (the only change to Debian's script).
	sed -e "s|/etc/onak.conf|$o/no-old-style.conf|; s|/etc/onak.ini|$o/onak.ini|" \
	    -e "s|\\.\"/onak\", |.\"/onak\", \"-c\", \"$o/onak.ini\", |g" \
	    "$ONAKMAIL" > "$o/onak-mail.pl"
}
onakcount() { sed -n 's/.*Got \([0-9]*\) new keys.*/\1/p' "$W/onak-$1/onak.log" | awk '{s += $1} END {print s + 0}'; }
onaksize() {	# bytes of the db4 files (not the environment regions) per key
	find "$W/onak-$1/db" -type f ! -name '__db.*' ! -name 'log.*' -printf '%s\n' |
	    awk -v n="$2" '{s += $1} END {printf "%.0f", s / (n > 0 ? n : 1)}'
}

# ---- corpora -----------------------------------------------------------------
ck=$(cksum < "$GEN" | cut -d' ' -f1)
SYN=$C/syn-$N-s$SEED-$ck.gpg
if [ ! -s "$SYN" ]; then
	rm -f "$C"/syn-"$N"-s"$SEED"-*.gpg "$C"/syn-"$N"-s"$SEED"-*.list
	log "generating $N synthetic keys"
	t=$(date +%s.%N)
	"$GEN" -n "$N" -s "$SEED" -j "$NCPU" -o "$SYN.tmp" -l "$SYN.list"
	echo "$N $(awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')" > "$SYN.gen"
	mv "$SYN.tmp" "$SYN"
fi
read -r _ GENSEC < "$SYN.gen"
$MM head 1000 "$SYN" "$W/syn1k.gpg"
$MM head 5000 "$SYN" "$W/syn5k.gpg"

# GnuPG must accept a sample, every signature good.
rm -rf "$W/gnupg"; mkdir -m 700 "$W/gnupg"
$MM head 200 "$SYN" "$W/sample.gpg"
GNUPGHOME=$W/gnupg gpg --batch --import "$W/sample.gpg" 2>"$W/gpg-import.log" || true
GNUPGHOME=$W/gnupg gpg --batch --check-sigs 2>/dev/null > "$W/gpg-sigs.txt" || true
GPG_IMPORTED=$(sed -n 's/.*imported: \([0-9]*\).*/\1/p' "$W/gpg-import.log")
GPG_SIGS=$(grep -c '^sig' "$W/gpg-sigs.txt" || true)
GPG_GOOD=$(grep -c '^sig!' "$W/gpg-sigs.txt" || true)

# The mixed streams: each keymail run and onak get their own new keys.
for x in a b c d; do
	case $x in a) f=5000000 ;; b) f=5100000 ;; c) f=5200000 ;; d) f=5300000 ;; esac
	"$GEN" -f $f -n "$MIX" -s "$SEED" -o "$W/new-$x.gpg"
	rm -rf "$W/mix-$x"
	$MM mix "$SYN" "$SYN.list" "$W/new-$x.gpg" "$MIX" "$W/mix-$x" "$W/mix-$x.list"
done
$MM cmd HELP 8 "$W/mail-help" "$W/help.list"
# the key that the latency runs ask for: key 500, in every store
line=$(sed -n '501p' "$SYN.list")
KEYID=$(echo "$line" | cut -d' ' -f3)
EMAIL=$(echo "$line" | sed 's/.*<\(.*\)>.*/\1/')

# ---- what a verification costs ------------------------------------------------
log "crypto: cost per verification"
"$BIN/vcost" > "$W/vcost.txt"

# floor COUNTS-LINE: the crypto floor in seconds, from an "import: verified
# N (KIND n, ...)" line and vcost.txt, spread over the CPUs
floor() {
	echo "$1" | sed -n 's/^import: verified [0-9]* (\([^)]*\)).*/\1/p' | tr ',' '\n' |
	    awk -v ncpu="$NCPU" 'NR == FNR {c[$1] = $2; next} NF == 2 {s += $2 * c[$1]}
	    END {printf "%.3f", s / 1e6 / ncpu}' "$W/vcost.txt" -
}

# ---- import --------------------------------------------------------------------
commas() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }

# The CPU time of the PostgreSQL server while a command runs: all its
# processes (the postmaster with the children it has reaped, and those
# alive: backends, WAL writer, checkpointer...), from /proc.
srv_ticks() {
	pm=$(head -n 1 "$pg/data/postmaster.pid")
	{ awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat"
	  for c in $(pgrep -P "$pm"); do awk '{print $14 + $15}' "/proc/$c/stat" 2>/dev/null; done
	} | awk '{s += $1} END {print s}'
}
srv_start() { SRV0=$(srv_ticks); }
srv_stop() {	# srv_stop OUT: seconds into OUT
	sleep 0.2	# the exiting backends reaped
	awk -v a="$SRV0" -v b="$(srv_ticks)" -v hz="$(getconf CLK_TCK)" \
	    'BEGIN {printf "%.2f", (b - a) / hz}' > "$1"
}

# km_import DB FILE: "wall user sys rss" of a first import into an empty
# store, then of the same file again into the full store; the verification
# line of the first goes to $W/DB.verified
km_import() {
	newdb "$1" >/dev/null
	srv_start
	/usr/bin/time -f '%e %U %S %M' -o "$W/t1" env KEYMAIL_CONF="$W/$1.conf" \
	    "$KM" import -s "$2" 2>"$W/$1.err1" || true
	srv_stop "$W/$1.srvcpu"
	grep '^import: verified' "$W/$1.err1" > "$W/$1.verified"
	/usr/bin/time -f '%e %U %S %M' -o "$W/t2" env KEYMAIL_CONF="$W/$1.conf" \
	    "$KM" import -s "$2" 2>"$W/$1.err2" || true
	grep '^import: verified' "$W/$1.err2" > "$W/$1.reverified"
	echo "$(tail -n 1 "$W/t1") $(tail -n 1 "$W/t2") $(kmcount "$1") $(cat "$W/$1.srvcpu")"
}
onak_import() {	# onak_import NAME FILE [verify]: "wall rss stored user sys"
	newonak "$1" "${3:-}" >/dev/null
	/usr/bin/time -f '%e %M %U %S' -o "$W/t" sh -c "exec $ONAK -c '$W/onak-$1/onak.ini' -b add < '$2'" 2>/dev/null || true
	set -- "$1" "$(tail -n 1 "$W/t")"
	echo "$(echo "$2" | cut -d' ' -f1,2) $(onakcount "$1") $(echo "$2" | cut -d' ' -f3,4)"
}
pick_med() { sort -n "$1" | sed -n 2p; }	# the run with the median time

log "import: debian-keyring, 3 times each"
: > "$W/km-deb.txt"; : > "$W/on-deb.txt"; : > "$W/onv-deb.txt"
for i in 1 2 3; do
	km_import kmdeb "$DEB" >> "$W/km-deb.txt"
	cp "$W/kmdeb.verified" "$W/kmdeb.verified.$(tail -n 1 "$W/km-deb.txt" | cut -d' ' -f1)"
	onak_import deb "$DEB" >> "$W/on-deb.txt"
done
onak_import debv "$DEB" verify >> "$W/onv-deb.txt"
DEBKEYS=905
KMDEB=$(pick_med "$W/km-deb.txt"); ONDEB=$(pick_med "$W/on-deb.txt"); ONVDEB=$(cat "$W/onv-deb.txt")
DEBVER=$(cat "$W/kmdeb.verified.$(echo "$KMDEB" | cut -d' ' -f1)")
DEBFLOOR=$(floor "$DEBVER")
KMDEB_SIZE=$(kmsize kmdeb)
ONDEB_SIZE=$(onaksize deb "$DEBKEYS")

log "import: $N synthetic keys, 3 times each"
: > "$W/km-syn.txt"; : > "$W/on-syn.txt"
for i in 1 2 3; do
	km_import kmsyn "$SYN" >> "$W/km-syn.txt"
	cp "$W/kmsyn.verified" "$W/kmsyn.verified.$(tail -n 1 "$W/km-syn.txt" | cut -d' ' -f1)"
	onak_import syn "$SYN" >> "$W/on-syn.txt"
done
KMSYN=$(pick_med "$W/km-syn.txt"); ONSYN=$(pick_med "$W/on-syn.txt")
SYNVER=$(cat "$W/kmsyn.verified.$(echo "$KMSYN" | cut -d' ' -f1)")
SYNFLOOR=$(floor "$SYNVER")
KMSYN_SIZE=$(kmsize kmsyn)
ONSYN_SIZE=$(onaksize syn "$(echo "$ONSYN" | cut -d' ' -f3)")

if [ -n "${BENCH_1M:-}" ]; then
	SYN1M=$C/syn-1000000-s$SEED-$ck.gpg
	if [ ! -s "$SYN1M" ]; then
		rm -f "$C"/syn-1000000-s"$SEED"-*
		log "generating 1,000,000 synthetic keys"
		t=$(date +%s.%N)
		"$GEN" -n 1000000 -s "$SEED" -j "$NCPU" -o "$SYN1M.tmp" -l "$SYN1M.list"
		echo "1000000 $(awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')" > "$SYN1M.gen"
		mv "$SYN1M.tmp" "$SYN1M"
	fi
	read -r _ GEN1MSEC < "$SYN1M.gen"
	log "import: 1,000,000 synthetic keys (keymail)"
	KM1M=$(km_import km1m "$SYN1M")
	VER1M=$(cat "$W/km1m.verified")
	FLOOR1M=$(floor "$VER1M")
	KM1M_SIZE=$(kmsize km1m)
fi

# ---- mail throughput -------------------------------------------------------------
log "mail: $((4 * MIX)) mails, $PAR at a time"
: > "$W/mail.txt"
run_thr() {	# run_thr LABEL CONF LIST DELIVER-ARGS...: a line of mail.txt
	label=$1; conf=$2; list=$3; shift 3
	echo "$label|$(env KEYMAIL_CONF="$conf" "$DL" -P "$PAR" -I "$list" "$@" 2>>"$W/deliver.err")" >> "$W/mail.txt"
}
run_thr "keymail filter, straight to PostgreSQL" "$W/kmsyn.conf" "$W/mix-a.list" -- "$KM" filter
o=$W/onak-syn
run_thr "onak-mail.pl and onak" - "$W/mix-c.list" -S "$o/spool" -e "$W/mail-help/cmd-00000.eml" -- /usr/bin/perl "$o/onak-mail.pl"
# through pgbouncer, session pooling (the mode the README recommends)
if [ -x /usr/sbin/pgbouncer ]; then
	rm -rf "$pgb"; mkdir -p "$pgb"
	echo "\"$(id -un)\" \"\"" > "$pgb/users.txt"
	cat > "$pgb/pgbouncer.ini" <<EOC
[databases]
* = host=$pg
[pgbouncer]
listen_port = 6432
unix_socket_dir = $pgb
auth_type = trust
auth_file = $pgb/users.txt
pool_mode = session
max_client_conn = 100
default_pool_size = $((2 * NCPU))
logfile = $pgb/pgbouncer.log
pidfile = $pgb/pgbouncer.pid
EOC
	if /usr/sbin/pgbouncer -d -q "$pgb/pgbouncer.ini"; then
		i=0; while [ ! -S "$pgb/.s.PGSQL.6432" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
		sed "s|^database = .*|database = host=$pgb port=6432 user=$(id -un) dbname=kmsyn|" \
		    "$W/kmsyn.conf" > "$W/kmsyn-pgb.conf"
		# warm the pool, as a running server's is
		env KEYMAIL_CONF="$W/kmsyn-pgb.conf" "$DL" -P "$PAR" -I "$W/help.list" -- "$KM" filter >/dev/null
		run_thr "keymail filter, through pgbouncer" "$W/kmsyn-pgb.conf" "$W/mix-b.list" -- "$KM" filter
	fi
fi
if "$KM" 2>&1 | grep -q ' serve'; then
	# keymail serve's LMTP listener (4 workers) on the same store: the
	# same kind of stream (its own new keys), 4 sessions at once
	# (tests/lmtp-client.py), the clock from the first connection to the
	# last reply; CPU: the serve processes' (the master, its reaped and
	# its live workers), from /proc as the server's
	{ cat "$W/kmsyn.conf"; echo "lmtp_listen = $W/lmtp.sock"; echo "serve_workers = 4"; } > "$W/kmsyn-lmtp.conf"
	rm -f "$W/lmtp.sock"
	KEYMAIL_CONF="$W/kmsyn-lmtp.conf" "$KM" serve > /dev/null 2> "$W/serve.log" &
	sv=$!
	i=0
	until grep -q 'serve: started' "$W/serve.log" 2>/dev/null || [ $i -gt 600 ]; do sleep 0.1; i=$((i + 1)); done
	sv_ticks() {
		{ awk '{print $14 + $15 + $16 + $17}' "/proc/$sv/stat"
		  for c in $(pgrep -P "$sv"); do awk '{print $14 + $15}' "/proc/$c/stat" 2>/dev/null; done
		} | awk '{s += $1} END {print s}'
	}
	if grep -q 'serve: started' "$W/serve.log"; then
		split -n l/$PAR -d "$W/mix-d.list" "$W/lpart."
		c0=$(sv_ticks); a=$(date +%s.%N)
		pids=
		for p in "$W"/lpart.??; do
			xargs /usr/bin/python3 "$BIN/lmtp-client.py" "$W/lmtp.sock" < "$p" > "$p.out" 2>&1 &
			pids="$pids $!"
		done
		wait $pids
		b=$(date +%s.%N); c1=$(sv_ticks)
		ok=$(cat "$W"/lpart.??.out | grep -c '^END 250' || true)
		n=$(wc -l < "$W/mix-d.list")
		echo "keymail serve (LMTP)|$(awk -v a="$a" -v b="$b" -v n="$n" -v c0="$c0" -v c1="$c1" -v hz="$(getconf CLK_TCK)" -v ok="$ok" \
		    'BEGIN {printf "%.2f %.1f %.2f %d", b - a, n / (b - a), (c1 - c0) / hz, n - ok}')" >> "$W/mail.txt"
		rm -f "$W"/lpart.*
	else
		echo "keymail serve (LMTP)|not measured: keymail serve did not start (serve.log)" >> "$W/mail.txt"
	fi
	kill -TERM "$sv" 2>/dev/null; wait "$sv" 2>/dev/null || true
else
	echo "keymail serve (LMTP)|not measured: this build has no keymail serve" >> "$W/mail.txt"
fi
MAILN=$(wc -l < "$W/mix-a.list")

# ---- latency and flatness ------------------------------------------------------
lat() {	# lat TIMEIT-ARGS...: "median p90 p99"
	"$TI" -n "$RUNS" -w "$WARM" "$@" 2>>"$W/timeit.err" | cut -d' ' -f1-3
}
: > "$W/lat.txt"
: > "$W/timeit.err"
km_import km1k "$W/syn1k.gpg" > /dev/null
onak_import s1k "$W/syn1k.gpg" > /dev/null
latency() {	# latency LABEL KMDB [ONAKNAME]
	log "latency on the $1 store"
	export KEYMAIL_CONF="$W/$2.conf"
	if [ -n "${3:-}" ]; then
		oi=$W/onak-$3/onak.ini
		echo "$1|keymail get 0xKEYID|$(lat -- "$KM" get "0x$KEYID")|$(lat -- "$ONAK" -c "$oi" get "0x$KEYID")" >> "$W/lat.txt"
		echo "$1|keymail index EMAIL|$(lat -- "$KM" index "$EMAIL")|$(lat -- "$ONAK" -c "$oi" index "$EMAIL")" >> "$W/lat.txt"
	else
		echo "$1|keymail get 0xKEYID|$(lat -- "$KM" get "0x$KEYID")|n/a" >> "$W/lat.txt"
		echo "$1|keymail index EMAIL|$(lat -- "$KM" index "$EMAIL")|n/a" >> "$W/lat.txt"
	fi
	unset KEYMAIL_CONF
}
latency "1,000 keys" km1k s1k
[ -n "${BENCH_1M:-}" ] && latency "1,000,000 keys" km1m

# ---- the report ------------------------------------------------------------------
END=$(date -u '+%Y-%m-%d %H:%M UTC')
BUSY_END=$(busy)
f1() { awk -v x="$1" 'BEGIN {printf "%.1f", x}'; }
f2() { awk -v x="$1" 'BEGIN {printf "%.2f", x}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0 && a > 0) printf "%.2f", a / b; else printf "n/a"}'; }
mb() { awk -v k="$1" 'BEGIN {printf "%.0f MB", k / 1024}'; }
fld() { echo "$1" | cut -d' ' -f"$2"; }
vline() { echo "$1" | sed 's/^import: verified //'; }

improw() {	# improw LABEL KM-RESULT ONAK-RESULT FLOOR
	w=$(fld "$2" 1)
	echo "| $1 | $(f2 "$w") s ($(fld "$2" 9) stored) | $(f2 "$4") s | $(ratio "$w" "$4") | $(f2 "$(fld "$3" 1)") s ($(fld "$3" 3) stored) | $(ratio "$w" "$(fld "$3" 1)") | $(f2 "$(fld "$2" 5)") s | $(ratio "$(fld "$2" 5)" "$w") | $(mb "$(fld "$2" 4)") |"
}

{
	echo "# keymail vs onak: benchmark results"
	echo
	echo "Generated by \`make bench$([ -n "${BENCH_1M:-}" ] && echo ' bench-1m' || true)\` (bench/run.sh); do not edit by hand."
	echo
	echo "- Run: $START to $END"
	echo "- keymail: $(cat "$W/version.txt"); onak $(dpkg-query -W -f='${Version}' onak) (db4);"
	echo "  $(/usr/lib/postgresql/*/bin/postgres --version | head -n 1) with fsync on;"
	echo "  libgcrypt $(dpkg-query -W -f='${Version}' libgcrypt20); pgbouncer $(dpkg-query -W -f='${Version}' pgbouncer 2>/dev/null)"
	echo "- Machine: $NCPU CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1),"
	echo "  $(awk '/MemTotal/ {printf "%.1f GB", $2 / 1048576}' /proc/meminfo) RAM, Linux $(uname -r);"
	echo "  one fdatasync of 8 kB on the work directory's disk: ${FSYNC_US:-?} µs (pg_test_fsync)"
	echo "- Other load at the start: $BUSY_START" | sed '2,$s/^/  /'
	echo "- Other load at the end: $BUSY_END" | sed '2,$s/^/  /'
	echo "- Synthetic corpus: bench/kmgen seed $SEED; $N keys in $(f1 "$GENSEC") s ($NCPU threads)$([ -n "${BENCH_1M:-}" ] && echo "; 1,000,000 keys in $(f1 "$GEN1MSEC") s" || true)."
	echo "  GnuPG check of the first 200: $GPG_IMPORTED imported, $GPG_GOOD of $GPG_SIGS signatures good."
	echo
	echo "## What a verification costs"
	echo
	echo "bench/vcost: CPU time of one gcry_pk_verify, median of 5 rounds (RSA"
	echo "at the size named, RSA>4096 at 8192 bits; DSA 1024; ECDSA P-256; EdDSA"
	echo "Ed25519), in µs:"
	echo
	echo "| $(cut -d' ' -f1 "$W/vcost.txt" | tr '\n' '|' | sed 's/|$//; s/|/ | /g') |"
	echo "|$(sed 's/.*/---|/' "$W/vcost.txt" | tr -d '\n')"
	echo "| $(cut -d' ' -f2 "$W/vcost.txt" | tr '\n' '|' | sed 's/|$//; s/|/ | /g') |"
	echo
	echo "## Import"
	echo
	echo "keymail: \`keymail import -s FILE\` into an empty store (every self-signature"
	echo "verified, $NCPU checking threads), median of 3; the crypto floor is its"
	echo "verifications (below) times their cost (above) over $NCPU CPUs. onak:"
	echo "\`onak -b add < FILE\` into an empty db4 store (it checks hash prefixes"
	echo "only), median of 3. Re-import: the same file into keymail's full store."
	echo "Peak RSS: keymail's process (its PostgreSQL server not included)."
	echo
	echo "| corpus | keymail | crypto floor | / floor (≤ 1.5) | onak | / onak (≤ 0.75) | re-import | / first (≤ 0.10) | keymail peak RSS |"
	echo "|---|---|---|---|---|---|---|---|---|"
	improw "debian-keyring (905 keys)" "$KMDEB" "$ONDEB" "$DEBFLOOR"
	improw "synthetic, $(commas "$N") keys" "$KMSYN" "$ONSYN" "$SYNFLOOR"
	if [ -n "${BENCH_1M:-}" ]; then
		w=$(fld "$KM1M" 1)
		echo "| synthetic, 1,000,000 keys (target < 300 s) | $(f2 "$w") s ($(fld "$KM1M" 9) stored) | $(f2 "$FLOOR1M") s | $(ratio "$w" "$FLOOR1M") | not run | | $(f2 "$(fld "$KM1M" 5)") s | $(ratio "$(fld "$KM1M" 5)" "$w") | $(mb "$(fld "$KM1M" 4)") |"
	fi
	echo
	echo "Verifications (first import; the re-import's line below it):"
	echo
	echo "- debian-keyring: $(vline "$DEBVER")"
	echo "  again: $(vline "$(cat "$W/kmdeb.reverified")")"
	echo "- synthetic: $(vline "$SYNVER")"
	echo "  again: $(vline "$(cat "$W/kmsyn.reverified")")"
	[ -n "${BENCH_1M:-}" ] && echo "- 1,000,000 synthetic: $(vline "$VER1M")"
	echo
	echo "CPU of the median first import (keymail user + system, its PostgreSQL"
	echo "server), and what that CPU alone takes on $NCPU CPUs with nothing else running:"
	echo
	for x in "debian-keyring|$KMDEB|$DEBFLOOR" "synthetic|$KMSYN|$SYNFLOOR"; do
		IFS='|' read -r name res fl <<EOX
$x
EOX
		k=$(awk -v u="$(fld "$res" 2)" -v s="$(fld "$res" 3)" 'BEGIN {printf "%.2f", u + s}')
		sv=$(fld "$res" 10)
		id=$(awk -v k="$k" -v s="$sv" -v n="$NCPU" 'BEGIN {printf "%.2f", (k + s) / n}')
		echo "- $name: keymail $k s, server $sv s; ($k + $sv) / $NCPU = $id s, $(ratio "$id" "$fl") x the floor"
	done
	echo
	echo "The same against onak's CPU (user + system of \`onak -b add\`, the median"
	echo "run; onak is one process and also waits for its db4 writes, so its"
	echo "CPU is a lower bound of its time on an idle machine):"
	echo
	for x in "debian-keyring|$KMDEB|$ONDEB" "synthetic|$KMSYN|$ONSYN"; do
		IFS='|' read -r name res on <<EOX
$x
EOX
		k=$(awk -v u="$(fld "$res" 2)" -v s="$(fld "$res" 3)" -v v="$(fld "$res" 10)" -v n="$NCPU" 'BEGIN {printf "%.2f", (u + s + v) / n}')
		o=$(awk -v u="$(fld "$on" 4)" -v s="$(fld "$on" 5)" 'BEGIN {printf "%.2f", u + s}')
		echo "- $name: keymail $k s (above) against onak $o s of CPU: $(ratio "$k" "$o") (≤ 0.75)"
	done
	echo
	echo "All runs, \"wall user sys rss\" of the first import, the same of the"
	echo "re-import, keys stored, server CPU s; onak \"wall rss stored user sys\":"
	echo
	echo '```'
	sed 's/^/keymail debian-keyring: /' "$W/km-deb.txt"
	sed 's/^/onak    debian-keyring: /' "$W/on-deb.txt"
	sed 's/^/onak    debian-keyring, verify_signatures=true: /' "$W/onv-deb.txt"
	sed 's/^/keymail synthetic: /' "$W/km-syn.txt"
	sed 's/^/onak    synthetic: /' "$W/on-syn.txt"
	echo '```'
	echo
	echo "Store size on disk per key (keymail: pg_total_relation_size of every"
	echo "table, indexes and TOAST included, over the number of keys; onak: its"
	echo "db4 files): debian-keyring $KMDEB_SIZE B against $ONDEB_SIZE B ($(ratio "$KMDEB_SIZE" "$ONDEB_SIZE")),"
	echo "synthetic $KMSYN_SIZE B against $ONSYN_SIZE B ($(ratio "$KMSYN_SIZE" "$ONSYN_SIZE"))$([ -n "${BENCH_1M:-}" ] && echo ", 1,000,000 keys $KM1M_SIZE B" || true)."
	echo
	echo "## Mail throughput"
	echo
	echo "$MAILN mails ($MIX each of ADD of a stored key, ADD of a new key, GET 0xKEYID"
	echo "and INDEX EMAIL of keys spread over the store, interleaved, each from"
	echo "its own sender), delivered $PAR at a time (bench/deliver: one process"
	echo "per mail with the mail on its standard input, as an MTA's pipe"
	echo "delivery) into the synthetic stores of $(commas "$N") keys. onak-mail.pl spools"
	echo "each mail and handles the spool under a lock; the clock runs until"
	echo "its spool is empty. onak-mail.pl answers no GET (it ignores it)."
	echo "keymail serve: the same kind of stream (its own new keys) over its"
	echo "LMTP socket, 4 workers, 4 sessions at once (tests/lmtp-client.py);"
	echo "failed: mails without a 250 reply. Replies go to /bin/cat."
	echo
	echo "| robot | seconds | mails/s | CPU s (robot's processes) | failed | / onak |"
	echo "|---|---|---|---|---|---|"
	on=$(grep '^onak' "$W/mail.txt" | cut -d'|' -f2 | cut -d' ' -f2)
	while IFS='|' read -r label res; do
		case $res in
		not*) echo "| $label | $res | | | | |" ;;
		*) set -- $res; echo "| $label | $(f2 "$1") | $(f1 "$2") | $(f2 "$3") | $4 | $(ratio "$2" "$on") |" ;;
		esac
	done < "$W/mail.txt"
	echo
	echo "Targets: keymail filter straight to PostgreSQL ≥ 2 × onak; through LMTP ≥ 10 ×."
	echo
	echo "## Lookup latency (whole process)"
	echo
	echo "Median / p90 / p99 in ms over $RUNS runs (after $WARM warm-up runs), each a"
	echo "fresh process (bench/timeit). GET asks for key 500's 64-bit key ID"
	echo "(0x$KEYID); INDEX for its e-mail address ($EMAIL)."
	echo
	echo "| store | command | keymail | onak |"
	echo "|---|---|---|---|"
	while IFS='|' read -r store what k o; do
		km=$(echo "$k" | awk '{printf "%.2f / %.2f / %.2f", $1, $2, $3}')
		case $o in n/a*) on=$o ;; *) on=$(echo "$o" | awk '{printf "%.2f / %.2f / %.2f", $1, $2, $3}') ;; esac
		echo "| $store | $what | $km | $on |"
	done < "$W/lat.txt"
	if [ -n "${BENCH_1M:-}" ]; then
		echo
		echo "Flatness (keymail p99 at 1,000,000 keys over p99 at 1,000 keys; target ≤ 1.5):"
		for c in "keymail get" "keymail index"; do
			a=$(grep "^1,000 keys|$c" "$W/lat.txt" | cut -d'|' -f3 | cut -d' ' -f3)
			b=$(grep "^1,000,000 keys|$c" "$W/lat.txt" | cut -d'|' -f3 | cut -d' ' -f3)
			echo "- $c: $(ratio "$b" "$a")"
		done
	fi
	if [ -s "$W/timeit.err" ] || [ -s "$W/deliver.err" ]; then
		echo
		echo "Runs that failed:"
		echo
		cat "$W/timeit.err" "$W/deliver.err" 2>/dev/null | sed 's/^/    /'
	fi
} > "$R"
log "done: $(($(date +%s) - T0)) s"
