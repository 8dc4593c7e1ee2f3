#!/bin/sh
# bench/run.sh BUILD_DIR - `make bench` and `make bench-1m`: keymail and
# onak (Debian's, db4 backend) side by side, same keys, same machine, same
# run; the table goes to bench/RESULTS.md.
#
# Measures
#   import   keys/s and peak RSS (/usr/bin/time) for debian-keyring (905
#            real keys; median of 3 runs into empty stores) and for a
#            synthetic corpus (bench/kmgen, 100,000 keys; 1,000,000 with
#            BENCH_1M=1); onak with `-b add`, without and (debian-keyring)
#            with verify_signatures; store size on disk per key
#   latency  whole process, median / p90 / p99 of BENCH_RUNS runs
#            (bench/timeit: fork to waitpid, no shell): `keymail get`,
#            `keymail index`, and `keymail filter` on ADD (new key, known
#            key), GET and INDEX mails, on stores of 1,000 and 100,000 keys
#            (and 1,000,000); onak get / index and onak-mail.pl likewise
#            (it has no GET)
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
# Environment: BENCH_RUNS (200), BENCH_N (100000), BENCH_SEED (1),
# BENCH_1M (unset), BENCH_DIR, BENCH_PROFILE_ONLY (unset), BENCH_ONLY
# (recon: only bench/recon.sh, the reconciliation figures, which a full
# run appends too; BENCH_RECON_N sets its store size, 100000).
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
	cp "$B/keymail" "$B/bench/kmgen" "$top/bench/run.sh" "$top/bench/mkmails.py" \
	    "$top/scripts/pg.sh" "$W/bin/"
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
			    "$W/km1k.conf" > "$W/prof.conf"
			chmod 644 "$W/prof.conf"
			$as env KEYMAIL_CONF="$W/prof.conf" "$W/bin/keymail" initdb
			# the import and, once it has connected, its server backend
			$as env KEYMAIL_CONF="$W/prof.conf" "$W/bin/keymail" import -q "$2" \
			    >/dev/null 2>&1 &
			k=$!
			b=
			while [ -z "$b" ] && kill -0 $k 2>/dev/null; do
				b=$(psql "host=$pg user=keymail dbname=postgres" -Atc "select pid
				    from pg_stat_activity where datname = 'kmprof' and
				    application_name = 'keymail'" 2>/dev/null)
				[ -n "$b" ] || sleep 0.05
			done
			echo "$k" > "$W/prof.pids"
			echo "$b" >> "$W/prof.pids"
			[ -n "$b" ] && perf record -q -p "$k,$b" -o "$W/perf.data" 2>/dev/null || true
			wait $k || true
			pids=$(grep -E '^[0-9]+$' "$W/prof.pids" | sort -u | tr '\n' ',' | sed 's/,$//')
			{
				echo
				echo "### Where an import of $1 spends its time"
				echo
				echo "\`perf record -p\` on the keymail process (all its threads) and its"
				echo "PostgreSQL backend (pids $pids; nothing else on the machine), from the"
				echo "backend's first query to the end: \`perf report --sort comm,dso\`, top 12."
				echo
				echo '```'
				perf report -i "$W/perf.data" --sort comm,dso --stdio 2>/dev/null |
				    grep '%' | grep -v '^#' | head -n 12
				echo '```'
			} >> "$W/RESULTS.md"
			rm -f "$W/perf.data" "$W/perf.data.old"
		}
		prof "debian-keyring" /usr/share/keyrings/debian-keyring.gpg
		[ -f "$W/syn20k.gpg" ] && prof "20,000 synthetic keys" "$W/syn20k.gpg"
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
N=${BENCH_N:-100000}
KM=$BIN/keymail
GEN=$BIN/kmgen
TI=$BIN/timeit
MM="/usr/bin/python3 $BIN/mkmails.py"
DEB=/usr/share/keyrings/debian-keyring.gpg
ONAK=/usr/bin/onak
ONAKMAIL=/usr/lib/x86_64-linux-gnu/onak/onak-mail.pl
R=$W/RESULTS.md
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
trap 'sh "$BIN/pg.sh" stop "$pg" >/dev/null 2>&1 || true' EXIT INT TERM

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

timed() {	# timed OUT CMD...: elapsed seconds and max RSS (KB) into OUT.time
	out=$1
	shift
	/usr/bin/time -f '%e %M' -o "$out.time" "$@" 2>/dev/null || true
}

