# MGET REGEX: PCRE2 over user IDs and hex key IDs/fingerprints, replies
# like GET (checked by importing into GnuPG), with a clear error for bad
# patterns, hostile patterns (match and depth limits, work budget) and
# too many results. Also: LAST is bounded by max_reply_keys.
#
# The keys are made afresh by GnuPG each run, so their key IDs and
# fingerprints are random hex. MGET tries those before the user IDs and
# stops at a key's first match, and matching is case-insensitive: a hostile
# pattern over the letter a would, whenever a key ID happened to end in A,
# find the key by its ID and never reach the user ID it explodes on (one
# run in eight). So the hostile user ID is made of a letter that is no hex
# digit (z), and every pattern here either is anchored on text no hex
# string has, or names the whole hex string it looks for.
. "$KM_TOP/tests/lib.sh"
km_newdb mget
km_gpg_init
ZS=zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz
km_gpg_genkey ed25519 'Alice Example <alice@example.org>'
km_gpg_genkey ed25519 'Bob Builder <bob@work.example>'
km_gpg_genkey ed25519 "$ZS!"
ALICE=$(km_gpg_fpr alice@example.org)
BOB=$(km_gpg_fpr bob@work.example)
ZZZ=$(km_gpg_fpr "$ZS!")
check "three test keys" test -n "$ALICE" -a -n "$BOB" -a -n "$ZZZ"
gpg --batch --pinentry-mode loopback --passphrase '' --quick-add-key "$BOB" cv25519 encr never 2>/dev/null
# The precondition of the hostile-pattern checks, whatever GnuPG drew: no
# z (and no !) anywhere but in the z-key's user ID.
check_eq "only the z-key's user ID has a z" \
    "$(gpg --with-colons -k | awk -F: '$1 ~ /^(pub|sub|fpr|uid)$/ {print $5 $10}' | grep -ci '[z!]')" 1
gpg --armor --export "$ALICE" "$BOB" "$ZZZ" >"$T/all.asc"
km_mail "$T/add.eml" ADD "$T/all.asc"
km_filter "$T/add.eml"
check_eq "ADD" "$(reply_subject "$(last_reply)")" "Your command, ADD"

# mget PATTERN: send MGET, leave the reply in $R, its subject in $S.
# Each from its own address, so the reply rate limit never interferes.
nmail=0
mget() {
	nmail=$((nmail + 1))
	km_mail "$T/m.eml" "MGET $1" "" "Tester $nmail <tester$nmail@example.org>"
	km_filter "$T/m.eml"
	R=$(last_reply)
	S=$(reply_subject "$R")
}
# served: the fingerprints GnuPG finds in the reply, sorted, space-separated
served() {
	decoded_body "$R" >"$T/body.txt"
	gpg --with-colons --import-options show-only --import "$T/body.txt" 2>/dev/null |
	    awk -F: '$1 == "pub" {w = 1} $1 == "fpr" && w {print $10; w = 0}' | sort | tr '\n' ' '
}
sorted() { for f; do echo "$f"; done | sort | tr '\n' ' '; }

mget 'alice@example'
check_eq "MGET words: subject" "$S" "Your command, MGET alice@example"
check_eq "MGET words: Alice" "$(served)" "$ALICE "
mget 'ALICE@EXAMPLE\.ORG'
check_eq "MGET is case-insensitive" "$(served)" "$ALICE "
mget 'bob@(example|work)\.example|^alice'
check_eq "MGET alternation" "$(served)" "$(sorted "$ALICE" "$BOB")"
# Key IDs and fingerprints, upper-case hex, each on its own (anchors).
short=$(echo "$BOB" | cut -c33-40)
long=$(echo "$BOB" | cut -c25-40)
mget "^$short\$"
check_eq "MGET short key ID, anchored" "$(served)" "$BOB "
mget "^$(echo "$long" | tr A-F a-f)\$"
check_eq "MGET long key ID, lower case" "$(served)" "$BOB "
mget "^$ALICE\$|$short"
check_eq "MGET fingerprint or key ID" "$(served)" "$(sorted "$ALICE" "$BOB")"
# A subkey's ID finds its key (as GET does).
sub=$(gpg --with-colons -k "$BOB" | awk -F: '$1 == "sub" {print $5; exit}')
mget "$sub"
check_eq "MGET subkey ID" "$(served)" "$BOB "

