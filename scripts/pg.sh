#!/bin/sh
# scripts/pg.sh - a private PostgreSQL server under a local directory.
#
#   sh scripts/pg.sh start DIR   create (if needed) and start; prints the
#                                libpq connection string on stdout
#   sh scripts/pg.sh stop DIR    stop it (fast shutdown)
#   sh scripts/pg.sh kill DIR    stop it abruptly (immediate shutdown)
#   sh scripts/pg.sh standby DIR PRIMARY_DIR
#                                a streaming hot standby of the server
#                                under PRIMARY_DIR (pg_basebackup -R, if
#                                DIR holds none yet), started; prints its
#                                connection string (stop/kill it as above)
#
# KM_PG_OPTS adds server options at start (they win over ours: the
# benchmarks put back fsync=on, since they measure durable commits).
# The server listens only on a unix socket inside DIR (no TCP port, so
# parallel runs never collide) and trusts local connections. PostgreSQL
# refuses to run as root: when we are root, the server runs as the
# unprivileged system user "keymail" (created if missing) and DIR is
# handed to it.
set -eu

cmd=${1:?usage: pg.sh start|stop|kill|standby DIR [PRIMARY_DIR]}
dir=${2:?usage: pg.sh start|stop|kill|standby DIR [PRIMARY_DIR]}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$pgbin" ] || { echo "pg.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 69; }

run() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u keymail -- "$@"
	else
		"$@"
	fi
}

if [ "$(id -u)" = 0 ]; then
	id keymail >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin keymail
	chown keymail "$dir"
	# The server must be able to reach DIR: open up the path's directories for traversal only.
	d=$dir
	while [ "$d" != / ]; do d=$(dirname "$d"); chmod o+x "$d" 2>/dev/null || true; done
	dbuser=keymail
else
	dbuser=$(id -un)
fi

case $cmd in
standby)
	src=${3:?usage: pg.sh standby DIR PRIMARY_DIR}
	src=$(cd "$src" && pwd)
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		# -R writes standby.signal and primary_conninfo; the copy of a
		# trust-authenticated local server needs no password; -N: no
		# fsync of the copy (a test server, as fsync=off below).
		run "$pgbin/pg_basebackup" -h "$src" -U "$dbuser" -D "$dir/data" -R -N \
		    -X stream -c fast >"$dir/basebackup.log" 2>&1 ||
		    { cat "$dir/basebackup.log" >&2; exit 1; }
	fi
	if ! run "$pgbin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		run "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		    -o "-k $dir -c listen_addresses= -c fsync=off -c max_connections=100 ${KM_PG_OPTS:-}" start >/dev/null ||
		    { cat "$dir/server.log" >&2; exit 1; }
	fi
	echo "host=$dir user=$dbuser dbname=keymail"
	;;
start)
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		run "$pgbin/initdb" -D "$dir/data" -A trust -U "$dbuser" -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
		    { cat "$dir/initdb.log" >&2; exit 1; }
	fi
	if ! run "$pgbin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		run "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		    -o "-k $dir -c listen_addresses= -c fsync=off -c max_connections=100 ${KM_PG_OPTS:-}" start >/dev/null ||
		    { cat "$dir/server.log" >&2; exit 1; }
	fi
	if ! run "$pgbin/psql" -h "$dir" -U "$dbuser" -d postgres -Atc "select 1 from pg_database where datname='keymail'" | grep -q 1; then
		run "$pgbin/createdb" -h "$dir" -U "$dbuser" keymail
	fi
	echo "host=$dir user=$dbuser dbname=keymail"
	;;
stop)
	run "$pgbin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
	;;
kill)
	run "$pgbin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
	;;
*)
	echo "usage: pg.sh start|stop|kill|standby DIR [PRIMARY_DIR]" >&2; exit 64 ;;
esac
