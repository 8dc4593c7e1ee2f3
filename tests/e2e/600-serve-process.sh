# keymail serve: command line, exit statuses and the process model
# (server.md 2, 3, 4, 9).
#  - 64 bad usage, 77 as root, 78 for a bad or missing listen key, 71 for
#    an address in use or a socket path that is not ours;
#  - a database that cannot be reached at start is no error: 503 with
#    Retry-After: 30 until it answers;
#  - a worker killed with SIGKILL is logged and replaced; a worker retires
#    after serve_max_requests and is replaced at once;
#  - SIGHUP: an invalid file is logged and the running configuration
#    kept; a valid one is served by new workers; listen changes wait for
#    the next start;
#  - the master killed outright: its workers go too;
#  - SIGTERM: exit 0, "serve: stopped", the port is free again.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/serve-lib.sh"
trap sv_cleanup EXIT
km_newdb serveproc

# Usage and configuration errors, before anything is bound.
"$KEYMAIL" serve extra >/dev/null 2>&1; check_eq "extra argument: 64" $? 64
"$KEYMAIL" serve > "$T/err" 2>&1; check_eq "no listener: 78" $? 78
check "no listener: says so" grep -q 'neither hkp_listen nor lmtp_listen' "$T/err"
cp "$KEYMAIL_CONF" "$T/base.conf"
for bad in "hkp_listen = localhost:11371" "hkp_listen = 127.0.0.1" "hkp_listen = ::1:11371" \
    "hkp_listen = 127.0.0.1:70000" "lmtp_listen = 127.0.0.1:25" "lmtp_listen = relative/path" \
    "serve_workers = 0"; do
	cp "$T/base.conf" "$KEYMAIL_CONF"; sv_conf "$bad"
	"$KEYMAIL" serve > "$T/err" 2>&1
	check_eq "'$bad': 78" $? 78
done
cp "$T/base.conf" "$KEYMAIL_CONF"
if [ "$(id -u)" = 0 ]; then
	"$T/.km/keymail.bin" -c "$KEYMAIL_CONF" serve > "$T/err" 2>&1
	check_eq "as root: 77" $? 77
else
	echo "NOTE: not root: the exit 77 check was not run"
fi

# A database that does not answer at start.
sv_conf "hkp_listen = 127.0.0.1:0" "serve_workers = 1" "serve_max_requests = 3"
sed 's|^database = .*|database = host=/nonexistent-km dbname=nowhere connect_timeout=2|' \
    "$KEYMAIL_CONF" > "$T/nodb.conf"
chmod 644 "$T/nodb.conf"
KEYMAIL_CONF=$T/nodb.conf sv_start
check_eq "database down at start: lookup 503" "$(hkp_get "/pks/lookup?op=get&search=0x0123456789ABCDEF")" 503
check_eq "503 Retry-After" "$(hkp_header Retry-After)" 30
check_eq "database down: / still answers" "$(hkp_get "/")" 200
sv_stop
check_eq "stopped: exit 0" "$sv_rc" 0

sv_start || { km_done; exit 1; }
# Address in use: 71.
cp "$KEYMAIL_CONF" "$T/clash.conf"
sed -i "s|^hkp_listen = .*|hkp_listen = 127.0.0.1:$SV_PORT|" "$T/clash.conf"
KEYMAIL_CONF=$T/clash.conf "$KEYMAIL" serve > "$T/err" 2>&1
check_eq "address in use: 71" $? 71
check "address in use: says where" grep -q "127.0.0.1:$SV_PORT" "$T/err"
# A path that is not a socket: 71, and the file is left alone.
echo keep > "$T/notasocket"; km_give "$T/notasocket"
cp "$T/base.conf" "$T/path.conf"; echo "lmtp_listen = $T/notasocket" >> "$T/path.conf"
KEYMAIL_CONF=$T/path.conf "$KEYMAIL" serve > "$T/err" 2>&1
check_eq "socket path holds a file: 71" $? 71
check_eq "the file is left alone" "$(cat "$T/notasocket")" keep

