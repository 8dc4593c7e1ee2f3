# What a first install turned up (issue 15, items 1, 2, 4, 7, 8, 9): the
# operator's mistakes must never bounce a user's mail. A configuration
# typo, a configuration the README's own peer example used to break, a
# display-name robot address, a wrong help_dir, a missing mailer: the
# filter exits 75 (the MTA keeps the mail), sends nothing, logs why, and
# `keymail check` names the problem; once fixed, the same mail is
# answered. Also: -h/--version, what initdb says, and a quiet sync.
. "$KM_TOP/tests/lib.sh"
km_newdb operator
cp "$T/keymail.conf" "$T/good.conf"
km_mail "$T/help.eml" HELP "" "Olga Operator <olga@example.org>"
# deferred CONF WHAT: the filter defers the mail under CONF, says WHAT in
# its log, sends nothing, and keymail check exits 1 naming WHAT
deferred() {
	n0=$(nreplies)
	KEYMAIL_CONF=$1 "$KEYMAIL" filter < "$T/help.eml" 2>"$T/log"; rc=$?
	check_eq "$2: filter exit 75 (the MTA keeps the mail)" "$rc" 75
	check_eq "$2: no reply" "$(nreplies)" "$n0"
	check "$2: the log says why" grep -q "$3" "$T/log"
	KEYMAIL_CONF=$1 "$KEYMAIL" check >"$T/check.out" 2>&1; crc=$?
	check_eq "$2: keymail check exits 1" "$crc" 1
	check "$2: keymail check names it" grep -q "PROBLEM.*$3" "$T/check.out"
}

# 1. The issue's one-letter typo.
sed 's/^address = /adress = /' "$T/good.conf" > "$T/typo.conf"
deferred "$T/typo.conf" "typo 'adress'" "unknown key 'adress' (did you mean 'address'?)"
check "typo: the log says the mail waits" grep -q "mail is deferred" "$T/log"
# Other subcommands keep EX_CONFIG; bad usage stays 64.
KEYMAIL_CONF=$T/typo.conf "$KEYMAIL" initdb 2>/dev/null; check_eq "typo: initdb exits 78" $? 78
"$KEYMAIL" filter extra-word < "$T/help.eml" 2>/dev/null; check_eq "filter with bad usage: 64" $? 64
# An unreadable file is a configuration problem too.
deferred "$T/no-such.conf" "missing file" "no-such.conf: No such file"
# Fixed: the same mail is answered.
KEYMAIL_CONF=$T/good.conf "$KEYMAIL" filter < "$T/help.eml" 2>/dev/null
check_eq "fixed: exit 0" $? 0
check_eq "fixed: answered" "$(reply_subject "$(last_reply)")" "Your command, HELP"

# 2. The README's peer example, copied out of README.md itself.
awk '/^```/ {inb = !inb; if (!inb && blk ~ /peer = /) {print blk; exit}; blk = ""; next}
     inb {blk = blk $0 "\n"}' "$KM_TOP/README.md" > "$T/readme-peers.conf"
check "README has a peer example with a trailing comment" grep -q '^peer = .*#' "$T/readme-peers.conf"
cat "$T/good.conf" "$T/readme-peers.conf" > "$T/peers.conf"
KEYMAIL_CONF=$T/peers.conf "$KEYMAIL" check >"$T/check.out" 2>&1
check_eq "README peer example: keymail check exits 0" $? 0
check "README peer example: the peers are read without their comments" \
    grep -q "peer pgp-public-keys@keys.example.org (profile pks)$" "$T/check.out"
KEYMAIL_CONF=$T/peers.conf "$KEYMAIL" filter < "$T/help.eml" 2>/dev/null
check_eq "README peer example: filter exit 0" $? 0
decoded_body "$(last_reply)" > "$T/help.txt"
check "with peers the help says keys are passed on" grep -q "ONE SERVER IS ENOUGH" "$T/help.txt"
KEYMAIL_CONF=$T/good.conf "$KEYMAIL" filter < "$T/help.eml" 2>/dev/null
decoded_body "$(last_reply)" > "$T/help.txt"
check "without peers it says they are not" grep -q "does not pass keys on to other keyservers" "$T/help.txt"
check "and promises nothing" sh -c "! grep -q 'ONE SERVER IS ENOUGH' '$T/help.txt'"
# this_site with a display name: refused, saying what is wrong
printf 'this_site = Keys <pgp-public-keys@keys.test.example>\n' >> "$T/peers.conf"
deferred "$T/peers.conf" "this_site with a name" "not a plain address"

# 4. The robot address with a display name: parsed, From: and X-Loop: right.
sed 's/^address = .*/address = Keyserver <pgp-public-keys@keys.test.example>/' "$T/good.conf" > "$T/named.conf"
KEYMAIL_CONF=$T/named.conf "$KEYMAIL" filter < "$T/help.eml" 2>/dev/null
check_eq "named address: exit 0" $? 0
r=$(last_reply)
$PY - "$r" > "$T/hdr" <<'PY'
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.default)
a = m['From'].addresses[0]
print(a.display_name); print(a.addr_spec); print(m['X-Loop'])
PY
check_eq "named address: From: display name" "$(sed -n 1p "$T/hdr")" "Keyserver"
check_eq "named address: From: address" "$(sed -n 2p "$T/hdr")" "pgp-public-keys@keys.test.example"
check_eq "named address: X-Loop: the bare address" "$(sed -n 3p "$T/hdr")" "pgp-public-keys@keys.test.example"
# ... and one that is not a mailbox: refused with what to write instead
sed 's/^address = .*/address = Keyserver pgp-public-keys@keys.test.example/' "$T/good.conf" > "$T/glued.conf"
deferred "$T/glued.conf" "address without brackets" "is not a mail address: write the bare address"