# ---- corpora -----------------------------------------------------------------
ck=$(cksum < "$GEN" | cut -d' ' -f1)
SYN=$C/syn-$N-s$SEED-$ck.gpg
if [ ! -s "$SYN" ]; then
	rm -f "$C"/syn-"$N"-s"$SEED"-*.gpg "$C"/syn-"$N"-s"$SEED"-*.list
	log "generating $N synthetic keys"
	t=$(date +%s.%N)
	"$GEN" -n "$N" -s "$SEED" -j "$(nproc)" -o "$SYN.tmp" -l "$SYN.list"
	echo "$N $(awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')" > "$SYN.gen"
	mv "$SYN.tmp" "$SYN"
fi
read -r _ GENSEC < "$SYN.gen"
$MM head 1000 "$SYN" "$W/syn1k.gpg"
$MM head 20000 "$SYN" "$W/syn20k.gpg"
$MM head 5000 "$SYN" "$W/syn5k.gpg"
"$GEN" -f 5000000 -n $((RUNS + WARM)) -s "$SEED" -o "$W/new.gpg"
$MM add "$W/new.gpg" "$W/mail-new" "$W/new.list"

# GnuPG must accept a sample, every signature good.
rm -rf "$W/gnupg"; mkdir -m 700 "$W/gnupg"
$MM head 200 "$SYN" "$W/sample.gpg"
GNUPGHOME=$W/gnupg gpg --batch --import "$W/sample.gpg" 2>"$W/gpg-import.log" || true
GNUPGHOME=$W/gnupg gpg --batch --check-sigs 2>/dev/null > "$W/gpg-sigs.txt" || true
GPG_IMPORTED=$(sed -n 's/.*imported: \([0-9]*\).*/\1/p' "$W/gpg-import.log")
GPG_SIGS=$(grep -c '^sig' "$W/gpg-sigs.txt" || true)
GPG_GOOD=$(grep -c '^sig!' "$W/gpg-sigs.txt" || true)

# the key that GET and INDEX ask for: key 500, in every store
line=$(sed -n '501p' "$SYN.list")
KEYID=$(echo "$line" | cut -d' ' -f3)
EMAIL=$(echo "$line" | sed 's/.*<\(.*\)>.*/\1/')
$MM cmd "GET 0x$KEYID" $((RUNS + WARM)) "$W/mail-get" "$W/get.list"
$MM cmd "INDEX $EMAIL" $((RUNS + WARM)) "$W/mail-index" "$W/index.list"
$MM add "$W/syn1k.gpg" "$W/mail-known1k" "$W/known-all.list"
sed -n '501p' "$W/known-all.list" > "$W/known.list"

# ---- import throughput -------------------------------------------------------
commas() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }

km_import() {	# km_import DB FILE: elapsed RSS stored refused
	newdb "$1" >/dev/null
	timed "$W/t" env KEYMAIL_CONF="$W/$1.conf" "$KM" import -q "$2"
	echo "$(cat "$W/t.time") $(kmcount "$1")"
}
# The same with the MGET user-ID trigger of sql/002 (keys_uids_insert, a
# PL/pgSQL packet parser run for every inserted key) switched off, to show
# what it costs; a reference row, not the product as shipped.
km_import_notrig() {
	newdb "$1" >/dev/null
	psql "$PGC dbname=$1" -qc "DO \$\$ BEGIN IF EXISTS (SELECT 1 FROM pg_trigger
	    WHERE tgname = 'keys_uids_insert') THEN ALTER TABLE keys DISABLE TRIGGER
	    keys_uids_insert; END IF; END \$\$" >/dev/null
	timed "$W/t" env KEYMAIL_CONF="$W/$1.conf" "$KM" import -q "$2"
	echo "$(cat "$W/t.time") $(kmcount "$1")"
}
onak_import() {	# onak_import NAME FILE [verify]: elapsed RSS stored
	newonak "$1" "${3:-}" >/dev/null
	timed "$W/t" sh -c "exec $ONAK -c '$W/onak-$1/onak.ini' -b add < '$2'"
	echo "$(cat "$W/t.time") $(onakcount "$1")"
}

