#!/bin/sh
# bench/mailpath.sh BUILD_DIR - where the milliseconds of one GET mail go
# (issue 14, "measure with perf and say what each remaining millisecond
# is"). Not part of `make check` or `make bench`; needs root (perf
# record -a sees the PostgreSQL server; keymail and the server run as the
# user "keymail", as in the tests) and perf, pgbouncer, msmtp.
#
# On a store of 1,000 synthetic keys (bench/kmgen, seed 1) in a private
# PostgreSQL server (fsync on), one GET 0xKEYID mail, replies through the
# real msmtp into bench/mailpath.py's SMTP sink:
#   1. wall-clock phases of `keymail filter`, straight to PostgreSQL and
#      through pgbouncer (session pooling, warm pool): perf trace of
#      MAILPATH_N runs (20), syscall entry times as phase marks
#   2. CPU: perf stat task-clock of keymail alone, with its mailer, of
#      `keymail --version`, `msmtp --version`, /bin/true (run as keymail);
#      the server's CPU from /proc (its reaped and live children)
#   3. CPU by what it is: perf record -a -g (10 kHz cpu-clock; its own
#      interrupts inflate the absolute figures by some 30 %, the shares
#      hold) of 30 mails each: filter direct, filter through pgbouncer,
#      keymail serve's LMTP (1 worker, one session)
#   4. LMTP wall-clock phases of the worker (perf trace -a)
# Output on stdout; work files in MAILPATH_DIR ($B/mailpath), whose
# PostgreSQL data directory is removed at the end.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "${1:-build}" && pwd)
W=${MAILPATH_DIR:-$B/mailpath}
N=${MAILPATH_N:-20}
[ "$(id -u)" = 0 ] || { echo "mailpath.sh: run as root (perf -a, setpriv)" >&2; exit 77; }
id keymail >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin keymail
AS="setpriv --reuid=keymail --regid=keymail --init-groups --"
PY="/usr/bin/python3 $W/mailpath.py"
rm -rf "$W"; mkdir -p "$W"
cp "$B/keymail" "$B/bench/kmgen" "$top/bench/mailpath.py" "$W/"
cp -R "$top/help" "$W/help"
d=$W; while [ "$d" != / ]; do d=$(dirname "$d"); chmod o+x "$d" 2>/dev/null || true; done
chown -R keymail "$W"; chmod -R a+rX "$W"
KM=$W/keymail
cleanup() {
	for f in serve.pid sink.pid pgb/pgbouncer.pid; do
		[ -f "$W/$f" ] && kill "$(cat "$W/$f")" 2>/dev/null || true
	done
	sh "$top/scripts/pg.sh" stop "$W/pg" >/dev/null 2>&1 || true
	rm -rf "$W/pg"
}
trap cleanup EXIT INT TERM

KM_PG_OPTS="-c fsync=on" sh "$top/scripts/pg.sh" start "$W/pg" >/dev/null
pm=$(head -n 1 "$W/pg/data/postmaster.pid")
psql "host=$W/pg user=keymail dbname=postgres" -qc "create database km1k"
"$W/kmgen" -n 1000 -s 1 -j 1 -o "$W/syn1k.gpg" -l "$W/syn1k.list"
keyid=$(sed -n 501p "$W/syn1k.list" | cut -d' ' -f3)

