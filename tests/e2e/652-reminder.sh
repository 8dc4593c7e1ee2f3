# Expiry reminders (owner-control.md 10.2, 11, 14) with GnuPG 2.2: a key
# made to expire in 10 days (gpg --quick-gen-key ... 10d, its encryption
# subkey too) with a confirmed notify address gets exactly one reminder
# over several keymail sync runs, dated as GnuPG dates the expiry;
# extending it (gpg --quick-set-expire, to 12 days: due again) and ADDing
# re-arms it, once; a key whose encryption subkey alone expires is
# reminded of the subkey; one expiring in 20 days and one never expiring
# get nothing; a notify address not confirmed gets nothing.
. "$KM_TOP/tests/lib.sh"
. "$KM_TOP/tests/owner-lib.sh"
command -v gpg >/dev/null || { notok "gpg not installed"; km_done; exit 1; }

own_newdb own652 open
own_conf max_token_mails_per_day 0
own_conf max_address_mails_per_hour 0
sync() { "$KEYMAIL" sync >>"$T/sync.log" 2>&1; check_eq "sync exit" "$?" 0; }
# reminders FPR: how many reminders about FPR went out so far.
reminders() {
	_n=0
	for _f in "$T"/outbox/*.eml; do
		case "$(reply_subject "$_f")" in
		"keymail: key $1 expires on "*) _n=$((_n + 1)) ;;
		esac
	done
	echo "$_n"
}
# day EPOCH: its UTC date.
day() { date -u -d "@$1" +%Y-%m-%d; }
# field KIND HOME FPR: the expiry (epoch) GnuPG lists for the pub or sub line.
field() { gpg --homedir "$2" --with-colons --list-keys "$3" 2>/dev/null | awk -F: -v k="$1" '$1 == k {print $7; exit}'; }
H=$(own_home owner)
# mkkey UID PRIMARY-EXPIRY SUBKEY-EXPIRY: a key made now; prints its FPR.
mkkey() {
	own_gpg "$H" --quick-gen-key "$1" ed25519 sign,cert "$2" >/dev/null 2>&1
	_f=$(gpg --homedir "$H" --with-colons --fingerprint "$1" 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')
	own_gpg "$H" --quick-add-key "$_f" cv25519 encr "$3" >/dev/null 2>&1
	echo "$_f"
}
# notify FPR ADDR: ADD the key, a signed NOTIFY, and the CONFIRM of its
# confirmation (unless NOCONFIRM is set).
notify() {
	own_export "$H" "$1" "$T/k.asc"
	own_send ADD "$T/k.asc"
	own_block "$H" "$1" NOTIFY "$2" >"$T/b.txt"
	own_send "NOTIFY $1 $2" "$T/b.txt"
	check_eq "NOTIFY $2" "$(reply_subject "$reply")" "Your command, NOTIFY $1 $2"
	decoded_body "$(own_nth 1)" >"$T/n.txt"
	[ -n "${NOCONFIRM:-}" ] || own_send "CONFIRM $(own_token_of "$T/n.txt")" "" "<$2>"
}

F=$(mkkey "Ten Days <ten@owner.example>" 10d 10d)
S=$(mkkey "Sub Only <sub@owner.example>" never 5d)
L=$(mkkey "Later <later@owner.example>" 20d 20d)
N=$(mkkey "Never <never@owner.example>" never never)
U=$(mkkey "Unconfirmed <unc@owner.example>" 3d 3d)
notify "$F" ten@notify.example
notify "$S" sub@notify.example
notify "$L" later@notify.example
notify "$N" never@notify.example
NOCONFIRM=1 notify "$U" unc@notify.example

sync
check_eq "10 days: one reminder" "$(reminders "$F")" 1
R=$(for f in "$T"/outbox/*.eml; do case "$(reply_subject "$f")" in "keymail: key $F expires"*) echo "$f";; esac; done | tail -n 1)
check_eq "dated as GnuPG dates the expiry" "$(reply_subject "$R")" "keymail: key $F expires on $(day "$(field pub "$H" "$F")")"
check_eq "to the notify address" "$(sed -n 's/^To: //p' "$R" | head -n 1)" ten@notify.example
check "auto-generated" grep -q '^Auto-Submitted: auto-generated' "$R"
decoded_body "$R" >"$T/r.txt"
check "says how to extend" grep -q "gpg --quick-set-expire $F 1y" "$T/r.txt"
check "names the primary key" grep -q 'the key' "$T/r.txt"
check_eq "subkey alone: one reminder" "$(reminders "$S")" 1
R=$(for f in "$T"/outbox/*.eml; do case "$(reply_subject "$f")" in "keymail: key $S expires"*) echo "$f";; esac; done | tail -n 1)
check_eq "subkey: its date" "$(reply_subject "$R")" "keymail: key $S expires on $(day "$(field sub "$H" "$S")")"
check "subkey: names the encryption subkeys" sh -c "grep -q 'its encryption subkeys' '$R'"
check_eq "20 days: nothing yet" "$(reminders "$L")" 0
check_eq "never: nothing" "$(reminders "$N")" 0
check_eq "unconfirmed address: nothing" "$(reminders "$U")" 0
sync
sync
check_eq "several runs: still one" "$(reminders "$F")" 1
check_eq "several runs: subkey still one" "$(reminders "$S")" 1

# Extending moves the due date: re-armed, once.
own_gpg "$H" --quick-set-expire "$F" 12d >/dev/null 2>&1
own_gpg "$H" --quick-set-expire "$F" 12d '*' >/dev/null 2>&1
own_export "$H" "$F" "$T/k2.asc"
own_send ADD "$T/k2.asc"
sync
check_eq "extended: a second reminder" "$(reminders "$F")" 2
check_eq "about the new date" "$(reply_subject "$(own_nth 1)")" "keymail: key $F expires on $(day "$(field pub "$H" "$F")")"
sync
check_eq "and not a third" "$(reminders "$F")" 2
# expiry_warn_days = 0: none at all.
own_gpg "$H" --quick-set-expire "$F" 11d >/dev/null 2>&1
own_export "$H" "$F" "$T/k3.asc"
own_send ADD "$T/k3.asc"
own_conf expiry_warn_days 0
sync
check_eq "expiry_warn_days 0: none" "$(reminders "$F")" 2
km_done