log "import: debian-keyring, 3 times each"
: > "$W/km-deb.txt"; : > "$W/on-deb.txt"; : > "$W/onv-deb.txt"; : > "$W/kmn-deb.txt"
for i in 1 2 3; do
	km_import kmdeb "$DEB" >> "$W/km-deb.txt"
	km_import_notrig kmdebn "$DEB" >> "$W/kmn-deb.txt"
	onak_import deb "$DEB" >> "$W/on-deb.txt"
	onak_import debv "$DEB" verify >> "$W/onv-deb.txt"
done
DEBKEYS=905
pick_med() { sort -n "$1" | sed -n 2p; }	# the run with the median time
KMDEB=$(pick_med "$W/km-deb.txt"); KMNDEB=$(pick_med "$W/kmn-deb.txt"); ONDEB=$(pick_med "$W/on-deb.txt"); ONVDEB=$(pick_med "$W/onv-deb.txt")
KMDEB_SIZE=$(kmsize kmdeb)

# The bulk path itself: keys per transaction and checking threads, on
# 5,000 synthetic keys with the user-ID trigger off (our part only).
log "import: batch sizes"
: > "$W/batch.txt"
for bj in "1 2" "10 2" "100 2" "1000 2" "5000 2" "1000 1"; do
	set -- $bj
	newdb kmbatch >/dev/null
	echo "import_batch = $1" >> "$W/kmbatch.conf"
	psql "$PGC dbname=kmbatch" -qc "ALTER TABLE keys DISABLE TRIGGER keys_uids_insert" >/dev/null 2>&1 || true
	/usr/bin/time -f '%e %U %S %M' -o "$W/t.time" env KEYMAIL_CONF="$W/kmbatch.conf" \
	    "$KM" import -q -j "$2" "$W/syn5k.gpg" 2>/dev/null || true
	echo "$1 $2 $(cat "$W/t.time") $(kmcount kmbatch)" >> "$W/batch.txt"
done
psql "$PGC dbname=postgres" -qc "drop database kmbatch" >/dev/null

log "import: $N synthetic keys"
KMSYN=$(km_import km100k "$SYN")
KMNSYN=$(km_import_notrig km100kn "$SYN")
psql "$PGC dbname=postgres" -qc "drop database km100kn" >/dev/null
ONSYN=$(onak_import s100k "$SYN")
KMSYN_SIZE=$(kmsize km100k)
ONSYN_SIZE=$(onaksize s100k "$(echo "$ONSYN" | cut -d' ' -f3)")
ONDEB_SIZE=$(onaksize deb "$DEBKEYS")

if [ -n "${BENCH_1M:-}" ]; then
	SYN1M=$C/syn-1000000-s$SEED-$ck.gpg
	if [ ! -s "$SYN1M" ]; then
		rm -f "$C"/syn-1000000-s"$SEED"-*
		log "generating 1,000,000 synthetic keys"
		t=$(date +%s.%N)
		"$GEN" -n 1000000 -s "$SEED" -j "$(nproc)" -o "$SYN1M.tmp" -l "$SYN1M.list"
		echo "1000000 $(awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')" > "$SYN1M.gen"
		mv "$SYN1M.tmp" "$SYN1M"
	fi
	read -r _ GEN1MSEC < "$SYN1M.gen"
	log "import: 1,000,000 synthetic keys (keymail)"
	KM1M=$(km_import km1m "$SYN1M")
	log "import: 1,000,000 synthetic keys (keymail, trigger off)"
	KMN1M=$(km_import_notrig km1mn "$SYN1M")
	psql "$PGC dbname=postgres" -qc "drop database km1mn" >/dev/null
	log "import: 1,000,000 synthetic keys (onak)"
	ON1M=$(onak_import s1m "$SYN1M")
	KM1M_SIZE=$(kmsize km1m)
	ON1M_SIZE=$(onaksize s1m "$(echo "$ON1M" | cut -d' ' -f3)")
fi

