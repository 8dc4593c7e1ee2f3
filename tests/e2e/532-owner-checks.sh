# The checks of a control block, end to end through keymail filter
# (owner-control.md 5.2-5.4): each fails closed with its own reason line,
# leaves the key as it was and nothing pending (no challenge): a flipped
# byte, Subject and block differing, another keyserver, another signer,
# SHA-1, signed too long ago and in the future (gpg --faked-system-time),
# an extra armor header, two signatures, a replayed nonce, a command
# signed before the last one of its class (superseded), and the MTA
# delivering the same mail twice (carried out once, answered twice).
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/owner-lib.sh"
command -v gpg >/dev/null || { notok "gpg not installed"; km_done; exit 1; }

own_newdb own532
H=$(own_home owner)
O=$(own_genkey "$H" ed "Owner C <c@owner.example>")
X=$(own_genkey "$H" ed "Other X <x@owner.example>")
own_export "$H" "$O" "$T/o.asc"
own_export "$H" "$X" "$T/x.asc"
cat "$T/o.asc" "$T/x.asc" >"$T/both.asc"
own_send ADD "$T/both.asc"
NOW=$(date +%s)
state() {
	psql "$KM_DB" -qAtc "select coalesce((select o.state from owner o join keys k on k.id = o.key_id where k.fingerprint = decode('$O', 'hex')), 'none')"
}
pending() { psql "$KM_DB" -qAtc "select count(*) from pending"; }
# refused NAME BODYFILE [SUBJECT]: the command is refused with a line
# starting "refused: ", nothing changes and nothing is pending.
refused() {
	_s0=$(state)
	own_send "${3:-SHOW $O}" "$2"
	check_eq "$1: subject" "$(reply_subject "$reply")" "Your command, ${3:-SHOW $O}, failed"
	decoded_body "$reply" >"$T/r.txt"
	check "$1: a refusal line" grep -q '^refused: ' "$T/r.txt"
	check_eq "$1: state unchanged" "$(state)" "$_s0"
	check_eq "$1: nothing pending" "$(pending)" 0
	_why=$(grep '^refused: ' "$T/r.txt" | head -n 1)
}

own_block "$H" "$O" SHOW >"$T/good.txt"
# A flipped byte in the signed text.
sed 's/^command: SHOW$/command: SHOX/' "$T/good.txt" >"$T/flip.txt"
refused "flipped byte" "$T/flip.txt"
sed 's/^nonce: \(.\)/nonce: X\1/' "$T/good.txt" >"$T/flip2.txt"
refused "flipped nonce" "$T/flip2.txt"
check_eq "flipped nonce: reason" "$_why" "refused: signature does not verify"
# Subject and block differ.
own_block "$H" "$O" HIDE >"$T/hide.txt"
refused "Subject/block mismatch" "$T/hide.txt"
check "mismatch: reason" sh -c "echo '$_why' | grep -q 'Subject and control block'"
# Another keyserver.
OWN_SERVER=keys@elsewhere.example own_block "$H" "$O" SHOW >"$T/srv.txt"
refused "foreign keyserver" "$T/srv.txt"
check_eq "foreign keyserver: reason" "$_why" "refused: control block is for another keyserver"
# Another signer.
OWN_SIGNER=$X own_block "$H" "$O" SHOW >"$T/other.txt"
refused "other signer" "$T/other.txt"
check_eq "other signer: reason" "$_why" "refused: signed by a key other than $O"
# SHA-1.
{ echo "keymail-control: 1"; echo "keyserver: $ROBOT"; echo "command: SHOW";
  echo "fingerprint: $O"; echo "nonce: $(own_nonce)"; } >"$T/sha1.in"
own_gpg "$H" --digest-algo SHA1 --local-user "$O" --clearsign --output "$T/sha1.txt" "$T/sha1.in"
refused "SHA-1" "$T/sha1.txt"
check_eq "SHA-1: reason" "$_why" "refused: hash algorithm SHA-1 not accepted"
# Too old (3 days, over control_max_age 48 h) and too new (1 hour ahead).
OWN_TIME=$((NOW - 3 * 86400)) own_block "$H" "$O" SHOW >"$T/old.txt"
refused "too old" "$T/old.txt"
check_eq "too old: reason" "$_why" "refused: signed too long ago"
OWN_TIME=$((NOW + 3600)) own_block "$H" "$O" SHOW >"$T/new.txt"
refused "too new" "$T/new.txt"
check_eq "too new: reason" "$_why" "refused: signed in the future"
# An armor header other than Hash:.
sed '1a Comment: added' "$T/good.txt" >"$T/hdr.txt"
refused "extra armor header" "$T/hdr.txt"
check_eq "extra armor header: reason" "$_why" "refused: armor header other than Hash: in the signed block"
# Two signatures (two signers at once).
own_gpg "$H" --local-user "$O" --local-user "$X" --clearsign --output "$T/two.txt" \
    "$T/block.txt" 2>/dev/null
refused "two signatures" "$T/two.txt"
check_eq "two signatures: reason" "$_why" "refused: not exactly one signature"
# Two blocks in one mail.
cat "$T/good.txt" "$T/good.txt" >"$T/twice.txt"
refused "two blocks" "$T/twice.txt"
check_eq "two blocks: reason" "$_why" "refused: more than one signed block in the message"

# ---- replay, order, redelivery ------------------------------------------------
OWN_TIME=$((NOW - 7200)) own_block "$H" "$O" SHOW >"$T/s1.txt"
OWN_TIME=$((NOW - 3600)) own_block "$H" "$O" HIDE >"$T/s2.txt"
own_send "HIDE $O" "$T/s2.txt"
check_eq "HIDE signed an hour ago" "$(reply_subject "$reply")" "Your command, HIDE $O"
check_eq "claimed hidden" "$(state)" hidden
refused "superseded SHOW (signed before the HIDE)" "$T/s1.txt"
check_eq "superseded: reason" "$_why" "refused: superseded by a command signed later"
check_eq "still hidden" "$(state)" hidden
# The same block again, in a new mail: replayed.
refused "replay" "$T/s2.txt" "HIDE $O"
check_eq "replay: reason" "$_why" "refused: replayed"
# Another class is not ordered against visibility: NOTIFY OFF signed two
# hours ago still goes through.
OWN_TIME=$((NOW - 7200)) own_block "$H" "$O" NOTIFY OFF >"$T/n.txt"
own_send "NOTIFY $O OFF" "$T/n.txt"
check_eq "NOTIFY of another class" "$(reply_subject "$reply")" "Your command, NOTIFY $O OFF"
# The MTA delivering one mail twice: carried out once, answered both times.
own_block "$H" "$O" SHOW >"$T/s3.txt"
km_mail "$T/same.eml" "SHOW $O" "$T/s3.txt"
n0=$(nreplies)
km_filter "$T/same.eml"
check_eq "first delivery" "$(reply_subject "$(own_nth 1)")" "Your command, SHOW $O"
check_eq "shown" "$(state)" visible
OWN_TIME=$((NOW - 60)) own_block "$H" "$O" HIDE >"$T/s4.txt"
km_filter "$T/same.eml"
check_eq "second delivery answered as carried out" "$(reply_subject "$(own_nth 1)")" "Your command, SHOW $O"
check "second delivery: says so" sh -c "grep -q 'first delivered' '$(own_nth 1)'"
check_eq "two replies" "$(nreplies)" $((n0 + 2))
# A HIDE signed a minute ago (before the SHOW above): superseded.
refused "older HIDE" "$T/s4.txt" "HIDE $O"
check_eq "older HIDE: reason" "$_why" "refused: superseded by a command signed later"
km_done