# the SMTP sink and msmtp
$AS $PY sink "$W/sink.port" > "$W/sink.log" 2>&1 &
echo $! > "$W/sink.pid"
i=0; while [ ! -s "$W/sink.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
cat > "$W/msmtprc" <<EOC
defaults
auth off
tls off
account default
host 127.0.0.1
port $(cat "$W/sink.port")
from pgp-public-keys@keys.test.example
EOC
chown keymail "$W/msmtprc"; chmod 600 "$W/msmtprc"
conf() {	# conf NAME DATABASE [EXTRA LINE]
	{
		echo "database = $2"
		echo "address = pgp-public-keys@keys.test.example"
		echo "sendmail = /usr/bin/msmtp -C $W/msmtprc -t"
		echo "help_dir = $W/help"
		echo "max_replies_per_hour = 1000000000"
		echo "max_domain_replies_per_hour = 1000000000"
		echo "max_total_replies_per_hour = 1000000000"
		[ -z "${3:-}" ] || printf '%s\n' "$3"
	} > "$W/$1.conf"
	chmod 644 "$W/$1.conf"
}
conf direct "host=$W/pg user=keymail dbname=km1k"
conf pgb "host=$W/pgb port=6439 user=keymail dbname=km1k"
conf lmtp "host=$W/pg user=keymail dbname=km1k" "lmtp_listen = $W/lmtp.sock
serve_workers = 1"
$AS env HOME="$W" KEYMAIL_CONF="$W/direct.conf" "$KM" initdb >/dev/null
$AS env HOME="$W" KEYMAIL_CONF="$W/direct.conf" "$KM" import -q "$W/syn1k.gpg"
cat > "$W/get.eml" <<EOM
From: Alice Tester <alice@example.org>
To: pgp-public-keys@keys.test.example
Subject: GET 0x$keyid
Message-ID: <mailpath@example.org>
Date: Mon, 07 Dec 2026 10:00:00 +0000

EOM

# pgbouncer, session pooling, as bench/run.sh runs it
mkdir -p "$W/pgb"
echo '"keymail" ""' > "$W/pgb/users.txt"
cat > "$W/pgb/pgbouncer.ini" <<EOC
[databases]
* = host=$W/pg
[pgbouncer]
listen_port = 6439
unix_socket_dir = $W/pgb
auth_type = trust
auth_file = $W/pgb/users.txt
pool_mode = session
max_client_conn = 100
default_pool_size = 4
logfile = $W/pgb/pgbouncer.log
pidfile = $W/pgb/pgbouncer.pid
EOC
chown -R keymail "$W/pgb"
$AS /usr/sbin/pgbouncer -d -q "$W/pgb/pgbouncer.ini"
i=0; while [ ! -S "$W/pgb/.s.PGSQL.6439" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done

filter() { $AS env HOME="$W" KEYMAIL_CONF="$W/$1.conf" "$KM" filter < "$W/get.eml" 2>/dev/null; }
for c in direct pgb direct pgb; do filter $c; done	# warm caches and the pool

echo "# mailpath.sh: $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg), keymail $(git -C "$top" rev-parse --short HEAD 2>/dev/null)"
echo "# shared objects keymail loads: $(ldd "$KM" | grep -c '=>')"

# 1. wall-clock phases
for c in direct pgb; do
	for i in $(seq 1 "$N"); do
		perf trace -T -e execve,arch_prctl,munmap,getuid,connect,recvfrom,clone,exit_group \
		    -o "$W/tr-$c.$i" -- $AS env HOME="$W" KEYMAIL_CONF="$W/$c.conf" "$KM" filter \
		    < "$W/get.eml" 2>/dev/null
	done
	echo; echo "## 1. keymail filter, $c: wall-clock phases (perf trace -T, $N runs)"
	$PY phases "$W"/tr-"$c".*
done

# 2. CPU totals
med() { grep "$1" "$2" | cut -d, -f1 | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
pstat() {	# pstat LABEL CONF PERF-OPTION CMD...: median task-clock of 30 runs
	label=$1; c=$2; opt=$3; shift 3
	rm -f "$W/ps.csv"
	for i in $(seq 1 30); do
		$AS env HOME="$W" KEYMAIL_CONF="$W/$c.conf" perf stat -x, $opt -e task-clock,page-faults \
		    -o "$W/ps.csv" --append -- "$@" < "$W/get.eml" > /dev/null 2>&1
	done
	echo "  $label: $(med task-clock "$W/ps.csv") ms CPU, $(med page-faults "$W/ps.csv") page faults (median of 30)"
}
srv() {
	{ awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat"
	  for c in $(pgrep -P "$pm"); do awk '{print $14 + $15}' "/proc/$c/stat" 2>/dev/null; done
	} | awk '{s += $1} END {print s}'
}
echo; echo "## 2. CPU (perf stat -e task-clock as the user keymail; the server from /proc)"
pstat "/bin/true" direct --no-inherit /bin/true
pstat "keymail --version (start-up and exit only)" direct --no-inherit "$KM" --version
pstat "msmtp --version" direct --no-inherit /usr/bin/msmtp --version
for c in direct pgb; do
	pstat "keymail filter, $c, its process alone" $c --no-inherit "$KM" filter
	s0=$(srv)
	pstat "keymail filter, $c, with its mailer" $c "" "$KM" filter
	sleep 0.3
	awk -v a="$s0" -v b="$(srv)" -v hz="$(getconf CLK_TCK)" -v c=$c \
	    'BEGIN {printf "  PostgreSQL server, %s: %.2f ms CPU per mail (/proc, 30 mails)\n", c, (b - a) * 1000 / hz / 30}'
done

# 3. CPU by what it is
rec() {	# rec NAME CMD...: perf record -a -g around CMD
	name=$1; shift
	perf record -q -a -g -F 10000 -e cpu-clock -e sched:sched_process_fork -o "$W/rec-$name.data" 2>/dev/null &
	p=$!; sleep 0.5
	"$@"
	kill -INT $p; wait $p || true
	perf script -i "$W/rec-$name.data" -F comm,pid,event,period,ip,sym,dso,trace 2>/dev/null > "$W/rec-$name.txt"
	rm -f "$W/rec-$name.data"
}
backends() { ps -o pid=,args= --ppid "$pm" | awk '/km1k/ {print $1}' | tr '\n' ',' | sed 's/,$//'; }
for c in direct pgb; do
	loop() { for i in $(seq 1 30); do filter $c; done; }
	backends > "$W/kids-$c"
	rec $c loop
	echo; echo "## 3. keymail filter, $c: CPU per mail by what it is (perf record -a -g, 30 mails)"
	$PY cpu "$W/rec-$c.txt" "$W/kids-$c" 30 "$pm"
done

# keymail serve, LMTP, one worker, one session
rm -f "$W/lmtp.sock"
$AS env HOME="$W" KEYMAIL_CONF="$W/lmtp.conf" "$KM" serve > /dev/null 2> "$W/serve.log" &
echo $! > "$W/serve.pid"
i=0; until grep -q 'serve: started' "$W/serve.log" 2>/dev/null || [ $i -gt 300 ]; do sleep 0.1; i=$((i + 1)); done
wk=$(pgrep -P "$(cat "$W/serve.pid")" | head -n 1)
$PY lmtp "$W/lmtp.sock" "$W/get.eml" 5 > /dev/null	# its connection and caches warm
backends > "$W/kids-lmtp"
echo; echo "## 3. keymail serve, LMTP: CPU per mail by what it is (perf record -a -g, 30 mails, one session)"
rec lmtp $PY lmtp "$W/lmtp.sock" "$W/get.eml" 30
$PY cpu "$W/rec-lmtp.txt" "$W/kids-lmtp" 30 "$pm" "$wk"
echo; echo "## 4. keymail serve, LMTP: the worker's phases per message (perf trace -a -T, $N mails, one session)"
perf trace -a -T -e execve,connect,recvfrom,read,sendto,clone,exit_group -o "$W/lt.txt" 2>/dev/null &
p=$!; sleep 1
$PY lmtp "$W/lmtp.sock" "$W/get.eml" "$N"
sleep 0.3; kill -INT $p; wait $p || true
$PY lphases "$W/lt.txt" "$wk"
echo; echo "# load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
