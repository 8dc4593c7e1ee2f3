# keymail initdb creates the schema and is idempotent; bad config exits 78.
. "$KM_TOP/tests/lib.sh"
km_newdb initdb
check "initdb a second time" "$KEYMAIL" initdb
n=$(psql "$KM_DB" -Atc "select count(*) from information_schema.tables where table_name in ('keys','keyids','key_words')")
check_eq "schema tables" "$n" 3
printf 'no_such_key = 1\n' > "$T/bad.conf"
"$KEYMAIL" -c "$T/bad.conf" initdb 2>/dev/null; check_eq "unknown config key -> EX_CONFIG" $? 78
"$KEYMAIL" -c "$T/missing.conf" initdb 2>/dev/null; check_eq "missing config -> EX_CONFIG" $? 78
"$KEYMAIL" 2>/dev/null; check_eq "no subcommand -> EX_USAGE" $? 64
km_done
