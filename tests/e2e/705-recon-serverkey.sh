# The server key (reconciliation.md 3) and the configuration of
# reconciliation (2, 4.1): keymail serverkey makes the key file once
# (mode 600, exactly three lines), never replaces it, publishes the
# public key in the store (GET, HELP, export; GnuPG imports it and finds
# its self-signature good), and refuses unusable files with the exit
# statuses of 3.3; bad recon_peer lines are configuration errors; keymail
# recon says what is missing. Finally the signature of a captured OFFER
# verifies with `gpg --verify` against the key the sender serves by GET.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/recon-lib.sh"
km_gpg_init

recon_instance a || { km_done; exit 1; }
key=$T/a/server-key
check "serverkey printed a fingerprint" sh -c "echo '$FPR_a' | grep -qx '[0-9A-F]\{40\}'"
check_eq "key file mode" "$(stat -c %a "$key")" 600
check_eq "key file lines" "$(wc -l <"$key")" 3
check "key file format" sh -c "sed -n 1p '$key' | grep -qx 'keymail-server-key 1' &&
    sed -n 2p '$key' | grep -qx 'created [0-9]*' &&
    sed -n 3p '$key' | grep -qx 'ed25519-seed [0-9a-f]\{64\}'"
check "no temporary file left" sh -c "[ \$(ls -A '$T/a' | wc -l) -eq 1 ]"
sum1=$(md5sum <"$key")
out=$("$KEYMAIL" -c "$T/a.conf" serverkey 2>/dev/null)
check_eq "second run: same fingerprint" "$out" "$FPR_a"
check_eq "second run: file unchanged" "$(md5sum <"$key")" "$sum1"
check_eq "one key row for it" "$(recon_psql a "select count(*) from keys where fingerprint = decode('$FPR_a', 'hex')")" 1
data1=$(recon_psql a "select md5(data) from keys where fingerprint = decode('$FPR_a', 'hex')")
"$KEYMAIL" -c "$T/a.conf" serverkey >/dev/null 2>&1
check_eq "merge is idempotent" "$(recon_psql a "select md5(data) from keys where fingerprint = decode('$FPR_a', 'hex')")" "$data1"

# Published: GET by fingerprint and by words, GnuPG imports it.
"$KEYMAIL" -c "$T/a.conf" get "0x$FPR_a" >"$T/a.asc"
check_eq "keymail get 0xFPR" "$?" 0
gpg --batch --import "$T/a.asc" 2>/dev/null
check_eq "GnuPG imports it under that fingerprint" "$(km_gpg_fpr "$FPR_a")" "$FPR_a"
check "user ID" sh -c "gpg --with-colons --list-keys '$FPR_a' | grep -q '^uid:.*keymail server key <pgp-public-keys@a.keys.test>'"
check "algorithm EdDSA on ed25519, sign and certify" sh -c "gpg --with-colons --list-keys '$FPR_a' | grep -q '^pub:[^:]*:255:22:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:scSC:.*:ed25519:'"
check "self-signature good" sh -c "gpg --with-colons --check-sigs '$FPR_a' 2>/dev/null | grep -q '^sig:!:'"
"$KEYMAIL" -c "$T/a.conf" index 'keymail server key' >"$T/idx" 2>&1
check "INDEX keymail server key" grep -q 'keymail server key' "$T/idx"
# HELP ends with the Server key line, in every language.
km_mail "$T/help.eml" HELP
"$KEYMAIL" -c "$T/a.conf" filter <"$T/help.eml" 2>/dev/null
check "HELP carries Server key: FPR" sh -c "grep -q '^Server key: $FPR_a\$' \"\$(ls '$T'/outbox/*.eml | tail -n 1)\""
# (An unknown command gets a few lines, never the help text (README,
# "Choices"), so there is no help to carry the line there.)
km_mail "$T/helpde.eml" "HELP de"
"$KEYMAIL" -c "$T/a.conf" filter <"$T/helpde.eml" 2>/dev/null
check "HELP de carries it too" sh -c "grep -q '^Server key: $FPR_a\$' \"\$(ls '$T'/outbox/*.eml | tail -n 1)\""