mget 'nobody@nowhere'
check_eq "no match: subject" "$S" "Your command, MGET nobody@nowhere, failed"
decoded_body "$R" | grep -q 'No matching keys' && ok || notok "no match: text"

# Catastrophic backtracking: refused promptly with a clear error. (z+)+$
# has no literal that PCRE2 could require up front, so it is really run
# on the z-key's user ID, where it explodes; no hex string has a z.
mget '(z+)+$'
check_eq "(z+)+\$: failed" "$S" "Your command, MGET (z+)+\$, failed"
decoded_body "$R" >"$T/body.txt"
check "(z+)+\$: names the limit" grep -q 'mget_match_limit' "$T/body.txt"
check "(z+)+\$: says it was stopped" grep -q 'was stopped' "$T/body.txt"
# The same pattern is fine on text where it does not explode.
mget '^(z+)+!$'
check_eq "^(z+)+!\$ finds the z-key" "$(served)" "$ZZZ "

# Invalid patterns: PCRE2's message and the offset.
mget 'alice(example'
check_eq "bad pattern: failed" "$S" "Your command, MGET alice(example, failed"
decoded_body "$R" >"$T/body.txt"
check "bad pattern: PCRE2's message" grep -q 'missing closing parenthesis' "$T/body.txt"
check "bad pattern: the offset" grep -q 'at offset 13' "$T/body.txt"
mget 'x'
check_eq "1 character: failed" "$S" "Your command, MGET x, failed"
decoded_body "$R" | grep -q 'between 2 and 255' && ok || notok "1 character: length named"
km_mail "$T/m0.eml" "MGET" "" "Empty Tester <empty@example.org>"
km_filter "$T/m0.eml"
check_eq "no pattern: failed" "$(reply_subject "$(last_reply)")" "Your command, MGET, failed"

# Limits from the configuration.
cp "$T/keymail.conf" "$T/keymail.conf.orig"
echo "max_reply_keys = 2" >>"$T/keymail.conf"
mget '.+'
check_eq "too many: failed" "$S" "Your command, MGET .+, failed"
decoded_body "$R" | grep -q 'More than 2 keys match (limit max_reply_keys)' && ok || notok "too many: text"
mget 'alice|bob'
check_eq "two keys under a cap of 2" "$(served)" "$(sorted "$ALICE" "$BOB")"
# LAST is bounded by max_reply_keys too (3 keys changed today).
km_mail "$T/l.eml" "LAST 1" "" "Last Tester <last@example.org>"
km_filter "$T/l.eml"
check_eq "LAST over max_reply_keys: failed" "$(reply_subject "$(last_reply)")" "Your command, LAST 1, failed"
decoded_body "$(last_reply)" | grep -q 'More than 2 keys changed in that time (limit max_reply_keys)' && ok || notok "LAST: names max_reply_keys"
echo "max_reply_keys = 3" >>"$T/keymail.conf"
echo "max_last_reply_keys = 2" >>"$T/keymail.conf"
km_filter "$T/l.eml"
decoded_body "$(last_reply)" | grep -q 'More than 2 keys changed in that time (limit max_last_reply_keys)' && ok || notok "LAST: the smaller limit wins"
cp "$T/keymail.conf.orig" "$T/keymail.conf"
km_filter "$T/l.eml"
check_eq "LAST under the cap" "$(reply_subject "$(last_reply)")" "Your command, LAST 1"
# The depth limit on its own.
echo "mget_depth_limit = 10" >>"$T/keymail.conf"
mget '^(z|y)*!$'
check_eq "depth limit: failed" "$S" "Your command, MGET ^(z|y)*!\$, failed"
decoded_body "$R" | grep -q 'mget_depth_limit' && ok || notok "depth limit: named"
cp "$T/keymail.conf.orig" "$T/keymail.conf"
mget '^(z|y)*!$'
check_eq "deeper allowed: the z-key" "$(served)" "$ZZZ "
# The work budget for the whole scan.
echo "mget_max_work = 50" >>"$T/keymail.conf"
mget 'alice'
check_eq "budget: failed" "$S" "Your command, MGET alice, failed"
decoded_body "$R" | grep -q 'mget_max_work' && ok || notok "budget: named"
cp "$T/keymail.conf.orig" "$T/keymail.conf"
km_done
