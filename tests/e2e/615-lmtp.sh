# keymail serve over LMTP on a unix socket (server.md 6), with a small
# client of our own that reads one reply per recipient after DATA.
#  - ADD and GET answered through the mailer, per-recipient 250 replies,
#    one reply mail per message whatever the number of recipients;
#  - the reply is the one keymail filter sends for the same mail;
#  - the envelope sender becomes Return-Path (a null sender gets no reply);
#  - data over max_message_size: 552, no reply, nothing stored;
#  - the dialogue's refusals (HELO, out-of-order commands);
#  - the socket: mode 0666, refused to a second server, removed at stop,
#    a stale one replaced at start;
#  - a worker past serve_max_requests finishes its session first.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/serve-lib.sh"
trap sv_cleanup EXIT
km_newdb lmtp
SOCK=$T/lmtp.sock
sv_conf "lmtp_listen = $SOCK" "serve_workers = 2" "max_message_size = 60000"
LC() { $PY "$KM_TOP/tests/lmtp-client.py" "$SOCK" "$@"; }

# A stale socket file (no server behind it) is replaced at start.
$PY -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$SOCK"
km_give "$SOCK"
sv_start || { km_done; exit 1; }
check "a stale socket is replaced" sv_log_has "serve: lmtp listening on $SOCK"
check_eq "socket mode 0666" "$(stat -c %a "$SOCK")" 666
check_eq "one started line" "$(sv_log_count 'serve: started: 0 hkp and 2 lmtp workers')" 1

km_gpg_init
km_gpg_genkey ed25519 'Lena Lmtp <lena@example.org>'
fpr=$(km_gpg_fpr lena@example.org)
gpg --armor --export "$fpr" > "$T/lena.asc"
km_mail "$T/add.eml" ADD "$T/lena.asc"
km_mail "$T/get.eml" "GET 0x$fpr"

n0=$(nreplies)
LC "$T/add.eml" > "$T/c1.out"
check "greeting" grep -q '^GREETING 220 .* keymail LMTP ready$' "$T/c1.out"
check "LHLO announces SIZE max_message_size" grep -q '^LHLO 250 SIZE 60000$' "$T/c1.out"
check_eq "ADD: one 250 after DATA" "$(grep -c '^END ' "$T/c1.out")" 1
check "ADD: 250 2.0.0 Ok: ADD done" grep -q '^END 250 2.0.0 Ok: ADD done$' "$T/c1.out"
check "QUIT 221" grep -q '^QUIT 221 2.0.0' "$T/c1.out"
check_eq "ADD: one reply mail" "$(nreplies)" "$((n0 + 1))"
check "ADD reply reports the new key" grep -q 'New public keys added: 1' "$(last_reply)"
check "one log line for the message" sv_log_has 'lmtp: from=<alice@example.org> size=[0-9]+ nrcpt=1 command=ADD status=250 2\.0\.0 [0-9]+ms'

