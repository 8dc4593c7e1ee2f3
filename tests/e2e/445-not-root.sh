# keymail refuses to run as root, first thing, before it reads its
# configuration (so even a missing file gives 77, not 78). And the test
# harness itself: as root, $KEYMAIL must run the program as the
# unprivileged user "keymail" (tests/lib.sh), which the mailer it starts
# can see.
. "$KM_TOP/tests/lib.sh"
km_newdb notroot
if [ "$(id -u)" = 0 ]; then
	for sub in filter initdb "get 0x12345678" sync; do
		"$KM_BUILD/keymail" -c "$T/no-such.conf" $sub </dev/null 2>"$T/err"; rc=$?
		check_eq "as root: $sub exits 77 (EX_NOPERM) before reading the configuration" "$rc" 77
		check "as root: $sub says why" grep -q 'refusing to run as root' "$T/err"
	done
	printf 'From: a@example.org\nSubject: HELP\n\n' > "$T/h.eml"
	"$KM_BUILD/keymail" filter < "$T/h.eml" 2>/dev/null
	check_eq "as root: a mail is not handled" "$(nreplies)" 0
else
	echo "NOTE: not root: the root refusal was not tested (2 x 4 + 1 checks not run)"
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