# ---- exit statuses of keymail serverkey (spec 3.3) -----------------------
sk() { "$KEYMAIL" -c "$T/sk.conf" serverkey >"$T/sk.out" 2>"$T/sk.err"; rc=$?; }
mkconf() {
	sed "s|^server_key = .*|server_key = $1|" "$T/a.conf" >"$T/sk.conf"
}
mkconf "$T/nodir/server-key"
sk
check_eq "missing directory: 73" "$rc" 73
check_eq "nothing on standard output" "$(wc -c <"$T/sk.out")" 0
cp "$key" "$T/a/copy"
km_give "$T/a/copy"
chmod 640 "$T/a/copy"
mkconf "$T/a/copy"
sk
check_eq "group read is allowed" "$rc" 0
check_eq "group read: same key" "$(cat "$T/sk.out")" "$FPR_a"
chmod 660 "$T/a/copy"
sk
check_eq "group write: 78" "$rc" 78
check "names the file" grep -q "$T/a/copy" "$T/sk.err"
chmod 604 "$T/a/copy"
sk
check_eq "others read: 78" "$rc" 78
chmod 600 "$T/a/copy"
printf 'keymail-server-key 1\ncreated 5\ned25519-seed %s\n' "$(printf '%064d' 0 | tr 0 A)" >"$T/a/bad"
km_give "$T/a/bad"; chmod 600 "$T/a/bad"
mkconf "$T/a/bad"
sk
check_eq "upper-case seed: 78" "$rc" 78
ln -s "$T/a/copy" "$T/a/link"
mkconf "$T/a/link"
sk
check_eq "symbolic link: 78" "$rc" 78
mkconf "$T/a"
sk
check_eq "a directory: 78" "$rc" 78
if [ "$(id -u)" = 0 ]; then
	cp "$key" "$T/rootowned"; chmod 600 "$T/rootowned"
	mkconf "$T/rootowned"
	sk
	check_eq "owned by another user: 78" "$rc" 78
fi
# A new key while the database is down: the file is kept, 75.
sed -e "s|^server_key = .*|server_key = $T/a/new-key|" \
    -e "s|^database = .*|database = host=$T/nonexistent dbname=none connect_timeout=2|" \
    "$T/a.conf" >"$T/sk.conf"
sk
check_eq "database down: 75" "$rc" 75
check "the new file is kept" test -s "$T/a/new-key"

# ---- configuration -------------------------------------------------------
cfg() { cp "$T/a.conf" "$T/cfg.conf"; echo "$1" >>"$T/cfg.conf"; "$KEYMAIL" -c "$T/cfg.conf" recon -l >/dev/null 2>"$T/cfg.err"; rc=$?; }
cfg "recon_peer = pgp-public-keys@b.keys.test 1234"
check_eq "short fingerprint: 78" "$rc" 78
cfg "recon_peer = pgp-public-keys@b.keys.test"
check_eq "no fingerprint: 78" "$rc" 78
cfg "recon_peer = Peer <pgp-public-keys@b.keys.test> $FPR_a"
check_eq "display name: 78" "$rc" 78
cfg "recon_peer = pgp-public-keys@a.keys.test $FPR_a"
check_eq "our own address: 78" "$rc" 78
cfg "recon_peer = pgp-public-keys@b.keys.test $FPR_a
recon_peer = PGP-public-keys@B.keys.test $FPR_a"
check_eq "an address twice: 78" "$rc" 78
cfg "recon_max_cells = 0"
check_eq "recon_max_cells 0: 78" "$rc" 78
cfg "recon_max_cells = 2000000"
check_eq "recon_max_cells over 2^20: 78" "$rc" 78
# A fingerprint whose key is not in the store (the store holds only A's).
NOKEY=00112233445566778899AABBCCDDEEFF00112233
cfg "recon_peer = pgp-public-keys@b.keys.test $(echo "$NOKEY" | tr A-F a-f)"
check_eq "lower-case fingerprint is fine" "$rc" 0
"$KEYMAIL" -c "$T/cfg.conf" recon -l >"$T/l.out" 2>/dev/null
check "recon -l line" grep -qx "pgp-public-keys@b.keys.test $NOKEY key=no last=never status=- d=0 next=[0-9T:-]*Z live=-" "$T/l.out"