# GET with two recipients: two 250s, one reply mail, the reply the filter gives.
LC --rcpt pgp-public-keys@keys.test.example --rcpt keys@keys.test.example "$T/get.eml" > "$T/c2.out"
check_eq "GET to two recipients: two replies after DATA" "$(grep -c '^END 250 2.0.0 Ok: GET done$' "$T/c2.out")" 2
check_eq "GET: one reply mail" "$(nreplies)" "$((n0 + 2))"
decoded_body "$(last_reply)" > "$T/lmtp-get.txt"
check "GET reply carries the key" grep -q 'BEGIN PGP PUBLIC KEY BLOCK' "$T/lmtp-get.txt"
km_filter "$T/get.eml"
decoded_body "$(last_reply)" > "$T/filter-get.txt"
check "the LMTP reply is the filter's for the same mail" cmp -s "$T/lmtp-get.txt" "$T/filter-get.txt"
check_eq "reply subject as the filter's" "$(reply_subject "$(ls "$T"/outbox/*.eml | tail -n 2 | head -n 1)")" "Your command, GET 0x$fpr"

# The null sender: Return-Path: <> means no reply (as pipe(8) null_sender=).
km_mail "$T/help.eml" HELP
n1=$(nreplies)
LC --from '' "$T/help.eml" > "$T/c3.out"
check "null sender: 250" grep -q '^END 250 2.0.0 Ok: HELP done$' "$T/c3.out"
check_eq "null sender: no reply mail" "$(nreplies)" "$n1"
check "null sender logged as <>" sv_log_has 'lmtp: from=<> size=[0-9]+ nrcpt=1 command=HELP status=250 2\.0\.0'
LC "$T/help.eml" > "$T/c4.out"
check_eq "a real sender gets the HELP reply" "$(nreplies)" "$((n1 + 1))"

# Several messages in one session; pipelined client replies line up.
LC "$T/help.eml" "$T/get.eml" "$T/help.eml" > "$T/c5.out"
check_eq "three messages in one session" "$(grep -c '^END 250 ' "$T/c5.out")" 3
check "in order" sh -c "grep '^END' '$T/c5.out' | tr '\n' ' ' | grep -q 'HELP done END 250 2.0.0 Ok: GET done END 250 2.0.0 Ok: HELP'"

# Over max_message_size (60000 here): 552, no reply, nothing stored.
km_gpg_genkey ed25519 'Big Lmtp <biglmtp@example.org>'
bfpr=$(km_gpg_fpr biglmtp@example.org)
{ gpg --armor --export "$bfpr"; head -c 70000 /dev/zero | tr '\0' 'x' | fold -w 70; } > "$T/big.body"
km_mail "$T/big.eml" ADD "$T/big.body"
n2=$(nreplies)
LC "$T/big.eml" "$T/help.eml" > "$T/c6.out"
check "too big: 552 5.3.4" grep -q '^END 552 5.3.4 Message too big$' "$T/c6.out"
check "the session goes on after it" grep -q '^END 250 2.0.0 Ok: HELP done$' "$T/c6.out"
check_eq "too big: no reply mail (only the HELP's)" "$(nreplies)" "$((n2 + 1))"
km_mail "$T/getbig.eml" "GET 0x$bfpr"; km_filter "$T/getbig.eml"
check "too big: nothing stored" grep -q 'No matching keys' "$(last_reply)"
check "too big logged" sv_log_has 'lmtp: from=<alice@example.org> size=[0-9]+ nrcpt=1 command=none status=552 5\.3\.4'

# The dialogue's refusals, raw.
$PY - "$SOCK" > "$T/raw.out" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(60)
f = s.makefile("rb")
def cmd(c):
    s.sendall(c + b"\r\n")
    while True:
        l = f.readline().decode().rstrip()
        if len(l) < 4 or l[3] != "-":
            print(c.decode().split(" ")[0], l); return
f.readline()
for c in [b"HELO x", b"EHLO x", b"MAIL FROM:<a@b>", b"LHLO x", b"RCPT TO:<a@b>", b"DATA",
          b"MAIL FROM:<a@b> SIZE=999999999", b"MAIL FROM:<a@b>", b"MAIL FROM:<a@b>",
          b"DATA", b"VRFY x", b"NOOP", b"RSET", b"STARTTLS", b"QUIT"]:
    cmd(c)
PY
check "HELO refused" grep -q '^HELO 500 5.5.1' "$T/raw.out"
check "EHLO refused" grep -q '^EHLO 500 5.5.1' "$T/raw.out"
check "MAIL before LHLO" grep -q '^MAIL 503 5.5.1' "$T/raw.out"
check "RCPT without MAIL" grep -q '^RCPT 503 5.5.1' "$T/raw.out"
check "SIZE over the limit" grep -q '^MAIL 552 5.3.4' "$T/raw.out"
check "nested MAIL" sh -c "grep '^MAIL' '$T/raw.out' | tail -n 1 | grep -q '^MAIL 503 5.5.1'"
check "DATA without RCPT" sh -c "grep '^DATA' '$T/raw.out' | tail -n 1 | grep -q '^DATA 503 5.5.1'"
check "VRFY 252" grep -q '^VRFY 252 2.5.0' "$T/raw.out"
check "STARTTLS not offered" grep -q '^STARTTLS 500 5.5.2' "$T/raw.out"
check "QUIT" grep -q '^QUIT 221 2.0.0' "$T/raw.out"

# A second server on the same socket: 71, and the first keeps it.
cp "$KEYMAIL_CONF" "$T/second.conf"
KEYMAIL_CONF=$T/second.conf "$KEYMAIL" serve > "$T/second.err" 2>&1
check_eq "a live socket of another server: 71" $? 71
check "it says so" grep -q 'another server is listening there' "$T/second.err"
LC "$T/help.eml" > "$T/c7.out"
check "the first server still answers" grep -q '^END 250 ' "$T/c7.out"

sv_stop
check_eq "SIGTERM: exit 0" "$sv_rc" 0
check "the socket is removed at stop" test ! -e "$SOCK"

# lmtp_timeout (1 s here): an idle client gets 421 4.4.2 and is closed.
sv_conf "lmtp_timeout = 1"
sv_start || { km_done; exit 1; }
$PY - "$SOCK" > "$T/idle.out" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(120)
f = s.makefile("rb")
print(f.readline().decode().rstrip())
s.sendall(b"LHLO x\r\n")
while True:
    l = f.readline().decode().rstrip()
    if l[3] == " ":
        break
print(f.readline().decode().rstrip())	# nothing sent: the server speaks first
print("EOF" if f.readline() == b"" else "more")
PY
check "idle client: 421 4.4.2" grep -q '^421 4.4.2 Timeout$' "$T/idle.out"
check "then closed" grep -qx EOF "$T/idle.out"
sv_stop
sed -i '/^lmtp_timeout/d' "$KEYMAIL_CONF"

# Retiring after serve_max_requests (2) finishes the session: all four
# messages of one session are answered, then the worker is replaced.
sv_conf "serve_workers = 1" "serve_max_requests = 2"
sv_start || { km_done; exit 1; }
w=$(sv_workers)
LC "$T/help.eml" "$T/help.eml" "$T/help.eml" "$T/help.eml" > "$T/c8.out"
check_eq "a retiring worker finishes its session" "$(grep -c '^END 250 ' "$T/c8.out")" 4
check "then retires" sv_wait sv_log_has "serve: worker $w \(lmtp\) retired after 4 requests; started [0-9]+"
LC "$T/help.eml" > "$T/c9.out"
check "the new worker answers" grep -q '^END 250 ' "$T/c9.out"
sv_stop
km_done