# ---- latency -------------------------------------------------------------------
lat() {	# lat OUTVAR TIMEIT-ARGS...: "median p90 p99"
	"$TI" -n "$RUNS" -w "$WARM" "$@" 2>>"$W/timeit.err" | cut -d' ' -f1-3
}
latency() {	# latency LABEL KMDB ONAKNAME
	kc=$W/$2.conf
	oi=$W/onak-$3/onak.ini
	om=$W/onak-$3/onak-mail.pl
	log "latency on the $1 store"
	export KEYMAIL_CONF="$kc"
	echo "$1|keymail get 0xKEYID|$(lat -- "$KM" get "0x$KEYID")|$(lat -- "$ONAK" -c "$oi" get "0x$KEYID")" >> "$W/lat.txt"
	echo "$1|keymail index EMAIL|$(lat -- "$KM" index "$EMAIL")|$(lat -- "$ONAK" -c "$oi" index "$EMAIL")" >> "$W/lat.txt"
	echo "$1|filter: GET mail|$(lat -I "$W/get.list" -- "$KM" filter)|n/a (onak-mail.pl has no GET)" >> "$W/lat.txt"
	echo "$1|filter: INDEX mail|$(lat -I "$W/index.list" -- "$KM" filter)|$(lat -I "$W/index.list" -- /usr/bin/perl "$om")" >> "$W/lat.txt"
	echo "$1|filter: ADD, known key|$(lat -I "$W/known.list" -- "$KM" filter)|$(lat -I "$W/known.list" -- /usr/bin/perl "$om")" >> "$W/lat.txt"
	# new keys last: they grow the store (by RUNS + WARM keys)
	echo "$1|filter: ADD, new key|$(lat -I "$W/new.list" -- "$KM" filter)|$(lat -I "$W/new.list" -- /usr/bin/perl "$om")" >> "$W/lat.txt"
	unset KEYMAIL_CONF
}
: > "$W/lat.txt"
: > "$W/timeit.err"
KM1K=$(km_import km1k "$W/syn1k.gpg")
ON1K=$(onak_import s1k "$W/syn1k.gpg")
latency "1,000 keys" km1k s1k
latency "$(commas "$N") keys" km100k s100k
[ -n "${BENCH_1M:-}" ] && latency "1,000,000 keys" km1m s1m

# ---- reference: the same start-up through a connection pooler --------------
# A PostgreSQL backend is forked per connection; pgbouncer keeps server
# connections open, so a run of keymail only connects to the pooler. Not
# the product as documented: a row that shows what this part costs.
: > "$W/latpgb.txt"
if [ -x /usr/sbin/pgbouncer ]; then
	pgb=$W/pgb
	rm -rf "$pgb"
	mkdir -p "$pgb"
	echo "\"$(id -un)\" \"\"" > "$pgb/users.txt"
	cat > "$pgb/pgbouncer.ini" <<EOC
[databases]
* = host=$pg
[pgbouncer]
listen_port = 6432
unix_socket_dir = $pgb
auth_type = trust
auth_file = $pgb/users.txt
pool_mode = transaction
max_client_conn = 100
default_pool_size = 4
logfile = $pgb/pgbouncer.log
pidfile = $pgb/pgbouncer.pid
EOC
	if /usr/sbin/pgbouncer -d -q "$pgb/pgbouncer.ini"; then
		trap 'kill "$(cat "$pgb/pgbouncer.pid" 2>/dev/null)" 2>/dev/null || true; sh "$BIN/pg.sh" stop "$pg" >/dev/null 2>&1 || true' EXIT INT TERM
		sleep 0.5
		latpgb() {	# latpgb LABEL DB
			sed "s|^database = .*|database = host=$pgb port=6432 user=$(id -un) dbname=$2|" \
			    "$W/$2.conf" > "$W/$2-pgb.conf"
			export KEYMAIL_CONF="$W/$2-pgb.conf"
			log "latency on the $1 store, through pgbouncer"
			echo "$1|keymail get 0xKEYID|$(lat -- "$KM" get "0x$KEYID")" >> "$W/latpgb.txt"
			echo "$1|keymail index EMAIL|$(lat -- "$KM" index "$EMAIL")" >> "$W/latpgb.txt"
			echo "$1|filter: GET mail|$(lat -I "$W/get.list" -- "$KM" filter)" >> "$W/latpgb.txt"
			echo "$1|filter: INDEX mail|$(lat -I "$W/index.list" -- "$KM" filter)" >> "$W/latpgb.txt"
			echo "$1|filter: ADD, known key|$(lat -I "$W/known.list" -- "$KM" filter)" >> "$W/latpgb.txt"
			unset KEYMAIL_CONF
		}
		latpgb "1,000 keys" km1k
		[ -n "${BENCH_1M:-}" ] && latpgb "1,000,000 keys" km1m
		kill "$(cat "$pgb/pgbouncer.pid")" 2>/dev/null || true
	fi
fi

