# The named limits at their compiled-in defaults (util/limits.h), with
# mails made here: each over-limit mail gets one short reply naming the
# limit and exit 0 (no retry loop), and nothing in it is carried out.
# (The hostile corpus, 435, checks the same limits set small.)
# max_decoded_size (20 MiB) cannot be reached under max_message_size
# (10 MiB), as transfer decoding never makes data larger; it is a second
# line of defence, checked with a small value in the corpus.
. "$KM_TOP/tests/lib.sh"
km_newdb limits
hdr() { printf 'From: Lim Tester <lim@example.org>\nTo: pgp-public-keys@keys.test.example\nSubject: %s\n' "$1"; }
subject_decoded() { $PY -c "import email, sys; from email import policy; print(email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.default)['Subject'])" "$1"; }
limit_case() { # DESCRIPTION FILE LIMIT-NAME
	before=$(nreplies)
	"$KEYMAIL" filter < "$2" 2>"$T/err"; rc=$?
	check_eq "$1: exit 0" "$rc" 0
	check_eq "$1: one reply" "$(nreplies)" "$((before + 1))"
	r=$(last_reply)
	check "$1: reply names $3" grep -q "$3" "$r"
	case $(subject_decoded "$r") in
	*", failed") ok ;;
	*) notok "$1: Subject says failed" ;;
	esac
}

# 10 MiB + 1 byte: refused before parsing, and read to the end (the MTA
# must not see a broken pipe).
{ hdr ADD; printf '\n'; } > "$T/big.eml"
$PY -c "import sys; sys.stdout.write(('k' * 1023 + '\n') * (10 * 1024) + 'x')" >> "$T/big.eml"
check "message is over 10 MiB" [ "$(wc -c < "$T/big.eml")" -gt 10485760 ]
limit_case "message over 10 MiB" "$T/big.eml" max_message_size

{ hdr HELP; i=0; while [ $i -lt 500 ]; do echo "X-H$i: $i"; i=$((i + 1)); done; echo; } > "$T/headers.eml"
limit_case "501 header fields" "$T/headers.eml" max_headers

{ hdr HELP; printf 'X-Long: %s\n\n' "$($PY -c "print('l' * 1000)")"; } > "$T/line.eml"
limit_case "header line of 1008 bytes" "$T/line.eml" max_header_line

{ hdr HELP; i=0; while [ $i -lt 80 ]; do printf 'X-P%d: %s\n' $i "$($PY -c "print('p' * 900)")"; i=$((i + 1)); done; echo; } > "$T/hsize.eml"
limit_case "73 KiB of headers" "$T/hsize.eml" max_header_size

# 1026 bytes once decoded: "INDEX " and four RFC 2047 words on folded
# lines, each of 85 euro signs (3 bytes each in UTF-8); adjacent encoded
# words join without the blank between them.
w=$($PY -c "print('=?UTF-8?Q?' + '=E2=82=AC' * 85 + '?=')")
{ printf 'From: lim@example.org\nSubject: INDEX %s\n %s\n %s\n %s\n\n' "$w" "$w" "$w" "$w"; } > "$T/subj.eml"
limit_case "Subject of 1026 bytes after decoding" "$T/subj.eml" max_subject

nest() { # DEPTH: nested multipart/mixed, a text part at the bottom
	d=1
	while [ $d -le "$1" ]; do
		[ $d -gt 1 ] && printf -- '--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n' $((d - 1)) $d
		d=$((d + 1))
	done
	printf -- '--b%d\nContent-Type: text/plain\n\nbottom\n' "$1"
	d=$1
	while [ $d -ge 1 ]; do printf -- '--b%d--\n' $d; d=$((d - 1)); done
}
{ hdr ADD; printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b1\n\n'; nest 9; } > "$T/deep.eml"
limit_case "MIME nested 9 deep" "$T/deep.eml" max_mime_depth
{ hdr ADD; printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b1\n\n'; nest 8; } > "$T/deep8.eml"
"$KEYMAIL" filter < "$T/deep8.eml" 2>/dev/null
check "MIME nested 8 deep is read (ADD finds no key, no limit named)" sh -c "! grep -q max_mime_depth '$(last_reply)' && grep -q 'No public key block' '$(last_reply)'"

{ hdr ADD; printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=mp\n\n'
  i=0; while [ $i -lt 101 ]; do printf -- '--mp\nContent-Type: text/plain\n\npart %d\n' $i; i=$((i + 1)); done
  printf -- '--mp--\n'; } > "$T/parts.eml"
limit_case "101 MIME parts" "$T/parts.eml" max_mime_parts

# 1001 keys in one ADD (the same key 1001 times): the first 1000 are
# processed, the reply says so.
km_gpg_init
km_gpg_genkey ed25519 'Many Times <many@example.org>'
gpg --armor --export many@example.org > "$T/one.asc"
i=0; while [ $i -lt 1001 ]; do cat "$T/one.asc"; i=$((i + 1)); done > "$T/many.asc"
km_mail "$T/many.eml" ADD "$T/many.asc"
before=$(nreplies)
"$KEYMAIL" filter < "$T/many.eml" 2>/dev/null; check_eq "1001 keys: exit 0" $? 0
check_eq "1001 keys: one reply" "$(nreplies)" "$((before + 1))"
check "1001 keys: reply names max_keys_per_add" grep -q 'Only the first 1000 keys were processed (limit max_keys_per_add)' "$(last_reply)"
check_eq "1001 keys: one key stored" "$(psql "$KM_DB" -Atc 'select count(*) from keys')" 1

# Over a limit and from a robot: silence, still exit 0.
{ printf 'Return-Path: <>\n'; cat "$T/headers.eml"; } > "$T/bounce.eml"
before=$(nreplies)
"$KEYMAIL" filter < "$T/bounce.eml" 2>/dev/null; check_eq "over a limit, from a bounce: exit 0" $? 0
check_eq "over a limit, from a bounce: no reply" "$(nreplies)" "$before"
km_done
