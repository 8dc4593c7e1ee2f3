# Who gets no reply (mail-protocol.md 5), and header injection.
. "$KM_TOP/tests/lib.sh"
km_newdb rules
noreply() { # DESCRIPTION HEADERS...
	d=$1; shift
	before=$(nreplies)
	{ for h in "$@"; do printf '%s\n' "$h"; done; printf 'Subject: HELP\n\nbody\n'; } > "$T/n.eml"
	km_filter "$T/n.eml"
	check_eq "$d: exit" "$rc" 0
	check_eq "$d: no reply" "$(nreplies)" "$before"
}
noreply "MAILER-DAEMON" "From: MAILER-DAEMON@example.org"
noreply "postmaster" "From: Postmaster <POSTMASTER@example.org>"
noreply "list -request" "From: foo-request@lists.example.org"
noreply "null Return-Path" "Return-Path: <>" "From: a@example.org"
noreply "Auto-Submitted" "From: a@example.org" "Auto-Submitted: auto-replied"
noreply "Precedence bulk" "From: a@example.org" "Precedence: bulk"
noreply "Precedence list" "From: a@example.org" "Precedence: list"
noreply "List-Id" "From: a@example.org" "List-Id: <x.lists.example.org>"
noreply "our own X-Loop" "From: a@example.org" "X-Loop: pgp-public-keys@keys.test.example"
noreply "our own address" "From: pgp-public-keys@keys.test.example"
noreply "no From at all" "To: x@example.org"
noreply "unusable From" "From: not an address"

before=$(nreplies)
printf 'From: a@example.org\nAuto-Submitted: no\nSubject: HELP\n\n' > "$T/y.eml"; km_filter "$T/y.eml"
check_eq "Auto-Submitted: no is answered" "$(nreplies)" "$((before + 1))"

before=$(nreplies)
printf 'From: a@example.org\nX-Loop: xpgp-public-keys@keys.test.example\nSubject: HELP\n\n' > "$T/y.eml"; km_filter "$T/y.eml"
check_eq "X-Loop of another address is answered" "$(nreplies)" "$((before + 1))"
noreply "our own X-Loop with a display name" "From: a@example.org" "X-Loop: Robot <PGP-Public-Keys@keys.test.example>"

# Header injection: an encoded CR LF in the Subject must not create a header.
printf 'From: a@example.org\nSubject: =?UTF-8?Q?GET_x=0D=0ABcc:_victim@example.net?=\n\n' > "$T/inj.eml"
km_filter "$T/inj.eml"
r=$(last_reply)
check "no Bcc header injected" sh -c "! grep -qi '^Bcc:' '$r'"
check "no victim address in headers" sh -c "! sed '/^\$/q' '$r' | grep -v '^Subject:' | grep -v '^[ \t]' | grep -qi 'victim'"
# A From with CR/LF smuggled through an encoded display name
printf 'From: =?UTF-8?Q?x=0D=0ATo:_victim@example.net?= <a@example.org>\nSubject: HELP\n\n' > "$T/inj2.eml"
km_filter "$T/inj2.eml"
r=$(last_reply)
check_eq "reply goes to the addr-spec only" "$(sed '/^$/q' "$r" | grep -c '^To:.*victim')" 0
# every header line we wrote is short and has no bare CR
check "no CR in reply" sh -c "! grep -q \"\$(printf '\\r')\" '$r'"
check "header lines <= 998" sh -c "! sed '/^\$/q' '$r' | awk 'length > 998' | grep -q ."
km_done