# ---- the report ------------------------------------------------------------------
END=$(date -u '+%Y-%m-%d %H:%M UTC')
BUSY_END=$(busy)
f1() { awk -v x="$1" 'BEGIN {printf "%.1f", x}'; }
f2() { awk -v x="$1" 'BEGIN {printf "%.2f", x}'; }
kps() { awk -v n="$1" -v s="$2" 'BEGIN {printf "%.0f", (s > 0 ? n / s : 0)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0 && a > 0) printf "%.2f", a / b; else printf "n/a"}'; }
mb() { awk -v k="$1" 'BEGIN {printf "%.0f MB", k / 1024}'; }
fld() { echo "$1" | cut -d' ' -f"$2"; }

improw() {	# improw LABEL KEYS KM-RESULT ONAK-RESULT ONAK-LABEL TARGET
	kk=$(kps "$2" "$(fld "$3" 1)")
	ok=$(kps "$2" "$(fld "$4" 1)")
	echo "| $1 | $kk keys/s ($(f2 "$(fld "$3" 1)") s, $(fld "$3" 3) stored), $(mb "$(fld "$3" 2)") | $ok keys/s ($(f2 "$(fld "$4" 1)") s, $(fld "$4" 3) stored, $5), $(mb "$(fld "$4" 2)") | $(ratio "$kk" "$ok") | $6 |"
}