# keymail recon: no peer, unknown ADDRESS, no server key.
recon_run a
check_eq "no recon_peer: 0" "$rc" 0
check "says so" grep -q 'no recon_peer is configured' "$T/a.conf.log"
"$KEYMAIL" -c "$T/cfg.conf" recon nobody@example.org >/dev/null 2>&1
check_eq "ADDRESS not a recon_peer: 64" "$?" 64
"$KEYMAIL" -c "$T/cfg.conf" recon -x >/dev/null 2>&1
check_eq "bad option: 64" "$?" 64
sed "s|^server_key = .*|server_key = $T/a/none|" "$T/cfg.conf" >"$T/nokey.conf"
"$KEYMAIL" -c "$T/nokey.conf" recon >/dev/null 2>"$T/nokey.err"
check_eq "no server key file: 78" "$?" 78
check "tells to run keymail serverkey" grep -q 'keymail serverkey' "$T/nokey.err"
# A peer whose key we do not hold is skipped with a warning, exit 0.
KEYMAIL_NOW=$(date +%s) "$KEYMAIL" -c "$T/cfg.conf" recon >/dev/null 2>"$T/skip.err"
check_eq "peer without key: 0" "$?" 0
check "skipped with the spec's warning" grep -q "recon: peer pgp-public-keys@b.keys.test skipped: its key $NOKEY is not in the store; load it with: keymail import <file with the key>" "$T/skip.err"
check_eq "and nothing mailed" "$(ls "$T"/outbox/*.eml | grep -c .)" "$(grep -l '^Subject: Your command' "$T"/outbox/*.eml | wc -l)"

# ---- a captured OFFER verifies with gpg --verify -------------------------
recon_instance b || { km_done; exit 1; }
echo "recon_peer = pgp-public-keys@b.keys.test $FPR_b" >>"$T/a.conf"
echo "recon_peer = pgp-public-keys@a.keys.test $FPR_a" >>"$T/b.conf"
"$KEYMAIL" -c "$T/b.conf" get "0x$FPR_b" >"$T/b.pub"
"$KEYMAIL" -c "$T/a.conf" import -q <"$T/b.pub" 2>/dev/null
n0=$(ls "$T"/outbox/*.eml | wc -l)
RECON_A=a RECON_B=b
recon_run a
check_eq "recon at A" "$rc" 0
offer=$(ls "$T"/outbox/*.eml | tail -n 1)
check "an OFFER was filed" grep -q '^Subject: RECON OFFER [0-9a-f]\{16\}$' "$offer"
check_eq "one mail" "$(ls "$T"/outbox/*.eml | wc -l)" $((n0 + 1))
$PY "$KM_TOP/tests/recon-forge.py" split "$offer" "$T/offer.data" "$T/offer.sig"
# The public key as A serves it by GET, in a fresh keyring.
mkdir -p "$T/verify"; chmod 700 "$T/verify"
gpg --homedir "$T/verify" --batch --import "$T/a.asc" 2>/dev/null
gpg --homedir "$T/verify" --batch --status-fd 1 --verify "$T/offer.sig" "$T/offer.data" >"$T/verify.out" 2>/dev/null
check_eq "gpg --verify" "$?" 0
check "GOODSIG by the server key" grep -q "^\[GNUPG:\] VALIDSIG $FPR_a " "$T/verify.out"
check "signed with SHA-512 and EdDSA" sh -c "grep '^\[GNUPG:\] VALIDSIG' '$T/verify.out' | awk '{print \$9, \$10}' | grep -qx '22 10'"
$PY "$KM_TOP/tests/recon-forge.py" show "$offer" >"$T/offer.show"
check "OFFER fields" sh -c "grep -qx 'm 128' '$T/offer.show' && grep -qx 'max_cells 65536' '$T/offer.show' && grep -qx 'seq 1' '$T/offer.show' && grep -qx 'sender $FPR_a' '$T/offer.show' && grep -qx 'recipient $FPR_b' '$T/offer.show'"
check "OFFER mail headers" sh -c "grep -qx 'Content-Type: application/x-keymail-recon' '$offer' && grep -qx 'Content-Transfer-Encoding: base64' '$offer' && grep -qx 'Auto-Submitted: auto-generated' '$offer' && grep -qx 'To: pgp-public-keys@b.keys.test' '$offer'"
check "base64 lines of 76" sh -c "awk 'b && length(\$0) > 76 {bad = 1} /^\$/ {b = 1} END {exit bad}' '$offer'"
km_done
