# keymail serve: the HKP abuse limits (server.md 3, 5.1, 8).
#  - hkp_rate_limit: the request after the allowed ones gets 429 with
#    Retry-After, across all workers; another address is not affected
#    (X-Forwarded-For from a loopback peer with hkp_forwarded_for);
#  - hkp_add_rate_limit: the second upload within the hour gets 429 and
#    stores nothing;
#  - hkp_max_connections_per_ip: the connection over the limit is closed
#    at once, the others still work;
#  - a slowloris client (header fields trickled) is cut at
#    hkp_request_timeout without a response, while other clients are
#    served meanwhile;
#  - request line and header fields over hkp_max_header_size: 414, 431.
# The rates are 1 per minute and 1 per hour, so no test machine is slow
# enough for a second request to be allowed by the clock.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/serve-lib.sh"
trap sv_cleanup EXIT
km_newdb hkplimits
sv_conf "hkp_listen = 127.0.0.1:0" "serve_workers = 2" "hkp_rate_limit = 3" \
    "hkp_add_rate_limit = 1" "hkp_forwarded_for = yes" "hkp_request_timeout = 2" \
    "hkp_max_connections_per_ip = 2" "hkp_max_header_size = 1024"
sv_start || { km_done; exit 1; }
URL=http://127.0.0.1:$SV_PORT

# hkp_rate_limit = 3 per minute: a burst of 3, the 4th is refused. Each
# request comes from its own connection, so both workers count.
for i in 1 2 3; do
	st=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Forwarded-For: 192.0.2.10' "$URL/pks/lookup?op=stats")
	check_eq "request $i within the rate" "$st" 200
done
st=$(curl -s -D "$T/headers" -o "$T/body" -w '%{http_code}' -H 'X-Forwarded-For: 192.0.2.10' "$URL/pks/lookup?op=stats")
check_eq "4th request in the minute: 429" "$st" 429
ra=$(hkp_header Retry-After)
check "Retry-After is whole seconds, at least 1 and at most 60" sh -c "[ '$ra' -ge 1 ] && [ '$ra' -le 60 ]"
check "429 body names the limit" grep -q hkp_rate_limit "$T/body"
check_eq "429 carries CORS" "$(hkp_header Access-Control-Allow-Origin)" "*"
st=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Forwarded-For: 10.0.0.1, 192.0.2.11' "$URL/pks/lookup?op=stats")
check_eq "another client (last X-Forwarded-For entry) is not limited" "$st" 200
check "the refusal is logged for the client address" sv_log_has 'hkp: 192\.0\.2\.10 is over hkp_rate_limit'
check "the request line is logged with the client address" sv_wait sv_log_has 'hkp: 192\.0\.2\.10 "GET /pks/lookup\?op=stats" 429 '
n=$(sv_log_count 'is over hkp_rate_limit')
curl -s -o /dev/null -H 'X-Forwarded-For: 192.0.2.10' "$URL/pks/lookup?op=stats"
check_eq "refusals logged at most once a minute" "$(sv_log_count 'is over hkp_rate_limit')" "$n"

# hkp_add_rate_limit = 1 per hour.
km_gpg_init
km_gpg_genkey ed25519 'Rate One <rate1@example.org>'
km_gpg_genkey ed25519 'Rate Two <rate2@example.org>'
gpg --armor --export rate1@example.org > "$T/k1.asc"
gpg --armor --export rate2@example.org > "$T/k2.asc"
f2=$(km_gpg_fpr rate2@example.org)
st=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Forwarded-For: 198.51.100.20' --data-urlencode "keytext@$T/k1.asc" "$URL/pks/add")
check_eq "first upload of the hour" "$st" 200
st=$(curl -s -D "$T/headers" -o "$T/body" -w '%{http_code}' -H 'X-Forwarded-For: 198.51.100.20' --data-urlencode "keytext@$T/k2.asc" "$URL/pks/add")
check_eq "second upload of the hour: 429" "$st" 429
check "429 names hkp_add_rate_limit" grep -q hkp_add_rate_limit "$T/body"
ra=$(hkp_header Retry-After)
check "Retry-After counts to the hour" sh -c "[ '$ra' -gt 60 ] && [ '$ra' -le 3600 ]"
st=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Forwarded-For: 198.51.100.21' "$URL/pks/lookup?op=get&search=0x$f2")
check_eq "the refused upload stored nothing" "$st" 404