{
	echo "# keymail vs onak: benchmark results"
	echo
	echo "Generated by \`make bench$([ -n "${BENCH_1M:-}" ] && echo ' bench-1m' || true)\` (bench/run.sh); do not edit by hand."
	echo
	echo "- Run: $START to $END"
	echo "- keymail: $(cat "$W/version.txt"); onak $(dpkg-query -W -f='${Version}' onak) (db4);"
	echo "  $(/usr/lib/postgresql/*/bin/postgres --version | head -n 1) with fsync on;"
	echo "  libgcrypt $(dpkg-query -W -f='${Version}' libgcrypt20)"
	echo "- Machine: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1),"
	echo "  $(awk '/MemTotal/ {printf "%.1f GB", $2 / 1048576}' /proc/meminfo) RAM, Linux $(uname -r);"
	echo "  one fdatasync of 8 kB on the work directory's disk: ${FSYNC_US:-?} µs (pg_test_fsync)"
	echo "- Other load at the start: $BUSY_START" | sed '2,$s/^/  /'
	echo "- Other load at the end: $BUSY_END" | sed '2,$s/^/  /'
	echo "- Synthetic corpus: bench/kmgen seed $SEED; $N keys in $(f1 "$GENSEC") s ($(kps "$N" "$GENSEC") keys/s, $(nproc) threads)$([ -n "${BENCH_1M:-}" ] && echo "; 1,000,000 keys in $(f1 "$GEN1MSEC") s ($(kps 1000000 "$GEN1MSEC") keys/s)" || true)."
	echo "  GnuPG check of the first 200: $GPG_IMPORTED imported, $GPG_GOOD of $GPG_SIGS signatures good."
	echo
	echo "## Import"
	echo
	echo "keymail: \`keymail import -q FILE\` into an empty store (every self-signature"
	echo "verified, $(nproc) checking threads, batches of 1000 keys per transaction)."
	echo "onak: \`onak -b add < FILE\` into an empty db4 store. Peak RSS of the"
	echo "importing process (keymail's PostgreSQL server not included). Ratio: keymail"
	echo "keys/s over onak keys/s (higher is better for keymail)."
	echo
	echo "| corpus | keymail | onak | keymail/onak | target |"
	echo "|---|---|---|---|---|"
	improw "debian-keyring (905 keys), median of 3" $DEBKEYS "$KMDEB" "$ONDEB" "no signature checks" "≥ 2.00"
	improw "debian-keyring, onak verifying" $DEBKEYS "$KMDEB" "$ONVDEB" "verify_signatures=true" ""
	improw "synthetic, $(commas "$N") keys" "$N" "$KMSYN" "$ONSYN" "no signature checks" ""
	[ -n "${BENCH_1M:-}" ] && improw "synthetic, 1,000,000 keys" 1000000 "$KM1M" "$ON1M" "no signature checks" "keymail < 300 s"
	improw "reference: debian-keyring, keymail without the sql/002 user-ID trigger" $DEBKEYS "$KMNDEB" "$ONDEB" "no signature checks" ""
	improw "reference: synthetic, $(commas "$N") keys, keymail without the trigger" "$N" "$KMNSYN" "$ONSYN" "no signature checks" ""
	[ -n "${BENCH_1M:-}" ] && improw "reference: synthetic, 1,000,000 keys, keymail without the trigger" 1000000 "$KMN1M" "$ON1M" "no signature checks" "keymail < 300 s"
	echo
	echo "The bulk path: 5,000 synthetic keys, user-ID trigger off, by keys per"
	echo "transaction (import_batch) and checking threads (-j); CPU is keymail's own"
	echo "(user + system), the server's is not included."
	echo
	echo "| import_batch | -j | keys/s | wall s | keymail CPU s | peak RSS |"
	echo "|---|---|---|---|---|---|"
	while read -r bs bjobs e u sy rss n; do
		echo "| $bs | $bjobs | $(kps "$n" "$e") | $(f2 "$e") | $(f2 "$(awk -v a="$u" -v b="$sy" 'BEGIN {print a + b}')") | $(mb "$rss") |"
	done < "$W/batch.txt"
	echo
	echo "Store size on disk per key (keymail: pg_total_relation_size of every table,"
	echo "indexes and TOAST included, over the number of keys; onak: its db4 files):"
	echo
	echo "| store | keymail | onak | keymail/onak |"
	echo "|---|---|---|---|"
	echo "| debian-keyring | $KMDEB_SIZE B | $ONDEB_SIZE B | $(ratio "$KMDEB_SIZE" "$ONDEB_SIZE") |"
	echo "| synthetic, $N keys | $KMSYN_SIZE B | $ONSYN_SIZE B | $(ratio "$KMSYN_SIZE" "$ONSYN_SIZE") |"
	[ -n "${BENCH_1M:-}" ] && echo "| synthetic, 1,000,000 keys | $KM1M_SIZE B | $ON1M_SIZE B | $(ratio "$KM1M_SIZE" "$ON1M_SIZE") |"
	echo
	echo "## Latency (whole process)"
	echo
	echo "Median / p90 / p99 in ms over $RUNS runs (after $WARM warm-up runs), each a"
	echo "fresh process (bench/timeit). GET asks for key 500's 64-bit key ID"
	echo "(0x$KEYID); INDEX for its e-mail address ($EMAIL),"
	echo "one match. Mail runs: \`keymail filter\` against \`perl onak-mail.pl\`, each"
	echo "mail from another sender; ADD of a new key uses a new key every run."
	echo "Ratio: keymail median over onak median (lower is better for keymail)."
	echo
	echo "| store | command | keymail | onak | keymail/onak | target |"
	echo "|---|---|---|---|---|---|"
	while IFS='|' read -r store what k o; do
		km=$(echo "$k" | awk '{printf "%.2f / %.2f / %.2f", $1, $2, $3}')
		case $o in n/a*) on=$o; rt=n/a ;;
		*) on=$(echo "$o" | awk '{printf "%.2f / %.2f / %.2f", $1, $2, $3}')
		   rt=$(ratio "$(fld "$k" 1)" "$(fld "$o" 1)") ;;
		esac
		case $what in
		"keymail get"*|"keymail index"*) tg="≤ 0.60" ;;
		*ADD*) tg="≤ 0.33" ;;
		*INDEX*) tg="≤ 0.25" ;;
		*) tg= ;;
		esac
		echo "| $store | $what | $km | $on | $rt | $tg |"
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
	if [ -s "$W/latpgb.txt" ]; then
		echo
		echo "Reference, not the documented setup: keymail connecting through pgbouncer"
		echo "1.18 (transaction pooling, Unix socket) instead of straight to PostgreSQL,"
		echo "which forks a backend per connection. Ratio against onak's median above."
		echo
		echo "| store | command | keymail via pgbouncer | keymail/onak |"
		echo "|---|---|---|---|"
		while IFS='|' read -r store what k; do
			o=$(grep "^$store|$what|" "$W/lat.txt" | cut -d'|' -f4)
			case $o in n/a*|"") rt=n/a ;; *) rt=$(ratio "$(fld "$k" 1)" "$(fld "$o" 1)") ;; esac
			echo "| $store | $what | $(echo "$k" | awk '{printf "%.2f / %.2f / %.2f", $1, $2, $3}') | $rt |"
		done < "$W/latpgb.txt"
	fi
	if [ -s "$W/timeit.err" ]; then
		echo
		echo "Runs that failed (exit status not 0):"
		echo
		sed 's/^/    /' "$W/timeit.err"
	fi
} > "$R"
log "done: $(($(date +%s) - T0)) s"