# Retirement after serve_max_requests (3), replaced at once.
w1=$(sv_workers)
for i in 1 2 3; do hkp_get "/" >/dev/null; done
check "worker retired after 3 requests, replaced" sv_wait sv_log_has "serve: worker $w1 \(hkp\) retired after 3 requests; started [0-9]+"
check_eq "the replacement serves" "$(hkp_get "/")" 200

# A worker killed with SIGKILL is logged and replaced.
w2=$(sv_workers)
kill -KILL "$w2"
check "killed worker is logged" sv_wait sv_log_has "serve: worker $w2 \(hkp\) killed by signal 9"
check "and replaced" sv_wait sh -c "[ -n \"\$(pgrep -P $SV_PID)\" ] && [ \"\$(pgrep -P $SV_PID)\" != $w2 ]"
check_eq "the new worker serves" "$(hkp_get "/")" 200

# SIGHUP with a broken file: logged, running configuration kept.
cp "$KEYMAIL_CONF" "$T/good.conf"
echo "no_such_key = 1" >> "$KEYMAIL_CONF"
kill -HUP "$SV_PID"
check "invalid reload is logged" sv_wait sv_log_has "serve: configuration: .*unknown key 'no_such_key' \(keeping the running configuration\)"
check_eq "still serving" "$(hkp_get "/")" 200
# SIGHUP with a valid file: new workers serve the new configuration.
cp "$T/good.conf" "$KEYMAIL_CONF"
echo "server_name = reloaded.example" >> "$KEYMAIL_CONF"
sed -i 's|^hkp_listen = .*|hkp_listen = 127.0.0.1:1|' "$KEYMAIL_CONF"
kill -HUP "$SV_PID"
check "reload is logged" sv_wait sv_log_has 'serve: reloading configuration'
check "a listen change waits for the next start" sv_log_has 'serve: hkp_listen changed; it takes effect at the next start'
stats_new() { hkp_get "/pks/lookup?op=stats" >/dev/null; grep -q '^server: reloaded.example$' "$T/body"; }
check "new connections get the new configuration" sv_wait stats_new
check_eq "on the old port still" "$(hkp_get "/")" 200

# SIGTERM: every worker gone, exit 0, port free.
workers=$(sv_workers)
sv_stop
check_eq "SIGTERM: exit 0" "$sv_rc" 0
check "serve: stopping logged" sv_log_has 'serve: stopping$'
check "serve: stopped logged" sv_log_has 'serve: stopped$'
for w in $workers; do check "worker $w gone" sh -c "! kill -0 $w 2>/dev/null"; done
st=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SV_PORT/")
check_eq "port closed after stop" "$st" 000

# LMTP on a TCP port too (and both kinds of workers at once).
cp "$T/good.conf" "$KEYMAIL_CONF"
sv_conf "lmtp_listen = 127.0.0.1:0"
sv_start || { km_done; exit 1; }
check "two kinds of workers" sv_log_has 'serve: started: 1 hkp and 1 lmtp workers'
lport=$(sed -n 's/.*serve: lmtp listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$SV_LOG")
km_mail "$T/help.eml" HELP
$PY "$KM_TOP/tests/lmtp-client.py" "127.0.0.1:$lport" "$T/help.eml" > "$T/tcp.out" 2>&1
check "LMTP over TCP: HELP answered 250" grep -q '^END 250 2.0.0 Ok: HELP done$' "$T/tcp.out"
sv_stop

# The master killed outright: the workers do not outlive it.
cp "$T/good.conf" "$KEYMAIL_CONF"
sv_conf "serve_workers = 2"
sv_start || { km_done; exit 1; }
workers=$(sv_workers)
kill -KILL "$SV_PID"; wait "$SV_PID" 2>/dev/null; SV_PID=
gone() { for w in $workers; do kill -0 "$w" 2>/dev/null && return 1; done; return 0; }
check "workers exit when the master dies" sv_wait gone
km_done
