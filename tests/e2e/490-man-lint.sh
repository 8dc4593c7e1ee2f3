# The manual pages are clean for both formatters (issue 15, item 15: a
# .TP tag split over two lines put keymail(8)'s import options into the
# paragraph below): mandoc -T lint reports nothing at level warning, and
# man --warnings (groff) prints no warning. The tag itself is checked on
# the formatted page.
. "$KM_TOP/tests/lib.sh"
n=0
for page in "$KM_TOP"/man/*.[0-9]; do
	name=$(basename "$page")
	if command -v mandoc >/dev/null 2>&1; then
		mandoc -T lint -W warning "$page" >"$T/lint" 2>&1
		check "$name: mandoc -T lint -W warning is silent" sh -c "! test -s '$T/lint'" || cat "$T/lint"
	else
		n=$((n + 1))
	fi
	if command -v man >/dev/null 2>&1 && command -v groff >/dev/null 2>&1; then
		MANWIDTH=80 man --warnings -l "$page" >/dev/null 2>"$T/warn"
		check "$name: man --warnings is silent" sh -c "! test -s '$T/warn'" || cat "$T/warn"
	else
		n=$((n + 1))
	fi
done
if command -v man >/dev/null 2>&1 && command -v groff >/dev/null 2>&1; then
	MANWIDTH=80 man -l "$KM_TOP/man/keymail.8" 2>/dev/null | col -b > "$T/page"
	check "keymail(8): the import tag is one line" grep -q '^ *import \[-qsv\] \[-j jobs\] \[file \.\.\.\]$' "$T/page"
	check "keymail(8): documents check" grep -qE '^ +check +Check +the +installation' "$T/page"
fi
[ "$n" -gt 0 ] && echo "NOTE: mandoc or man/groff missing: $n manual page checks not run"
km_done
