#!/bin/sh
# scripts/demo.sh BUILD_DIR - run the robot on sample mails, for a first look.
#
# Starts a private PostgreSQL under ./demo/pg (as an unprivileged user),
# makes a key with GnuPG, mails it to `keymail filter` with ADD, then asks
# for it with GET, INDEX and VERBOSE INDEX, and prints every reply. The
# "mailer" here is a script that files each reply under demo/outbox instead
# of sending it. Run it again and ADD reports "nothing new".
# Then the same key on a second database run with policy = trusted
# (owner-control.md): ADD stores it unpublished, GET finds nothing, the
# owner claims it with SHOW, decrypts the challenge with gpg --decrypt,
# sends CONFIRM, and GET returns it.
set -eu
B=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
D=$top/demo
mkdir -p "$D/outbox" "$D/gnupg"
chmod 700 "$D/gnupg"
rm -f "$D"/outbox/*.eml

conn=$(sh scripts/pg.sh start "$D/pg")
cat >"$D/mailer.sh" <<EOC
#!/bin/sh
n=\$(ls "$D/outbox" | wc -l)
cat > "$D/outbox/\$(printf %03d \$((n + 1))).eml"
EOC
chmod +x "$D/mailer.sh"
cat >"$D/keymail.conf" <<EOC
# keymail.conf for the demo (see man/keymail.conf.5)
database = $conn
address = pgp-public-keys@keys.example.net
sendmail = $D/mailer.sh
help_dir = $top/help
# Each run asks five times from the same address; the default of 20
# replies per address and clock hour would go silent on the fifth run.
max_replies_per_hour = 1000
EOC
KM="$top/$B/keymail -c $D/keymail.conf"
# keymail refuses to run as root: run it as the system user "keymail"
# (pg.sh made it and opened the path to $D for traversal), which also
# files the replies.
if [ "$(id -u)" = 0 ]; then
	chown keymail "$D/outbox"
	KM="setpriv --reuid=keymail --regid=keymail --init-groups -- $KM"
fi
$KM initdb

export GNUPGHOME="$D/gnupg"
if ! gpg --list-keys demo@example.org >/dev/null 2>&1; then
	gpg --batch --pinentry-mode loopback --passphrase '' \
	    --quick-gen-key 'Demo User <demo@example.org>' ed25519 default never 2>/dev/null
	fpr=$(gpg --with-colons --list-keys demo@example.org | awk -F: '/^fpr/ {print $10; exit}')
	gpg --batch --pinentry-mode loopback --passphrase '' --quick-add-key "$fpr" cv25519 encr never 2>/dev/null
fi
fpr=$(gpg --with-colons --list-keys demo@example.org | awk -F: '/^fpr/ {print $10; exit}')

mail() { # SUBJECT [BODY-FILE]
	{
		printf 'From: Alice Example <alice@example.org>\nTo: pgp-public-keys@keys.example.net\n'
		printf 'Subject: %s\nMessage-ID: <demo-%s@example.org>\n\n' "$1" "$(date +%s%N)"
		[ $# -gt 1 ] && cat "$2"
	} | $KM filter
}
show() { # SUBJECT: print the newest reply
	f=$(ls "$D"/outbox/*.eml | tail -n 1)
	echo "==================== reply to: $1"
	cat "$f"
}

gpg --armor --export "$fpr" > "$D/key.asc"
for subject in ADD "GET 0x$fpr" "INDEX demo" "VERBOSE INDEX demo@example.org" "LAST 1"; do
	if [ "$subject" = ADD ]; then mail ADD "$D/key.asc"; else mail "$subject"; fi
	f=$(ls "$D"/outbox/*.eml | tail -n 1)
	echo "==================== reply to: $subject"
	cat "$f"
done

# ---- owners in control: the same key on a trusted server ----------------
echo
echo "#################### a second database, policy = trusted"
# A new database on every run: a key claimed by an earlier run would be
# published from the start and the claim would not show.
admin="${conn% dbname=*} dbname=postgres"
psql "$admin" -qAtc "drop database if exists keymail_trusted" >/dev/null
psql "$admin" -qAtc "create database keymail_trusted" >/dev/null
sed -e "s|^database = .*|database = ${conn% dbname=*} dbname=keymail_trusted|" \
    "$D/keymail.conf" >"$D/trusted.conf"
echo "policy = trusted" >>"$D/trusted.conf"
# Challenges are token mails (3 a day per address by default): lifted
# for the demo's one address, as max_replies_per_hour above.
echo "max_token_mails_per_day = 0" >>"$D/trusted.conf"
KM=$(echo "$KM" | sed "s|$D/keymail.conf|$D/trusted.conf|")
$KM initdb
mail ADD "$D/key.asc"
show "ADD (trusted: stored, not published)"
mail "GET $fpr"
show "GET $fpr (not claimed: as if absent)"
mail "SHOW $fpr"
show "SHOW $fpr (unsigned: a challenge encrypted to the key)"
python3 - "$f" >"$D/challenge.asc" <<'PY'
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.default)
for part in m.walk():
    if part.get_content_type() == 'text/plain' and 'BEGIN PGP MESSAGE' in part.get_content():
        sys.stdout.write(part.get_content())
PY
echo "==================== gpg --decrypt of its second part"
gpg --batch --decrypt "$D/challenge.asc" 2>/dev/null | tee "$D/challenge.txt"
token=$(sed -n 's/^token: //p' "$D/challenge.txt")
mail "CONFIRM $token"
show "CONFIRM <token> (the Subject of the reply never shows the token)"
mail "GET $fpr"
show "GET $fpr (claimed and shown)"
echo "===================="
echo "Replies are in $D/outbox. The demo database keeps running:"
echo "  stop it with: sh scripts/pg.sh stop $D/pg"
