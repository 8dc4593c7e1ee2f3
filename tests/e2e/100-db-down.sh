# Database unreachable: exit 75 (EX_TEMPFAIL) and no reply, so the MTA
# retries. Every reply is first counted in the database (the reply rate
# limits, max_replies_per_hour and the domain and total ones), so even
# HELP waits for the database; with the limits switched off (0) HELP
# needs no database and still works.
. "$KM_TOP/tests/lib.sh"
km_newdb down
km_gpg_init
km_gpg_genkey ed25519 'Dana Down <dana@example.org>'
gpg --armor --export dana@example.org > "$T/d.asc"
km_mail "$T/add.eml" ADD "$T/d.asc"
sed -i "s|^database = .*|database = host=$T/nonexistent dbname=x connect_timeout=2|" "$T/keymail.conf"
km_filter "$T/add.eml"; check_eq "ADD with database down -> 75" "$rc" 75
check_eq "no reply sent" "$(nreplies)" 0
km_mail "$T/get.eml" "GET dana"; km_filter "$T/get.eml"; check_eq "GET with database down -> 75" "$rc" 75
km_mail "$T/h.eml" "HELP"; km_filter "$T/h.eml"; check_eq "HELP with database down -> 75" "$rc" 75
check_eq "HELP not answered without the rate limit table" "$(nreplies)" 0
printf 'max_replies_per_hour = 0\nmax_domain_replies_per_hour = 0\nmax_total_replies_per_hour = 0\n' >> "$T/keymail.conf"
km_filter "$T/h.eml"; check_eq "HELP without database, no rate limit" "$rc" 0
check_eq "HELP answered" "$(nreplies)" 1
# the retry, with the database back, succeeds
km_writeconf "$T/capture.sh"
km_filter "$T/add.eml"; check_eq "retry succeeds" "$rc" 0
check "retry stored the key" grep -q "New public keys added: 1" "$(last_reply)"
km_done