# 414 and 431 (hkp_max_header_size = 1024)
long=$(head -c 1100 /dev/zero | tr '\0' 'a')
st=$(curl -s -o "$T/body" -w '%{http_code}' -H 'X-Forwarded-For: 198.51.100.30' "$URL/pks/lookup?op=get&search=$long")
check_eq "request line over hkp_max_header_size: 414" "$st" 414
half=$(head -c 600 /dev/zero | tr '\0' 'b')
st=$(curl -s -o "$T/body" -w '%{http_code}' -H 'X-Forwarded-For: 198.51.100.31' -H "X-One: $half" -H "X-Two: $half" "$URL/")
check_eq "header fields over hkp_max_header_size: 431" "$st" 431
st=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Forwarded-For: 198.51.100.32' -H "X-One: $half" "$URL/")
check_eq "within hkp_max_header_size: 200" "$st" 200

# Connections per client address and the slowloris cut, with a small
# client of our own. hkp_forwarded_for exempts loopback peers from the
# per-address count (one proxy carries many clients), so this part runs
# on a second server without it (and without the rate limit).
sv_stop
sed -i '/^hkp_forwarded_for/d; s/^hkp_rate_limit = 3/hkp_rate_limit = 0/' "$KEYMAIL_CONF"
sv_start || { km_done; exit 1; }
URL=http://127.0.0.1:$SV_PORT
$PY - "$SV_PORT" > "$T/conn.out" 2>&1 <<'PY'
import socket, sys, time
port = int(sys.argv[1])
def conn():
    return socket.create_connection(("127.0.0.1", port), timeout=60)
def get(s):
    # the status of GET / on s; None if the server closed it unanswered
    try:
        s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            d = s.recv(4096)
            if not d:
                return None
            data += d
    except (ConnectionResetError, BrokenPipeError):
        return None
    return data.split(b" ")[1].decode()
def closed_at_once(s):
    # the server closes a refused connection without reading or answering
    s.settimeout(60)
    try:
        s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        return s.recv(4096) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True
# serve_workers 2, limit 2 per worker: two workers hold at most 4 in all,
# so of 6 connections held open at once some are closed unanswered.
held = [conn() for _ in range(6)]
refused = sum(1 for s in held if closed_at_once(s))
print("refused", "yes" if refused >= 2 else "no")
for s in held:
    s.close()
# The workers count a connection as gone once they see it closed: wait
# until a new one is served again.
for i in range(600):
    c = conn()
    ok = get(c) == "200"
    c.close()
    if ok:
        break
    time.sleep(0.1)
    time.sleep(0.1)
# A slowloris: header fields one by one, slowly; the server cuts it. Others
# are served meanwhile, each on a new connection.
t = conn()
t.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n")
served = 0
cut = False
for i in range(400):
    try:
        t.sendall(b"X-Slow: %d\r\n" % i)
    except (BrokenPipeError, ConnectionResetError):
        cut = True
        break
    t.settimeout(0.05)
    try:
        if t.recv(4096) == b"":
            cut = True
            break
        print("slowloris got an answer")
        break
    except socket.timeout:
        pass
    except ConnectionResetError:
        cut = True
        break
    if i % 3 == 0:
        c = conn()
        if get(c) == "200":
            served += 1
        c.close()
    time.sleep(0.1)
print("cut", "yes" if cut else "no")
print("served", "yes" if served >= 1 else "no")
PY
check "connections over hkp_max_connections_per_ip are closed at once" grep -qx 'refused yes' "$T/conn.out"
check "the slowloris client is cut" grep -qx 'cut yes' "$T/conn.out"
check "other clients are served meanwhile" grep -qx 'served yes' "$T/conn.out"
check "the slowloris got no answer" sh -c "! grep -q 'slowloris got an answer' '$T/conn.out'"
check "the cut request is logged without a status" sv_wait sv_log_has 'hkp: 127\.0\.0\.1 "- /" 0 0 '
sv_stop
check_eq "exit 0" "$sv_rc" 0
[ "$_fail" -eq 0 ] || cat "$T/conn.out" "$SV_LOG"
km_done
