# keymail through a connection pooler: Debian's pgbouncer in transaction
# pooling mode (the mode that shares server connections most, and forbids
# most: session-level prepared statements, advisory locks and settings
# held across transactions), with two server connections for every
# client. What keymail does there must be what it does connecting
# straight to PostgreSQL: an import (binary COPY), ADD, GET, INDEX, MGET
# and LAST mails, and four ADDs of one key at once, each with a user ID
# of its own (the merge's advisory lock is transaction-scoped, so it
# serializes them through the pooler too: no lost update). The store must
# export the same bytes as one filled without the pooler, and all the
# mails must have been served over at most two server connections.
. "$KM_TOP/tests/lib.sh"
PGB=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
if [ ! -x "$PGB" ]; then
	notok "pgbouncer is not installed (scripts/deps.sh installs it)"
	km_done; exit 1
fi
km_gpg_init
for u in ann ben cid; do km_gpg_genkey ed25519 "${u} Pool <${u}@pool.example>"; done
A=$(km_gpg_fpr ann@pool.example)
gpg --batch --pinentry-mode loopback --passphrase '' -u "$(km_gpg_fpr ben@pool.example)" --quick-sign-key "$A" >/dev/null 2>&1
gpg --export > "$T/ring.gpg"
for i in 1 2 3 4; do gpg --batch --quick-add-uid "$A" "Ann Extra $i <ann$i@pool.example>" >/dev/null 2>&1; done
gpg --armor --export "$A" > "$T/ann-all.asc"
# four uploads of Ann, each with the original user ID and one new one
gpg --export "$A" > "$T/ann-all.gpg"
$PY - "$T/ann-all.gpg" "$T" <<'PY'
import base64, sys
d = open(sys.argv[1], 'rb').read(); i = 0; pk = []; cur = None
while i < len(d):
    c = d[i]
    if c & 0x40:
        tag = c & 0x3f; o = d[i + 1]
        if o < 192: h, n = 2, o
        elif o < 224: h, n = 3, ((o - 192) << 8) + d[i + 2] + 192
        else: h, n = 6, int.from_bytes(d[i + 2:i + 6], 'big')
    else:
        tag = (c >> 2) & 15; lt = c & 3
        h = 1 + (1, 2, 4)[lt]; n = int.from_bytes(d[i + 1:i + h], 'big')
    pk.append((tag, d[i:i + h + n], d[i + h:i + h + n])); i += h + n
# groups: primary, then (uid packet + its sigs) ..., then subkeys
groups, g = [], [pk[0][1]]
for tag, raw, body in pk[1:]:
    if tag in (13, 17, 14):
        groups.append(g); g = [raw]
    else:
        g.append(raw)
groups.append(g)
prim, rest = groups[0], groups[1:]
uids = [g for g in rest if g[0][0] & 0x3f == 13 or (g[0][0] >> 2) & 15 == 13]
subs = [g for g in rest if g not in uids]
base = [u for u in uids if b'ann@pool.example' in u[0]]
extra = [u for u in uids if u not in base]
for k, u in enumerate(extra, 1):
    b = b''.join(prim + sum(base, []) + u + sum(subs, []))
    s = base64.b64encode(b).decode()
    open('%s/part%d.asc' % (sys.argv[2], k), 'w').write(
        '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n' +
        '\n'.join(s[j:j + 64] for j in range(0, len(s), 64)) +
        '\n-----END PGP PUBLIC KEY BLOCK-----\n')
PY
check "four partial uploads made" test -s "$T/part4.asc"

# the reference store, straight to PostgreSQL
km_newdb direct
DIRECT=$T/keymail.conf; cp "$DIRECT" "$T/direct.conf"; DIRECT=$T/direct.conf
KEYMAIL_CONF=$DIRECT "$KEYMAIL" import -q "$T/ring.gpg"
for i in 1 2 3 4; do km_mail "$T/p$i.eml" ADD "$T/part$i.asc"; KEYMAIL_CONF=$DIRECT "$KEYMAIL" filter < "$T/p$i.eml"; done
KEYMAIL_CONF=$DIRECT "$KEYMAIL" export > "$T/direct.dump"

