# Key-update subscriptions (owner-control.md 10.1, 11, 14) with GnuPG 2.2:
# SUBSCRIBE answers with a token block in clear (", needs confirmation"),
# the same whether the key is stored or not; its CONFIRM answers with the
# key; the owner extends the expiry (gpg --quick-set-expire) and ADDs; the
# next keymail sync mails the subscriber one "keymail: key updates" with
# the new copy, which GnuPG imports with the new expiry; the run after
# mails nothing; a third party's certification alone mails nothing; a
# mailer failure loses nothing and the next run sends once; UNSUBSCRIBE +
# CONFIRM stops it. Run in open mode and once more in trusted mode.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/owner-lib.sh"
command -v gpg >/dev/null || { notok "gpg not installed"; km_done; exit 1; }

SUB="Sub Scriber <sub@example.net>"
body_has() { decoded_body "$reply" | grep -q "$1"; }
sync() { "$KEYMAIL" sync >>"$T/sync.log" 2>&1; check_eq "sync exit" "$?" 0; }
# updates: how many "keymail: key updates" mails went to sub@ so far.
updates() {
	_n=0
	for _f in "$T"/outbox/*.eml; do
		[ "$(reply_subject "$_f")" = "keymail: key updates" ] &&
		    [ "$(sed -n 's/^To: //p' "$_f" | head -n 1)" = sub@example.net ] &&
		    _n=$((_n + 1))
	done
	echo "$_n"
}
# expiry HOME FPR: the primary key's expiry as GnuPG lists it.
expiry() { gpg --homedir "$1" --with-colons --list-keys "$2" 2>/dev/null | awk -F: '$1 == "pub" {print $7; exit}'; }

own_newdb own651 open
own_conf max_address_mails_per_hour 0
own_conf max_token_mails_per_day 0
H=$(own_home owner)
O=$(own_genkey "$H" ed "Owner Sub <owner@sub.example>")
own_export "$H" "$O" "$T/o.asc"
own_send ADD "$T/o.asc" "Owner Sub <owner@sub.example>"
N=$(own_genkey "$H" rsa "Never Stored <never@sub.example>")

# ---- SUBSCRIBE: a token block in clear, whatever is stored -------------------
own_send "SUBSCRIBE $O" "" "$SUB"
check_eq "SUBSCRIBE subject" "$(reply_subject "$reply")" "Your command, SUBSCRIBE $O, needs confirmation"
check "SUBSCRIBE: to the subscriber" grep -q '^To: sub@example.net' "$reply"
decoded_body "$reply" >"$T/s.txt"
TOK=$(own_token_of "$T/s.txt")
check "SUBSCRIBE: one token" [ -n "$TOK" ]
check "token block: command" grep -q '^command: SUBSCRIBE$' "$T/s.txt"
check "token block: fingerprint" grep -q "^fingerprint: $O\$" "$T/s.txt"
check "token block: address" grep -q '^address: sub@example.net$' "$T/s.txt"
own_send "SUBSCRIBE $N" "" "Other <other@example.net>"
own_normal "$reply" | grep -v -e '^token: ' -e '^expires: ' -e '^with the Subject: CONFIRM' \
    -e '^fingerprint: ' -e '^Subject: ' -e '^ *SUBSCRIBE' -e '^To: ' -e '^address: ' -e '^In-Reply-To: ' -e '^References: ' >"$T/n.norm"
own_send "SUBSCRIBE $O" "" "Other <other@example.net>"
own_normal "$reply" | grep -v -e '^token: ' -e '^expires: ' -e '^with the Subject: CONFIRM' \
    -e '^fingerprint: ' -e '^Subject: ' -e '^ *SUBSCRIBE' -e '^To: ' -e '^address: ' -e '^In-Reply-To: ' -e '^References: ' >"$T/o.norm"
check "SUBSCRIBE does not say whether the key is stored" cmp -s "$T/n.norm" "$T/o.norm"
own_send "SUBSCRIBE 0xABCD" "" "$SUB"
check_eq "SUBSCRIBE malformed" "$(reply_subject "$reply")" "Your command, SUBSCRIBE 0xABCD, failed"

# ---- CONFIRM: the current public copy ------------------------------------------
sync
check_eq "no update before the CONFIRM" "$(updates)" 0
own_send "CONFIRM $TOK" "" "$SUB"
check_eq "CONFIRM subject" "$(reply_subject "$reply")" "Your command, CONFIRM"
decoded_body "$reply" | sed -n '/^-----BEGIN PGP PUBLIC KEY BLOCK-----$/,/^-----END PGP PUBLIC KEY BLOCK-----$/p' >"$T/c.asc"
check_eq "CONFIRM answers with the key" "$(own_uids "$T/c.asc")" "Owner Sub <owner@sub.example>"
sync
check_eq "nothing changed: no update" "$(updates)" 0

# ---- a third party's certification alone: nothing ---------------------------
TH=$(own_home third)
TP=$(own_genkey "$TH" ed "Third Party <tp@third.example>")
own_gpg "$TH" --import "$T/o.asc" >/dev/null 2>&1
own_gpg "$TH" --quick-sign-key "$O" >/dev/null 2>&1
own_gpg "$TH" --armor --export "$O" >"$T/o-c.asc"
own_send ADD "$T/o-c.asc" "Third Party <tp@third.example>"
check "the certification was merged" body_has 'New signatures added: 1'
sync
check_eq "a certification alone: no update" "$(updates)" 0

# ---- the owner extends the expiry ------------------------------------------------
own_gpg "$H" --quick-set-expire "$O" 2y >/dev/null 2>&1
E1=$(expiry "$H" "$O")
check "the owner's key now expires" [ -n "$E1" ]
own_export "$H" "$O" "$T/o2.asc"
own_send ADD "$T/o2.asc" "Owner Sub <owner@sub.example>"
sync
check_eq "one update" "$(updates)" 1
U=$(own_nth 1)
check_eq "update subject" "$(reply_subject "$U")" "keymail: key updates"
check "update auto-generated" grep -q '^Auto-Submitted: auto-generated' "$U"
decoded_body "$U" >"$T/u.txt"
check "update names the key" grep -q "^  $O: expires on " "$T/u.txt"
check "update says how to stop" grep -q 'UNSUBSCRIBE ALL' "$T/u.txt"
sed -n '/^-----BEGIN PGP PUBLIC KEY BLOCK-----$/,/^-----END PGP PUBLIC KEY BLOCK-----$/p' "$T/u.txt" >"$T/u.asc"
G=$(own_home subscriber)
own_gpg "$G" --import "$T/c.asc" >/dev/null 2>&1
check_eq "before: the subscriber's copy does not expire" "$(expiry "$G" "$O")" ""
own_gpg "$G" --import "$T/u.asc" >/dev/null 2>&1
check_eq "GnuPG imports the new expiry" "$(expiry "$G" "$O")" "$E1"
sync
check_eq "the run after: nothing" "$(updates)" 1

# ---- a mailer failure loses nothing ------------------------------------------------
own_gpg "$H" --quick-set-expire "$O" 3y >/dev/null 2>&1
E2=$(expiry "$H" "$O")
own_export "$H" "$O" "$T/o3.asc"
own_send ADD "$T/o3.asc" "Owner Sub <owner@sub.example>"
printf '#!/bin/sh\ncat >/dev/null\nexit 75\n' >"$T/fail.sh"
chmod 755 "$T/fail.sh"
cp "$T/keymail.conf" "$T/good.conf"
own_conf sendmail "$T/fail.sh"
sync
check_eq "mailer failed: nothing in the outbox" "$(updates)" 1
cp "$T/good.conf" "$T/keymail.conf"
sync
check_eq "next run: sent once" "$(updates)" 2
decoded_body "$(own_nth 1)" | sed -n '/^-----BEGIN PGP PUBLIC KEY BLOCK-----$/,/^-----END PGP PUBLIC KEY BLOCK-----$/p' >"$T/u2.asc"
own_gpg "$G" --import "$T/u2.asc" >/dev/null 2>&1
check_eq "the retried update carries the newest expiry" "$(expiry "$G" "$O")" "$E2"
sync
check_eq "and not again" "$(updates)" 2

# ---- UNSUBSCRIBE + CONFIRM stops it ------------------------------------------------
own_send "UNSUBSCRIBE ALL" "" "$SUB"
check_eq "UNSUBSCRIBE subject" "$(reply_subject "$reply")" "Your command, UNSUBSCRIBE ALL, needs confirmation"
decoded_body "$reply" >"$T/us.txt"
own_send "CONFIRM $(own_token_of "$T/us.txt")" "" "$SUB"
check_eq "UNSUBSCRIBE CONFIRM" "$(reply_subject "$reply")" "Your command, CONFIRM"
check "UNSUBSCRIBE: ended" body_has 'gets no key updates any more (1 subscription(s) ended)'
own_gpg "$H" --quick-set-expire "$O" 4y >/dev/null 2>&1
own_export "$H" "$O" "$T/o4.asc"
own_send ADD "$T/o4.asc" "Owner Sub <owner@sub.example>"
sync
check_eq "unsubscribed: no update" "$(updates)" 2

# ---- trusted mode: a held user ID is no update, a published expiry is ----------
own_conf policy trusted
"$KEYMAIL" -c "$T/keymail.conf" initdb --change-policy >/dev/null 2>&1
own_block "$H" "$O" SHOW >"$T/b.txt"
own_send "SHOW $O" "$T/b.txt" "Owner Sub <owner@sub.example>"
check_eq "trusted: SHOW" "$(reply_subject "$reply")" "Your command, SHOW $O"
own_send "SUBSCRIBE $O" "" "$SUB"
decoded_body "$reply" >"$T/s2.txt"
own_send "CONFIRM $(own_token_of "$T/s2.txt")" "" "$SUB"
check_eq "trusted: subscribed" "$(reply_subject "$reply")" "Your command, CONFIRM"
own_gpg "$H" --quick-add-uid "$O" "Owner Again <again@sub.example>" >/dev/null 2>&1
own_export "$H" "$O" "$T/o5.asc"
own_send ADD "$T/o5.asc" "Owner Sub <owner@sub.example>"
sync
check_eq "trusted: a held user ID is no update" "$(updates)" 2
own_gpg "$H" --quick-set-expire "$O" 5y >/dev/null 2>&1
own_export "$H" "$O" "$T/o6.asc"
own_send ADD "$T/o6.asc" "Owner Sub <owner@sub.example>"
sync
check_eq "trusted: the new expiry is an update" "$(updates)" 3
km_done
