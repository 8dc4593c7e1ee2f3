# The machine-readable HKP listing (server.md 5.3, options=mr) against
# GnuPG's own view of the same keys (gpg --with-colons): for keys made by
# GnuPG with the properties the listing carries - an expiry to come, an
# expiry passed (made under faketime in the past), a revoked key, a
# revoked user ID, a user ID whose binding expired, a photo ID - every
# pub field (fingerprint, algorithm, bits, creation, expiry, r/e flags)
# and every uid field (creation and expiry of the binding that counts,
# r/e flags) must be what GnuPG says.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/serve-lib.sh"
trap sv_cleanup EXIT
km_newdb hkpmr
sv_conf "hkp_listen = 127.0.0.1:0" "serve_workers = 1"
sv_start || { km_done; exit 1; }
km_gpg_init
gen() { gpg --batch --pinentry-mode loopback --passphrase '' --quick-gen-key "$1" "$2" default "$3" >/dev/null 2>&1; }
fpr_of() { km_gpg_fpr "$1"; }

gen 'Future Expiry <future@example.org>' ed25519 2y
gen 'Never Expires <never@example.org>' rsa2048 never
# made three years ago, valid for a year: expired now
if command -v faketime >/dev/null 2>&1; then
	faketime -f '-1095d' gpg --batch --pinentry-mode loopback --passphrase '' \
	    --quick-gen-key 'Long Expired <expired@example.org>' ed25519 default 1y >/dev/null 2>&1
fi
gen 'Revoked Key <revoked@example.org>' ed25519 never
# the revocation certificate gpg made with the key, its guard colon removed
sed 's/^:-----BEGIN/-----BEGIN/' "$GNUPGHOME/openpgp-revocs.d/$(fpr_of revoked@example.org).rev" > "$T/rev.asc"
gpg --batch --import "$T/rev.asc" >/dev/null 2>&1
gen 'Two Uids <two@example.org>' ed25519 never
f=$(fpr_of two@example.org)
gpg --batch --pinentry-mode loopback --passphrase '' --quick-add-uid "$f" 'Gone Uid <gone@example.org>' >/dev/null 2>&1
gpg --batch --pinentry-mode loopback --passphrase '' --quick-revoke-uid "$f" 'Gone Uid <gone@example.org>' >/dev/null 2>&1
gpg --batch --pinentry-mode loopback --passphrase '' --quick-add-uid "$f" 'Third: 100% <third@example.org>' >/dev/null 2>&1

gpg --armor --export > "$T/all.asc"
st=$(curl -s -o "$T/add.out" -w '%{http_code}' --data-urlencode "keytext@$T/all.asc" "http://127.0.0.1:$SV_PORT/pks/add")
check_eq "upload of the test keys" "$st" 200

# gpg's view: per key, "pub:FPR:ALGO:BITS:CREATED:EXPIRES:FLAGS" and
# "uid:ESCAPED:CREATED:EXPIRES:FLAGS" lines in keymail's format. Where
# server.md 5.3 defines a field apart from what gpg's validity shows, the
# spec's rule is applied to gpg's numbers: a user ID is "e" when its own
# binding expired (not because the key did), and a revoked user ID's
# CREATED is its binding's, which gpg does not print (so it is not
# compared). User IDs are compared as a set: the listing keeps the stored
# order, gpg sorts its own way.
gpg_view() {
	gpg --with-colons --fixed-list-mode --list-keys "$1" 2>/dev/null | awk -F: -v now="$(date +%s)" '
	function flags(v) { return (v == "r" ? "r" : "") (v == "e" ? "e" : "") }
	$1 == "pub" { algo = $4; bits = $3; cr = $6; ex = $7; fl = flags($2); want_fpr = 1; next }
	$1 == "fpr" && want_fpr { print "pub:" $10 ":" algo ":" bits ":" cr ":" ex ":" fl; want_fpr = 0; next }
	$1 == "sub" { want_fpr = 0; next }
	$1 == "uid" {
		f = ($2 == "r") ? "r" : ""
		if ($7 != "" && $7 <= now) f = f "e"
		print "uid:" $10 ":" ($2 == "r" ? "*" : $6) ":" $7 ":" f }'
}
# Both sides: the revoked user IDs' CREATED masked; on a revoked key
# gpg shows every user ID revoked, while the listing's "r" is for a user
# ID's own revocation, so there the user IDs' flags and CREATED are
# masked; the pub line first, then the user IDs sorted.
normalize() {
	awk -F: 'BEGIN {OFS = ":"}
	    $1 == "pub" {rk = ($7 ~ /r/); print; next}
	    $1 == "uid" && rk {$3 = "*"; $5 = "*"}
	    $1 == "uid" && $5 ~ /r/ {$3 = "*"}
	    {print}' > "$T/norm"
	grep '^pub:' "$T/norm"
	grep '^uid:' "$T/norm" | sort
}
# gpg escapes ":" as \x3a in --with-colons; the listing escapes it (and
# "%", non-printable octets) as %XX
to_hkp() { sed 's/%/%25/g; s/\\x3a/%3A/g'; }
for email in future never expired revoked two; do
	fpr=$(fpr_of "$email@example.org")
	if [ -z "$fpr" ]; then
		echo "NOTE: no key for $email (faketime missing?): its checks were not run"
		continue
	fi
	st=$(hkp_get "/pks/lookup?op=index&options=mr&search=0x$fpr")
	check_eq "$email: index mr status" "$st" 200
	grep -v '^info:' "$T/body" | normalize > "$T/ours"
	gpg_view "$fpr" | to_hkp | normalize > "$T/theirs"
	check "$email: the listing is GnuPG's view" cmp -s "$T/ours" "$T/theirs"
	if ! cmp -s "$T/ours" "$T/theirs"; then
		echo "ours:"; cat "$T/ours"; echo "gpg:"; cat "$T/theirs"
	fi
done
hkp_get "/pks/lookup?op=index&options=mr&search=0x$(fpr_of revoked@example.org)" >/dev/null
check "revoked key: pub flags r" sh -c "grep '^pub:' '$T/body' | grep -q ':r\$'"
hkp_get "/pks/lookup?op=index&options=mr&search=0x$(fpr_of two@example.org)" >/dev/null
check "revoked user ID: flag r" grep -q '^uid:Gone Uid <gone@example.org>:[0-9]*::r$' "$T/body"
check "escaped user ID" grep -q '^uid:Third%3A 100%25 <third@example.org>:' "$T/body"
check_eq "info counts the keys" "$(head -n 1 "$T/body")" "info:1:1"
km_done
