# keymail refuses to run as root, first thing, before it reads its
# configuration (so even a missing file gives 77, not 78); the filter
# exits 75 instead, so that the MTA keeps the mail until the installation
# is fixed (issue 15). -h and --version work as root. And the test
# harness itself: as root, $KEYMAIL must run the program as the
# unprivileged user "keymail" (tests/lib.sh), which the mailer it starts
# can see.
. "$KM_TOP/tests/lib.sh"
km_newdb notroot
if [ "$(id -u)" = 0 ]; then
	for sub in filter initdb "get 0x12345678" sync check; do
		"$KM_BUILD/keymail" -c "$T/no-such.conf" $sub </dev/null 2>"$T/err"; rc=$?
		want=77; [ "$sub" = filter ] && want=75
		check_eq "as root: $sub exits $want before reading the configuration" "$rc" $want
		check "as root: $sub says why" grep -q 'refusing to run as root' "$T/err"
	done
	for opt in -h --help --version; do
		"$KM_BUILD/keymail" $opt >"$T/out" 2>"$T/err"; rc=$?
		check_eq "as root: keymail $opt exits 0" "$rc" 0
		check "as root: keymail $opt writes to stdout" test -s "$T/out"
		check "as root: keymail $opt writes nothing to stderr" sh -c "! test -s '$T/err'"
	done
	check "as root: --version says the version" grep -q '^keymail [0-9][0-9.]*$' "$T/out"
	"$KM_BUILD/keymail" --help >"$T/out"
	check "as root: --help is the usage, every command in it" sh -c \
	    "grep -q '^usage: keymail' '$T/out' && for w in filter check initdb sync import export get index; do grep -q \"^  \$w\" '$T/out' || exit 1; done"
	printf 'From: a@example.org\nSubject: HELP\n\n' > "$T/h.eml"
	"$KM_BUILD/keymail" filter < "$T/h.eml" 2>/dev/null
	check_eq "as root: a mail is not handled" "$(nreplies)" 0
else
	echo "NOTE: not root: the root refusal was not tested (2 x 5 + 3 x 3 + 3 checks not run)"
fi
cat > "$T/whoami.sh" <<EOC
#!/bin/sh
id -u > "$T/mailer-uid"
cat > /dev/null
EOC
chmod 755 "$T/whoami.sh"
km_writeconf "$T/whoami.sh"
printf 'From: a@example.org\nSubject: HELP\n\n' > "$T/h.eml"
km_filter "$T/h.eml"
check_eq "harness: filter exits 0" "$rc" 0
check "harness: keymail and its mailer do not run as root" sh -c "[ -s '$T/mailer-uid' ] && [ \"\$(cat '$T/mailer-uid')\" != 0 ]"
km_done
