# HELP [lang] in every language pks shipped (help-languages.md): the pks
# codes and the ISO 639 aliases, in any case, each give that language's
# file (UTF-8, sent as charset=utf-8); a bare HELP gives English without
# comment; an unknown or malformed code gives English and says so, and
# never reads a file outside help_dir.
. "$KM_TOP/tests/lib.sh"
km_newdb help
n=0
# help CODE...: send "HELP CODE" (from a new address each time, so the
# reply rate limit stays out of the way); leaves the text in $T/help.txt
help() {
	n=$((n + 1))
	km_mail "$T/h.eml" "HELP${1:+ $1}" "" "Reader $n <reader$n@example.org>"
	km_filter "$T/h.eml"
	decoded_body "$(last_reply)" >"$T/help.txt"
}
# is_lang FILE: every line of help/FILE.txt without a placeholder is in
# the reply, in order (the placeholders are filled from the config; this
# configuration has no peers, so the "$if peers" branch is left out)
is_lang() {
	$PY - "$KM_TOP/help/$1.txt" "$T/help.txt" <<'PY'
import sys
lines, skip = [], False
for l in open(sys.argv[1], encoding='utf-8').read().split('\n'):
    if l == '$if peers': skip = True
    elif l == '$else': skip = False
    elif not skip: lines.append(l)
want = [l for l in lines if l.strip() and '$' not in l]
got = open(sys.argv[2], encoding='utf-8').read().split('\n')
i = 0
for l in got:
    if i < len(want) and l == want[i]:
        i += 1
sys.exit(0 if len(want) > 20 and i == len(want) else 1)
PY
}
notice() { grep -q 'is not available' "$T/help.txt"; }

# pks code, then the aliases that must give the same file
for row in "en EN en-US en-gb" "cz cs CS" "de DE de-AT de-ch" "dk da DA" "es es-ES" \
    "fi FI" "fr fr-FR" "hr HR" "ja JA" "kr ko KO" "no nb nn NO" "pl PL" \
    "pt pt-BR pt-pt" "se sv SV" "tw zh zh-TW ZH-tw"; do
	file=${row%% *}
	check "help/$file.txt exists" test -f "$KM_TOP/help/$file.txt"
	for code in $row; do
		help "$code"
		check "HELP $code gives $file.txt" is_lang "$file"
		if notice; then notok "HELP $code: fallback notice"; else ok; fi
		check "HELP $code: UTF-8 text part" grep -qi '^Content-Type: text/plain; charset=utf-8' "$(last_reply)"
	done
done
help ""
check "bare HELP: English" is_lang en
if notice; then notok "bare HELP: notice"; else ok; fi
for bad in xx zh-CN e en_US english ../en ../../etc/passwd '.*' 'd e'; do
	help "$bad"
	check "HELP $bad: English" is_lang en
	check "HELP $bad: says so" notice
	check "HELP $bad: nothing else read" sh -c "! grep -q 'root:' '$T/help.txt'"
done
km_done