# pgbouncer in front of the test server, on a Unix socket in $T
km_newdb pooled
POOLDB=$db
B=$T/pgb; mkdir -p "$B"; km_give "$B"
PORT=$((20000 + $$ % 20000))
echo '"keymail" ""' > "$B/users.txt"
cat > "$B/pgbouncer.ini" <<EOC
[databases]
$POOLDB = host=$KM_TEST_PGDIR dbname=$POOLDB
[pgbouncer]
unix_socket_dir = $B
listen_port = $PORT
auth_type = trust
auth_file = $B/users.txt
pool_mode = transaction
default_pool_size = 2
max_client_conn = 50
logfile = $B/pgbouncer.log
pidfile = $B/pgbouncer.pid
EOC
chmod -R a+rX "$B"
if [ "$(id -u)" = 0 ]; then as="setpriv --reuid=keymail --regid=keymail --init-groups --"; else as=; fi
$as "$PGB" -d -q "$B/pgbouncer.ini"
i=0; while [ ! -S "$B/.s.PGSQL.$PORT" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
check "pgbouncer listens" test -S "$B/.s.PGSQL.$PORT"
stop_pgb() { [ -f "$B/pgbouncer.pid" ] && kill "$(cat "$B/pgbouncer.pid")" 2>/dev/null; }
trap stop_pgb EXIT
sed "s|^database = .*|database = host=$B port=$PORT user=keymail dbname=$POOLDB|" "$T/keymail.conf" > "$T/pooled.conf"
export KEYMAIL_CONF=$T/pooled.conf

"$KEYMAIL" import -q "$T/ring.gpg"
check_eq "import through the pooler exits 0" "$?" 0
# four ADDs of Ann at once, each with another new user ID
pids=
for i in 1 2 3 4; do km_mail "$T/q$i.eml" ADD "$T/part$i.asc"; "$KEYMAIL" filter < "$T/q$i.eml" & pids="$pids $!"; done
ok4=0; for p in $pids; do wait "$p" && ok4=$((ok4 + 1)); done
check_eq "four concurrent ADDs exit 0" "$ok4" 4
"$KEYMAIL" export > "$T/pooled.dump"
check "through the pooler the store ends as without it" cmp -s "$T/direct.dump" "$T/pooled.dump"
check_eq "Ann has her five user IDs" "$("$KEYMAIL" get "0x$A" | gpg --with-colons --import-options show-only --import 2>/dev/null | grep -c '^uid')" 5

for cmd in "GET 0x$A" "INDEX pool.example" "MGET ann[0-9]@pool" "LAST 1"; do
	km_mail "$T/c.eml" "$cmd"; km_filter "$T/c.eml"
	check_eq "$cmd through the pooler exits 0" "$rc" 0
done
km_mail "$T/c.eml" "GET 0x$A"; km_filter "$T/c.eml"
check "GET answers with the key" sh -c "grep -q 'BEGIN PGP PUBLIC KEY BLOCK' '$(last_reply)'"
km_mail "$T/c.eml" "INDEX pool.example"; km_filter "$T/c.eml"
check "INDEX lists the three keys" test "$(decoded_body "$(last_reply)" | grep -c '^pub')" -eq 3
km_mail "$T/c.eml" "MGET ann[0-9]@pool"; km_filter "$T/c.eml"
check "MGET finds Ann" grep -q 'BEGIN PGP PUBLIC KEY BLOCK' "$(last_reply)"
for i in $(seq 1 12); do km_mail "$T/c.eml" "GET 0x$A"; km_filter "$T/c.eml"; done
n=$(grep -c 'new connection to server' "$B/pgbouncer.log")
check "every mail over at most two server connections ($n)" test "$n" -ge 1 -a "$n" -le 2
stop_pgb
km_done