# 9. A wrong help_dir, and a mailer that is not there.
sed "s|^help_dir = .*|help_dir = $T/no-help|" "$T/good.conf" > "$T/nohelp.conf"
deferred "$T/nohelp.conf" "wrong help_dir" "help.*no-help/en.txt"
sed "s|^sendmail = .*|sendmail = /nonexistent/msmtp -t|" "$T/good.conf" > "$T/nomailer.conf"
deferred "$T/nomailer.conf" "missing mailer" "/nonexistent/msmtp"
sed "s|^sendmail = .*|sendmail = no-such-mailer-program -t|" "$T/good.conf" > "$T/nomailer2.conf"
deferred "$T/nomailer2.conf" "mailer not in the PATH" "no-such-mailer-program.*looked for in"
# A database connection string that does not parse.
sed "s|^database = .*|database = host=/tmp dbname|" "$T/good.conf" > "$T/baddb.conf"
KEYMAIL_CONF=$T/baddb.conf "$KEYMAIL" filter < "$T/help.eml" 2>"$T/log"
check_eq "broken database string: filter exit 75" $? 75

# keymail check on the good configuration.
KEYMAIL_CONF=$T/good.conf "$KEYMAIL" check >"$T/check.out" 2>&1
check_eq "check: good configuration exits 0" $? 0
check "check: database and schema" grep -q "ok *database: connected, schema version [0-9]* (current)" "$T/check.out"
check "check: the mailer it would run" grep -q "ok *sendmail .*runs $T/capture.sh" "$T/check.out"
check "check: maintainer not set is a warning" grep -q "warning *maintainer not set: .*postmaster@keys.test.example" "$T/check.out"
check "check: help texts" grep -q "ok *help_dir .*all 15 languages" "$T/check.out"
# a database without the schema
psql "$KM_TEST_PG dbname=postgres" -qAtc "create database km_empty_$KM_ID" >/dev/null
sed "s|^database = .*|database = $KM_TEST_PG dbname=km_empty_$KM_ID|" "$T/good.conf" > "$T/empty.conf"
KEYMAIL_CONF=$T/empty.conf "$KEYMAIL" check >"$T/check.out" 2>&1
check_eq "check: no schema exits 1" $? 1
check "check: no schema says run initdb" grep -q "PROBLEM.*no keymail schema: run keymail initdb" "$T/check.out"

# 7. initdb says what it did.
KEYMAIL_CONF=$T/empty.conf "$KEYMAIL" initdb >"$T/initdb.out" 2>&1
check "initdb on an empty database: version 0 -> N" grep -q "^keymail initdb: schema version 0 -> [1-9][0-9]* (schema created)$" "$T/initdb.out"
KEYMAIL_CONF=$T/empty.conf "$KEYMAIL" initdb >"$T/initdb.out" 2>&1
check "initdb again: up to date" grep -q "^keymail initdb: schema version [1-9][0-9]*, up to date; nothing to do$" "$T/initdb.out"
psql "$KM_TEST_PG dbname=postgres" -qAtc "drop database km_empty_$KM_ID" >/dev/null
"$KEYMAIL" --help >"$T/out" 2>&1; check_eq "--help: exit 0" $? 0
check "--help: names check" grep -q "^  check" "$T/out"
"$KEYMAIL" -h >/dev/null 2>&1; check_eq "-h: exit 0" $? 0
"$KEYMAIL" --version >"$T/out" 2>&1; check_eq "--version: exit 0" $? 0
check "--version: keymail N" grep -q "^keymail [0-9]" "$T/out"
"$KEYMAIL" --frobnicate >/dev/null 2>&1; check_eq "an unknown option: 64" $? 64

# 8. keymail sync from cron: nothing on stderr when all is well (cron
#    would mail it), the summary with -v.
KEYMAIL_CONF=$T/good.conf "$KEYMAIL" sync >"$T/out" 2>"$T/err"
check_eq "sync: exit 0" $? 0
check_eq "sync: nothing on stderr" "$(wc -c < "$T/err")" 0
check_eq "sync: nothing on stdout" "$(wc -c < "$T/out")" 0
KEYMAIL_CONF=$T/good.conf "$KEYMAIL" sync -v >"$T/out" 2>"$T/err"
check "sync -v: the summary on stderr" grep -q "sync: 0 message(s) sent" "$T/err"
sed "s|^database = .*|database = host=$T/nowhere dbname=x|" "$T/good.conf" > "$T/down.conf"
KEYMAIL_CONF=$T/down.conf "$KEYMAIL" sync >"$T/out" 2>"$T/err"
check_eq "sync, database down: exit 75" $? 75
check "sync, database down: the error on stderr" grep -q "database" "$T/err"
km_done
